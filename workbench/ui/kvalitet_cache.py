"""Cached results of the Kvalitet page: overlap, quality findings, 8-talskontrol and databrud.

One heavy computation per (dataset version, principal scope, reference date), collected once with
pl.collect_all into a frozen dataclass of DataFrames (the page only filters and formats them).

prewarm() starts that computation in a background thread after the first page a signed-in
principal with the whole dataset in scope sees (app.py), for the dataset's default reference date: the first visit to Kvalitet
then finds it cached (a visit while it runs waits for the same computation; Streamlit's
cache_resource computes one key once).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from workbench.regler import access, overlap, kvalitet, reconcile
from workbench.data.dataset import Dataset
from workbench.ui import data


@dataclass(frozen=True)
class Resultat:
    """Everything the Kvalitet page shows for one (dataset version, scope, reference date)."""
    pairs: pl.DataFrame  # overlap.overlap_pairs
    flis: pl.DataFrame  # overlap.by_paragraf_pair
    trend: pl.DataFrame  # overlap.per_month
    kommune: pl.DataFrame  # overlap.money_per_kommune
    tilbud: pl.DataFrame  # overlap.money_per_tilbud
    per_rule: pl.DataFrame  # overlap.money_per_rule
    findings: pl.DataFrame  # kvalitet.findings
    counts: pl.DataFrame  # kvalitet.counts_by_rule
    ottetal: pl.DataFrame  # reconcile.ottetalskontrol
    databrud: pl.DataFrame  # reconcile.databrud_series
    rules: Any  # overlap.load_rules()
    cfg: Any  # kvalitet.load_quality_config()
    has_betalinger: bool


@st.cache_resource(show_spinner="Beregner overlap og datakvalitet …", max_entries=8)
def _results(version: str, principal_key: str, paa_iso: str, _ds: Dataset, _principal: access.Principal) -> Resultat:
    paa = dt.date.fromisoformat(paa_iso)
    # The cached scoped dataset carries the rows rejected at load too (ui.data): nothing is re-read.
    ds = _ds
    rules = overlap.load_rules()
    cfg = kvalitet.load_quality_config()
    # The 8-talskontrol comparison, the overlap pairs and the findings are each computed once; the
    # tables below are derived from those collected frames.
    got = reconcile.compared(ds, paa)
    cmp = got.collect().rechunk().lazy() if got is not None else None  # rechunk: see reconcile.compared
    pairs_df, found_df = pl.collect_all([
        overlap.overlap_pairs(ds.ydelser, paa, rules),
        kvalitet.findings(ds, paa, cfg, cmp=cmp),
    ])
    pairs, found = pairs_df.rechunk().lazy(), found_df.rechunk().lazy()
    names = ["pairs", "flis", "trend", "kommune", "tilbud", "per_rule", "findings", "counts", "ottetal", "databrud"]
    frames = [pairs_df, found_df] + pl.collect_all([
        overlap.by_paragraf_pair(pairs),
        overlap.per_month(pairs),
        overlap.money_per_kommune(pairs, ds.borgere),
        overlap.money_per_tilbud(pairs),
        overlap.money_per_rule(pairs),
        kvalitet.counts_by_rule(found, cfg),
        reconcile.ottetalskontrol(ds, paa, cmp),
        reconcile.databrud_series(ds, paa, cfg.databrud),
    ])
    frames = [frames[0], *frames[2:7], frames[1], *frames[7:]]
    return Resultat(**dict(zip(names, frames)), rules=rules, cfg=cfg, has_betalinger=ds.has("betalinger"))


def results(principal: access.Principal, paa: dt.date) -> Resultat:
    """The Kvalitet page's numbers (Resultat) for the principal's scope on `paa`."""
    ds = data.scoped_dataset(principal)
    return _results(ds.version, principal.key, paa.isoformat(), ds, principal)


PREWARM_DELAY_S = 2.0  # let the browser draw the page that started it first (same two cores)


def prewarm(principal: access.Principal) -> threading.Thread | None:
    """Compute results(principal, data_date()) in a background thread (data.background: once per
    dataset version, principal scope and reference date, and process; None when already started
    or switched off). The same cached function as the page: the numbers are the page's.

    Only for a principal who sees the whole dataset (scope 'alle', no kommuner): that is where the
    computation is heavy (about 5 s CPU at national scale), and there are few such scopes, so the
    background work stays bounded; a narrower scope is computed on its first visit, on its much
    smaller data."""
    if not data.BACKGROUND or not access.page_allowed(principal, "kvalitet"):
        return None
    r = access.role(principal.rolle)
    if r is None or r.scope != "alle" or principal.kommuner:
        return None
    try:
        ds = data.scoped_dataset(principal)
        paa = data.data_date()
    except Exception:  # an unreadable dataset shows its own error on the page
        return None
    key = (ds.version, principal.key, paa.isoformat())

    def work() -> None:
        time.sleep(PREWARM_DELAY_S)
        _results(*key, ds, principal)

    return data.background(("kvalitet", *key), work, "kvalitet-forudberegning")
