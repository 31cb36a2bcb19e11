"""Write a result frame as csv, json or a readable table (CLI)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import IO

import polars as pl

from workbench.format.dansk import tal as dansk_tal  # noqa: F401  (the one owner: workbench.format.dansk)

FORMATS = ("csv", "json", "table")


def dansk_kolonne(values: pl.Series, decimaler: int = 0) -> pl.Series:
    """A column as Danish number text ('1.234'); None -> '–'; text already there passes through (the
    suppression labels '<5' and 'x', and Danish text workbench.regler.suppression wrote through
    workbench.format.dansk); a numeric text ('1234.0') is formatted."""
    from workbench.format.dansk import TOM, tal_fra_tekst

    def fmt(v):
        if v is None:
            return TOM
        if isinstance(v, str):
            if tal_fra_tekst(v) is not None:
                return v
            numeric = v.strip() and v.lstrip("-").replace(".", "", 1).isdigit()
            return dansk_tal(float(v), decimaler) if numeric else v
        return dansk_tal(v, decimaler)

    return map_values(values, fmt, skip_nulls=False)


def map_values(values: pl.Series, fn, *, skip_nulls: bool = True) -> pl.Series:
    """fn applied to a column's distinct values in Python, then looked up for every row (a text column).

    Never a Python function inside a Polars query (map_elements/map_batches): such a query needs the
    GIL on Polars' worker threads, and with several app sessions at once one session's query held
    those workers waiting for the GIL while another session held the GIL waiting for the workers
    (the server hung under ten concurrent users). The distinct values are few (codes, months, counts)."""
    distinct = values.unique()
    keys = distinct.drop_nulls() if skip_nulls else distinct
    texts = [fn(v) for v in keys.to_list()]
    out = values.replace_strict(keys, pl.Series(texts, dtype=pl.String), default=None, return_dtype=pl.String)
    return out.alias(values.name)


def _plain(df: pl.DataFrame) -> pl.DataFrame:
    """Enums/categoricals as text so every writer accepts them."""
    return df.with_columns(
        pl.col(c).cast(pl.String) for c, t in df.schema.items() if isinstance(t, (pl.Enum, pl.Categorical))
    )


def _json_default(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def to_json_text(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1, default=_json_default)


def emit(df: pl.DataFrame, fmt: str, out: IO[str] | None = None) -> None:
    """CSV goes through workbench.format.export.escape_frame, the one formula-escaping path of every CSV and
    Excel file the product writes (app exports and CLI output alike)."""
    from workbench.format.export import escape_frame

    out = out or sys.stdout
    df = _plain(df)
    if fmt == "csv":
        out.write(escape_frame(df).write_csv(date_format="%Y-%m-%d"))
    elif fmt == "json":
        out.write(to_json_text(df.to_dicts()) + "\n")
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200,
                       tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
            out.write(str(df) + "\n")
