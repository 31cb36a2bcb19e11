"""Cached computations of the Udforsk page: the crosstab and the funktionsevne distribution of the
filtered population, through the one scoped cache (ui.cache).

Keyed on (dataset version, principal scope, filters[, view]): a rerun that only changes the
crosstab's rows, columns or measure no longer recomputes the distribution (0.5 s of a 2 s rerun on
the national demo), and a rerun that changes nothing the crosstab depends on (a page switch and
back, the borger-list widgets, an export click) no longer recomputes the crosstab. A new dataset
version is a new key: old numbers are never shown for new data.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.regler.filters import Filters, StatusKilde, borger_status, status_filters
from workbench.sider import udforsk
from workbench.ui.cache import afgraenset


@afgraenset(spinner=None, max_entries=8)
def _niveauer(ds: Dataset, paa: dt.date, vurderet_maaneder: int | None) -> pl.DataFrame:
    # The assessed niveauer depend on the date (and the assessment window) only, not on the
    # population filters: a filter change reuses them (0.6 s CPU of the distribution's 1 s on the
    # national demo).
    return udforsk.fordeling_niveauer(ds, Filters(paa=paa, vurderet_maaneder=vurderet_maaneder)).collect()


@afgraenset(spinner=None, max_entries=8)
def _status(ds: Dataset, sf: Filters, undertema: str | None) -> pl.DataFrame:
    # keyed on filters.status_filters: a filter change (one kommune more) reuses it (most of the
    # crosstab's and the distribution's CPU on the national demo)
    return borger_status(ds, sf, undertema=undertema).collect()


def _status_kilde(ds: Dataset, principal: access.Principal, f: Filters) -> StatusKilde:
    """borger_status(ds, f, undertema) by undertema from the cache above (filters.StatusKilde)."""
    sf = status_filters(f)
    return lambda undertema: _status.med(ds, principal, sf, undertema).lazy()


@afgraenset(spinner=None, max_entries=32, med_principal=True)
def _fordeling(ds: Dataset, principal: access.Principal, f: Filters) -> pl.DataFrame:
    lv = _niveauer.med(ds, principal, f.reference_date(), f.vurderet_maaneder)
    return udforsk.funktionsevne_fordeling(ds, f, niveauer=lv.lazy(), status=_status_kilde(ds, principal, f)).collect()


def funktionsevne_fordeling(principal: access.Principal, f: Filters) -> pl.DataFrame:
    """udforsk.funktionsevne_fordeling(scoped dataset, f), collected once per version/scope/filters."""
    return _fordeling(principal, f)


# udforsk.crosstab(scoped dataset, f, rows, cols, measure, undertema=...), computed once per
# version/scope/filters/view (a ValueError for an unknown dimension or measure is raised, not cached),
# with borger_status from _status. Shared between sessions: callers only read it.
@afgraenset(spinner=None, max_entries=64, med_principal=True, navn="workbench.sider.udforsk.crosstab")
def crosstab(ds: Dataset, principal: access.Principal, f: Filters, rows: str, cols: str | None,
             measure: str = "borgere", undertema: str | None = None) -> udforsk.Crosstab:
    return udforsk.crosstab(ds, f, rows, cols, measure, undertema=undertema, status=_status_kilde(ds, principal, f))

# The page's first view: rows per kommune, no columns, borgere, no undertema (sidefiler/udforsk.py's defaults).
STANDARD_RAEKKER = "kommune"
STANDARD_MAAL = "borgere"


def varm_standardvisning(ds: Dataset, principal: access.Principal, paa: dt.date) -> None:
    """The page's first view into the cache (workbench.ui.forvarmning): the crosstab and the
    funktionsevne distribution for no filters on the dataset's udtraeksdato `paa` (the filter panel's
    defaults), the same calls and keys as the page's."""
    f = Filters(udtraeksdato=paa)
    crosstab.med(ds, principal, f, STANDARD_RAEKKER, None, STANDARD_MAAL, undertema=None)
    _fordeling.med(ds, principal, f)
