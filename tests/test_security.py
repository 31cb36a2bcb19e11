"""Issue 16: sign-in that holds. Parallel lockout race, per-client rate limit (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import polars as pl

import pytest

from data_model.db import engine_for, get_engine
from workbench.regler import access
from workbench.lager import accesslog, ratelimit, users
from tests.helpers import postgres_schema

PW = "korrekt-hest-batteri"


@pytest.fixture(autouse=True)
def _fresh_limiter():
    ratelimit.reset()
    yield
    ratelimit.reset()


def _parallel(engine, attempts: list[str], name: str = "sara") -> list[users.LoginResult]:
    results: list = [None] * len(attempts)
    start = threading.Barrier(len(attempts))

    def go(i: int, pw: str) -> None:
        start.wait()
        results[i] = users.authenticate(engine, name, pw, demo_allowed=False)

    threads = [threading.Thread(target=go, args=(i, pw)) for i, pw in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


class _Counting:
    def __init__(self, real):
        self.real, self.verified = real, []

    def verify(self, h, pw):
        self.verified.append(pw)
        return self.real.verify(h, pw)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("pw_at", [0, 49], ids=["rigtig-foerst", "rigtig-sidst"])
def test_lockout_holds_under_50_parallel_guesses(engine, monkeypatch, pw_at, real_argon2):
    # production hashing (real_argon2): the slow check is the window the parallel guesses race through
    users.create_user(engine, "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    n_max = access.security().max_fejlede_logins
    counting = _Counting(users._hasher)
    monkeypatch.setattr(users, "_hasher", counting)
    guesses = ["forkert"] * 49
    guesses.insert(pw_at, PW)
    results = _parallel(engine, guesses)
    verified = counting.verified
    signed_in = [r for r in results if r.principal is not None]
    assert len(signed_in) <= 1
    if signed_in:
        # the right password only gets through as one of the first n_max checks, exactly as if the
        # guesses had come one by one: a parallel burst buys no extra guesses before it
        assert verified.index(PW) < n_max, verified
        # a sign-in resets the counter (as sequentially); what follows is a fresh round of at most n_max
        assert len(verified) <= 2 * n_max + 1, len(verified)
    else:
        # no sign-in: at most n_max passwords were ever checked, the rest refused unchecked,
        # and the account ends locked, so the right password is refused afterwards
        assert len(verified) <= n_max, len(verified)
        u = users.get_user(engine, "sara")
        assert u.spaerret_til is not None
        after = users.authenticate(engine, "sara", PW, demo_allowed=False)
        assert after.principal is None and "spærret" in after.besked
        assert accesslog.entries(engine, handling=accesslog.LOGIN_SPAERRET).height >= 1


def test_burst_then_right_password_is_refused(engine):
    """The deterministic half of the race: 49 wrong guesses in parallel, then the right password."""
    users.create_user(engine, "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    results = _parallel(engine, ["forkert"] * 49)
    assert all(r.principal is None for r in results)
    after = users.authenticate(engine, "sara", PW, demo_allowed=False)
    assert after.principal is None and "spærret" in after.besked


def test_fifty_wrong_in_parallel_check_at_most_max(engine):
    users.create_user(engine, "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    n_max = access.security().max_fejlede_logins
    results = _parallel(engine, ["forkert"] * 50)
    assert all(r.principal is None for r in results)
    fejl = accesslog.entries(engine, handling=accesslog.LOGIN_FEJL).height
    spaerret = accesslog.entries(engine, handling=accesslog.LOGIN_SPAERRET).height
    # exactly n_max - 1 plain failures, one lock, the rest refused while locked
    assert fejl == n_max - 1 and spaerret == 50 - (n_max - 1)
    assert users.get_user(engine, "sara").spaerret_til is not None


def test_lock_expires_and_counter_restarts(sqlite_engine):
    eng = sqlite_engine
    users.create_user(eng, "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    n_max = access.security().max_fejlede_logins
    t0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc)
    for _ in range(n_max):
        users.authenticate(eng, "sara", "forkert", demo_allowed=False, now=t0)
    assert users.authenticate(eng, "sara", PW, demo_allowed=False, now=t0).principal is None
    later = t0 + dt.timedelta(minutes=access.security().spaerretid_minutter + 1)
    assert users.authenticate(eng, "sara", PW, demo_allowed=False, now=later).principal is not None


def test_rate_limit_per_client(sqlite_engine):
    eng = sqlite_engine
    users.create_user(eng, "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    per = access.security().login_pr_klient_pr_minut
    # one client guessing at one account: refused after `per` attempts, without a hash check
    for _ in range(per):
        assert users.authenticate(eng, "x", "forkert", demo_allowed=False, klient="10.0.0.9").besked \
            == users.GENERIC_FAIL
    r = users.authenticate(eng, "x", "forkert", demo_allowed=False, klient="10.0.0.9")
    assert r.principal is None and r.besked == users.RATE_LIMITED
    assert accesslog.entries(eng, handling=accesslog.LOGIN_BEGRAENSET).height == 1
    # the pair is limited, not the address: a colleague behind the same NAT still signs in
    assert users.authenticate(eng, "sara", PW, demo_allowed=False, klient="10.0.0.9").principal is not None
    # spraying many names from one address hits the per-client ceiling
    refused = [users.authenticate(eng, f"y{i}", "forkert", demo_allowed=False, klient="10.0.0.9").besked
               for i in range(ratelimit.KLIENT_LOFT * per)]
    assert refused[-1] == users.RATE_LIMITED
    # another client is not affected
    assert users.authenticate(eng, "sara", PW, demo_allowed=False, klient="10.0.0.10").principal is not None


def test_rate_limiter_window():
    now = [0.0]
    lim = ratelimit.RateLimiter(3, clock=lambda: now[0])
    assert [lim.allow("a") for _ in range(4)] == [True, True, True, False]
    assert lim.allow("b")
    now[0] = 61.0
    assert lim.allow("a")


# -------------------------------------------------------------------------------- dev mode, demo status

import json
import os
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from test_access import write_dataset
from tests.helpers import write_demo_manifest
from workbench.data import demo_status
from workbench.vaerktoej import synth

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def _signed_in(at) -> str | None:
    import re

    for c in at.sidebar.caption:
        m = re.search(r"Logget ind som \*\*(.+?)\*\*", c.value)
        if m:
            return m.group(1)
    return None


@pytest.mark.parametrize("marker", ["DEMO", ".demo", "demo.json", "DEMO.md", "demo_manifest.json"])
def test_marker_files_do_not_make_demo_data(tmp_path, marker):
    d = write_dataset(tmp_path / "rigtig")
    (d / marker).write_text("{}\n")
    assert not demo_status.is_demo(d) and not users.is_demo_dataset(d)


def test_generator_manifest_verified_by_checksums(demo_kommune, tmp_path):
    import shutil

    assert demo_status.is_demo(demo_kommune)
    m = json.loads((demo_kommune / demo_status.MANIFEST).read_text())
    assert set(m["filer"]) == {p.name for p in demo_kommune.glob("*.parquet")} | {"datasaet.yaml"}
    copy = tmp_path / "kopi"
    shutil.copytree(demo_kommune, copy)
    assert demo_status.is_demo(copy)
    # real data copied in beside the demo files: no longer demo
    shutil.copy(write_dataset(tmp_path / "rigtig") / "borgere.csv", copy / "borgere.csv")
    assert not demo_status.is_demo(copy)
    (copy / "borgere.csv").unlink()
    assert demo_status.is_demo(copy)
    # one table replaced by other bytes: the checksum breaks
    (copy / "tilbud.parquet").write_bytes((copy / "tilbud.parquet").read_bytes() + b"\0")
    assert not demo_status.is_demo(copy)
    (copy / "tilbud.parquet").write_bytes((demo_kommune / "tilbud.parquet").read_bytes())
    assert demo_status.is_demo(copy)
    # the declared udtræksdato is part of what the generator wrote: a changed one is not demo data
    (copy / "datasaet.yaml").write_text("udtraeksdato: 2027-01-31\n", encoding="utf-8")
    assert not demo_status.is_demo(copy)


def test_dev_mode_refused_on_real_data(tmp_path, monkeypatch, real_dev_guard):
    d = write_dataset(tmp_path / "rigtig")
    (d / "DEMO").write_text("x")
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(d))
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert _signed_in(at) is None
    assert [e.value for e in at.error] == [users.DEV_REFUSED.format(path=d)]
    # no demo users (password 'demo') were written into the real user table
    assert users.all_users(engine_for(d)) == []
    # run.sh's start check refuses with one line, exit 2
    env = {**os.environ, "FFB_WORKBENCH_DATA": str(d), "FFB_WORKBENCH_DEV": "1"}
    got = subprocess.run([sys.executable, "-m", "workbench.startcheck"], env=env, cwd=ROOT,
                         capture_output=True, text=True)
    assert got.returncode == 2 and len(got.stderr.strip().splitlines()) == 1 and "FFB_WORKBENCH_DEV" in got.stderr


def test_dev_mode_allowed_on_generator_demo(demo_kommune, monkeypatch, real_dev_guard):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    env = {**os.environ}
    assert subprocess.run([sys.executable, "-m", "workbench.startcheck"], env=env, cwd=ROOT).returncode == 0
    users.check_dev_mode(demo_kommune)  # does not raise


def test_run_sh_binds_to_localhost():
    text = (ROOT / "run.sh").read_text()
    assert "--server.address 127.0.0.1" in text and "workbench.startcheck" in text


def test_bootstrap_writes_no_demo_users_on_real_data(tmp_path, monkeypatch, real_dev_guard):
    d = write_dataset(tmp_path / "rigtig")
    eng = engine_for(d)
    users.bootstrap(eng, d)
    assert users.all_users(eng) == []
    write_demo_manifest(d)
    users.bootstrap(eng, d)
    assert {u.brugernavn for u in users.all_users(eng)} == set(access.ROLE_NAMES)


def test_demo_out_refuses_non_demo_dir_and_empty(tmp_path, monkeypatch):
    d = write_dataset(tmp_path / "rigtig")
    before = sorted(p.name for p in d.iterdir())
    for out in (str(d), ""):
        got = subprocess.run([sys.executable, "-m", "workbench", "demo", "--out", out], cwd=tmp_path,
                             capture_output=True, text=True)
        assert got.returncode == 2, got.stderr
        assert len(got.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in d.iterdir()) == before
    assert not (tmp_path / "borgere.parquet").exists()
    with pytest.raises(ValueError):
        demo_status.check_demo_target(str(d))


# -------------------------------------------------------------------------------- first admin


def test_first_admin_on_command_line(tmp_path):
    d = write_dataset(tmp_path / "rigtig")
    env = {**os.environ, "FFB_WORKBENCH_DEV": "0"}
    got = subprocess.run([sys.executable, "-m", "workbench", "brugere", str(d), "opret-admin", "chef"],
                         input=PW + "\n", env=env, capture_output=True, text=True, cwd=ROOT)
    assert got.returncode == 0, got.stderr
    u = users.get_user(engine_for(d), "chef")
    assert u.rolle == "admin" and u.adgangskode_hash.startswith("$argon2id$")


def test_setup_token_printed_once_and_checked(sqlite_engine, capsys):
    users.consume_setup_token()
    tok = users.setup_token()
    assert tok in capsys.readouterr().err
    assert users.setup_token() == tok and capsys.readouterr().err == ""
    assert not users.check_setup_token(sqlite_engine, "gæt")
    assert not users.check_setup_token(sqlite_engine, "")
    assert users.check_setup_token(sqlite_engine, tok)
    users.consume_setup_token()
    assert not users.check_setup_token(sqlite_engine, tok)


# -------------------------------------------------------------------------------- access log


from sqlalchemy import create_engine, text

from workbench.regler.access import Principal

SB = Principal("sara", "sagsbehandler", sagsbehandler="SB1")
OLD = dt.datetime(2015, 3, 1, tzinfo=dt.timezone.utc)


def _fill(eng, n=5):
    accesslog.write(eng, "gammel", "admin", accesslog.VIS_BORGER, ["B0"], tidspunkt=OLD)
    for i in range(n):
        accesslog.log(eng, SB, accesslog.VIS_BORGER, [f"B{i + 1}"])


def test_hash_chain_whole_and_survives_purge(engine):
    _fill(engine)
    r = accesslog.verify(engine)
    assert r.ok and r.poster == 6, r
    assert accesslog.purge(engine, access.ADMIN) == 1
    r = accesslog.verify(engine)
    assert r.ok and r.poster == 6, r  # 5 left + the purge entry, whose anchor explains the start


def test_permit_table_attack_refused_sqlite(sqlite_engine):
    eng = sqlite_engine
    _fill(eng)
    # the old permit table is gone and plain SQL cannot delete
    for stmt in ("INSERT INTO adgangslog_sletning (foer) VALUES ('2999-01-01 00:00:00.000000')",
                 "DELETE FROM adgangslog"):
        with pytest.raises(Exception):
            with eng.begin() as conn:
                conn.execute(text(stmt))
    # a plain sqlite3 client (no workbench functions registered) cannot delete either
    import sqlite3

    raw = sqlite3.connect(eng.url.database)
    with pytest.raises(sqlite3.Error):
        raw.execute("DELETE FROM adgangslog")
        raw.commit()
    raw.close()
    assert accesslog.entries(eng).height == 6


def test_insert_or_replace_refused_sqlite(sqlite_engine):
    eng = sqlite_engine
    _fill(eng)
    first = accesslog.entries(eng).sort("id")["id"][1]
    with pytest.raises(Exception, match="append-only"):
        with eng.begin() as conn:
            conn.execute(text("INSERT OR REPLACE INTO adgangslog (id, tidspunkt, bruger, rolle, handling, borger_ids, "
                              "detalje, kilde) VALUES (:id, '2026-01-01 00:00:00.000000', 'x', 'admin', 'login', '', "
                              "'', 'app')"), {"id": first})
    assert accesslog.entries(eng).filter(pl.col("id") == first)["bruger"][0] == "sara"
    assert accesslog.verify(eng).ok


def test_chain_detects_change_and_deletion():
    import sqlite3

    eng = engine_for(None)
    _fill(eng)
    db = eng.url.database

    def tamper(*stmts):
        raw = sqlite3.connect(db)
        raw.execute("DROP TRIGGER IF EXISTS adgangslog_ingen_opdatering")
        raw.execute("DROP TRIGGER IF EXISTS adgangslog_ingen_sletning")
        raw.execute("DROP TRIGGER IF EXISTS adgangslog_ingen_erstat")
        for s_ in stmts:
            raw.execute(s_)
        raw.commit()
        raw.close()

    # an attacker with the file drops the triggers and edits: the chain shows it
    tamper("UPDATE adgangslog SET borger_ids = ',B9,' WHERE id = 3")
    r = accesslog.verify(eng)
    assert not r.ok and "post 3 er ændret" in r.fejl[0]
    tamper("UPDATE adgangslog SET borger_ids = ',B2,' WHERE id = 3")
    assert accesslog.verify(eng).ok
    tamper("DELETE FROM adgangslog WHERE id = 4")
    r = accesslog.verify(eng)
    assert not r.ok and "post 5 peger ikke" in r.fejl[0]


@pytest.mark.parametrize("attack", ["reorder", "insert", "head"])
def test_chain_detects_reorder_insert_and_removed_start(tmp_path, monkeypatch, attack):
    import sqlite3

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / attack}.sqlite")
    eng = engine_for(None)
    _fill(eng)
    raw = sqlite3.connect(eng.url.database)
    for trig in ("adgangslog_ingen_opdatering", "adgangslog_ingen_sletning", "adgangslog_ingen_erstat"):
        raw.execute(f"DROP TRIGGER {trig}")
    if attack == "reorder":  # swap the contents of entries 3 and 4 (ids keep their order)
        raw.execute("UPDATE adgangslog SET id = -3 WHERE id = 3")
        raw.execute("UPDATE adgangslog SET id = 3 WHERE id = 4")
        raw.execute("UPDATE adgangslog SET id = 4 WHERE id = -3")
    elif attack == "insert":
        raw.execute("INSERT INTO adgangslog (id, tidspunkt, bruger, rolle, handling, borger_ids, detalje, kilde, "
                    "forrige_hash, hash) SELECT 100, tidspunkt, 'x', rolle, handling, '', '', kilde, 'f', 'f' "
                    "FROM adgangslog WHERE id = 2")
        raw.execute("UPDATE adgangslog SET id = 0 WHERE id = 100")
    else:  # the oldest entries removed by hand, not by the purge
        raw.execute("DELETE FROM adgangslog WHERE id <= 2")
    raw.commit()
    raw.close()
    assert not accesslog.verify(eng).ok


def test_postgres_app_role_cannot_purge_by_itself():
    import uuid

    with postgres_schema("secpg") as url:
        eng = get_engine(url)
        _fill(eng)
        schema = url.rsplit("search_path%3D", 1)[1]
        role = f"ffb_app_{uuid.uuid4().hex[:8]}"
        with eng.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
            conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
            conn.execute(text(f'GRANT SELECT, INSERT ON adgangslog TO "{role}"'))
            conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
            conn.execute(text(f'GRANT EXECUTE ON FUNCTION adgangslog_purge(timestamptz) TO "{role}"'))
        try:
            for stmt in ("DELETE FROM adgangslog",
                         "SELECT set_config('ffb.adgangslog_purge_foer', '2999-01-01', true); DELETE FROM adgangslog",
                         "SELECT adgangslog_purge(now())"):
                with pytest.raises(Exception):
                    with eng.begin() as conn:
                        conn.execute(text(f'SET LOCAL ROLE "{role}"'))
                        for part in stmt.split(";"):
                            conn.execute(text(part))
            assert accesslog.entries(eng).height == 6
            with eng.begin() as conn:  # the one path: the function, within the retention rule
                conn.execute(text(f'SET LOCAL ROLE "{role}"'))
                n = conn.execute(text("SELECT adgangslog_purge(:f)"), {"f": OLD + dt.timedelta(days=1)}).scalar()
            assert n == 1
        finally:
            with eng.begin() as conn:
                conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"'))
                conn.execute(text(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM "{role}"'))
                conn.execute(text(f'REVOKE ALL ON FUNCTION adgangslog_purge(timestamptz) FROM "{role}"'))
                conn.execute(text(f'REVOKE ALL ON SCHEMA "{schema}" FROM "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
            eng.dispose()


def test_cli_verificer_and_page_banner(tmp_path, monkeypatch, capsys):
    import sqlite3

    from workbench.cli import main

    d = write_dataset(tmp_path / "data")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{d / 'workbench.sqlite'}")
    eng = engine_for(d)
    _fill(eng)
    assert main(["adgangslog", str(d), "verificer"]) == 0
    assert "kæde er hel" in capsys.readouterr().out
    at = AppTest.from_file(str(ROOT / "sidefiler" / "adgangslog.py"), default_timeout=120)
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(d))
    at.run()
    assert not at.exception and not any("brudt" in e.value for e in at.error)
    raw = sqlite3.connect(eng.url.database)
    raw.execute("DROP TRIGGER adgangslog_ingen_opdatering")
    raw.execute("UPDATE adgangslog SET bruger = 'ingen' WHERE id = 2")
    raw.commit()
    raw.close()
    assert main(["adgangslog", str(d), "verificer"]) == 1
    assert "brudt" in capsys.readouterr().out
    at = AppTest.from_file(str(ROOT / "sidefiler" / "adgangslog.py"), default_timeout=120)
    at.run()
    assert any("brudt" in e.value for e in at.error)


# -------------------------------------------------------------------------------- log gaps, CLI escaping

from test_kvalitet_page import page_data  # noqa: E402,F401  (fixture)


@pytest.mark.parametrize("argv,handling", [
    (["stikproeve", "--pr", "sagsbehandler", "--antal", "2", "--seed", "7"], accesslog.STIKPROEVE),
    (["overlap", "--paa", "2023-07-01"], accesslog.VIS_LISTE),
    (["kvalitet", "--paa", "2023-07-01"], accesslog.VIS_LISTE),
])
@pytest.mark.parametrize("bruger", [None, "leder_myndighed"])
def test_cli_borger_reads_are_logged(page_data, capsys, argv, handling, bruger):
    from workbench.cli import main

    cmd = [argv[0], str(page_data), *argv[1:], *(["--bruger", bruger] if bruger else [])]
    if bruger:
        users.create_user(engine_for(page_data), bruger, "leder_myndighed", PW, kommuner="0250")
    assert main(cmd) in (0, 1)
    out = capsys.readouterr().out
    log = accesslog.entries(engine_for(page_data), handling=handling).filter(pl.col("kilde") == "cli")
    assert log.height == 1, log
    assert log["bruger"][0] == (bruger or "admin") and argv[0] in log["detalje"][0]
    if argv[0] != "stikproeve":
        assert "P" in log["borger_ids"][0].split(",")  # borger P has an overlap and a finding


def test_cli_csv_is_formula_escaped(page_data, capsys):
    from workbench.cli import main

    main(["kvalitet", str(page_data), "--paa", "2023-07-01", "--format", "csv"])
    out = capsys.readouterr().out
    import csv as _csv
    import io as _io

    cells = [c for row in _csv.reader(_io.StringIO(out)) for c in row]
    assert any("HYPERLINK" in c or "=1+2" in c for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c.startswith("-") and not c[1:].replace(".", "").isdigit())]


def test_emit_uses_the_export_escaping():
    import io as _io

    from workbench.format.output import emit

    buf = _io.StringIO()
    emit(pl.DataFrame({"a": ["=HYPERLINK(\"x\")", "@SUM(1)", "-5", "ok"]}), "csv", buf)
    assert pl.read_csv(_io.StringIO(buf.getvalue()))["a"].to_list() == ["'=HYPERLINK(\"x\")", "'@SUM(1)", "-5", "ok"]


def test_kvalitet_page_borger_lists_are_logged(page_data):
    from tests.helpers import run_page

    at = run_page(str(ROOT / "sidefiler" / "kvalitet.py"))
    at.date_input(key="kv_paa").set_value(dt.date(2023, 7, 1)).run()
    assert not at.exception
    # the tabs are lazy: a list is shown (and logged) when its tab is opened
    at.session_state["kv_fane"] = "Øvrige opmærkninger"
    at.run()
    assert not at.exception
    log = accesslog.entries(engine_for(page_data), handling=accesslog.VIS_LISTE)
    assert log.height >= 2
    assert any({"P", "X"} <= set(ids.split(",")) for ids in log["borger_ids"].to_list())


def test_refused_deep_link_is_logged(page_data, monkeypatch):
    from tests.helpers import run_page

    eng = engine_for(page_data)
    users.create_user(eng, "sara", "sagsbehandler", PW, sagsbehandler="INGEN")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "sara")
    at = run_page(str(ROOT / "sidefiler" / "borger.py"), {"borger": "X"})
    assert any("har ikke adgang" in w.value for w in at.warning)
    log = accesslog.entries(eng, handling=accesslog.ADGANG_NAEGTET)
    assert log.height == 1 and log["borger_ids"][0] == "X" and log["bruger"][0] == "sara"


# -------------------------------------------------------------------------------- sessions


def test_session_cookie_signed_revocable_and_expiring(sqlite_engine, tmp_path):
    from workbench.lager import sessions

    eng = sqlite_engine
    users.create_user(eng, "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    t0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc)
    c = sessions.create(eng, "sara", 8, tmp_path, now=t0)
    assert sessions.user_for(eng, c, tmp_path, now=t0) == "sara"
    token, sig = c.rsplit(".", 1)
    assert sessions.user_for(eng, f"{token}.{'0' * len(sig)}", tmp_path, now=t0) is None  # forged signature
    assert sessions.user_for(eng, c, tmp_path, now=t0 + dt.timedelta(hours=8, seconds=1)) is None  # expired
    sessions.revoke(eng, c)
    assert sessions.user_for(eng, c, tmp_path, now=t0) is None
    c2 = sessions.create(eng, "sara", 8, tmp_path)
    users.update_user(eng, "sara", aktiv=False)
    assert sessions.user_for(eng, c2, tmp_path) is None  # deactivation signs out everywhere
    # one-time ticket
    t = sessions.issue_ticket("v", 60, "browser-a")
    assert sessions.redeem_ticket(t, "browser-a") == ("v", 60) and sessions.redeem_ticket(t, "browser-a") is None
    assert sessions.issue_ticket("v", 60, None) is None  # no browser binding, no ticket
    t = sessions.issue_ticket("v", 60, "browser-a")
    assert sessions.redeem_ticket(t, "browser-b") is None and sessions.redeem_ticket(t, None) is None


def test_session_route_sets_httponly_cookie_and_headers():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from workbench.lager import sessions
    from workbench.ui import server

    async def index(request):
        return PlainTextResponse('<html lang="en"><body>x</body></html>', media_type="text/html")

    app = Starlette(routes=[*server.routes(), Route("/borger", index)], middleware=server.middleware())
    client = TestClient(app)
    r = client.get("/borger")
    assert r.headers["x-frame-options"] == "DENY" and '<html lang="da">' in r.text
    assert client.post("/_ffb/session?ticket=gaet").status_code == 403
    binding = client.cookies.get(sessions.BIND_COOKIE)
    assert binding and "httponly" in r.headers["set-cookie"].lower()  # the page gave the browser a binding
    t = sessions.issue_ticket("tok.sig", 3600, binding)
    r = client.post(f"/_ffb/session?ticket={t}")
    assert r.status_code == 204
    sc = r.headers["set-cookie"].lower()
    assert "ffb_session=tok.sig" in sc and "httponly" in sc and "samesite=lax" in sc and "max-age=3600" in sc
    assert client.post(f"/_ffb/session?ticket={t}").status_code == 403  # one time only


def _session_app():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from workbench.ui import server

    async def index(request):
        return PlainTextResponse('<html lang="en"><body>x</body></html>', media_type="text/html")

    return Starlette(routes=[*server.routes(), Route("/", index)], middleware=server.middleware())


def test_stcore_metrics_closed():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from workbench.ui import server

    async def metrics(request):
        return PlainTextResponse("session_state_size 123")

    app = Starlette(routes=[Route("/_stcore/metrics", metrics)], middleware=server.middleware())
    r = TestClient(app).get("/_stcore/metrics")
    assert r.status_code == 404 and "session_state" not in r.text


def test_session_route_refuses_cross_origin_post_and_foreign_ticket():
    """Login CSRF / session swap (issue 23): an attacker's own ticket, posted from the attacker's site
    or replayed in the victim's browser, never sets the attacker's session in the victim's browser."""
    from starlette.testclient import TestClient

    from workbench.lager import sessions

    app = _session_app()
    attacker, victim = TestClient(app, base_url="http://127.0.0.1:8501"), TestClient(app, base_url="http://127.0.0.1:8501")
    attacker.get("/")
    victim.get("/")
    a_bind, v_bind = attacker.cookies.get(sessions.BIND_COOKIE), victim.cookies.get(sessions.BIND_COOKIE)
    assert a_bind and v_bind and a_bind != v_bind
    # the attacker's site makes the victim's browser post the attacker's ticket
    for headers in ({"origin": "https://ond.example", "sec-fetch-site": "cross-site"},
                    {"origin": "https://ond.example"}, {"sec-fetch-site": "same-site"}, {"origin": "null"}):
        t = sessions.issue_ticket("angriber.sig", 3600, a_bind)
        r = victim.post(f"/_ffb/session?ticket={t}", headers=headers)
        assert r.status_code == 403 and "ffb_session" not in r.headers.get("set-cookie", "")
    # same origin, but the ticket belongs to another browser
    t = sessions.issue_ticket("angriber.sig", 3600, a_bind)
    r = victim.post(f"/_ffb/session?ticket={t}",
                    headers={"origin": "http://127.0.0.1:8501", "sec-fetch-site": "same-origin"})
    assert r.status_code == 403 and "ffb_session" not in r.headers.get("set-cookie", "")
    # the browser the ticket was issued to, same origin: accepted
    t = sessions.issue_ticket("offer.sig", 3600, v_bind)
    r = victim.post(f"/_ffb/session?ticket={t}",
                    headers={"origin": "http://127.0.0.1:8501", "sec-fetch-site": "same-origin"})
    assert r.status_code == 204 and "ffb_session=offer.sig" in r.headers["set-cookie"]


