"""The one owner of a borger's latest overall støttebehov on a date (issue 21).

The overall støttebehov is the assessment with an empty tema. The latest on `paa` is the one with the
latest dato on or before `paa`; several on that day: the last by label (alphabetical), so every page,
command and filter picks the same one. Udforsk's filter, Tilbud and Tilsyn all read it.
"""
from __future__ import annotations

import datetime as dt

import polars as pl


def seneste_stoettebehov(stoettebehov: pl.LazyFrame, paa: dt.date) -> pl.LazyFrame:
    """borger_id, stoettebehov (String), dato: one row per borger with an overall assessment on or before `paa`."""
    return (
        stoettebehov.filter(pl.col("tema").is_null() & (pl.col("dato") <= paa))
        .with_columns(pl.col("stoettebehov").cast(pl.String))
        .sort("borger_id", "dato", "stoettebehov")
        .group_by("borger_id", maintain_order=True)
        .agg(pl.col("stoettebehov").last(), pl.col("dato").last())
    )
