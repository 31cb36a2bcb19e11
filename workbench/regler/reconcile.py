"""8-talskontrol and databrud (seed 001, KL's 8 trin: trin 6 and 8; DOMAIN.md).

8-talskontrol: the borgere per paragraf per month in the case system (ydelser) against the payment
system (betalinger, optional). A borger counts for a paragraf in a month when any ydelse under it covers
at least one day of the month (an open slutdato runs through the reference date), and in betalinger
when the month's net payment under the paragraf is not zero. Only the months between the first and
last month of betalinger (up to the reference date) and the paragraffer that appear in betalinger are
compared: the payment extract defines what the second system covers.

Databrud: the monthly count of new registrations (ydelser by registreringsdato, else startdato)
against its rolling median; a month far off the trend (robust z-score and a minimum relative
deviation, both in config/quality_rules.yaml) is a break, e.g. a systemskifte or a missing load.

Pure functions over the dataset's LazyFrames. Months are handled as month numbers
(year * 12 + month - 1) internally: cheap to range over and join on.
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from workbench.data.dataset import Dataset
from workbench.regler.udgift import ydelse_udgift_m

MKEY = ["borger_id", "paragraf", "m"]


def _month(expr: pl.Expr) -> pl.Expr:
    return expr.dt.truncate("1mo")


def _month_index(expr: pl.Expr) -> pl.Expr:
    return expr.dt.year().cast(pl.Int32) * 12 + expr.dt.month().cast(pl.Int32) - 1


def _text_to_index(expr: pl.Expr) -> pl.Expr:
    """'YYYY-MM' to the month number (null for text that is not a month)."""
    return expr.str.slice(0, 4).cast(pl.Int32, strict=False) * 12 + expr.str.slice(5, 2).cast(pl.Int32, strict=False) - 1


def _index_to_text(expr: pl.Expr) -> pl.Expr:
    """Month number back to 'YYYY-MM'."""
    return pl.format("{}-{}", (expr // 12).cast(pl.String), (expr % 12 + 1).cast(pl.String).str.zfill(2))


def _has_betalinger(ds: Dataset) -> bool:
    return ds.has("betalinger")


def betaling_months(ds: Dataset) -> pl.LazyFrame:
    """(borger_id, paragraf, m = month number, betalt) with a net payment other than zero in the month."""
    text = pl.col("maaned").cast(pl.String)
    return (
        ds.betalinger.select(
            pl.col("borger_id").cast(pl.String), pl.col("paragraf").cast(pl.String),
            _text_to_index(text).alias("m"),
            pl.col("beloeb").cast(pl.Float64),
        )
        .filter(pl.col("m").is_not_null())
        .group_by(MKEY).agg(pl.col("beloeb").sum())
        .filter(pl.col("beloeb") != 0)
        .select(*MKEY, pl.col("beloeb").alias("betalt"))
    )


def _compare_months(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """borger_id, paragraf, m, i_ydelser, i_betalinger, forventet, betalt over the compared months and
    paragraffer: the months from the first to the last month with a net payment (not after the reference
    date's month), the paragraffer with a net payment. forventet: the case system's prorated amount
    (workbench.regler.udgift, the one owner of the prorating); betalt: the month's net payment.

    One group-by over both systems' rows (ydelse-months and payments stacked) instead of a group-by on
    each side and a full join of the two (3.4 M payments nationally): same rows, about half the work."""
    paa_m = paa.year * 12 + paa.month - 1
    raw = (ds.betalinger.select(pl.col("borger_id").cast(pl.String), "paragraf",
                                _text_to_index(pl.col("maaned").cast(pl.String)).alias("m"),
                                pl.col("beloeb").cast(pl.Float64).alias("_b"))
           .filter(pl.col("m").is_not_null() & (pl.col("m") <= paa_m)))
    raw = raw.collect().lazy()
    lo, hi = raw.select(pl.col("m").min().alias("lo"), pl.col("m").max().alias("hi")).collect().row(0)
    if lo is None:
        return pl.LazyFrame(schema={"borger_id": pl.String, "paragraf": pl.String, "m": pl.Int32, "forventet": pl.Float64,
                                    "i_ydelser": pl.Boolean, "betalt": pl.Float64, "i_betalinger": pl.Boolean})
    fra = dt.date(lo // 12, lo % 12 + 1, 1)
    til = dt.date(hi // 12, hi % 12 + 1, calendar.monthrange(hi // 12, hi % 12 + 1)[1])
    y = ydelse_udgift_m(ds.ydelser, fra, til, paa).select("borger_id", "paragraf", "m", pl.col("udgift").alias("_u"))
    stacked = pl.concat([y.with_columns(pl.lit(None, pl.Float64).alias("_b")),
                         raw.select("borger_id", "paragraf", "m", pl.lit(None, pl.Float64).alias("_u"), "_b")])
    g = (stacked.group_by(MKEY).agg(pl.col("_u").sum().alias("forventet"), pl.col("_u").is_not_null().any().alias("i_ydelser"),
                                    pl.col("_b").sum().alias("_net"), pl.col("_b").is_not_null().any().alias("_har_b"))
         .with_columns((pl.col("_har_b") & (pl.col("_net") != 0)).alias("i_betalinger"))
         .collect())
    # the exact bounds and paragraffer: those of the months with a net payment (a month or paragraf whose
    # payments all net to zero is not covered by the payment extract)
    paid = g.filter(pl.col("i_betalinger"))
    fra_m, til_m = paid["m"].min(), paid["m"].max()
    paragraffer = paid["paragraf"].unique()
    return (g.lazy()
            .filter(pl.col("i_betalinger") | (pl.col("i_ydelser") & pl.col("paragraf").is_in(paragraffer.implode())
                                              & pl.col("m").is_between(fra_m, til_m)))
            .select(pl.col("borger_id"), pl.col("paragraf").cast(pl.String), "m", pl.col("forventet").fill_null(0.0),
                    "i_ydelser", pl.when(pl.col("i_betalinger")).then(pl.col("_net")).otherwise(0.0).alias("betalt"),
                    "i_betalinger"))


OTTETAL_COLUMNS = ["ydelser", "betalinger", "begge", "kun_ydelser", "kun_betalinger"]


def compared(ds: Dataset, paa: dt.date) -> pl.LazyFrame | None:
    """The month-by-month comparison both the 8-talskontrol table and its two findings read
    (None without betalinger). Collect it once and pass it as `cmp` to ottetalskontrol and mismatches
    so the comparison runs once per kvalitet run, not once per consumer. Rechunk the collected frame:
    Polars 2.1 panics now and then ('assertion failed: i < self.len()' in binview) when the
    multi-chunk string columns of this full join's output are filtered and concatenated later."""
    return _compare_months(ds, paa) if _has_betalinger(ds) else None


def ottetalskontrol(ds: Dataset, paa: dt.date, cmp: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Per maaned (YYYY-MM) and paragraf: borgere in ydelser, in betalinger, in both, only in one.
    `cmp`: compared(ds, paa), already collected (else computed here)."""
    if not _has_betalinger(ds):
        return pl.LazyFrame(schema={"maaned": pl.String, "paragraf": pl.String, **{c: pl.Int64 for c in OTTETAL_COLUMNS}})
    y, b = pl.col("i_ydelser"), pl.col("i_betalinger")
    return (
        (cmp if cmp is not None else _compare_months(ds, paa)).group_by("m", "paragraf").agg(
            y.sum().cast(pl.Int64).alias("ydelser"),
            b.sum().cast(pl.Int64).alias("betalinger"),
            (y & b).sum().cast(pl.Int64).alias("begge"),
            (y & ~b).sum().cast(pl.Int64).alias("kun_ydelser"),
            (~y & b).sum().cast(pl.Int64).alias("kun_betalinger"),
        )
        .sort("m", "paragraf")
        .select(_index_to_text(pl.col("m")).alias("maaned"), "paragraf", *OTTETAL_COLUMNS)
    )


FINDING_RULES = ("ydelse_uden_betaling", "betaling_uden_ydelse", "forkert_paragraf", "beloeb_afviger",
                 "betaling_uden_for_periode")
FINDING_SCHEMA = {"regel": pl.String, "noegle": pl.String, "borger_id": pl.String, "paragraf": pl.String,
                  "maaned": pl.String, "kroner": pl.Float64, "betalt_paragraf": pl.String,
                  "forventet": pl.Float64, "betalt": pl.Float64}


def mismatches(ds: Dataset, paa: dt.date, cmp: pl.LazyFrame | None = None,
               tolerance: tuple[float, float] = (0.10, 500.0)) -> pl.LazyFrame:
    """Every 8-talskontrol finding (contract "8-talskontrol"): regel, noegle (borger|paragraf|YYYY-MM),
    borger_id, paragraf, maaned, kroner (at stake), betalt_paragraf, forventet, betalt.

    * forkert_paragraf: the borger has, in the same month, a ydelse-month without payment and a payment
      under another paragraf without a ydelse: one kontering error (the ydelse's paragraf; kroner = the
      payment), not two absences;
    * betaling_uden_for_periode: a payment under a paragraf the borger has a ydelse under, in a month
      outside that ydelse's start..slut (kroner = the payment);
    * betaling_uden_ydelse / ydelse_uden_betaling: the remaining one-sided months (kroner = the payment /
      the case system's prorated amount);
    * beloeb_afviger: both present, amounts apart by more than `tolerance` (share, kroner) both
      (kroner = the difference).
    `cmp`: as in ottetalskontrol; `tolerance` from config/quality_rules.yaml (ottetal)."""
    if not _has_betalinger(ds):
        return pl.LazyFrame(schema=FINDING_SCHEMA)
    c = cmp if cmp is not None else _compare_months(ds, paa)
    only_y = c.filter(pl.col("i_ydelser") & ~pl.col("i_betalinger"))
    only_b = c.filter(~pl.col("i_ydelser") & pl.col("i_betalinger"))
    # a kontering error: pair the unpaid ydelse-month with the unexplained payment of the same month
    # (several on one side: the first by paragraf on each side, the rest stay one-sided)
    yk = only_y.sort("paragraf").with_columns(pl.int_range(pl.len()).over("borger_id", "m").alias("_k"))
    bk = only_b.sort("paragraf").with_columns(pl.int_range(pl.len()).over("borger_id", "m").alias("_k"))
    pairs = yk.join(bk.select("borger_id", "m", "_k", pl.col("paragraf").alias("betalt_paragraf"),
                              pl.col("betalt").alias("_b")), on=["borger_id", "m", "_k"], how="inner")
    forkert = pairs.select("borger_id", "paragraf", "m", pl.lit("forkert_paragraf").alias("regel"),
                           pl.col("_b").abs().alias("kroner"), "betalt_paragraf", "forventet",
                           pl.col("_b").alias("betalt"))
    y_rest = only_y.join(pairs.select("borger_id", "paragraf", "m"), on=MKEY, how="anti")
    b_rest = only_b.join(pairs.select("borger_id", pl.col("betalt_paragraf").alias("paragraf"), "m"),
                         on=MKEY, how="anti")
    # a payment outside the period of a ydelse the borger has under the paragraf
    har = ds.ydelser.select(pl.col("borger_id").cast(pl.String), pl.col("paragraf").cast(pl.String)).unique()
    b_rest = b_rest.join(har.with_columns(pl.lit(True).alias("_har")), on=["borger_id", "paragraf"], how="left")
    one_sided = pl.concat([
        y_rest.select("borger_id", "paragraf", "m", pl.lit("ydelse_uden_betaling").alias("regel"),
                      pl.col("forventet").alias("kroner"), pl.lit(None, pl.String).alias("betalt_paragraf"),
                      "forventet", "betalt"),
        b_rest.select("borger_id", "paragraf", "m",
                      pl.when(pl.col("_har").fill_null(False)).then(pl.lit("betaling_uden_for_periode"))
                      .otherwise(pl.lit("betaling_uden_ydelse")).alias("regel"),
                      pl.col("betalt").abs().alias("kroner"), pl.lit(None, pl.String).alias("betalt_paragraf"),
                      "forventet", "betalt"),
    ])
    andel, kr = tolerance
    diff = (pl.col("betalt") - pl.col("forventet")).abs()
    afviger = c.filter(pl.col("i_ydelser") & pl.col("i_betalinger")
                       & (diff > andel * pl.col("forventet").abs()) & (diff > kr)).select(
        "borger_id", "paragraf", "m", pl.lit("beloeb_afviger").alias("regel"), diff.alias("kroner"),
        pl.lit(None, pl.String).alias("betalt_paragraf"), "forventet", "betalt")
    return (
        pl.concat([forkert, one_sided, afviger])
        .with_columns(_index_to_text(pl.col("m")).alias("maaned"))
        .select("regel", pl.concat_str(["borger_id", "paragraf", "maaned"], separator="|").alias("noegle"),
                "borger_id", "paragraf", "maaned", pl.col("kroner").round(0), "betalt_paragraf",
                pl.col("forventet").round(0), pl.col("betalt").round(0))
    )


def _kr_tekst(col: str) -> pl.Expr:
    """Whole kroner as Danish text with a thousands point (12.345; -1.200)."""
    v = pl.col(col).round(0).cast(pl.Int64)
    digits = v.abs().cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "${1}.").str.reverse()
    digits = digits.str.strip_chars_start(".")
    return pl.when(v < 0).then(pl.lit("-") + digits).otherwise(digits).alias(col)


def finding(rule: str, ds: Dataset, paa: dt.date, found: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One rule's rows of `mismatches` (noegle borger|paragraf|YYYY-MM) for its message: kroner,
    forventet and betalt as Danish text; `kroner_beloeb` keeps the number."""
    found = found if found is not None else mismatches(ds, paa)
    return (found.filter(pl.col("regel") == rule).drop("regel")
            .with_columns(pl.col("kroner").alias("kroner_beloeb"))
            .with_columns(_kr_tekst("kroner"), _kr_tekst("forventet"), _kr_tekst("betalt")))


# --- databrud --------------------------------------------------------------------------------------

def new_registrations(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """maaned (first day), antal: ydelser registered per month (registreringsdato, else startdato),
    every month from the first to the last with data, on or before the reference date; the reference
    date's own month is left out unless it is complete (a half month is not a break)."""
    reg = pl.coalesce(pl.col("registreringsdato"), pl.col("startdato"))
    counts = (
        ds.ydelser.select(reg.alias("d"))
        .filter(pl.col("d").is_not_null() & (pl.col("d") <= paa))
        .group_by(_month(pl.col("d")).alias("maaned")).len("antal")
    )
    if paa.day != calendar.monthrange(paa.year, paa.month)[1]:
        counts = counts.filter(pl.col("maaned") < dt.date(paa.year, paa.month, 1))
    # no complete month with data yet (a reference date in the first month): an empty series, not an error
    months = (
        counts.select(pl.col("maaned").min().alias("fra"), pl.col("maaned").max().alias("til"))
        .filter(pl.col("fra").is_not_null())
        .select(pl.date_ranges("fra", "til", "1mo").alias("maaned"))
        .explode("maaned")
    )
    return (
        months.join(counts, on="maaned", how="left")
        .with_columns(pl.col("antal").fill_null(0).cast(pl.Int64))
        .sort("maaned")
    )


def databrud_series(ds: Dataset, paa: dt.date, settings) -> pl.LazyFrame:
    """The monthly series with its trend: maaned (YYYY-MM), antal, forventet (rolling median), z, brud."""
    s = new_registrations(ds, paa)
    x = pl.col("antal").cast(pl.Float64)
    med = x.rolling_median(window_size=settings.vindue, center=True, min_samples=settings.vindue // 2 + 1)
    out = s.with_columns(med.alias("forventet")).with_columns((x - pl.col("forventet")).alias("_afv"))
    # Robust spread: the median absolute deviation from the trend, floored by a Poisson-like sqrt(trend).
    mad = pl.col("_afv").abs().median() * 1.4826
    sigma = pl.max_horizontal(mad, pl.col("forventet").sqrt(), pl.lit(1.0))
    enough = pl.len() >= settings.min_maaneder
    return (
        out.with_columns((pl.col("_afv") / sigma).alias("z"))
        .with_columns(
            (enough & pl.col("forventet").is_not_null() & (pl.col("z").abs() > settings.graense_z)
             & (pl.col("_afv").abs() >= settings.min_afvigelse * pl.col("forventet"))).fill_null(False).alias("brud")
        )
        .with_columns(pl.col("maaned").dt.strftime("%Y-%m"))
        .drop("_afv")
    )


def databrud_findings(ds: Dataset, paa: dt.date, settings) -> pl.LazyFrame:
    """One finding per break: consecutive flagged months (a dip and the catch-up the month after)
    are one event, keyed by its first month (noegle = YYYY-MM); the other months are named in
    `efterfoelgende`."""
    flagged = (
        databrud_series(ds, paa, settings).filter(pl.col("brud"))
        .with_columns(
            (pl.col("maaned").str.slice(0, 4).cast(pl.Int64) * 12 + pl.col("maaned").str.slice(5, 2).cast(pl.Int64))
            .alias("_idx"),
            pl.col("forventet").round(0).cast(pl.Int64),
        )
        .sort("maaned")
        .with_columns((pl.col("_idx").diff().fill_null(0) != 1).cum_sum().alias("_run"))
    )
    return (
        flagged.group_by("_run").agg(
            pl.col("maaned").first(), pl.col("antal").first(), pl.col("forventet").first(),
            pl.format("{} ({} mod normalt {})", pl.col("maaned"), pl.col("antal"), pl.col("forventet"))
            .slice(1).str.join(", ").alias("_rest"),
        )
        .select(
            pl.col("maaned").alias("noegle"), "maaned", pl.col("antal").cast(pl.String),
            pl.col("forventet").cast(pl.String),
            pl.when(pl.col("_rest") != "")
            .then(pl.format(" Også de følgende måneder afviger: {}, typisk fordi registreringerne er indhentet.",
                            pl.col("_rest")))
            .otherwise(pl.lit("")).alias("efterfoelgende"),
        )
        .sort("maaned")
    )
