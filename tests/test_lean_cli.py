"""Lean command line (issue 17): a command imports only its own subcommand module, no user database,
password hashing or SQLAlchemy unless it needs them; YAML through libyaml's C loader; users.py does
not hash at import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import contextlib, io, json, sys
from workbench.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
mods = sorted(m for m in sys.modules if m.startswith(("workbench.commands.", "sqlalchemy", "sqlmodel", "argon2")))
print(json.dumps({"code": code, "mods": mods}))
"""


def _imported(*argv: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_overlap_imports_only_its_command_and_no_password_hashing(demo_kommune):
    # Every CLI read of borger-level data writes an access-log entry (issue 16), so overlap opens the
    # state database (SQLAlchemy) after its work; it still imports no other subcommand and no argon2.
    got = _imported("overlap", str(demo_kommune))
    assert got["code"] == 0
    assert [m for m in got["mods"] if m.startswith("workbench.commands.")] == [
        "workbench.commands.common", "workbench.commands.overlap"]
    assert not [m for m in got["mods"] if m.startswith("argon2")]


def test_help_lists_every_command_without_importing_them():
    code = ("import json, sys; from workbench.cli import COMMANDS, build_parser; t = build_parser('').format_help(); "
            "print(json.dumps([all(n in t for n in COMMANDS), [m for m in sys.modules if m.startswith('workbench.commands.')]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout) == [True, []]


def test_users_does_not_hash_at_import():
    code = ("import workbench.users as u; "
            "print(u._dummy_hash.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "0"


def test_yaml_goes_through_the_c_loader_when_available():
    import yaml

    from workbench import config

    assert config._YAML_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert config.safe_load("a: [1, 2]\nb: æø\n") == {"a": [1, 2], "b": "æø"}
