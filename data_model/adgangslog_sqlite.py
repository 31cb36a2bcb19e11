"""The access log's SQLite triggers as DDL text, importable without SQLAlchemy.

data_model.access_tables runs them (ensure_adgangslog); workbench.lager.accesslog's light CLI writer
checks that a database carries exactly these triggers before it appends with the standard
library's sqlite3 (a command line that prints one list need not load SQLAlchemy to log it).
"""

from __future__ import annotations

import datetime as dt

MSG = "adgangslog er append-only"
SQLITE_DDL = (
    "DROP TRIGGER IF EXISTS adgangslog_ingen_opdatering",
    f"CREATE TRIGGER adgangslog_ingen_opdatering BEFORE UPDATE ON adgangslog "
    f"BEGIN SELECT RAISE(ABORT, '{MSG}'); END",
    "DROP TRIGGER IF EXISTS adgangslog_ingen_sletning",
    f"CREATE TRIGGER adgangslog_ingen_sletning BEFORE DELETE ON adgangslog "
    f"WHEN NOT ffb_adgangslog_purge(OLD.tidspunkt) BEGIN SELECT RAISE(ABORT, '{MSG}'); END",
    "DROP TRIGGER IF EXISTS adgangslog_ingen_erstat",
    f"CREATE TRIGGER adgangslog_ingen_erstat BEFORE INSERT ON adgangslog "
    f"WHEN EXISTS (SELECT 1 FROM adgangslog a WHERE a.id = NEW.id OR a.forrige_hash = NEW.forrige_hash) "
    f"BEGIN SELECT RAISE(ABORT, '{MSG}'); END",
    "DROP TABLE IF EXISTS adgangslog_sletning",
)

# the CREATE statements as SQLite keeps them in sqlite_master.sql
SQLITE_TRIGGERS = {stmt.split()[2]: stmt for stmt in SQLITE_DDL if stmt.startswith("CREATE TRIGGER")}


def sqlite_time(value: dt.datetime) -> str:
    """A timestamp as SQLAlchemy stores it in SQLite (UTC, no offset), for text comparison."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")
