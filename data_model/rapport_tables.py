"""Generated statusrapporter (issue 15): one row per report made, with everything needed to make it
again (niveau, periode, kommune, reference date) and the data version it was made from."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Statusrapport(SQLModel, table=True):
    __tablename__ = "statusrapport"

    id: int | None = Field(default=None, primary_key=True)
    oprettet: dt.datetime = Field(default_factory=_utcnow, index=True)
    bruger: str = Field(default="", max_length=128)
    niveau: str = Field(max_length=32)
    periode: str = Field(max_length=7)
    kommune: str | None = Field(default=None, max_length=4)
    paa: dt.date  # the reference date the report was computed on
    datasaet_version: str = Field(max_length=64)
    datasaet_sti: str = Field(default="", max_length=1024)
    format: str = Field(default="pdf", max_length=8)
    sha256: str = Field(default="", max_length=64)  # of the file handed out
