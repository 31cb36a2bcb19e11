"""SQLModel engine factory: DATABASE_URL, or a SQLite file in the data directory."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine
from sqlalchemy.engine import Engine

SQLITE_FILE = "workbench.sqlite"


def database_url(data_dir: str | Path | None = None) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    if data_dir is None:
        from workbench.paths import demo_dir
        data_dir = demo_dir()
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(data_dir).resolve() / SQLITE_FILE}"


def _import_tables() -> None:
    # Every module that defines SQLModel tables is imported here so create_all sees them.
    import data_model.tables  # noqa: F401


@functools.lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    _import_tables()
    if url.startswith("sqlite") and (":memory:" in url or url in ("sqlite://", "sqlite:///")):
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    elif url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    SQLModel.metadata.create_all(engine)
    return engine


def engine_for(data_dir: str | Path | None = None) -> Engine:
    return get_engine(database_url(data_dir))
