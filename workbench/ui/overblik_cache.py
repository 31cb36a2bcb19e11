"""Cached computations of the Overblik page (workbench/optaelling.py over the principal's scoped data).

One computation per (dataset version, principal scope, period, reference date, kommune filters),
collected once with pl.collect_all; the page only formats and renders the frames.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from workbench import access, optaelling, geo
from workbench.dataset import Dataset
from workbench.ui import data

MAX_YEARS_BACK = 15  # month options reach at most this far back from the reference date


@st.cache_resource(show_spinner=False, max_entries=8)
def _options(version: str, principal_key: str, _ds: Dataset) -> dict:
    b = _ds.borgere.select("handlekommune", "betalingskommune")
    got = pl.collect_all([
        _ds.ydelser.select(pl.col("startdato").min()),
        b.select(pl.col("handlekommune").unique().drop_nulls()),
        b.select(pl.coalesce("betalingskommune", "handlekommune").alias("k").unique().drop_nulls()),
    ])
    return {"first": got[0].item(), "handle": set(got[1]["handlekommune"].to_list()),
            "betaling": set(got[2]["k"].to_list())}


def month_options(principal: access.Principal, paa: dt.date) -> list[str]:
    """'YYYY-MM' from the first ydelse (at most MAX_YEARS_BACK years back) to the month of `paa`."""
    ds = data.scoped_dataset(principal)
    first = _options(ds.version, principal.key, ds)["first"]
    last = optaelling.month_start(paa)
    floor = optaelling.add_months(last, -12 * MAX_YEARS_BACK)
    start = max(optaelling.month_start(first), floor) if first else optaelling.add_months(last, -11)
    start = min(start, last)
    return [m.strftime(optaelling.MONTH_FMT) for m in optaelling.months(start, last)]


def kommune_options(principal: access.Principal, which: str) -> list[str]:
    """Every kommunekode of geo/kommuner.csv; the ones present in the data first (each part by name).
    which: 'handle' or 'betaling'."""
    ds = data.scoped_dataset(principal)
    present = _options(ds.version, principal.key, ds)[which]
    k = geo.kommuner().sort("navn")
    codes = k["kommunekode"].to_list()
    extra = sorted(present - set(codes))  # codes outside the geo table still show up
    return [c for c in codes if c in present] + extra + [c for c in codes if c not in present]


def kommune_label(code: str) -> str:
    names = dict(zip(geo.kommuner()["kommunekode"].to_list(), geo.kommuner()["navn"].to_list()))
    return f"{names[code]} ({code})" if code in names else code


@st.cache_resource(show_spinner="Tæller borgere pr. paragraf …", max_entries=16)
def _results(version: str, principal_key: str, fra: str, til: str, paa: str, handle: tuple[str, ...],
             betaling: tuple[str, ...], _ds: Dataset) -> dict[str, pl.DataFrame]:
    f, t, p = (dt.date.fromisoformat(x) for x in (fra, til, paa))
    y = optaelling.filter_kommuner(_ds.ydelser, _ds.borgere, handle, betaling)
    names = ["per_paragraf", "total", "kpi"]
    frames = pl.collect_all([
        optaelling.monthly_counts(y, f, t, p, by=("paragraf",)),
        optaelling.monthly_counts(y, f, t, p, by=()),
        optaelling.kpis(y, p, f, t),
    ])
    return dict(zip(names, frames))


def results(principal: access.Principal, fra: dt.date, til: dt.date, paa: dt.date,
            handle: list[str], betaling: list[str]) -> dict[str, pl.DataFrame]:
    """{'per_paragraf': monthly counts per paragraf, 'total': monthly counts of unique borgere under
    any paragraf, 'kpi': one row of KPIs} for the principal's scope."""
    ds = data.scoped_dataset(principal)
    return _results(ds.version, principal.key, fra.isoformat(), til.isoformat(), paa.isoformat(),
                    tuple(sorted(handle)), tuple(sorted(betaling)), ds)
