"""The list of statusrapporter made (data_model.rapport_tables.Statusrapport): record one, list them.
A stored row holds niveau, periode, kommune, reference date and data version, so the report can be
made again from the same data version."""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from data_model.rapport_tables import Statusrapport


def gem(engine: Engine, *, bruger: str, niveau: str, periode: str, kommune: str | None, paa: dt.date,
        datasaet_version: str, datasaet_sti: str, fmt: str, indhold: bytes) -> Statusrapport:
    row = Statusrapport(bruger=bruger, niveau=niveau, periode=periode, kommune=kommune, paa=paa,
                        datasaet_version=datasaet_version, datasaet_sti=datasaet_sti, format=fmt,
                        sha256=hashlib.sha256(indhold).hexdigest())
    with Session(engine) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
    return row


def _visible(q, principal):
    """The archive as one principal may see it (issue 23): an administrator all of it; others their own
    reports and those for a kommune within their scope (kommuner)."""
    if principal is None or principal.rolle == "admin":
        return q
    from sqlalchemy import or_

    mine = Statusrapport.bruger == principal.username
    if principal.kommuner:
        return q.where(or_(mine, Statusrapport.kommune.in_(list(principal.kommuner))))
    return q.where(mine)


def liste(engine: Engine, limit: int = 200, principal=None) -> pl.DataFrame:
    """Newest first: id, oprettet, bruger, niveau, periode, kommune, paa, datasaet_version, format.
    With `principal`: only the reports that principal may see (`_visible`)."""
    with Session(engine) as s:
        rows = s.exec(_visible(select(Statusrapport), principal).order_by(Statusrapport.id.desc()).limit(limit)).all()
    schema = {"id": pl.Int64, "oprettet": pl.Datetime("us", "UTC"), "bruger": pl.String, "niveau": pl.String,
              "periode": pl.String, "kommune": pl.String, "paa": pl.Date, "datasaet_version": pl.String,
              "format": pl.String}
    return pl.DataFrame([{k: getattr(r, k) for k in schema} for r in rows], schema=schema, orient="row")


def hent(engine: Engine, rapport_id: int, principal=None) -> Statusrapport | None:
    with Session(engine) as s:
        return s.exec(_visible(select(Statusrapport).where(Statusrapport.id == rapport_id), principal)).first()
