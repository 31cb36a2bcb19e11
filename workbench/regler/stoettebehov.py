"""A borger's latest overall støttebehov on a date: the one owner (Udforsk, Tilbud, Tilsyn call it).

The latest overall assessment (tema empty) on or before the date; several on the same day: the highest
støttebehov (like niveau: same day, the worst; *Ikke vurderet* ranks below every assessed value), so
the result never depends on row order.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.data.config import CodeLists, codes as load_codes


def seneste_stoettebehov(stoettebehov: pl.LazyFrame, paa: dt.date, codes: CodeLists | None = None) -> pl.LazyFrame:
    """borger_id (String), stoettebehov (String), dato: each borger's latest overall støttebehov on `paa`."""
    codes = codes or load_codes()
    rang = {k: (-1 if v is None else v) for k, v in codes.stoettebehov_rang.items()}
    return (
        stoettebehov.filter(pl.col("tema").is_null() & (pl.col("dato") <= paa))
        .select(pl.col("borger_id").cast(pl.String), pl.col("stoettebehov").cast(pl.String), "dato")
        .with_columns(pl.col("stoettebehov").replace_strict(rang, default=-1, return_dtype=pl.Int64).alias("_r"))
        .sort("borger_id", "dato", "_r", "stoettebehov")
        .group_by("borger_id").agg(pl.col("stoettebehov").last(), pl.col("dato").last())
    )
