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


def liste(engine: Engine, limit: int = 200) -> pl.DataFrame:
    """Newest first: id, oprettet, bruger, niveau, periode, kommune, paa, datasaet_version, format."""
    with Session(engine) as s:
        rows = s.exec(select(Statusrapport).order_by(Statusrapport.id.desc()).limit(limit)).all()
    schema = {"id": pl.Int64, "oprettet": pl.Datetime("us", "UTC"), "bruger": pl.String, "niveau": pl.String,
              "periode": pl.String, "kommune": pl.String, "paa": pl.Date, "datasaet_version": pl.String,
              "format": pl.String}
    return pl.DataFrame([{k: getattr(r, k) for k in schema} for r in rows], schema=schema, orient="row")


def hent(engine: Engine, rapport_id: int) -> Statusrapport | None:
    with Session(engine) as s:
        return s.get(Statusrapport, rapport_id)
