"""A borger's primary målgruppe on a date: the one owner (Udforsk, Tilbud, Resultater, Tilsyn call it).

The latest registration with `primaer` true on or before the date; several primary målgrupper on that
same day: the last by label (a stable, row-order-free choice; kvalitet's rule `primaer_maalgruppe`
reports such a day as a finding).
"""

from __future__ import annotations

import datetime as dt

import polars as pl


def primaer_maalgruppe(maalgrupper: pl.LazyFrame, paa: dt.date) -> pl.LazyFrame:
    """borger_id (String), maalgruppe (String), dato: each borger's primary målgruppe on `paa`."""
    return (
        maalgrupper.filter(pl.col("primaer").fill_null(False) & (pl.col("dato") <= paa))
        .select(pl.col("borger_id").cast(pl.String), pl.col("maalgruppe").cast(pl.String), "dato")
        .sort("borger_id", "dato", "maalgruppe")
        .group_by("borger_id").agg(pl.col("maalgruppe").last(), pl.col("dato").last())
    )
