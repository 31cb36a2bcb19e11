"""Tables for users, tilsyn samples and the append-only access log.

The access log (`adgangslog`) refuses UPDATE and DELETE at the database level (SQLite triggers,
PostgreSQL trigger function, also TRUNCATE). The only deletion path is the retention purge
(`workbench.accesslog.purge`): inside one transaction it inserts a permit row into
`adgangslog_sletning` with the cut-off, deletes the older rows (the trigger lets a DELETE through only
for rows older than a live permit), removes the permit and commits.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from data_model.append_only import append_only


def utcnow() -> dt.datetime:
    """Aware UTC timestamp (SQLModel stores UTC; SQLite without offset, PostgreSQL timestamptz)."""
    return dt.datetime.now(dt.timezone.utc)


class Bruger(SQLModel, table=True):
    __tablename__ = "bruger"

    id: int | None = Field(default=None, primary_key=True)
    brugernavn: str = Field(index=True, unique=True, max_length=64)
    rolle: str = Field(max_length=32)
    navn: str = ""
    email: str | None = Field(default=None, index=True)  # OIDC: matched case-insensitively
    oidc_sub: str | None = Field(default=None, index=True)  # OIDC: 'sub' claim, exact match
    adgangskode_hash: str | None = None  # argon2id; None = no local password (OIDC only)
    kommuner: str = ""  # comma-separated kommunekoder
    sagsbehandler: str | None = None
    team: str | None = None
    tilbud_ids: str = ""  # comma-separated
    aktiv: bool = True
    demo: bool = False  # demo users only sign in with a password while the demo dataset is in use
    fejlede_logins: int = 0
    spaerret_til: dt.datetime | None = None
    oprettet: dt.datetime = Field(default_factory=utcnow)


class TilsynTildeling(SQLModel, table=True):
    """A borger assigned to a tilsyn user as an audit sample."""

    __tablename__ = "tilsyn_tildeling"

    id: int | None = Field(default=None, primary_key=True)
    brugernavn: str = Field(index=True)
    borger_id: str
    tildelt_af: str
    tidspunkt: dt.datetime = Field(default_factory=utcnow)


class Adgangslog(SQLModel, table=True):
    """One logged action. Append-only (see the module docstring)."""

    __tablename__ = "adgangslog"

    id: int | None = Field(default=None, primary_key=True)
    tidspunkt: dt.datetime = Field(default_factory=utcnow, index=True)
    bruger: str = Field(index=True)
    rolle: str
    handling: str = Field(index=True)
    # ',B1,B2,' (leading and trailing comma) so one borger is found with LIKE '%,B1,%'
    borger_ids: str = ""
    detalje: str = ""
    kilde: str = "app"  # app | cli


class AdgangslogSletning(SQLModel, table=True):
    """Purge permit, alive only inside the purge transaction."""

    __tablename__ = "adgangslog_sletning"

    id: int | None = Field(default=None, primary_key=True)
    foer: dt.datetime


append_only(Adgangslog.__table__,
            delete_allowed_if="EXISTS (SELECT 1 FROM adgangslog_sletning s WHERE OLD.tidspunkt < s.foer)")
