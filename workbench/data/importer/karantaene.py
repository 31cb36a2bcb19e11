"""The quarantine export: the rejected rows of a version (CPR masked), as CSV or Excel."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.data.dataset import ERR, ROW
from workbench.format.export import to_csv_bytes, to_xlsx_bytes
from workbench.data.importer.laes import mask_cpr_expr
from workbench.data.importer.versioner import QUARANTINE

# --- quarantine export ---------------------------------------------------------------------------

def quarantine_frame(rejected: dict[str, pl.DataFrame], files: dict[str, str] | None = None,
                     mask_cpr: bool = True) -> pl.DataFrame:
    """All rejected rows in one frame: tabel, kildefil, raekke, fejl, vaerdier ('kolonne=værdi | …',
    the row as it came). CPR values masked unless mask_cpr=False."""
    parts = []
    for table, df in rejected.items():
        cols = [c for c in df.columns if c not in (ROW, ERR)]
        vals = [(pl.lit(f"{c}=") + (mask_cpr_expr(pl.col(c).cast(pl.String)) if mask_cpr else
                                     pl.col(c).cast(pl.String)).fill_null("")) for c in cols]
        parts.append(df.select(
            pl.lit(table).alias("tabel"), pl.lit((files or {}).get(table, table)).alias("kildefil"),
            pl.col(ROW).cast(pl.Int64).alias("raekke"), pl.col(ERR).alias("fejl"),
            (pl.concat_str(vals, separator=" | ") if vals else pl.lit("")).alias("vaerdier")))
    schema = {"tabel": pl.String, "kildefil": pl.String, "raekke": pl.Int64, "fejl": pl.String, "vaerdier": pl.String}
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def read_quarantine(version_dir: str | Path) -> dict[str, pl.DataFrame]:
    q = Path(version_dir) / QUARANTINE
    return {f.stem: pl.read_csv(f, infer_schema=False) for f in sorted(q.glob("*.csv"))} if q.is_dir() else {}


def quarantine_csv(rejected: dict[str, pl.DataFrame], files: dict[str, str] | None = None,
                   mask_cpr: bool = True) -> bytes:
    return to_csv_bytes(quarantine_frame(rejected, files, mask_cpr), keep_numbers=True)


def quarantine_xlsx(rejected: dict[str, pl.DataFrame], files: dict[str, str] | None = None,
                    mask_cpr: bool = True) -> bytes:
    """Sheet 'Karantæne' (all rows, long form) plus one sheet per table with the original columns."""
    sheets = {"Karantæne": quarantine_frame(rejected, files, mask_cpr)}
    for table, df in rejected.items():
        out = df.with_columns(pl.col(c).cast(pl.String) for c in df.columns if c != ROW)
        if mask_cpr and "cpr" in out.columns:
            out = out.with_columns(mask_cpr_expr(pl.col("cpr")).alias("cpr"))
        sheets[table] = out
    return to_xlsx_bytes(sheets, [("Indhold", "Afviste rækker fra importen (raekke: rækkenummer i kildefilen, "
                                               "overskriften er række 1)")])
