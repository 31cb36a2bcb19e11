"""Lean command line (issue 17): a command imports only its own subcommand module, no user database,
password hashing or SQLAlchemy unless it needs them; YAML through libyaml's C loader; users.py does
not hash at import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import contextlib, io, json, sys
from workbench.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
mods = sorted(m for m in sys.modules if m.startswith(("workbench.commands.", "sqlalchemy", "sqlmodel", "argon2", "numpy",
                                                     "pandas", "pyarrow", "streamlit", "altair",
                                                     "workbench.data.objektlager")))
print(json.dumps({"code": code, "mods": mods}))
"""


def _imported(*argv: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _copy(demo_kommune: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "data"
    shutil.copytree(demo_kommune, out, ignore=shutil.ignore_patterns("workbench.sqlite*"))
    return out


def test_overlap_imports_only_its_command_and_no_password_hashing(demo_kommune, tmp_path, monkeypatch):
    # Every CLI read of borger-level data writes an access-log entry (issue 16). The first command on a
    # new data directory sets the state database up through SQLAlchemy; later ones append their entry
    # with sqlite3 and load neither SQLAlchemy nor SQLModel, nor another subcommand, nor argon2.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    data = _copy(demo_kommune, tmp_path)
    first = _imported("overlap", str(data))
    assert first["code"] == 0 and any(m.startswith("sqlalchemy") for m in first["mods"])
    got = _imported("overlap", str(data))
    assert got["code"] == 0
    assert [m for m in got["mods"] if m.startswith("workbench.commands.")] == [
        "workbench.commands.common", "workbench.commands.overlap"]
    assert not [m for m in got["mods"] if m.startswith(("argon2", "sqlalchemy", "sqlmodel"))], got["mods"]
    # both entries are in the one chain, with the same fields as the engine writes
    from data_model.db import engine_for
    from workbench.lager import accesslog

    eng = engine_for(data)
    log = accesslog.entries(eng)
    assert log.height == 2 and log["kilde"].to_list() == ["cli", "cli"]
    assert log["detalje"].str.starts_with("CLI overlap").all() and log["bruger"].n_unique() == 1
    assert accesslog.verify(eng).ok


@pytest.mark.parametrize("argv", [("overlap",), ("optaelling", "--fra", "2024-01", "--til", "2024-06"),
                                  ("stikproeve", "--pr", "paragraf", "--antal", "2", "--seed", "1"),
                                  ("forloeb", "BORGER")])
def test_short_commands_load_no_numpy_pandas_pyarrow_or_streamlit(demo_kommune, tmp_path, monkeypatch, argv):
    """Issue 24: a short command's process pays for what it uses. numpy (~45 ms CPU to import) is needed
    only to check complementary suppression (suppression.recoverable), never for exact numbers; the
    object-store module only for s3:// data."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    data = _copy(demo_kommune, tmp_path)
    from workbench.data.dataset import open_dataset

    borger = open_dataset(data).indsatsmaal.select("borger_id").head(1).collect().item()
    args = [a.replace("BORGER", borger) for a in argv]
    got = _imported(args[0], str(data), *args[1:])
    assert got["code"] == 0
    assert not [m for m in got["mods"] if m.startswith(("numpy", "pandas", "pyarrow", "streamlit", "altair",
                                                          "workbench.data.objektlager"))], got["mods"]  # local data


def test_light_log_writer_and_engine_share_one_chain(tmp_path, monkeypatch):
    """Entries from the sqlite3 path and the engine path interleave in one valid chain, and the light
    path steps aside for a database whose triggers are not this version's (the engine upgrades it)."""
    import sqlite3

    from data_model.db import SQLITE_FILE, engine_for
    from workbench.regler import access
    from workbench.lager import accesslog

    monkeypatch.delenv("DATABASE_URL", raising=False)
    eng = engine_for(tmp_path)
    who = access.ADMIN
    assert not accesslog._append_sqlite(tmp_path / "ny", accesslog._row("a", "b", "c", (), "", "cli", None))
    for i in range(3):
        accesslog.record(tmp_path, who, accesslog.VIS_BORGER, [f"B{i}"], detalje=f"cli {i}")
        accesslog.log(eng, who, accesslog.VIS_BORGER, [f"B{i}"], detalje=f"app {i}")
    log = accesslog.entries(eng).sort("id")
    assert log["detalje"].to_list() == ["cli 0", "app 0", "cli 1", "app 1", "cli 2", "app 2"]
    assert log["kilde"].to_list() == ["cli", "app"] * 3
    assert log["borger_ids"].to_list() == ["B0", "B0", "B1", "B1", "B2", "B2"]
    report = accesslog.verify(eng)
    assert report.ok and report.poster == 6, report.linje()
    # a changed entry is still caught (the light path wrote a real hash, not a placeholder)
    con = sqlite3.connect(tmp_path / SQLITE_FILE)
    con.execute("DROP TRIGGER adgangslog_ingen_opdatering")
    con.execute("UPDATE adgangslog SET detalje = 'x' WHERE id = 1")
    con.commit()
    con.close()
    assert not accesslog.verify(eng).ok
    assert not accesslog._sqlite_ready(sqlite3.connect(tmp_path / SQLITE_FILE))
    # the light path refuses the older database; the engine path puts the trigger back and appends
    from data_model.db import get_engine

    get_engine.cache_clear()
    accesslog.record(tmp_path, who, accesslog.VIS_BORGER, ["B9"], detalje="efter")
    assert accesslog._sqlite_ready(sqlite3.connect(tmp_path / SQLITE_FILE))
    assert accesslog.entries(engine_for(tmp_path)).height == 7


def test_help_lists_every_command_without_importing_them():
    code = ("import json, sys; from workbench.cli import COMMANDS, build_parser; t = build_parser('').format_help(); "
            "print(json.dumps([all(n in t for n in COMMANDS), [m for m in sys.modules if m.startswith('workbench.commands.')]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout) == [True, []]


def test_users_does_not_hash_at_import():
    code = ("import workbench.lager.users as u; "
            "print(u._dummy_hash.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "0"


def test_yaml_goes_through_the_c_loader_when_available():
    import yaml

    from workbench.data import config

    assert config.yaml_loader() is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert config.safe_load("a: [1, 2]\nb: æø\n") == {"a": [1, 2], "b": "æø"}


def _run_py(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_exit_now_flushes_runs_atexit_and_keeps_the_code():
    """The process entry skips the interpreter's teardown (issue 24), but not what the teardown is for:
    buffered output (also to a pipe) is written, atexit handlers and finalizers run, the code is kept."""
    out = _run_py("import atexit, sys, tempfile, weakref, os\n"
                  "from workbench.cli import exit_now\n"
                  "d = tempfile.TemporaryDirectory(); open(os.path.join(d.name, 'f'), 'w').close()\n"
                  "atexit.register(lambda: print('atexit ran', os.path.exists(d.name)))\n"
                  "sys.stdout.write('buffered without newline '); sys.stderr.write('til stderr')\n"
                  "print(d.name, file=sys.stderr)\n"
                  "exit_now(3)\n")
    assert out.returncode == 3
    assert out.stdout == "buffered without newline atexit ran True\n"
    tmp = out.stderr.splitlines()[-1].removeprefix("til stderr")
    assert tmp and not Path(tmp).exists()  # the TemporaryDirectory's finalizer removed it


def test_exit_now_waits_for_a_running_thread_and_for_sqlalchemy():
    """With another thread still running, or SQLAlchemy loaded (pooled connections), the normal exit."""
    out = _run_py("import threading, time\n"
                  "from workbench.cli import exit_now\n"
                  "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True))).start()\n"
                  "exit_now(0)\n")
    assert (out.returncode, out.stdout) == (0, "thread done\n")
    out = _run_py("import sqlalchemy, weakref\n"
                  "from workbench.cli import exit_now\n"
                  "class C:\n"
                  "    def __del__(self): print('torn down', flush=True)\n"
                  "KEEP = C()\n"
                  "exit_now(4)\n")
    assert (out.returncode, out.stdout) == (4, "torn down\n")


def test_module_entry_prints_and_exits_like_main(demo_kommune, tmp_path, monkeypatch):
    """`python -m workbench` (exit_now): the same output and exit codes as main() in-process."""
    import contextlib
    import io

    from workbench.cli import main

    monkeypatch.delenv("DATABASE_URL", raising=False)
    data = _copy(demo_kommune, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "workbench", "overlap", str(data), "--format", "json"],
                          capture_output=True, cwd=ROOT)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["overlap", str(data), "--format", "json"]) == 0
    assert proc.returncode == 0 and proc.stdout.decode("utf-8") == buf.getvalue() and len(buf.getvalue()) > 100
    bad = subprocess.run([sys.executable, "-m", "workbench", "forloeb", str(data), "FINDES-IKKE"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.startswith("fejl: ") and bad.stdout == ""


def test_config_yaml_cached_as_json_keyed_by_the_text(tmp_path):
    """config/.cache/<file>.json: a command on unchanged config files neither parses YAML nor imports
    PyYAML; an edited file is parsed again (its text's hash changed); a cache entry for other text is
    never used; a value JSON cannot carry exactly (a date) is not cached."""
    import shutil

    from workbench.data import config
    from workbench.data.paths import CONFIG_DIR

    d = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, d, ignore=shutil.ignore_patterns(config.CACHE_DIR))
    probe = ("import json, sys; from pathlib import Path; from workbench.data import config; "
             "from workbench.regler import access, overlap; "
             "d = Path(sys.argv[1]); c = config.load_config(d); r = access.load_roles(d); o = overlap.load_rules(d); "
             "print(json.dumps([sorted(c.codes.paragraffer), sorted(r.roller), [x.id for x in o], 'yaml' in sys.modules]))")

    def run() -> list:
        out = subprocess.run([sys.executable, "-c", probe, str(d)], capture_output=True, text=True, cwd=ROOT, check=True)
        return json.loads(out.stdout)

    first = run()
    assert first[3] is True and (d / config.CACHE_DIR / "ffb_code_lists.yaml.json").is_file()
    again = run()
    assert again[:3] == first[:3] and again[3] is False  # all from the cache: PyYAML not even imported
    # an edited file is read again: a new rule id shows, the old cache entry is not used
    rules = d / "overlap_rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("id: DOBBELT", "id: DOBBELT_NY", 1), encoding="utf-8")
    edited = run()
    assert "DOBBELT_NY" in edited[2] and "DOBBELT" not in edited[2] and edited[3] is True
    # a cache entry whose hash is not the file's text is ignored, whatever it holds
    entry = d / config.CACHE_DIR / "roles.yaml.json"
    forged = json.loads(entry.read_text(encoding="utf-8"))
    forged["data"]["roller"]["hacker"] = forged["data"]["roller"]["admin"]
    forged["sha256"] = "0" * 64
    entry.write_text(json.dumps(forged), encoding="utf-8")
    assert "hacker" not in run()[1]
    # a date is not JSON: parsed from YAML every time
    f = tmp_path / "dato.yaml"
    f.write_text("dato: 2024-01-31\n", encoding="utf-8")
    assert config.read_yaml_file(f) == config.read_yaml_file(f) == {"dato": __import__("datetime").date(2024, 1, 31)}
    assert not (tmp_path / config.CACHE_DIR / "dato.yaml.json").exists()
