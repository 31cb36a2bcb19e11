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


def vurderet_siden(paa: dt.date, inden_maaneder: int) -> pl.Expr:
    """The first day that counts as 'vurderet inden for de seneste N måneder' of `paa`: the same day N
    calendar months earlier (Polars' calendar offset; the 31st falls back to the month's last day)."""
    return pl.lit(paa, pl.Date).dt.offset_by(f"-{int(inden_maaneder)}mo")


def niveau_paa(funktionsevne: pl.LazyFrame, paa: dt.date, undertemaer: Iterable[str] | None = None,
               inden_maaneder: int | None = None) -> pl.LazyFrame:
    """borger_id, undertema (String), niveau (integer), niveau_dato: each borger's niveau on every
    undertema assessed on or before `paa` (optionally only the given undertemaer).

    inden_maaneder=N leaves out stale levels: a niveau whose assessment is older than N months before
    `paa` (niveau_dato < vurderet_siden) is dropped, so the borger counts as not assessed (within the
    window) on that undertema. An older assessment never stands in for it."""
    fe = funktionsevne
    if undertemaer is not None:
        fe = fe.filter(pl.col("undertema").cast(pl.String).is_in(list(undertemaer)))
    out = (
        assessments(fe, paa)
        .group_by("borger_id", "undertema")
        .agg(pl.col("niveau").sort_by("dato").last(), pl.col("dato").max().alias("niveau_dato"))
        .select("borger_id", pl.col("undertema").cast(pl.String), "niveau", "niveau_dato")
    )
    if inden_maaneder is not None:
        out = out.filter(pl.col("niveau_dato") >= vurderet_siden(paa, inden_maaneder))
    return out


def undertema_keys(left: pl.LazyFrame, right: pl.LazyFrame) -> tuple[pl.Expr, pl.Expr]:
    """The undertema join key of two frames: the column as it is when both have the same dtype (the
    dataset's Enum: a join on its physical codes is ~10x faster than on text), else both as text."""
    same = left.collect_schema()["undertema"] == right.collect_schema()["undertema"]
    key = pl.col("undertema") if same else pl.col("undertema").cast(pl.String)
    return key, key


def niveau_ved(funktionsevne: pl.LazyFrame, keys: pl.LazyFrame, dato: str, name: str = "niveau",
               vurderinger: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """`keys` (with borger_id, undertema and a date column `dato`) plus `name` and `name`_dato: the
    niveau on that row's own date (latest assessment on or before it), null when none. Row order is
    not kept (lazy joins); sort afterwards. `vurderinger`: assessments(funktionsevne[, paa]) when the
    caller already has them (one plan node shared by several lookups; with a `paa` no key date may
    lie after it)."""
    # An equi-join on (borger, undertema) and the latest date per key row: assessments are one row
    # per (borger, undertema, dato), so exactly one row per key survives. (A join_asof grouped by
    # string keys was several times slower at region scale.)
    ka, kk = undertema_keys(funktionsevne, keys)
    a = (vurderinger if vurderinger is not None else assessments(funktionsevne)).select(
        "borger_id", ka.alias("_ut"), pl.col("dato").alias("_d"), pl.col("niveau").alias(name),
    )
    # Computed per distinct (borger, undertema, date) and joined back on those values, never on a row
    # index: `keys` may come from a join whose row order differs between two scans of one plan.
    u = keys.select("borger_id", kk.alias("_ut"), pl.col(dato).alias("_kd")).unique()
    got = (
        u.join(a, on=["borger_id", "_ut"], how="inner")
        .filter(pl.col("_d") <= pl.col("_kd"))
        .filter(pl.col("_d") == pl.col("_d").max().over("borger_id", "_ut", "_kd"))
        .select("borger_id", "_ut", "_kd", name, pl.col("_d").alias(f"{name}_dato"))
    )
    return (
        keys.with_columns(kk.alias("_ut"))
        .join(got, left_on=["borger_id", "_ut", dato], right_on=["borger_id", "_ut", "_kd"], how="left")
        .drop("_ut")
    )
