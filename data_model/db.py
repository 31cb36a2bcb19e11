"""SQLModel engine factory: DATABASE_URL, or a SQLite file in the data directory."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine
from sqlalchemy.engine import Engine

SQLITE_FILE = "workbench.sqlite"


def _read_only(directory: Path) -> bool:
    """A directory nobody may write to (mode bits), or that this process cannot write to.

    The mode bits matter for root, who could write anyway: a dataset published read-only
    (a shared fixture, an archive) is never changed by the workbench.
    """
    st = directory.stat()
    return (st.st_mode & 0o222) == 0 or not os.access(directory, os.W_OK)


def state_dir(data_dir: str | Path | None = None) -> Path:
    """Where persistent state for a data directory lives: the directory itself, or, when it is
    read-only, a folder of its own under FFB_WORKBENCH_HOME/tilstand."""
    from data_model.paths import demo_dir, home_dir

    d = Path(data_dir) if data_dir is not None else demo_dir()
    d.mkdir(parents=True, exist_ok=True)
    if not _read_only(d):
        return d.resolve()
    key = hashlib.sha1(str(d.resolve()).encode()).hexdigest()[:12]
    target = home_dir() / "tilstand" / f"{d.resolve().name}-{key}"
    target.mkdir(parents=True, exist_ok=True)
    return target


def database_url(data_dir: str | Path | None = None) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{state_dir(data_dir) / SQLITE_FILE}"


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
