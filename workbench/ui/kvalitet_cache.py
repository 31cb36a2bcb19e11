"""Cached results of the Kvalitet page: overlap, quality findings, 8-talskontrol and databrud.

One heavy computation (workbench.sider.kvalitet.beregn) per (dataset version, principal scope, reference
date) into a frozen dataclass of DataFrames, and the page's view over it (sider.kvalitet.side, suppressed
for the principal); the page only lays the view out.

prewarm() starts that computation in a background thread after the first page a signed-in
principal with the whole dataset in scope sees (app.py), for the dataset's default reference date: the first visit to Kvalitet
then finds it cached (a visit while it runs waits for the same computation; Streamlit's
cache_resource computes one key once).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import streamlit as st

from workbench.data.dataset import Dataset
from workbench.regler import access, suppression
from workbench.sider import kvalitet as view
from workbench.ui import data

Resultat = view.KvalitetData  # the cached data (sider.kvalitet.beregn)


@st.cache_resource(show_spinner="Beregner overlap og datakvalitet …", max_entries=8)
def _results(version: str, principal_key: str, paa_iso: str, _ds: Dataset, _principal: access.Principal) -> Resultat:
    # The cached scoped dataset carries the rows rejected at load too (ui.data): nothing is re-read.
    return view.beregn(_ds, dt.date.fromisoformat(paa_iso))


def results(principal: access.Principal, paa: dt.date) -> Resultat:
    """The Kvalitet page's numbers (sider.kvalitet.KvalitetData) for the principal's scope on `paa`."""
    ds = data.scoped_dataset(principal)
    return _results(ds.version, principal.key, paa.isoformat(), ds, principal)


@st.cache_resource(show_spinner=False, max_entries=16)
def _side(version: str, principal_key: str, paa_iso: str, eksakt: bool, _ds: Dataset,
          _principal: access.Principal) -> view.KvalitetSide:
    visning = suppression.exact() if eksakt else suppression.suppressed()
    return view.side(_results(version, principal_key, paa_iso, _ds, _principal), visning)


def side(principal: access.Principal, paa: dt.date) -> view.KvalitetSide:
    """The Kvalitet page's view (sider.kvalitet.side) of results(principal, paa), suppressed as the
    principal may see it (exact for roles with the borger list). Its tables are built once per view."""
    ds = data.scoped_dataset(principal)
    return _side(ds.version, principal.key, paa.isoformat(), suppression.for_principal(principal).eksakt, ds,
                 principal)


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
