"""The one owner of how a number, a date and an empty value read in Danish: every table, chart label,
export and report formats through here (issue 21).

    tal(1234.56, 1) -> '1.234,6'     tal(None) -> '–'       tal('<5') -> '<5' (text passes through)
    dato(date)      -> 'dd-mm-åååå'  dato_tid(datetime) -> 'dd-mm-åååå tt:mm'
    tal_expr / dato_expr: the same as Polars expressions (pure Polars, no Python function in a query)
    borger_link(col): the relative link to one borger's page ('borger?borger=B001'); BORGER_LINK_TEKST
    is the LinkColumn display pattern that shows only the id.
    tal_fra_tekst('1.234,5') -> 1234.5 (exports write such text as a number).
    vega_tal(1): the same for a chart axis (a Vega labelExpr); tooltips show a tal_expr text column.

An empty value (None, null, NaN) reads TOM ('–'); never 'None' or 'nan'.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import polars as pl

TOM = "–"
DATO = "%d-%m-%Y"
DATO_TID = "%d-%m-%Y %H:%M"
DATO_INPUT = "DD-MM-YYYY"  # st.date_input's format argument
BORGER_LINK = "borger?borger="
BORGER_LINK_TEKST = r"borger\?borger=(.*)"  # st.column_config.LinkColumn(display_text=...): the id only
DEFAULT_DECIMALER = 2  # a float without a given number of decimals: up to 2, trailing zeros dropped

_DANSK_TAL = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def tal(value: Any, decimaler: int = 0) -> str:
    """1234567.891 -> '1.234.568' (decimaler=0) or '1.234.567,9' (decimaler=1); None/NaN -> '–'; text as is."""
    if value is None:
        return TOM
    if isinstance(value, str):
        return value
    number = float(value)
    if math.isnan(number):
        return TOM
    text = f"{number:,.{decimaler}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # '-0,0' reads '0,0'
    return text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")


def dato(value: dt.date | None, tom: str = "") -> str:
    """dd-mm-åååå; None -> `tom` (empty by default: a date inside a sentence)."""
    return tom if value is None else value.strftime(DATO)


def dato_tid(value: dt.datetime | None, tom: str = TOM) -> str:
    """dd-mm-åååå tt:mm; None -> '–'."""
    return tom if value is None else value.strftime(DATO_TID)


def tal_fra_tekst(text: str) -> float | None:
    """A number written by tal() back to a float ('1.234,5' -> 1234.5); None when it is not one."""
    if not _DANSK_TAL.match(text):
        return None
    return float(text.replace(".", "").replace(",", "."))


# --------------------------------------------------------------------------------------------
# the same as Polars expressions


def _expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def tal_expr(col: str | pl.Expr, decimaler: int | None = 0, tom: str | None = TOM) -> pl.Expr:
    """tal() as a Polars expression over a numeric column: thousands '.', decimal ','; null/NaN -> `tom`.
    decimaler=None: up to DEFAULT_DECIMALER decimals with trailing zeros dropped ('486,2', '9.000')."""
    d = DEFAULT_DECIMALER if decimaler is None else decimaler
    x = _expr(col).cast(pl.Float64)
    scaled = (x.abs() * 10 ** d).round(0).cast(pl.Int64)
    whole = (scaled // 10 ** d).cast(pl.String).str.reverse().str.extract_all(r"\d{1,3}").list.join(".").str.reverse()
    sign = pl.when((x < 0) & (scaled > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    text = pl.concat_str([sign, whole])
    if d > 0:
        frac = (scaled % 10 ** d).cast(pl.String).str.zfill(d)
        text = pl.concat_str([text, pl.lit(","), frac])
        if decimaler is None:
            text = text.str.replace(r"0+$", "").str.strip_suffix(",")
    empty = x.is_null() | x.is_nan()
    out = pl.when(empty).then(pl.lit(tom, dtype=pl.String)).otherwise(text)
    return out.alias(col) if isinstance(col, str) else out


def dato_expr(col: str | pl.Expr, tom: str | None = None) -> pl.Expr:
    """dd-mm-åååå of a Date/Datetime column; null -> `tom` (null by default)."""
    out = _expr(col).dt.strftime(DATO)
    return out if tom is None else out.fill_null(tom)


def dato_tid_expr(col: str | pl.Expr, tom: str | None = None) -> pl.Expr:
    """dd-mm-åååå tt:mm of a Datetime column; null -> `tom` (null by default)."""
    out = _expr(col).dt.strftime(DATO_TID)
    return out if tom is None else out.fill_null(tom)


def borger_link(col: str | pl.Expr = "borger_id") -> pl.Expr:
    """The relative link to a borger's page, for st.column_config.LinkColumn(display_text=BORGER_LINK_TEKST)."""
    return pl.concat_str([pl.lit(BORGER_LINK), _expr(col)])


TILBUD_LINK = "tilbud?tilbud="  # the Tilbud page's deep link (url_path 'tilbud', query 'tilbud')
TILBUD_LINK_TEKST = "Åbn"


def tilbud_link(col: str | pl.Expr = "tilbud_id") -> pl.Expr:
    """The relative link to a tilbud's page, for st.column_config.LinkColumn(display_text=TILBUD_LINK_TEKST)."""
    return pl.concat_str([pl.lit(TILBUD_LINK), _expr(col)])


def uden_borger_link(col: str | pl.Expr) -> pl.Expr:
    """A borger_link column back to the bare id (exports)."""
    return _expr(col).str.strip_prefix(BORGER_LINK)


def vega_tal(decimaler: int = 0, felt: str = "datum.value") -> str:
    """tal() as a Vega expression, for chart axis labels (alt.Axis(labelExpr=...)): '1.234,5', not '1,234.5'."""
    return (f"replace(replace(replace(format({felt}, ',.{decimaler}f'), regexp(',', 'g'), '#'), "
            f"regexp('\\\\.', 'g'), ','), regexp('#', 'g'), '.')")


def dansk_tabel(df: pl.DataFrame, decimaler: int | dict[str, int] | None = None) -> pl.DataFrame:
    """Every numeric column of `df` as Danish text (integers without decimals; floats with `decimaler`,
    per column when a dict; default up to DEFAULT_DECIMALER), empty values '–'. Text columns unchanged."""
    def places(c: str, t) -> int | None:
        if t.is_integer():
            return 0
        return decimaler.get(c) if isinstance(decimaler, dict) else decimaler

    return df.with_columns(tal_expr(c, places(c, t)).alias(c) for c, t in df.schema.items() if t.is_numeric())
