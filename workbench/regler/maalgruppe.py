"""The one owner of a borger's primary målgruppe on a date (issue 21).

A borger's primary målgruppe on `paa` is the latest row with primaer = true dated on or before `paa`.
Several primary rows on the same (latest) day: the last by the målgruppe's label (alphabetical), so every
page, command and filter picks the same one. Udforsk's filter, Tilbud, Resultater and Tilsyn all read it.
"""
from __future__ import annotations

import datetime as dt

import polars as pl


def primaer_maalgruppe(maalgrupper: pl.LazyFrame, paa: dt.date) -> pl.LazyFrame:
    """borger_id, maalgruppe (String), dato: one row per borger with a primary målgruppe on `paa`."""
    return (
        maalgrupper.filter(pl.col("primaer").fill_null(False) & (pl.col("dato") <= paa))
        .with_columns(pl.col("maalgruppe").cast(pl.String))
        .sort("borger_id", "dato", "maalgruppe")
        .group_by("borger_id", maintain_order=True)
        .agg(pl.col("maalgruppe").last(), pl.col("dato").last())
    )
