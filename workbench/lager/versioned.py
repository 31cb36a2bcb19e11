"""Saving a new version of an append-only, versioned record (sagsgennemgang, tilsyn).

Rows are never updated: a change inserts the next version. Two users saving on the same version
both try to insert the same (id, version); the database's unique key lets one through and the other
gets `conflict` (a Danish "changed by someone else, reload" message), never a lost update.
"""

from __future__ import annotations

from typing import Sequence, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)


def insert_version(engine: Engine, rows: Sequence[Row], conflict: Exception, *, refresh: bool = False) -> list[Row]:
    """Insert `rows` in one transaction, or raise `conflict` when another save got there first.
    With refresh, the rows come back loaded (database defaults and ids) for use after the session."""
    with Session(engine, expire_on_commit=not refresh) as session:
        session.add_all(rows)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise conflict from None
        if refresh:
            for row in rows:
                session.refresh(row)
        return list(rows)
