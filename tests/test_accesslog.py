"""The access log: written, masked, append-only at the database level, purge, per-borger report,
exports; on SQLite and (TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest
from sqlalchemy import text

from data_model.db import engine_for
from workbench.regler import access
from workbench.lager import accesslog, users
from workbench.format import export
from workbench.regler.access import Principal


SB = Principal("sara", "sagsbehandler", sagsbehandler="SB1")
OLD = dt.datetime(2015, 3, 1, tzinfo=dt.timezone.utc)


def test_write_and_filter(engine):
    accesslog.log(engine, SB, accesslog.VIS_BORGER, ["B1"], "borgerside")
    accesslog.log(engine, SB, accesslog.SOEG, ["B1", "B10"], "søgning: 'B1'")
    accesslog.log(engine, access.ADMIN, accesslog.EKSPORT, ["B10"], "udforsk.xlsx")
    df = accesslog.entries(engine)
    assert df.height == 3 and df["handling"].to_list()[0] == accesslog.EKSPORT  # newest first
    assert accesslog.entries(engine, bruger="sara").height == 2
    assert accesslog.entries(engine, handling=accesslog.SOEG).height == 1
    # B1 is not B10: the borger match is exact
    assert set(accesslog.entries(engine, borger_id="B1")["handling"]) == {accesslog.VIS_BORGER, accesslog.SOEG}
    assert accesslog.entries(engine, borger_id="B10").height == 2
    assert accesslog.entries(engine, borger_id="B%").height == 0  # LIKE wildcards are escaped
    today = dt.date.today()
    assert accesslog.entries(engine, fra=today - dt.timedelta(days=1), til=today + dt.timedelta(days=1)).height == 3
    assert accesslog.entries(engine, til=today - dt.timedelta(days=3)).height == 0


def test_cpr_masked_and_sql_looking_terms_stored_as_data(engine):
    term = "'; DROP TABLE adgangslog; -- 0101901234"
    accesslog.log(engine, SB, accesslog.SOEG, [], f"søgning: {term}\n0101901234")
    df = accesslog.entries(engine)
    detalje = df["detalje"][0]
    assert "0101901234" not in detalje and "010190-xxxx" in detalje and "\n" not in detalje
    assert "DROP TABLE adgangslog" in detalje  # stored as text, not executed
    assert accesslog.entries(engine).height == 1


def test_update_and_delete_refused_by_database(engine):
    accesslog.log(engine, SB, accesslog.VIS_BORGER, ["B1"])
    for stmt in ("UPDATE adgangslog SET bruger = 'ingen'", "DELETE FROM adgangslog"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(stmt))
    assert accesslog.entries(engine)["bruger"].to_list() == ["sara"]


def test_truncate_refused_on_postgresql(pg_engine):
    accesslog.log(pg_engine, SB, accesslog.VIS_BORGER, ["B1"])
    with pytest.raises(Exception, match="append-only"):
        with pg_engine.begin() as conn:
            conn.execute(text("TRUNCATE adgangslog"))
    assert accesslog.entries(pg_engine).height == 1


def test_purge_only_older_than_retention_and_logged(engine):
    accesslog.write(engine, "gammel", "admin", accesslog.VIS_BORGER, ["B1"], tidspunkt=OLD)
    accesslog.log(engine, SB, accesslog.VIS_BORGER, ["B1"])
    with pytest.raises(ValueError, match="opbevaringsperioden"):
        accesslog.purge(engine, access.ADMIN, foer=dt.date.today())
    assert accesslog.entries(engine).height == 2
    n = accesslog.purge(engine, access.ADMIN)
    assert n == 1
    df = accesslog.entries(engine)
    assert "gammel" not in df["bruger"].to_list()
    assert accesslog.PURGE in df["handling"].to_list() and "1 poster" in df.filter(
        pl.col("handling") == accesslog.PURGE)["detalje"][0]
    # the permit is gone after the purge: deleting is refused again
    with pytest.raises(Exception, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM adgangslog"))


def test_retention_from_config():
    years = access.security().adgangslog_opbevaring_aar
    assert accesslog.retention_cutoff(dt.date(2030, 6, 15)) == dt.date(2030 - years, 6, 15)
    assert accesslog.retention_cutoff(dt.date(2028, 2, 29), years=5) == dt.date(2023, 2, 28)


def test_users_and_lockout_on_engine(engine):
    users.create_user(engine, "ole", "leder_myndighed", "korrekt-hest-batteri", kommuner="0250")
    assert users.authenticate(engine, "ole", "korrekt-hest-batteri", demo_allowed=False).principal.kommuner == ("0250",)
    n = access.security().max_fejlede_logins
    for _ in range(n):
        assert users.authenticate(engine, "ole", "forkert", demo_allowed=False).principal is None
    locked = users.authenticate(engine, "ole", "korrekt-hest-batteri", demo_allowed=False)
    assert locked.principal is None and "spærret" in locked.besked
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=access.security().spaerretid_minutter + 1)
    assert users.authenticate(engine, "ole", "korrekt-hest-batteri", demo_allowed=False, now=later).principal
    handlinger = accesslog.entries(engine, bruger="ole")["handling"].to_list()
    assert handlinger.count(accesslog.LOGIN_FEJL) == n - 1 and accesslog.LOGIN_SPAERRET in handlinger
    assert handlinger.count(accesslog.LOGIN) == 2


def test_borger_report_and_exports(sqlite_engine):
    eng = sqlite_engine
    accesslog.log(eng, SB, accesslog.VIS_BORGER, ["B7"], "=HYPERLINK(\"http://x\")")
    accesslog.log(eng, SB, accesslog.VIS_BORGER, ["B8"])
    rep = accesslog.borger_report(eng, "B7")
    assert rep.height == 1 and rep["borger_id"].to_list() == ["B7"] and "B8" not in rep.write_csv()
    csv = export.to_csv_bytes(rep, keep_numbers=False).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and ";=HYPERLINK" not in csv
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(accesslog.to_excel_bytes(rep)))
    values = [c.value for row in wb.active.iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://x\")" in values and not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_cli_udtraek_and_purge(tmp_path, capsys):
    from workbench.cli import main

    d = tmp_path / "data"
    d.mkdir()
    eng = engine_for(d)
    accesslog.log(eng, SB, accesslog.VIS_BORGER, ["B5"], "borgerside")
    accesslog.write(eng, "gammel", "admin", accesslog.VIS_BORGER, ["B5"], tidspunkt=OLD)
    assert main(["adgangslog", str(d), "udtraek", "--borger", "B5", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "sara" in out and "gammel" in out
    assert accesslog.entries(eng, handling=accesslog.UDTRAEK).height == 1  # the extract is logged
    assert main(["adgangslog", str(d), "purge", "--foer", dt.date.today().isoformat()]) == 2
    assert "opbevaringsperioden" in capsys.readouterr().err
    assert main(["adgangslog", str(d), "purge"]) == 0
    assert "1 poster slettet" in capsys.readouterr().out
    assert "gammel" not in accesslog.entries(eng)["bruger"].to_list()
    assert main(["adgangslog", str(d), "udtraek"]) == 2


def test_p_nummer_kept_cpr_still_masked(engine):
    """Issue 23 item 5: a number is masked only when it can be a CPR (a date ddmmåå in the first six
    digits, regler/cpr.py), and a tilbud id the caller looked up (`behold`) is kept even when its first
    six digits happen to be a date (the demo's 1001000016 reads 10-01-00)."""
    from workbench.regler import cpr

    assert cpr.kan_vaere_cpr("0101901234") and cpr.kan_vaere_cpr("290200-1234")  # 2000 was a leap year
    assert cpr.kan_vaere_cpr("6101901234")  # erstatningspersonnummer: day + 60
    assert not cpr.kan_vaere_cpr("3102901234") and not cpr.kan_vaere_cpr("1020304050")  # 31-02, month 20
    accesslog.log(engine, SB, accesslog.VIS_BORGER, ["B1"],
                  "tilbud 1001000016 borgerliste; P 1020304050; cpr 0101901234 og 010190-1234",
                  behold=["1001000016"])
    accesslog.log(engine, SB, accesslog.VIS_BORGER, ["B1"], "ukendt 1001000016")
    kept, plain = accesslog.entries(engine)["detalje"].to_list()[::-1]
    assert "tilbud 1001000016 borgerliste" in kept and "P 1020304050" in kept  # P-numre kept
    assert "0101901234" not in kept and "010190-1234" not in kept and kept.count("010190-xxxx") == 2
    assert plain == "ukendt 100100-xxxx"  # not known as a tilbud id here: it can be a CPR, so masked


def test_cli_tilbud_logs_its_p_nummer(demo_kommune, tmp_path):
    """The CLI's tilbud command logs which tilbud was read (the P-nummer unmasked, issue 23 item 5)."""
    import contextlib

    from workbench.cli import main

    y = pl.read_parquet(demo_kommune / "ydelser.parquet").drop_nulls("tilbud_id")
    tid = y.group_by("tilbud_id").len().sort(["len", "tilbud_id"], descending=[True, False])["tilbud_id"][0]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["tilbud", str(demo_kommune), tid, "--bruger", "admin"]) == 0
    eng = engine_for(demo_kommune)
    detalje = accesslog.entries(eng, handling=accesslog.VIS_BORGER)["detalje"].to_list()
    assert detalje and all(f"CLI tilbud {tid} " in d for d in detalje), detalje
