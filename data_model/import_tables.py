"""Tables for the import (issue 12): saved column/value mappings and the import history.

`import_mapning`: a mapping saved by name on the Import page, stored as the YAML text that
`ffb-workbench import --mapping FILE.yaml` reads (so it exports unchanged).
`import_historik`: one row per import or rollback of a data directory (the version directories and
CURRENT on disk stay the source of truth for what is current; this is the record of who did what).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from data_model.access_tables import utcnow


class ImportMapning(SQLModel, table=True):
    __tablename__ = "import_mapning"

    id: int | None = Field(default=None, primary_key=True)
    navn: str = Field(index=True, unique=True, max_length=120)
    yaml_tekst: str = Field(sa_column=Column(Text, nullable=False))
    bruger: str = ""
    opdateret: dt.datetime = Field(default_factory=utcnow)


class ImportHistorik(SQLModel, table=True):
    __tablename__ = "import_historik"

    id: int | None = Field(default=None, primary_key=True)
    tidspunkt: dt.datetime = Field(default_factory=utcnow, index=True)
    data_dir: str = Field(index=True)
    version: str | None = None
    handling: str = "import"  # import | rul_tilbage
    forrige_version: str | None = None
    bruger: str | None = None
    udtraeksdato: str | None = None
    laest: int = 0
    accepteret: int = 0
    afvist: int = 0
    detaljer: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
