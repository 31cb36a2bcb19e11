"""A ydelse's udgift in the case system: maanedlig_udgift prorated by the days it covers in each month
(the one owner: Økonomi's udgift when the dataset has no betalinger, and the case system's side of the
8-talskontrol, workbench.regler.reconcile)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.regler.periods import slut_eff


def ydelse_udgift_m(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date) -> pl.LazyFrame:
    """borger_id, paragraf, tilbud_id, m (month number year * 12 + month - 1, Int32), udgift: each
    ydelse's maanedlig_udgift prorated by the days it covers in each month of fra..til (days after paa
    never count). The month as a number and paragraf in its own dtype (the dataset's Enum): the
    8-talskontrol groups on them without formatting or hashing text."""
    hi = min(til, paa)
    y = (
        ydelser.select(pl.col("borger_id").cast(pl.String), "paragraf",
                       pl.col("tilbud_id").cast(pl.String), "maanedlig_udgift",
                       s=pl.max_horizontal(pl.col("startdato"), pl.lit(fra, pl.Date)),
                       e=pl.min_horizontal(slut_eff(paa), pl.lit(hi, pl.Date)),
                       ok=slut_eff(paa) >= pl.col("startdato"))
        .filter(pl.col("s").is_not_null() & (pl.col("s") <= pl.col("e")) & pl.col("ok"))
    )
    m = (
        y.with_columns(m=pl.date_ranges(pl.col("s").dt.month_start(), pl.col("e").dt.month_start(), "1mo"))
        .explode("m")
        .with_columns(me=pl.col("m").dt.month_end())
    )
    dage = (pl.min_horizontal("e", "me") - pl.max_horizontal("s", "m")).dt.total_days() + 1
    return m.select(
        "borger_id", "paragraf", "tilbud_id",
        (pl.col("m").dt.year().cast(pl.Int32) * 12 + pl.col("m").dt.month().cast(pl.Int32) - 1).alias("m"),
        (pl.col("maanedlig_udgift").fill_null(0.0) * dage / pl.col("me").dt.day()).alias("udgift"),
    )


def ydelse_udgift(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date) -> pl.LazyFrame:
    """borger_id, paragraf, tilbud_id, maaned ('YYYY-MM'), udgift: ydelse_udgift_m with the month as text."""
    m = pl.col("m")
    return ydelse_udgift_m(ydelser, fra, til, paa).select(
        "borger_id", pl.col("paragraf").cast(pl.String), "tilbud_id",
        pl.format("{}-{}", (m // 12).cast(pl.String), (m % 12 + 1).cast(pl.String).str.zfill(2)).alias("maaned"),
        "udgift")
