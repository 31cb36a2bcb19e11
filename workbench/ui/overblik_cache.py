"""Cached computations of the Overblik page (workbench/regler/optaelling.py over the principal's scoped data).

One computation per (dataset version, principal scope, period, reference date, kommune filters),
collected once with pl.collect_all into frozen dataclasses; the page only formats and renders them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import streamlit as st

from workbench.regler import access, flis, optaelling, periods
from workbench.data import geo
from workbench.data.dataset import Dataset
from workbench.ui import data

MAX_YEARS_BACK = 15  # month options reach at most this far back from the reference date


@dataclass(frozen=True)
class Valgmuligheder:
    """What the page's pickers offer (cached per dataset version and scope)."""
    first: dt.date | None  # the first ydelse's startdato
    handle: frozenset[str]  # handlekommuner present
    betaling: frozenset[str]  # betalingskommuner present (geo.betalingskommune)


@dataclass(frozen=True)
class Resultat:
    """Every number of the Overblik page: per_paragraf is the `optaelling` command's table, total
    the Total row (optaelling.totals), kpi the cards (optaelling.noegletal of the last month)."""
    per_paragraf: pl.DataFrame
    total: pl.DataFrame
    kpi: optaelling.Noegletal


@dataclass(frozen=True)
class FlisResultat:
    """The FLIS-corrected cards: the KPIs of the month counted without the ydelser FLIS removes
    (regler.flis; the same as `optaelling --flis`), and how many of the (filtered) ydelser that is."""
    kpi: optaelling.Noegletal
    udeladt: int


@st.cache_resource(show_spinner=False, max_entries=8)
def _options(version: str, principal_key: str, _ds: Dataset) -> Valgmuligheder:
    b = _ds.borgere.select("handlekommune", "betalingskommune")
    got = pl.collect_all([
        _ds.ydelser.select(pl.col("startdato").min()),
        b.select(pl.col("handlekommune").unique().drop_nulls()),
        b.select(geo.betalingskommune().alias("k").unique().drop_nulls()),
    ])
    return Valgmuligheder(got[0].item(), frozenset(got[1]["handlekommune"].to_list()),
                          frozenset(got[2]["k"].to_list()))


def month_options(principal: access.Principal, paa: dt.date) -> list[str]:
    """'YYYY-MM' from the first ydelse (at most MAX_YEARS_BACK years back) to the month of `paa`
    (optaelling.last_month): a month after the reference date is never offered."""
    ds = data.scoped_dataset(principal)
    first = _options(ds.version, principal.key, ds).first
    last = optaelling.last_month(paa)
    floor = periods.add_months(last, -12 * MAX_YEARS_BACK)
    start = max(periods.month_start(first), floor) if first else periods.add_months(last, -11)
    start = min(start, last)
    return [m.strftime(periods.MONTH_FMT) for m in periods.months(start, last)]


def kommune_options(principal: access.Principal, which: str) -> list[str]:
    """Every kommunekode of geo/kommuner.csv; the ones present in the data first (each part by name).
    which: 'handle' or 'betaling'."""
    ds = data.scoped_dataset(principal)
    present = getattr(_options(ds.version, principal.key, ds), which)
    k = geo.kommuner().sort("navn")
    codes = k["kommunekode"].to_list()
    extra = sorted(present - set(codes))  # codes outside the geo table still show up
    return [c for c in codes if c in present] + extra + [c for c in codes if c not in present]


def kommune_label(code: str) -> str:
    names = dict(zip(geo.kommuner()["kommunekode"].to_list(), geo.kommuner()["navn"].to_list()))
    return f"{names[code]} ({code})" if code in names else code


@st.cache_resource(show_spinner=False, max_entries=8)
def _flis_markerede(version: str, principal_key: str, _ds: Dataset) -> pl.DataFrame:
    """The ydelser FLIS removes (regler.flis.markerede), once per dataset version and scope."""
    return flis.markerede(_ds).collect()


@st.cache_resource(show_spinner="Tæller borgere pr. paragraf …", max_entries=16)
def _results(version: str, principal_key: str, fra: str, til: str, paa: str, handle: tuple[str, ...],
             betaling: tuple[str, ...], _ds: Dataset) -> Resultat:
    f, t, p = (dt.date.fromisoformat(x) for x in (fra, til, paa))
    y = optaelling.filter_kommuner(_ds.ydelser, _ds.borgere, handle, betaling)
    per, total = optaelling.overblik(y, f, t, p)
    per_df, total_df, aktive = pl.collect_all([per, total, optaelling.aktive_ydelser(y, p)])
    kpi = optaelling.noegletal(total_df, t.strftime(periods.MONTH_FMT), int(aktive.item()))
    return Resultat(per_df, total_df, kpi)


@st.cache_resource(show_spinner=False, max_entries=16)
def _flis(version: str, principal_key: str, til: str, paa: str, handle: tuple[str, ...], betaling: tuple[str, ...],
          _ds: Dataset) -> FlisResultat:
    t, p = dt.date.fromisoformat(til), dt.date.fromisoformat(paa)
    y = optaelling.filter_kommuner(_ds.ydelser, _ds.borgere, handle, betaling)
    marked = _flis_markerede(version, principal_key, _ds).lazy()
    yk = flis.korrigeret(y, marked)
    _, total_k = optaelling.overblik(yk, t, t, p)
    total_df, aktive, udeladt = pl.collect_all([total_k, optaelling.aktive_ydelser(yk, p),
                                                flis.udeladte(y, marked).select(pl.len())])
    return FlisResultat(optaelling.noegletal(total_df, t.strftime(periods.MONTH_FMT), int(aktive.item())),
                        int(udeladt.item()))


def flis_results(principal: access.Principal, til: dt.date, paa: dt.date, handle: list[str],
                 betaling: list[str]) -> FlisResultat:
    """The FLIS-corrected cards for the month `til` (see FlisResultat); apart from `results` so the
    page's main numbers are drawn before this runs."""
    ds = data.scoped_dataset(principal)
    return _flis(ds.version, principal.key, til.isoformat(), paa.isoformat(), tuple(sorted(handle)),
                 tuple(sorted(betaling)), ds)


def results(principal: access.Principal, fra: dt.date, til: dt.date, paa: dt.date,
            handle: list[str], betaling: list[str]) -> Resultat:
    """The Overblik numbers for the principal's scope (see Resultat)."""
    ds = data.scoped_dataset(principal)
    return _results(ds.version, principal.key, fra.isoformat(), til.isoformat(), paa.isoformat(),
                    tuple(sorted(handle)), tuple(sorted(betaling)), ds)
