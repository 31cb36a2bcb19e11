"""Ledelsestilsyn (management audit) as versioned, append-only rows.

* `tilsyn`: the audit. Every change (creation, closing, a sign-off) inserts a new row with the same
  `audit_id` and the next `version`; the current state is the highest version.
* `tilsyn_sag`: the sampled cases (borgere) of an audit, written once when the audit is created.
* `tilsyn_svar`: answers to the checklist. Every save of an answer is a new row with the next
  `version` for (audit_id, borger_id, spoergsmaal_id); the current answer is the highest version.

The database refuses UPDATE and DELETE on all three (data_model/append_only.py); the unique
constraints on the version columns make two concurrent saves of the same version fail instead of
both landing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from data_model.append_only import append_only
from data_model.review_tables import utcnow


class Tilsyn(SQLModel, table=True):
    __tablename__ = "tilsyn"
    __table_args__ = (
        UniqueConstraint("audit_id", "version", name="uq_tilsyn_version"),
        # four eyes, also in the database (as sagsgennemgang): auditor and leader are two people,
        # compared with case and surrounding blanks normalised
        CheckConstraint("lower(trim(auditor)) <> lower(trim(leder))", name="ck_tilsyn_fire_oejne"),
    )

    id: int | None = Field(default=None, primary_key=True)
    audit_id: str = Field(index=True, max_length=36)
    version: int
    titel: str = ""
    # the draw: stratum, N per stratum, period, seed, reference date, exclusion window
    pr: str = Field(max_length=32)
    antal: int
    seed: str = Field(max_length=64)
    paa: dt.date
    fra: dt.date | None = None
    til: dt.date | None = None
    udeluk_dage: int | None = None
    # people: who audits, the responsible leader (they sign; never the same person)
    auditor: str = Field(index=True, max_length=64)
    leder: str = Field(max_length=64)
    # closed when every case is answered; then both sign
    lukket: dt.datetime | None = None
    lukket_af: str | None = None
    auditor_underskrevet: dt.datetime | None = None
    leder_underskrevet: dt.datetime | None = None
    # who made this version
    handling: str = Field(max_length=40)  # oprettet | lukket | underskrevet_auditor | underskrevet_leder
    aendret_af: str = Field(max_length=64)
    aendret: dt.datetime = Field(default_factory=utcnow)
    oprettet: dt.datetime = Field(default_factory=utcnow)  # version 1's time, carried along
    oprettet_af: str = Field(default="", max_length=64)  # who created the audit, carried along
    datasaet_version: str = ""


class TilsynSag(SQLModel, table=True):
    __tablename__ = "tilsyn_sag"
    __table_args__ = (UniqueConstraint("audit_id", "borger_id", name="uq_tilsyn_sag"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_id: str = Field(index=True, max_length=36)
    nr: int  # position in the drawn sample (stratum order, then draw order)
    borger_id: str = Field(index=True, max_length=64)
    stratum: str | None = None  # the value of the stratum column (pr) the case was drawn in
    sagsbehandler: str | None = None
    team: str | None = None


class TilsynSvar(SQLModel, table=True):
    __tablename__ = "tilsyn_svar"
    __table_args__ = (UniqueConstraint("audit_id", "borger_id", "spoergsmaal_id", "version",
                                       name="uq_tilsyn_svar_version"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_id: str = Field(index=True, max_length=36)
    borger_id: str = Field(max_length=64)
    spoergsmaal_id: str = Field(max_length=64)
    version: int
    svar: str | None = Field(default=None, max_length=20)  # Ja | Nej | Delvist | Ikke relevant
    kommentar: str = Field(default="", sa_type=Text)
    forslag: str | None = Field(default=None, max_length=20)  # the data's suggestion when saved
    grundlag: str = Field(default="", sa_type=Text)  # the data supporting the suggestion
    aendret_af: str = Field(max_length=64)
    aendret: dt.datetime = Field(default_factory=utcnow)


for _table in (Tilsyn.__table__, TilsynSag.__table__, TilsynSvar.__table__):
    append_only(_table)
