"""Hardening: Streamlit server config, secrets handling, formula escaping in exports, SQL-looking
input, house rule that workbench/ (outside ui/) never imports streamlit."""

from __future__ import annotations

import io
import re
import subprocess
import tomllib
from pathlib import Path

import polars as pl
import pytest
from sqlmodel import Session

from data_model.db import engine_for
from workbench.lager import accesslog, users
from workbench.format import export

ROOT = Path(__file__).resolve().parents[1]
EVIL = ["=HYPERLINK(\"http://evil\",\"klik\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


def test_streamlit_server_config():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["maxUploadSize"] == 200
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"].get("enableCORS", True) is True  # not disabled


def test_secrets_example_documents_auth_and_real_secrets_not_tracked():
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    assert {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"} <= set(example["auth"])
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT).returncode
    assert ignored == 0, ".streamlit/secrets.toml must be git-ignored"
    tracked = subprocess.run(["git", "ls-files", ".streamlit"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "secrets.toml\n" not in tracked


def test_no_hardcoded_secrets_in_code():
    pattern = re.compile(r"(client_secret|cookie_secret|password)\s*=\s*['\"][^'\"]{6,}['\"]", re.I)
    for path in list((ROOT / "workbench").rglob("*.py")) + [ROOT / "app.py"] + list((ROOT / "sidefiler").glob("*.py")):
        assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_workbench_core_never_imports_streamlit():
    for path in (ROOT / "workbench").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "workbench").parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import streamlit|from streamlit)", text, re.M), path


def test_export_module_escapes_formulas():
    df = pl.DataFrame({"tekst": EVIL + ["almindelig", "-5"], "n": list(range(len(EVIL) + 2))})
    csv = export.to_csv_bytes(df).decode("utf-8-sig")
    back = pl.read_csv(io.StringIO(csv), separator=";", infer_schema=False)["tekst"].to_list()
    assert back[: len(EVIL)] == ["'" + v for v in EVIL]
    assert back[-2:] == ["almindelig", "-5"]
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes({"Ark": df}, [("filter", "=1+1")])))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {ws.title}!{cell.coordinate}: {cell.value}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "@")), cell.value


def test_accesslog_export_escapes_formulas():
    df = pl.DataFrame({"detalje": EVIL})
    csv = export.to_csv_bytes(df, keep_numbers=False).decode("utf-8-sig")
    back = pl.read_csv(io.StringIO(csv), separator=";", infer_schema=False)["detalje"].to_list()
    assert back == ["'" + v for v in EVIL]


def test_sql_looking_input_is_just_data(tmp_path):
    eng = engine_for(tmp_path)
    users.create_user(eng, "admin", "admin", "en-god-lang-adgangskode")
    for name in ["admin' OR '1'='1", "admin'--", "'; DROP TABLE bruger; --"]:
        assert users.authenticate(eng, name, "x' OR '1'='1", demo_allowed=False).principal is None
    assert users.get_user(eng, "admin") is not None  # table intact
    assert accesslog.entries(eng, bruger="x' OR 1=1 --").height == 0
    assert accesslog.entries(eng, borger_id="' OR '1'='1").height == 0
    assert accesslog.entries(eng, handling=accesslog.LOGIN_FEJL).height == 3
    with pytest.raises(users.UserError):
        users.create_user(eng, "robert'); DROP TABLE bruger;--", "admin", "en-god-lang-adgangskode")


def test_cpr_typed_as_username_is_masked_in_log(tmp_path):
    eng = engine_for(tmp_path)
    users.authenticate(eng, "010190-1234", "x", demo_allowed=False)
    text = accesslog.entries(eng).write_csv()
    assert "1234" not in text.replace("xxxx", "") or not re.search(r"\d{6}-?\d{4}", text)
    assert not re.search(r"\d{6}-?\d{4}", text)


def test_passwords_are_argon2_and_never_listed(tmp_path):
    eng = engine_for(tmp_path)
    users.create_user(eng, "ida", "analytiker", "en-god-lang-adgangskode")
    assert users.get_user(eng, "ida").adgangskode_hash.startswith("$argon2id$")
    frame = users.users_frame(eng)
    assert "adgangskode_hash" not in frame.columns and "$argon2" not in frame.write_csv()
    with pytest.raises(users.UserError, match="mindst"):
        users.create_user(eng, "kort", "analytiker", "123")


def test_real_argon2_parameters_and_rehash_on_sign_in(tmp_path, real_argon2):
    """Production hashes use argon2id with RFC 9106's low-memory profile (the suite hashes with the
    cheapest parameters, tests/conftest.py); a hash with other parameters is upgraded on sign-in."""
    from argon2 import PasswordHasher
    from argon2.profiles import RFC_9106_LOW_MEMORY as P

    strong = f"$argon2id$v=19$m={P.memory_cost},t={P.time_cost},p={P.parallelism}$"
    eng = engine_for(tmp_path)
    users.create_user(eng, "ida", "analytiker", "en-god-lang-adgangskode")
    assert users.get_user(eng, "ida").adgangskode_hash.startswith(strong)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("en-anden-lang-adgangskode")
    users.create_user(eng, "bo", "analytiker", None)
    with Session(eng) as s:
        u = users._get(s, "bo")
        u.adgangskode_hash = weak
        s.add(u)
        s.commit()
    assert users.authenticate(eng, "bo", "forkert-adgangskode", demo_allowed=False).principal is None
    assert users.get_user(eng, "bo").adgangskode_hash == weak  # a failed sign-in changes nothing
    assert users.authenticate(eng, "bo", "en-anden-lang-adgangskode", demo_allowed=False).principal is not None
    assert users.get_user(eng, "bo").adgangskode_hash.startswith(strong)
    assert users.authenticate(eng, "bo", "en-anden-lang-adgangskode", demo_allowed=False).principal is not None


def test_cli_password_never_an_argument(tmp_path, monkeypatch, capsys):
    """brugere opret reads the password from stdin (or a terminal prompt), not from argv."""
    from workbench.cli import main

    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setattr("sys.stdin", io.StringIO("en-god-lang-adgangskode\n"))
    assert main(["brugere", str(d), "opret", "lis", "--rolle", "tilbudsleder", "--tilbud", "P1,P2"]) == 0
    eng = engine_for(d)
    assert users.authenticate(eng, "lis", "en-god-lang-adgangskode", demo_allowed=False).principal.tilbud_ids == ("P1", "P2")
    assert main(["brugere", str(d), "opret", "x", "--rolle", "admin", "--adgangskode", "hemmelig"]) == 2
    assert main(["brugere", str(d), "opret", "yy", "--rolle", "gud"]) == 2
    assert "ukendt rolle" in capsys.readouterr().err
    assert main(["brugere", str(d), "list", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "lis" in out and "argon2" not in out
    assert main(["brugere", str(d), "deaktiver", "lis"]) == 0
    assert users.get_user(eng, "lis").aktiv is False
    assert accesslog.entries(eng, handling=accesslog.BRUGER_AENDRET).height == 2


def test_cpr_mask_keeps_already_masked_values_masked():
    from workbench.regler.cpr import mask

    assert mask("0101901234") == "010190-xxxx" and mask("010190-1234") == "010190-xxxx"
    assert mask("010190-xxxx") == "010190-xxxx" and mask(" 010190-**** ") == "010190-xxxx"
    assert mask("12345") == "xxxxxx-xxxx" and mask(None) == ""
