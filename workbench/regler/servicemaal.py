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

import polars as pl

from workbench.data.config import ConfigError, codes as load_codes, config_dir, load_yaml

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


def sagsbehandlingstid(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date,
                       servicemaal: dict[str, int]) -> Servicemaal:
    granted = ydelser.filter(
        pl.col("bevillingsdato").is_between(fra, til) & pl.col("ansoegningsdato").is_not_null()
    ).with_columns(
        pl.col("paragraf").cast(pl.String),
        (pl.col("bevillingsdato") - pl.col("ansoegningsdato")).dt.total_days().alias("dage"),
    )
    valid = granted.filter(pl.col("dage") >= 0).with_columns(
        pl.col("paragraf").replace_strict(servicemaal, default=None, return_dtype=pl.Int64).alias("servicemaal_dage"))
    per = valid.group_by("paragraf").agg(
        pl.len().cast(pl.Int64).alias("afgjorte"),
        pl.col("dage").median().alias("median_dage"),
        pl.col("dage").quantile(0.9, "linear").alias("p90_dage"),
        pl.col("servicemaal_dage").first(),
        pl.when(pl.col("servicemaal_dage").first().is_not_null())
        .then((pl.col("dage") <= pl.col("servicemaal_dage")).mean()).alias("andel_inden_for"),
    ).select(COLUMNS).sort("paragraf")
    bad = granted.filter(pl.col("dage") < 0).select(
        "ydelse_id", "borger_id", "paragraf", "ansoegningsdato", "bevillingsdato").sort("ydelse_id")
    per_df, bad_df = pl.collect_all([per, bad])
    return Servicemaal(per_df, bad_df)
