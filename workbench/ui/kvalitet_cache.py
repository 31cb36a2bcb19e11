"""Cached results of the Kvalitet page: overlap, quality findings, 8-talskontrol and databrud.

One heavy computation (workbench.sider.kvalitet.beregn) per (dataset version, principal scope, reference
date) into a frozen dataclass of DataFrames, and the page's view over it (sider.kvalitet.side, suppressed
for the principal); the page only lays the view out. Both through the one scoped cache (ui.cache).

prewarm() starts that computation in a background thread after the first page a signed-in
principal with the whole dataset in scope sees (app.py), for the dataset's default reference date: the first visit to Kvalitet
then finds it cached (a visit while it runs waits for the same computation; Streamlit's
cache_resource computes one key once).
"""

from __future__ import annotations

import datetime as dt
import threading

from workbench.data.dataset import Dataset
from workbench.regler import access, suppression
from workbench.sider import kvalitet as view
from workbench.ui import data
from workbench.ui.cache import afgraenset

Resultat = view.KvalitetData  # the cached data (sider.kvalitet.beregn)

# The page's numbers (sider.kvalitet.KvalitetData) for the principal's scope on a date: results(principal, paa).
# The cached scoped dataset carries the rows rejected at load too (ui.data): nothing is re-read.
@afgraenset(spinner="Beregner overlap og datakvalitet …", max_entries=8, med_principal=True, navn="kvalitet.beregn")
def results(ds: Dataset, principal: access.Principal, paa: dt.date) -> view.KvalitetData:
    """view.beregn on the principal's scoped data; for a principal who sees every row of the version with
    real borger ids, on the udtraeksdato, read from the version's precomputation when it matches
    (workbench.sider.forudberegning)."""
    if access.individual_access(principal) and data.hele_versionen(principal):
        from workbench.sider import forudberegning

        forud = forudberegning.kvalitet(ds, paa)
        if forud is not None:
            return forud
    return view.beregn(ds, paa)


@afgraenset(spinner=None, max_entries=16, med_principal=True)
def _side(ds: Dataset, principal: access.Principal, paa: dt.date, visning: suppression.Visning) -> view.KvalitetSide:
    return view.side(results.med(ds, principal, paa), visning)


def side(principal: access.Principal, paa: dt.date) -> view.KvalitetSide:
    """The Kvalitet page's view (sider.kvalitet.side) of results(principal, paa), suppressed as the
    principal may see it (exact for roles with the borger list). Its tables are built once per view."""
    return _side(principal, paa, suppression.for_principal(principal))


def hele_datasaettet(principal: access.Principal) -> bool:
    """A principal with the Kvalitet page who sees the whole dataset (scope 'alle', no kommuner): the
    scopes whose results prewarm computes in the background, so other pages (Sagsoverblik) may read
    them rather than compute the findings themselves."""
    return access.page_allowed(principal, "kvalitet") and access.hele_datasaettet(principal)


PREWARM_DELAY_S = 2.0  # let the browser draw the page that started it first (same two cores)


def prewarm(principal: access.Principal) -> threading.Thread | None:
    """Compute results(principal, data_date()) in a background thread (data.background: once per
    dataset version, principal scope and reference date, and process; None when already started
    or switched off). The same cached function and key as the page: the numbers are the page's.

    Only for a principal who sees the whole dataset (scope 'alle', no kommuner): that is where the
    computation is heavy (about 5 s CPU at national scale), and there are few such scopes, so the
    background work stays bounded; a narrower scope is computed on its first visit, on its much
    smaller data."""
    if not hele_datasaettet(principal):
        return None
    return data.after_first_page(principal, "kvalitet-forvarmning", PREWARM_DELAY_S,
                                 lambda ds, paa: results.med(ds, principal, paa))