# -------------------------------------------------------------------------------- four eyes


def test_four_eyes_holds_for_admin_in_parallel_and_in_the_database():
    from data_model.review_tables import Sagsgennemgang
    from workbench.lager import reviews

    eng = engine_for(None)
    snap = {"borger_id": "X"}
    for _ in range(10):
        r = reviews.create(eng, borger_id="X", paa=dt.date(2024, 1, 1), username="chef", rolle="admin", snapshot=snap)
        reviews.edit(eng, r.review_id, username="chef", rolle="admin",
                     status_paa_indsats="Træf afgørelse om fortsættelse af indsats", borger_til_stede=False,
                     naeste_opfoelgning=dt.date(2024, 6, 1))
        start = threading.Barrier(2)

        def sign(side):
            start.wait()
            try:
                reviews.sign(eng, r.review_id, side, username="chef", rolle="admin")
            except reviews.ReviewError:
                pass

        ts = [threading.Thread(target=sign, args=(s,)) for s in (reviews.MYNDIGHED, reviews.UDFOERER)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        for v in reviews.history(eng, r.review_id):
            assert not (v.myndighed_underskrevet_af and v.udfoerer_underskrevet_af), v
        # second attempt, sequential, other side: refused
        cur = reviews.get(eng, r.review_id)
        side = reviews.UDFOERER if cur.myndighed_underskrevet_af else reviews.MYNDIGHED
        with pytest.raises(reviews.ReviewError, match="samme person"):
            reviews.sign(eng, r.review_id, side, username="CHEF", rolle="admin")
    # the database itself refuses a row with one person on both sides
    with pytest.raises(Exception):
        with eng.begin() as conn:
            conn.execute(Sagsgennemgang.__table__.insert().values(
                review_id="x", version=1, borger_id="X", paa=dt.date(2024, 1, 1), handling="underskrevet",
                aendret_af="chef", aendret_rolle="admin", myndighed_underskrevet_af="chef",
                udfoerer_underskrevet_af="Chef", vurderinger="{}", snapshot="{}"))


def test_demo_udfoerer_and_tilbudsleder_see_borger_x(tmp_path):
    from workbench.data.dataset import open_dataset

    out = tmp_path / "demo3"
    synth.write_demo(out, skala="kommune", seed=3)
    eng = engine_for(out)
    users.bootstrap(eng, out)
    ds = open_dataset(out)
    for name in ("udfoerer", "tilbudsleder", "sagsbehandler"):
        p = users.principal_for(eng, name)
        ids = access.scope(ds, p).borgere.select("borger_id").collect()["borger_id"].to_list()
        assert "X" in ids, name


def test_dataframe_toolbar_export_is_off():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["client"]["disableDataExport"] is True


# -------------------------------------------------------------------------------- low


@pytest.mark.parametrize("argv", [["kvalitet"], ["overlap"], ["optaelling", "--fra", "2022-01", "--til", "2022-12"],
                                  ["forloeb", None, "B001"],
                                  ["stikproeve", "--pr", "sagsbehandler", "--antal", "1", "--seed", "1"]])
def test_user_column_named_like_internal_one(tmp_path, capsys, argv):
    import csv as _csv

    from workbench.cli import main

    d = write_dataset(tmp_path / "data")
    for table in ("borgere", "ydelser"):
        rows = list(_csv.reader((d / f"{table}.csv").open(encoding="utf-8")))
        rows[0].append("__tekst_borger_id")
        for r in rows[1:]:
            r.append("=x")
        with (d / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
            _csv.writer(f).writerows(rows)
    cmd = [argv[0], str(d), *[a for a in argv[1:] if a is not None]]
    assert main(cmd) in (0, 1), capsys.readouterr().err


def test_cli_errors_are_one_danish_line_with_cpr_masked(tmp_path, capsys):
    from workbench.cli import main
    from workbench.format.messages import one_line

    cases = [
        ["kvalitet", str(tmp_path / "findes-ikke")],
        ["demo"],
        ["overlap", str(tmp_path), "--format", "xml"],
        ["optaelling", str(tmp_path), "--fra", "2024-01", "--til", "2024-02", "--ekstra"],
    ]
    for argv in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        for english in ("required", "invalid choice", "unrecognized", "No such file", "Errno"):
            assert english not in err, err
    # a CPR number in any message is masked
    assert one_line(ValueError("borgere række 3: ugyldig dato 0101901234 / 010190-1234")) == \
        "borgere række 3: ugyldig dato 010190-xxxx / 010190-xxxx"
    d = write_dataset(tmp_path / "data")
    text = (d / "borgere.csv").read_text(encoding="utf-8").replace("borger_id,", "id,", 1)
    (d / "borgere.csv").write_text(text + "0101901234\n", encoding="utf-8")
    main(["kvalitet", str(d)])
    assert "0101901234" not in capsys.readouterr().err


def test_absurd_amounts_are_quality_findings(tmp_path):
    from workbench.data.dataset import open_dataset
    from workbench.regler.kvalitet import findings

    d = write_dataset(tmp_path / "data", n=6)
    y = (d / "ydelser.csv").read_text(encoding="utf-8").splitlines()
    header = y[0].split(",")
    i = header.index("maanedlig_udgift")
    rows = [r.split(",") for r in y[1:]]
    for r, amount in zip(rows, ["-1e9", "1e400", "20000000", "4800"]):
        r[i] = amount
    (d / "ydelser.csv").write_text("\n".join([y[0], *[",".join(r) for r in rows]]) + "\n", encoding="utf-8")
    got = findings(open_dataset(d), dt.date(2024, 1, 1), rules=["urimeligt_beloeb"]).collect()
    assert sorted(got["noegle"].to_list()) == sorted([rows[0][0], rows[1][0], rows[2][0]])
    assert all("maanedlig_udgift" in b for b in got["besked"].to_list())


def test_review_needs_borger_til_stede_and_next_follow_up_before_signing():
    from workbench.lager import reviews

    eng = engine_for(None)
    r = reviews.create(eng, borger_id="X", paa=dt.date(2024, 1, 1), username="sb", rolle="sagsbehandler",
                       snapshot={"borger_id": "X"})
    reviews.edit(eng, r.review_id, username="sb", rolle="sagsbehandler",
                 status_paa_indsats="Træf afgørelse om fortsættelse af indsats")
    with pytest.raises(reviews.ReviewError, match="til stede"):
        reviews.sign(eng, r.review_id, reviews.MYNDIGHED, username="sb", rolle="sagsbehandler")
    reviews.edit(eng, r.review_id, username="sb", rolle="sagsbehandler", borger_til_stede=True)
    with pytest.raises(reviews.ReviewError, match="næste opfølgning"):
        reviews.sign(eng, r.review_id, reviews.MYNDIGHED, username="sb", rolle="sagsbehandler")
    reviews.edit(eng, r.review_id, username="sb", rolle="sagsbehandler", naeste_opfoelgning=dt.date(2024, 6, 1))
    reviews.sign(eng, r.review_id, reviews.MYNDIGHED, username="sb", rolle="sagsbehandler")
    assert reviews.is_finished(reviews.sign(eng, r.review_id, reviews.UDFOERER, username="u", rolle="udfoerer"))


def test_signatures_show_names(borger_x_dir, monkeypatch):
    from tests.helpers import run_page
    from workbench.lager import reviews

    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(borger_x_dir))
    eng = engine_for(borger_x_dir)
    users.create_user(eng, "sb9", "sagsbehandler", None, navn="Sanne Berg", sagsbehandler="Z")
    r = reviews.create(eng, borger_id="X", paa=dt.date(2023, 6, 2), username="sb9", rolle="sagsbehandler",
                       snapshot={"borger_id": "X", "indsatsmaal": []})
    reviews.edit(eng, r.review_id, username="sb9", rolle="sagsbehandler", borger_til_stede=True,
                 status_paa_indsats="Træf afgørelse om afslutning af indsats")
    reviews.sign(eng, r.review_id, reviews.MYNDIGHED, username="sb9", rolle="sagsbehandler")
    users.create_user(eng, "u7", "udfoerer", None, navn="Ulla Vang", tilbud_ids=["1000000001"])
    reviews.sign(eng, r.review_id, reviews.UDFOERER, username="u7", rolle="udfoerer")
    at = run_page(str(ROOT / "sidefiler" / "borger.py"), {"borger": "X", "paa": "2023-06-02"})
    text = " ".join(m.value for m in at.markdown)
    assert "Underskrevet, myndighed:** Sanne Berg (sb9)" in text and "Ulla Vang (u7)" in text, text[-1500:]


def test_widgets_have_danish_placeholders(demo_env):
    from tests.helpers import run_page

    at = run_page(str(ROOT / "sidefiler" / "overblik.py"))
    placeholders = [m.proto.placeholder for m in at.multiselect] + [s.proto.placeholder for s in at.selectbox]
    assert placeholders and all(p and "Choose" not in p for p in placeholders), placeholders
    assert any(p.startswith("Vælg") for p in placeholders)


def test_demo_target_ignores_the_workbench_state_files(tmp_path):
    d = tmp_path / "demo"
    d.mkdir()
    (d / "workbench.sqlite").write_bytes(b"")
    (d / "session_secret").write_text("x")
    assert demo_status.check_demo_target(d) == d
    (d / "notat.txt").write_text("mine data")
    with pytest.raises(ValueError):
        demo_status.check_demo_target(d)
