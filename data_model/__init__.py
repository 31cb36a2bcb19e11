"""Persistent state: the dataset contract and the SQLModel tables (never imports workbench)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Aware UTC timestamp: every table's default and every access-log entry (SQLModel stores UTC;
    SQLite without offset, PostgreSQL timestamptz). Light to import (no SQLAlchemy)."""
    return dt.datetime.now(dt.timezone.utc)
