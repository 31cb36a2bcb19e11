"""SQLModel engine factory: DATABASE_URL, or a SQLite file in the data directory."""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine
from sqlalchemy.engine import Engine

# where the state database lives is decided without SQLAlchemy (the CLI's light access-log path)
from data_model.paths import SQLITE_FILE, database_url, state_dir  # noqa: F401


def _import_tables() -> None:
    # Every module that defines SQLModel tables is imported here so create_all sees them.
    import data_model.tables  # noqa: F401


@functools.lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    _import_tables()
    from sqlalchemy import event

    from data_model.access_tables import ensure_adgangslog, register_sqlite_functions

    if url.startswith("sqlite") and (":memory:" in url or url in ("sqlite://", "sqlite:///")):
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    elif url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", register_sqlite_functions)
    if engine.dialect.name == "postgresql":
        # Replicas starting together on an empty database would race to CREATE the same tables
        # (duplicate pg_type): one at a time under a transaction-scoped advisory lock; the next
        # one then finds the tables (create_all checks first).
        from sqlalchemy import text

        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(1701017)"))
            SQLModel.metadata.create_all(conn)
    else:
        SQLModel.metadata.create_all(engine)
    ensure_adgangslog(engine)
    return engine


def engine_for(data_dir: str | Path | None = None) -> Engine:
    return get_engine(database_url(data_dir))
