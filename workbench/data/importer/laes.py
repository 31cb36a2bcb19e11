"""Reading a source file for import: the dataset reader (workbench.data.laesning) plus the dialect
sniffed per file, and CPR masking of what an error message quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.data.dataset import DatasetError, read_error, read_file
from workbench.data.importer.settings import import_settings

# --- reading source files ------------------------------------------------------------------------

_CPR_IN_TEXT = re.compile(r"(?<!\d)(\d{6})-?\d{4}(?!\d)")


def mask_cpr_text(text: str) -> str:
    """CPR-looking numbers in a message become ddmmåå-xxxx (every error message goes through this)."""
    return _CPR_IN_TEXT.sub(r"\1-xxxx", str(text))


def mask_cpr_expr(expr: pl.Expr) -> pl.Expr:
    # twice: a match consumes the separator after it, so back-to-back numbers need a second pass
    pattern, repl = r"(^|\D)(\d{6})-?\d{4}($|\D)", "${1}${2}-xxxx${3}"
    return expr.str.replace_all(pattern, repl).str.replace_all(pattern, repl)


@dataclass(frozen=True)
class Dialect:
    """How a source file was read: shown per file on the Import page."""

    format: str                 # csv | xlsx | parquet
    encoding: str | None        # utf-8 | utf-8 (BOM) | cp1252 (CSV only)
    separator: str | None       # ',' or ';' (CSV only)
    decimal: str | None         # ',' or '.' when numbers with decimals were seen
    date_format: str | None     # YYYY-MM-DD | DD-MM-YYYY | DD.MM.YYYY | blandet
    replaced: bool = False      # invalid bytes were replaced: rows holding them are rejected

    def describe(self) -> dict[str, str]:
        return {"format": self.format.upper(), "tegnsæt": self.encoding or "-",
                "separator": {";": "semikolon (;)", ",": "komma (,)"}.get(self.separator or "", "-"),
                "decimaltegn": {",": "komma", ".": "punktum"}.get(self.decimal or "", "-"),
                "datoformat": self.date_format or "-"}


_DATE_SHAPES = {"YYYY-MM-DD": r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$", "DD-MM-YYYY": r"^\d{1,2}-\d{1,2}-\d{4}([ T].*)?$",
                "DD.MM.YYYY": r"^\d{1,2}\.\d{1,2}\.\d{4}([ T].*)?$"}


def _sniff_values(df: pl.DataFrame) -> tuple[str | None, str | None]:
    """(decimal mark, date format) from the text cells of the first rows."""
    head = df.head(2000)
    cols = [n for n, t in head.schema.items() if t == pl.String()]
    if not cols or head.height == 0:
        return None, None
    cells = head.select(pl.concat_list([pl.col(c).str.strip_chars() for c in cols]).alias("v")).explode("v")["v"]
    cells = cells.drop_nulls()
    comma = int(cells.str.contains(r"^-?\d+,\d+$").sum())
    point = int(cells.str.contains(r"^-?\d+\.\d+$").sum())
    decimal = None if comma == point == 0 else ("," if comma > point else ".")
    counts = {k: int(cells.str.contains(p).sum()) for k, p in _DATE_SHAPES.items()}
    seen = [k for k, n in counts.items() if n]
    date = None if not seen else (seen[0] if len(seen) == 1 else "blandet")
    return decimal, date


def read_source(path: Path, max_columns: int | None = None) -> tuple[pl.DataFrame, Dialect]:
    """One source file as a frame (dataset.read_file: the one reader and decoder of every read path)
    and its dialect. Unreadable input raises DatasetError (one line, CPR masked); so does a file with
    more columns than max_kolonner (config/import.yaml), checked on the header before it is parsed."""
    max_columns = max_columns or import_settings().max_kolonner
    try:
        raw = read_file(path, max_columns)
        df = raw.frame.collect()
    except DatasetError as exc:
        raise DatasetError(mask_cpr_text(str(exc))) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Parquet file whose pages break only when read
        raise DatasetError(mask_cpr_text(str(read_error(path, exc)))) from None
    decimal, date = _sniff_values(df)
    return df, Dialect(format=raw.format, encoding=raw.encoding, separator=raw.separator, replaced=raw.replaced,
                       decimal=decimal, date_format=date)
