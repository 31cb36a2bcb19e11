"""Sagsbehandlingstid and servicemål per paragraf (issue 22 item 3).

Sagsbehandlingstid = bevillingsdato - ansoegningsdato in days, for ydelser granted (bevillingsdato)
within [fra, til]. An ansoegningsdato after the bevillingsdato is not a time: such rows are left out
of every figure and returned apart (`ugyldige`) for kvalitet to report. Median and 90th percentile
are linear-interpolated (Polars quantile 'linear'); andel_inden_for = share of afgjorte with
sagsbehandlingstid <= the paragraf's servicemål (None when the paragraf has none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import polars as pl

from workbench.data.config import ConfigError, codes as load_codes, config_dir, load_yaml
from workbench.regler import paragraffer

COLUMNS = ("paragraf", "afgjorte", "median_dage", "p90_dage", "servicemaal_dage", "andel_inden_for")


def load_servicemaal(directory: Path | None = None) -> dict[str, int]:
    """config/servicemaal.yaml -> {canonical paragraf: days}; unknown paragraf or a non-positive
    number is a ConfigError naming the file and key."""
    f = "servicemaal.yaml"
    data = load_yaml(f, directory or config_dir())
    raw = data.get("servicemaal_dage") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise ConfigError(f"{f}: nøglen 'servicemaal_dage' mangler eller er ikke en mapping")
    codes = load_codes()
    out: dict[str, int] = {}
    for key, days in raw.items():
        par = codes.paragraf_canonical(str(key))
        if par is None:
            raise ConfigError(f"{f}: ukendt paragraf '{key}' under 'servicemaal_dage'")
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ConfigError(f"{f}: 'servicemaal_dage.{key}' skal være et positivt helt antal dage")
        out[par] = days
    return out


@dataclass(frozen=True)
class Servicemaal:
    per_paragraf: pl.DataFrame  # COLUMNS, one row per paragraf with afgjorte > 0
    ugyldige: pl.DataFrame      # ydelse_id, borger_id, paragraf, ansoegningsdato, bevillingsdato


def _tider(ydelser: pl.LazyFrame, servicemaal: dict[str, int]) -> pl.LazyFrame:
    """Every ydelse with both dates: paragraf (text), bevillingsdato, dage and the paragraf's servicemål."""
    return ydelser.filter(
        pl.col("bevillingsdato").is_not_null() & pl.col("ansoegningsdato").is_not_null()
    ).with_columns(
        pl.col("paragraf").cast(pl.String),
        (pl.col("bevillingsdato") - pl.col("ansoegningsdato")).dt.total_days().alias("dage"),
        pl.col("paragraf").cast(pl.String).replace_strict(servicemaal, default=None, return_dtype=pl.Int64)
        .alias("servicemaal_dage"),
    )


def _maal(valid: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """The measures of COLUMNS per keys (paragraf last) over valid (dage >= 0) rows: the one spelling."""
    return valid.group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("afgjorte"),
        pl.col("dage").median().alias("median_dage"),
        pl.col("dage").quantile(0.9, "linear").alias("p90_dage"),
        pl.col("servicemaal_dage").first(),
        pl.when(pl.col("servicemaal_dage").first().is_not_null())
        .then((pl.col("dage") <= pl.col("servicemaal_dage")).mean()).alias("andel_inden_for"),
    )


def sagsbehandlingstid(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date,
                       servicemaal: dict[str, int]) -> Servicemaal:
    granted = _tider(ydelser, servicemaal).filter(pl.col("bevillingsdato").is_between(fra, til))
    per = _maal(granted.filter(pl.col("dage") >= 0), ["paragraf"]).select(COLUMNS).sort(paragraffer.orden())
    bad = granted.filter(pl.col("dage") < 0).select(
        "ydelse_id", "borger_id", "paragraf", "ansoegningsdato", "bevillingsdato").sort("ydelse_id")
    per_df, bad_df = pl.collect_all([per, bad])
    return Servicemaal(per_df, bad_df)


def pr_periode(ydelser: pl.LazyFrame, perioder: Sequence[tuple[str, dt.date, dt.date]],
               servicemaal: dict[str, int]) -> pl.DataFrame:
    """The same measures per (periode, paragraf) for several periods at once (the quarter trend):
    `perioder` is (label, fra, til) with both days included; a ydelse counts in every period its
    bevillingsdato falls in. Columns: periode, *COLUMNS; sorted by the order of `perioder`, then paragraf."""
    valid = _tider(ydelser, servicemaal).filter(pl.col("dage") >= 0)
    parts = [valid.filter(pl.col("bevillingsdato").is_between(fra, til)).with_columns(
        pl.lit(label, pl.String).alias("periode"), pl.lit(i, pl.Int64).alias("_i"))
        for i, (label, fra, til) in enumerate(perioder)]
    if not parts:
        return pl.DataFrame(schema={"periode": pl.String, "paragraf": pl.String, "afgjorte": pl.Int64,
                                    "median_dage": pl.Float64, "p90_dage": pl.Float64,
                                    "servicemaal_dage": pl.Int64, "andel_inden_for": pl.Float64})
    return (_maal(pl.concat(parts), ["_i", "periode", "paragraf"]).sort("_i", paragraffer.orden())
            .select("periode", *COLUMNS).collect())
