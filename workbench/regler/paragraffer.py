"""Paragraf metadata from config/paragraffer.yaml, joined in one place wherever a paragraf is shown or
exported: label, kategori, counting unit (taelling), DST ydelseskode and konto.

    info_frame()                      paragraf, paragraf_navn, kategori, taelling, enhed, dst_ydelseskode, konto
    with_info(df, col="paragraf")     df with those columns joined on (order kept)
    taelling(paragraf)                'helaarspersoner' (botilbud) or 'unikke' (the rest): the unit
                                      Overblik shows the paragraf in by default
    orden(col)                        a paragraf's place in the code list (§82 before §100), to sort by
"""

from __future__ import annotations

from typing import Sequence

import polars as pl

from workbench.data.config import CodeLists, load_config

ENHED = {"helaarspersoner": "Helårspersoner", "unikke": "Unikke borgere"}
INFO_COLUMNS = ("paragraf_navn", "kategori", "taelling", "enhed", "dst_ydelseskode", "konto")
HEADERS = {"paragraf_navn": "Betegnelse", "kategori": "Kategori", "enhed": "Enhed",
           "dst_ydelseskode": "DST-ydelseskode", "konto": "Konto"}


def info_frame(codes: CodeLists | None = None) -> pl.DataFrame:
    """One row per canonical paragraf (config order); dst_ydelseskode/konto null where not configured."""
    codes = codes or load_config().codes
    rows = []
    for p in codes.paragraffer:
        i = codes.paragraf_info[p]
        rows.append((p, i.get("label"), i.get("kategori"), i["taelling"], ENHED[i["taelling"]],
                     None if i.get("dst_ydelseskode") is None else str(i["dst_ydelseskode"]),
                     None if i.get("konto") is None else str(i["konto"])))
    return pl.DataFrame(rows, schema={"paragraf": pl.String, **{c: pl.String for c in INFO_COLUMNS}}, orient="row")


def orden(col: str | pl.Expr = "paragraf", codes: CodeLists | None = None) -> pl.Expr:
    """The paragraf's place in config/paragraffer.yaml's order (§82 before §100, not text order); a
    value outside the code list sorts last. Sort a table of paragraffer by it."""
    codes = codes or load_config().codes
    expr = pl.col(col) if isinstance(col, str) else col
    order = {p: i for i, p in enumerate(codes.paragraffer)}
    return expr.cast(pl.String).replace_strict(order, default=len(order), return_dtype=pl.Int64)


def taelling(paragraf: str, codes: CodeLists | None = None) -> str:
    codes = codes or load_config().codes
    return codes.paragraf_info[str(paragraf)]["taelling"]


def with_info(df: pl.DataFrame, col: str = "paragraf", columns: Sequence[str] = INFO_COLUMNS,
              codes: CodeLists | None = None) -> pl.DataFrame:
    """df with the paragraf metadata `columns` added right after `col` (rows and their order kept;
    a value that is not a paragraf, e.g. a 'Total' row, gets nulls)."""
    info = info_frame(codes).select(pl.col("paragraf").alias("_p"), *columns)
    out = (
        df.with_row_index("_i").with_columns(pl.col(col).cast(pl.String).alias("_p"))
        .join(info, on="_p", how="left").sort("_i").drop("_i", "_p")
    )
    order = list(df.columns)
    at = order.index(col) + 1
    return out.select(order[:at] + list(columns) + order[at:])
