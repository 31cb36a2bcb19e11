"""Cached results of the Kvalitet page: overlap, quality findings, 8-talskontrol and databrud.

One heavy computation per (dataset version, principal scope, reference date), collected once with
pl.collect_all and kept as DataFrames (the page only filters and formats them).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from workbench import access, overlap, kvalitet, reconcile
from workbench.dataset import Dataset, open_dataset
from workbench.ui import data


@st.cache_resource(show_spinner="Beregner overlap og datakvalitet …", max_entries=8)
def _results(version: str, principal_key: str, paa_iso: str, _ds: Dataset, _principal: access.Principal) -> dict:
    paa = dt.date.fromisoformat(paa_iso)
    # The app's cached dataset holds the accepted rows only; rows rejected at load (e.g. a niveau
    # outside 0-4) come from the files, scoped the same way as everything else.
    try:
        rejected = access.scope(open_dataset(_ds.path), _principal).rejected
    except Exception:  # a dataset the app can show but not re-read: the other rules still apply
        rejected = {}
    ds = _ds.derive(_ds.tables, rejected)
    rules = overlap.load_rules()
    cfg = kvalitet.load_quality_config()
    pairs = overlap.overlap_pairs(ds.ydelser, paa, rules)
    found = kvalitet.findings(ds, paa, cfg)
    names = ["pairs", "flis", "trend", "kommune", "tilbud", "per_rule", "findings", "counts", "ottetal", "databrud"]
    frames = pl.collect_all([
        pairs,
        overlap.by_paragraf_pair(pairs),
        overlap.per_month(pairs),
        overlap.money_per_kommune(pairs, ds.borgere),
        overlap.money_per_tilbud(pairs),
        overlap.money_per_rule(pairs),
        found,
        kvalitet.counts_by_rule(found, cfg),
        reconcile.ottetalskontrol(ds, paa),
        reconcile.databrud_series(ds, paa, cfg.databrud),
    ])
    out = dict(zip(names, frames))
    out["rules"] = rules
    out["cfg"] = cfg
    out["has_betalinger"] = ds.has("betalinger")
    return out


def results(principal: access.Principal, paa: dt.date) -> dict:
    """{'pairs', 'flis', 'trend', 'kommune', 'tilbud', 'per_rule', 'findings', 'counts', 'ottetal',
    'databrud': DataFrame, 'rules', 'cfg', 'has_betalinger'} for the principal's scope on `paa`."""
    ds = data.scoped_dataset(principal)
    return _results(ds.version, principal.key, paa.isoformat(), ds, principal)
