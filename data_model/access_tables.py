"""Tables for users, tilsyn samples and the append-only access log.

The access log (`adgangslog`) refuses UPDATE and DELETE at the database level (SQLite triggers,
PostgreSQL trigger function, also TRUNCATE), and every entry carries a hash chain (`forrige_hash`,
`hash`; `forrige_hash` is unique, so the chain cannot fork) that `workbench.lager.accesslog.verify` checks.
The only deletion path is the retention purge (`workbench.lager.accesslog.purge`), and it is not reachable
with plain SQL:

* SQLite: the DELETE trigger asks the SQL function `ffb_adgangslog_purge(tidspunkt)`, which exists
  only on the workbench's own connections (registered in data_model.db) and answers yes only while
  the purge runs in that thread. From the sqlite3 shell or any other client the function does not
  exist and the DELETE fails. `INSERT OR REPLACE` (which deletes without firing DELETE triggers) is
  refused by a BEFORE INSERT trigger on a conflicting id or chain link.
* PostgreSQL: the SECURITY DEFINER function `adgangslog_purge(foer)` (owned by the schema owner, who
  runs create_all) enforces the retention period and deletes; the app's role needs only SELECT and
  INSERT on the table and EXECUTE on the function (docs/SECURITY.md lists the GRANTs).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel



from data_model import utcnow  # noqa: E402,F401  (one clock for every table and entry)


class Bruger(SQLModel, table=True):
    __tablename__ = "bruger"

    id: int | None = Field(default=None, primary_key=True)
    brugernavn: str = Field(index=True, unique=True, max_length=64)
    rolle: str = Field(max_length=32)
    navn: str = ""
    email: str | None = Field(default=None, index=True)  # OIDC: matched case-insensitively
    oidc_sub: str | None = Field(default=None, index=True)  # OIDC: 'sub' claim, exact match
    adgangskode_hash: str | None = None  # argon2id; None = no local password (OIDC only)
    kommuner: str = ""  # comma-separated kommunekoder
    sagsbehandler: str | None = None
    team: str | None = None
    tilbud_ids: str = ""  # comma-separated
    aktiv: bool = True
    demo: bool = False  # demo users only sign in with a password while the demo dataset is in use
    fejlede_logins: int = 0
    spaerret_til: dt.datetime | None = None
    oprettet: dt.datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A server-side sign-in session behind the session cookie (workbench.lager.sessions). The cookie holds
    a random token; only its SHA-256 is stored. Sign-out or an admin deletes the row (revocation)."""

    __tablename__ = "login_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    brugernavn: str = Field(index=True, max_length=64)
    oprettet: dt.datetime = Field(default_factory=utcnow)
    udloeber: dt.datetime


# Migration note: the former table "tilsyn_tildeling" (manual tilsyn assignment, removed in issue 21) may
# remain in deployed databases; nothing reads it any more and it can be dropped: DROP TABLE tilsyn_tildeling;


