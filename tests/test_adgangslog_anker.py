"""Issue 23 item 2: the access log cannot be emptied around its purge function (PostgreSQL, as the
table owner), and `verify` notices an emptied or truncated log, made-up entries and a forged purge
anchor through the anchor file outside the table."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import text

from data_model.db import engine_for, get_engine
from tests.helpers import postgres_schema
from workbench.lager import accesslog
from workbench.regler import access

from tests.test_security import _fill  # one filled log for the purge and anchor tests


def test_postgres_owner_cannot_purge_with_set_local():
    with postgres_schema("anker") as url:
        eng = get_engine(url)
        try:
            _fill(eng)
            for stmts in (["SET LOCAL ffb.adgangslog_purge_foer = 'infinity'", "DELETE FROM adgangslog"],
                          ["SELECT set_config('ffb.adgangslog_purge_foer', 'infinity', true)",
                           "DELETE FROM adgangslog WHERE tidspunkt < now()"],
                          ["TRUNCATE adgangslog"]):
                with pytest.raises(Exception, match="append-only"):
                    with eng.begin() as conn:  # the connection's role owns the table
                        for stmt in stmts:
                            conn.execute(text(stmt))
            assert accesslog.entries(eng).height == 6
            assert accesslog.purge(eng, access.ADMIN) == 1  # the function still purges
            r = accesslog.verify(eng)
            assert r.ok and r.poster == 6, r
        finally:
            eng.dispose()


def _raw(eng, *stmts):
    raw = sqlite3.connect(eng.url.database)
    for trig in ("adgangslog_ingen_opdatering", "adgangslog_ingen_sletning", "adgangslog_ingen_erstat"):
        raw.execute(f"DROP TRIGGER IF EXISTS {trig}")
    for s in stmts:
        raw.execute(s)
    raw.commit()
    raw.close()


@pytest.mark.parametrize("attack", ["tom", "afkortet"])
def test_verify_notices_emptied_or_truncated_log(tmp_path, monkeypatch, attack):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    eng = engine_for(None)
    _fill(eng)
    assert accesslog.verify(eng).ok
    _raw(eng, "DELETE FROM adgangslog" if attack == "tom" else "DELETE FROM adgangslog WHERE id > 4")
    r = accesslog.verify(eng)
    assert not r.ok and "tømt eller afkortet" in r.fejl[0], r


@pytest.mark.parametrize("forged", ["id_minus_1", "tom_hash"])
def test_verify_refuses_made_up_entries(tmp_path, monkeypatch, forged):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    eng = engine_for(None)
    _fill(eng)
    h = "NULL" if forged == "id_minus_1" else "''"
    rid = -1 if forged == "id_minus_1" else 100
    _raw(eng, f"INSERT INTO adgangslog (id, tidspunkt, bruger, rolle, handling, borger_ids, detalje, kilde, "
              f"forrige_hash, hash) VALUES ({rid}, '2026-01-01 00:00:00.000000', 'x', 'admin', 'login', '', '', "
              f"'app', NULL, {h})")
    assert not accesslog.verify(eng).ok


def test_verify_refuses_forged_purge_anchor(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    eng = engine_for(None)
    _fill(eng)
    # remove the oldest entries by hand, then append a correctly chained, made-up purge entry whose
    # anchor explains the new start
    first_kept = eng.connect().execute(text("SELECT forrige_hash FROM adgangslog WHERE id = 3")).scalar()
    _raw(eng, "DELETE FROM adgangslog WHERE id <= 2")
    accesslog.write(eng, "admin", "admin", accesslog.PURGE, detalje=f"2 poster slettet; anker={first_kept}")
    r = accesslog.verify(eng)
    assert not r.ok and "begyndelse mangler" in " ".join(r.fejl), r


@pytest.mark.parametrize("leder", ["sara", "Sara", " SARA "])
def test_tilsyn_four_eyes_check_in_the_database(engine, leder):
    """Tilsyn gets the database CHECK sagsgennemgang has: one person is never both auditor and leader."""
    from sqlalchemy.exc import IntegrityError

    from data_model.tilsyn_tables import Tilsyn

    row = dict(audit_id="a1", version=1, pr="team", antal=1, seed="7", paa=dt.date(2026, 1, 1),
               auditor="sara", handling="oprettet", aendret_af="sara")
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(Tilsyn.__table__.insert().values(**row, leder=leder))
    with engine.begin() as conn:
        conn.execute(Tilsyn.__table__.insert().values(**row, leder="lars"))
