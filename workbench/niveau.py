"""A borger's niveau on an undertema (docs/DATA_CONTRACT.md, "A borger's niveau on an undertema").

The one owner of this concept: distributions, crosstabs, maps, the borger page, goal status, tilbud
and reports all call these functions.

* An *assessment* is a funktionsevne row with a niveau 0-4. An *Ikke vurderet* row (null niveau) is
  not an assessment: a later Ikke vurderet never erases an earlier niveau.
* The niveau on a date is the niveau of the latest assessment on or before that date; several
  assessments of the same undertema on the same day: the worst (highest) niveau counts.
* A borger with no assessment of the undertema on or before the date is *Ikke vurderet*: absent from
  the frames returned here (callers left-join and show `IKKE_VURDERET`).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import polars as pl

IKKE_VURDERET = "Ikke vurderet"


def assessments(funktionsevne: pl.LazyFrame, paa: dt.date | None = None) -> pl.LazyFrame:
    """One row per (borger_id, undertema, dato) with an assessed niveau (worst of the day), dated on
    or before `paa` (all dates when None): borger_id, undertema (as stored), dato, niveau."""
    fe = funktionsevne.filter(pl.col("niveau").is_not_null())
    if paa is not None:
        fe = fe.filter(pl.col("dato") <= paa)
    return fe.group_by("borger_id", "undertema", "dato").agg(pl.col("niveau").max())


def niveau_paa(funktionsevne: pl.LazyFrame, paa: dt.date, undertemaer: Iterable[str] | None = None) -> pl.LazyFrame:
    """borger_id, undertema (String), niveau (integer), niveau_dato: each borger's niveau on every
    undertema assessed on or before `paa` (optionally only the given undertemaer)."""
    fe = funktionsevne
    if undertemaer is not None:
        fe = fe.filter(pl.col("undertema").cast(pl.String).is_in(list(undertemaer)))
    return (
        assessments(fe, paa)
        .group_by("borger_id", "undertema")
        .agg(pl.col("niveau").sort_by("dato").last(), pl.col("dato").max().alias("niveau_dato"))
        .select("borger_id", pl.col("undertema").cast(pl.String), "niveau", "niveau_dato")
    )


def niveau_ved(funktionsevne: pl.LazyFrame, keys: pl.LazyFrame, dato: str, name: str = "niveau") -> pl.LazyFrame:
    """`keys` (with borger_id, undertema and a date column `dato`) plus `name` and `name`_dato: the
    niveau on that row's own date (latest assessment on or before it), null when none. Row order is
    not kept (lazy joins); sort afterwards."""
    a = assessments(funktionsevne).select(
        "borger_id", pl.col("undertema").cast(pl.String).alias("_ut"), pl.col("dato").alias("_d"),
        pl.col("niveau").alias(name), pl.col("dato").alias(f"{name}_dato"),
    ).sort("_d")
    k = keys.with_row_index("_k").with_columns(pl.col("undertema").cast(pl.String).alias("_ut"))
    got = (
        k.select("_k", "borger_id", "_ut", pl.col(dato).alias("_d")).filter(pl.col("_d").is_not_null())
        .sort("_d")
        .join_asof(a, on="_d", by=["borger_id", "_ut"], strategy="backward", check_sortedness=False)
        .select("_k", name, f"{name}_dato")
    )
    return k.join(got, on="_k", how="left").drop("_k", "_ut")