class Adgangslog(SQLModel, table=True):
    """One logged action. Append-only (see the module docstring)."""

    __tablename__ = "adgangslog"

    id: int | None = Field(default=None, primary_key=True)
    tidspunkt: dt.datetime = Field(default_factory=utcnow, index=True)
    bruger: str = Field(index=True)
    rolle: str
    handling: str = Field(index=True)
    # ',B1,B2,' (leading and trailing comma) so one borger is found with LIKE '%,B1,%'
    borger_ids: str = ""
    detalje: str = ""
    kilde: str = "app"  # app | cli
    # hash chain (workbench.lager.accesslog): sha256 over the predecessor's hash and this entry's fields
    forrige_hash: str | None = Field(default=None, unique=True, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


# --------------------------------------------------------------------------------------------
# Purge path (see the module docstring)

import threading  # noqa: E402

_purge = threading.local()


from data_model.adgangslog_sqlite import sqlite_time  # noqa: E402,F401


def _purge_allowed(tidspunkt) -> int:
    cutoff = getattr(_purge, "cutoff", None)
    return int(cutoff is not None and tidspunkt is not None and str(tidspunkt) < cutoff)


class sqlite_purge:
    """`with sqlite_purge(cutoff): DELETE ...` lets this thread's DELETE of rows older than cutoff
    through the SQLite trigger; nothing else can."""

    def __init__(self, cutoff: dt.datetime) -> None:
        self.cutoff = sqlite_time(cutoff)

    def __enter__(self):
        _purge.cutoff = self.cutoff
        return self

    def __exit__(self, *exc):
        _purge.cutoff = None
        return False


def register_sqlite_functions(dbapi_conn, _record=None) -> None:
    """On every SQLite connection the workbench opens (data_model.db)."""
    dbapi_conn.create_function("ffb_adgangslog_purge", 1, _purge_allowed, deterministic=False)


def _retention_years() -> int:
    """sikkerhed.adgangslog_opbevaring_aar from config/roles.yaml (read directly: data_model never
    imports workbench); embedded in the PostgreSQL purge function."""
    import os
    from pathlib import Path

    import yaml

    path = Path(os.environ.get("FFB_WORKBENCH_CONFIG", Path(__file__).resolve().parents[1] / "config")) / "roles.yaml"
    try:
        years = int(yaml.safe_load(path.read_text(encoding="utf-8"))["sikkerhed"]["adgangslog_opbevaring_aar"])
    except Exception:
        years = 5
    return max(1, years)


from data_model.adgangslog_sqlite import MSG as _MSG, SQLITE_DDL  # noqa: E402,F401


def postgresql_ddl() -> tuple[str, ...]:
    years = _retention_years()
    return (
        # A DELETE passes only when it runs inside adgangslog_purge (the call stack, PG_CONTEXT) and
        # below the cut-off that function set: `SET LOCAL ffb.adgangslog_purge_foer = ...` followed by
        # a plain DELETE is refused, also for the table owner. (An owner can still drop the trigger;
        # that is caught outside the database by the anchor file, workbench.lager.accesslog.)
        f"""CREATE OR REPLACE FUNCTION adgangslog_append_only() RETURNS trigger AS $fn$
DECLARE ctx text;
BEGIN
  IF TG_OP = 'DELETE' AND coalesce(current_setting('ffb.adgangslog_purge_foer', true), '') <> '' THEN
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    IF ctx LIKE '%function adgangslog_purge(timestamp with time zone) line % at SQL statement%'
       AND OLD.tidspunkt < current_setting('ffb.adgangslog_purge_foer')::timestamptz THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION '{_MSG}';
END
$fn$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS adgangslog_append_only ON adgangslog",
        "CREATE TRIGGER adgangslog_append_only BEFORE UPDATE OR DELETE ON adgangslog "
        "FOR EACH ROW EXECUTE FUNCTION adgangslog_append_only()",
        "DROP TRIGGER IF EXISTS adgangslog_ingen_truncate ON adgangslog",
        "CREATE TRIGGER adgangslog_ingen_truncate BEFORE TRUNCATE ON adgangslog "
        "FOR EACH STATEMENT EXECUTE FUNCTION adgangslog_append_only()",
        f"""CREATE OR REPLACE FUNCTION adgangslog_purge(foer timestamptz) RETURNS bigint
SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE n bigint;
BEGIN
  IF foer > now() - make_interval(years => {years}) THEN
    RAISE EXCEPTION 'adgangslog_purge: % ligger inden for opbevaringsperioden ({years} år)', foer;
  END IF;
  PERFORM set_config('ffb.adgangslog_purge_foer', foer::text, true);
  DELETE FROM adgangslog WHERE tidspunkt < foer;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('ffb.adgangslog_purge_foer', '', true);
  RETURN n;
END
$fn$ LANGUAGE plpgsql""",
        "REVOKE ALL ON FUNCTION adgangslog_purge(timestamptz) FROM PUBLIC",
        "DROP TABLE IF EXISTS adgangslog_sletning",
    )


def ensure_adgangslog(engine) -> None:
    """Bring an existing database's access log up to this version: chain columns, triggers, the purge
    path. Idempotent; run by data_model.db after create_all."""
    from sqlalchemy import inspect, text

    insp = inspect(engine)
    if not insp.has_table("adgangslog"):
        return
    have = {c["name"] for c in insp.get_columns("adgangslog")}
    if engine.dialect.name == "postgresql" and {"forrige_hash", "hash"} <= have:
        with engine.connect() as conn:
            src = conn.execute(text("SELECT prosrc FROM pg_proc "
                                    "WHERE oid = to_regprocedure('adgangslog_purge(timestamptz)')")).scalar()
            guard = conn.execute(text("SELECT prosrc FROM pg_proc "
                                      "WHERE oid = to_regprocedure('adgangslog_append_only()')")).scalar()
        if src and f"years => {_retention_years()})" in src and guard and "PG_CONTEXT" in guard:
            return  # up to date; an app role without DDL rights starts without touching it
    with engine.begin() as conn:
        for col in ("forrige_hash", "hash"):
            if col not in have:
                conn.execute(text(f"ALTER TABLE adgangslog ADD COLUMN {col} VARCHAR(64)"))
        if "forrige_hash" not in have:
            conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS ix_adgangslog_forrige_hash "
                              "ON adgangslog (forrige_hash)"))
        statements = SQLITE_DDL if engine.dialect.name == "sqlite" else \
            postgresql_ddl() if engine.dialect.name == "postgresql" else ()
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(716016)"))  # one process at a time
        for stmt in statements:
            conn.execute(text(stmt))
