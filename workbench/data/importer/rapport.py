"""The import report: per table rows read, accepted and rejected, and the result of one import."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from workbench.data.importer.versioner import _object_store
from workbench.data.importer.versioner import QUARANTINE

# --- report --------------------------------------------------------------------------------------

@dataclass
class TableReport:
    tabel: str
    fil: str
    laest: int
    accepteret: int
    afvist: int
    tomme_raekker: int = 0
    karantaene: str | None = None


@dataclass
class ImportResult:
    version: str | None
    data_dir: str
    version_dir: str | None
    kilde: str
    tidspunkt: str
    tabeller: list[TableReport]
    mapping: str | None = None
    forrige_version: str | None = None
    noter: list[str] = field(default_factory=list)
    udtraeksdato: str | None = None
    toerkoersel: bool = False
    over_graense: list[str] = field(default_factory=list)  # tables whose rejection rate passed the threshold

    @property
    def afvist(self) -> int:
        return sum(t.afvist for t in self.tabeller)

    @property
    def karantaene_dir(self) -> str | None:
        if not (self.afvist and self.version_dir):
            return None
        if _object_store(self.version_dir):  # s3://…: Path would fold the double slash
            return f"{self.version_dir}/{QUARANTINE}"
        return str(Path(self.version_dir) / QUARANTINE)

    def frame(self) -> pl.DataFrame:
        """One row per table: tabel, fil, laest, accepteret, afvist, karantaene."""
        return pl.DataFrame(
            [{"tabel": t.tabel, "fil": t.fil, "laest": t.laest, "accepteret": t.accepteret, "afvist": t.afvist,
              "karantaene": t.karantaene} for t in self.tabeller],
            schema={"tabel": pl.String, "fil": pl.String, "laest": pl.Int64, "accepteret": pl.Int64,
                    "afvist": pl.Int64, "karantaene": pl.String},
        )

    def as_dict(self) -> dict:
        d = asdict(self)
        d["afvist"] = self.afvist
        d["karantaene_dir"] = self.karantaene_dir
        return d
