"""Cached computations of the Sagsoverblik page (workbench/sider/sagsoverblik.py over the principal's
scoped data), through the one scoped cache (ui.cache): keyed on dataset version + principal scope +
reference date + days; the page only formats and renders what these return.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import sagsoverblik as so
from workbench.ui.cache import afgraenset

@afgraenset(spinner="Finder opgaver …", max_entries=16, med_principal=True)
def overblik(ds: Dataset, principal: access.Principal, paa: dt.date, dage: int = so.DAGE) -> so.Sagsoverblik:
    """so.sagsoverblik on the principal's scoped data (every borger in the scope): overblik(principal, paa,
    dage). For a principal who sees the whole dataset the Kvalitet page's findings on the same scope and
    date are computed in the background (kvalitet_cache.prewarm): the open fejl findings are read from
    there, not computed a second time; on the udtraeksdato with the default days the whole version's list
    is read from its precomputation (workbench.sider.forudberegning) when it matches. A narrower scope (a sagsbehandler landing here) computes only the
    findings, on its small part, not the whole Kvalitet page."""
    from workbench.ui import data, kvalitet_cache

    if access.individual_access(principal) and data.hele_versionen(principal):
        # the whole version's task list, precomputed at import when it matches (else live below)
        from workbench.sider import forudberegning

        forud = forudberegning.sagsoverblik(ds, paa, dage)
        if forud is not None:
            return forud
    fund = None
    if kvalitet_cache.hele_datasaettet(principal):
        fund = kvalitet_cache.results.med(ds, principal, paa).findings.lazy()
    return so.sagsoverblik(ds, paa, dage, fund=fund)


@afgraenset(spinner=None, max_entries=16, med_principal=True)
def _fordeling(ds: Dataset, principal: access.Principal, paa: dt.date, dage: int) -> pl.DataFrame:
    return so.fordeling(ds, overblik.med(ds, principal, paa, dage))


def fordeling(principal: access.Principal, paa: dt.date, dage: int) -> pl.DataFrame:
    """so.fordeling on the principal's scoped data."""
    return _fordeling(principal, paa, dage)
