"""Excel and CSV exports for every page.

to_xlsx_bytes({"Krydstabel": df, ...}, meta) -> bytes of an .xlsx workbook: one sheet per frame and a
last sheet "Filtre" listing meta (filters, reference date, data version, suppression note).
to_csv_bytes(df) -> UTF-8 with BOM, ';' separated (Danish Excel opens it directly).

Both escape formula-looking text (starting with = + - @, also tab/CR) by prefixing "'", so a
value typed into a case system cannot run as a formula in the reader's spreadsheet. Text that is a
plain number ('12', '3.5', or Danish '1.234,5' as written by workbench.format.dansk.tal) is written as a
number in Excel.
Pass frames with Danish column headers (rename_headers helps).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Iterable, Mapping

import polars as pl

from workbench.format.dansk import dato_expr, dato_tid, tal_fra_tekst

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = r"^[=+\-@\t\r]"
NUMBER_PATTERN = r"^-?\d+(\.\d+)?$"
_NUMBER = re.compile(NUMBER_PATTERN)
META_SHEET = "Filtre"


def escape_text(value: str, keep_numbers: bool = True) -> str:
    """Prefix "'" to text a spreadsheet would read as a formula (starting with = + - @, tab or CR).
    keep_numbers: plain numeric text such as '-5' stays as it is (it is a number, not a formula)."""
    if value and value.startswith(FORMULA_START) and not (keep_numbers and _NUMBER.match(value)):
        return "'" + value
    return value


def escape_frame(df: pl.DataFrame, keep_numbers: bool = True) -> pl.DataFrame:
    """Every String column escaped like escape_text, vectorised (also column names)."""
    def esc(c: str) -> pl.Expr:
        risky = pl.col(c).str.contains(FORMULA_PATTERN)
        if keep_numbers:
            risky = risky & ~pl.col(c).str.contains(NUMBER_PATTERN)
        return pl.when(risky).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)

    out = df.with_columns(esc(c) for c, t in df.schema.items() if t == pl.String())
    return out.rename({c: escape_text(c) for c in out.columns if escape_text(c) != c})


def rename_headers(df: pl.DataFrame, headers: Mapping[str, str]) -> pl.DataFrame:
    return df.rename({k: v for k, v in headers.items() if k in df.columns})


def _sheet_name(name: str, used: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'")[:31] or "Ark"
    base, n = clean, 2
    while clean.lower() in used:
        suffix = f" ({n})"
        clean = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(clean.lower())
    return clean


def _cell(ws, r: int, c: int, value, fmt_date, fmt_text) -> None:
    if value is None:
        ws.write_blank(r, c, None)
    elif isinstance(value, bool):
        ws.write_string(r, c, "Ja" if value else "Nej", fmt_text)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value)
    elif isinstance(value, dt.datetime):
        ws.write_string(r, c, dato_tid(value), fmt_text)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), fmt_date)
    else:
        text = str(value)
        number = tal_fra_tekst(text)
        if number is not None:
            ws.write_number(r, c, number)
        elif _NUMBER.match(text):
            ws.write_number(r, c, float(text))
        else:
            # write_string: never interpreted as a formula; escaped as well for re-imports/CSV copies
            ws.write_string(r, c, escape_text(text), fmt_text)


def to_xlsx_bytes(sheets: Mapping[str, pl.DataFrame], meta: Mapping[str, object] | Iterable[tuple[str, object]] = ()) -> bytes:
    """An .xlsx workbook: one sheet per frame (bold header, frozen first row) + a 'Filtre' sheet with meta."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#DDE6F0"})
    fmt_date = wb.add_format({"num_format": "dd-mm-yyyy"})
    fmt_text = wb.add_format({})
    used: set[str] = set()
    for name, df in sheets.items():
        ws = wb.add_worksheet(_sheet_name(name, used))
        for c, col in enumerate(df.columns):
            ws.write_string(0, c, escape_text(str(col)), bold)
            width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200).to_list() if v is not None])
            ws.set_column(c, c, min(max(width + 2, 8), 60))
        for r, row in enumerate(df.iter_rows(), start=1):
            for c, value in enumerate(row):
                _cell(ws, r, c, value, fmt_date, fmt_text)
        ws.freeze_panes(1, 0)
    items = list(meta.items()) if isinstance(meta, Mapping) else list(meta)
    ws = wb.add_worksheet(_sheet_name(META_SHEET, used))
    ws.write_string(0, 0, "Felt", bold)
    ws.write_string(0, 1, "Værdi", bold)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 90)
    for r, (k, v) in enumerate(items, start=1):
        ws.write_string(r, 0, escape_text(str(k)), fmt_text)
        ws.write_string(r, 1, escape_text("" if v is None else str(v)), fmt_text)
    wb.close()
    return buf.getvalue()


def to_csv_bytes(df: pl.DataFrame, keep_numbers: bool = True) -> bytes:
    """';'-separated UTF-8 with BOM, dates dd-mm-åååå, formula-looking text escaped."""
    out = df.with_columns(
        dato_expr(c).alias(c) for c, t in df.schema.items() if t in (pl.Date(),)
    )
    out = escape_frame(out.with_columns(pl.col(c).cast(pl.String) for c, t in out.schema.items()
                                        if t == pl.Categorical() or isinstance(t, pl.Enum)), keep_numbers)
    return ("\ufeff" + out.write_csv(separator=";")).encode("utf-8")


def standard_meta(filters_description: Iterable[tuple[str, str]], data_version: str, extra: Mapping[str, object] = ()) -> list[tuple[str, object]]:
    """Meta rows for the 'Filtre' sheet: export time, data version, the filters, then extra rows."""
    rows: list[tuple[str, object]] = [("Eksporteret", dato_tid(dt.datetime.now())),
                                      ("Dataversion", data_version)]
    rows += list(filters_description)
    rows += list(dict(extra).items())
    return rows
