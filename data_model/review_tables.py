"""Fælles sagsgennemgang (joint case review) as versioned, append-only rows.

Every change (creation, an edit, a sign-off) inserts a new row with the same `review_id` and the next
`version`; the current state of a review is its highest version. Rows are never updated or deleted:
the database refuses UPDATE and DELETE on the table (SQLite triggers; a PostgreSQL trigger function,
also on TRUNCATE). `(review_id, version)` is unique, so two concurrent edits of the same version
cannot both land.

Models follow the Base / Table / Public pattern: `SagsgennemgangBase` holds the columns,
`Sagsgennemgang` is the table, `SagsgennemgangPublic` is what workbench.lager.reviews hands out (JSON
columns decoded).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from data_model.append_only import append_only


from data_model import utcnow  # noqa: E402,F401  (one clock for every table and entry)


class SagsgennemgangBase(SQLModel):
    review_id: str = Field(index=True, max_length=36)
    version: int
    borger_id: str = Field(index=True, max_length=64)
    paa: dt.date  # the reference date the review looks at the case on
    # participants
    myndighed_navn: str = ""
    udfoerer_navn: str = ""
    borger_til_stede: bool | None = None
    paaroerende_til_stede: bool | None = None
    # decision
    status_paa_indsats: str | None = None
    naeste_opfoelgning: dt.date | None = None
    # sign-offs (cleared in a new version when the content changes)
    myndighed_underskrevet_af: str | None = None
    myndighed_underskrevet: dt.datetime | None = None
    udfoerer_underskrevet_af: str | None = None
    udfoerer_underskrevet: dt.datetime | None = None
    # who made this version, and how
    handling: str = Field(max_length=40)  # oprettet | redigeret | underskrevet_myndighed | underskrevet_udfoerer
    aendret_af: str = Field(max_length=64)
    aendret_rolle: str = Field(max_length=32)
    aendret: dt.datetime = Field(default_factory=utcnow)
    datasaet_version: str = ""


class Sagsgennemgang(SagsgennemgangBase, table=True):
    __tablename__ = "sagsgennemgang"
    __table_args__ = (
        UniqueConstraint("review_id", "version", name="uq_sagsgennemgang_version"),
        # four eyes, also in the database: one person never holds both signatures of a version
        CheckConstraint("myndighed_underskrevet_af IS NULL OR udfoerer_underskrevet_af IS NULL "
                        "OR lower(myndighed_underskrevet_af) <> lower(udfoerer_underskrevet_af)",
                        name="ck_sagsgennemgang_fire_oejne"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # JSON text: {maal_id: {"vurdering": "Opnået"|"Delvist opnået"|"Ikke opnået"|null, "note": str}}
    vurderinger: str = Field(default="{}", sa_type=Text)
    # JSON text: the borger's forløb (forloeb.forloeb + header) as it stood when the review was
    # started; the review and its print view are rendered from this, so they reopen unchanged.
    snapshot: str = Field(default="{}", sa_type=Text)


class SagsgennemgangPublic(SagsgennemgangBase):
    id: int
    vurderinger: dict[str, dict[str, Any]] = {}
    snapshot: dict[str, Any] = {}


append_only(Sagsgennemgang.__table__)
