"""Cached computations of the Overblik page: the view workbench/sider/overblik.py over the principal's
scoped data, suppressed for the principal (workbench.regler.suppression.for_principal).

One computation per (dataset version, principal scope, period, reference date, kommune filters,
exact or not) into a frozen view (sider.overblik.OverblikSide), through the one scoped cache (ui.cache);
the page only lays it out. For a principal whose scope holds every row of the version
(data.hele_versionen) the default view's counts are read from the version's precomputation when it
matches (workbench.sider.forudberegning.overblik), else counted live by the same functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.regler import access, flis, periods, suppression
from workbench.data import geo
from workbench.data.dataset import Dataset
from workbench.sider import forudberegning
from workbench.sider import overblik as view
from workbench.ui import data
from workbench.ui.cache import afgraenset

@dataclass(frozen=True)
class Valgmuligheder:
    """What the page's pickers offer (cached per dataset version and scope)."""
    first: dt.date | None  # the first ydelse's startdato
    handle: frozenset[str]  # handlekommuner present
    betaling: frozenset[str]  # betalingskommuner present (geo.betalingskommune)


@afgraenset(spinner=None, max_entries=8)
def _options(ds: Dataset) -> Valgmuligheder:
    b = ds.borgere.select("handlekommune", "betalingskommune")
    got = pl.collect_all([
        ds.ydelser.select(pl.col("startdato").min()),
        b.select(pl.col("handlekommune").unique().drop_nulls()),
        b.select(geo.betalingskommune().alias("k").unique().drop_nulls()),
    ])
    return Valgmuligheder(got[0].item(), frozenset(got[1]["handlekommune"].to_list()),
                          frozenset(got[2]["k"].to_list()))


def month_options(principal: access.Principal, paa: dt.date, ds: Dataset | None = None) -> list[str]:
    """The months the page offers (sider.overblik.maaneder) for the principal's scope. ds: the principal's
    scoped dataset when already at hand (a background thread), else looked up."""
    return view.maaneder((_options(principal) if ds is None else _options.med(ds, principal)).first, paa)


standard_maaneder = view.standard_maaneder  # the last 12 months offered


def kommune_options(principal: access.Principal, which: str) -> list[str]:
    """Every kommunekode of geo/kommuner.csv; the ones present in the data first (each part by name).
    which: 'handle' or 'betaling'."""
    present = getattr(_options(principal), which)
    k = geo.kommuner().sort("navn")
    codes = k["kommunekode"].to_list()
    extra = sorted(present - set(codes))  # codes outside the geo table still show up
    return [c for c in codes if c in present] + extra + [c for c in codes if c not in present]


def kommune_label(code: str) -> str:
    names = dict(zip(geo.kommuner()["kommunekode"].to_list(), geo.kommuner()["navn"].to_list()))
    return f"{names[code]} ({code})" if code in names else code


@afgraenset(spinner=None, max_entries=8)
def _flis_markerede(ds: Dataset) -> pl.DataFrame:
    """The ydelser FLIS removes (regler.flis.markerede), once per dataset version and scope."""
    return flis.markerede(ds).collect()


def _forud(hele: bool, handle: tuple[str, ...], betaling: tuple[str, ...]) -> bool:
    """Read the version's precomputed counts (forudberegning.overblik_tal/overblik_flis)? Only for a principal
    whose scope is the whole version (data.hele_versionen) and no kommune filter; else counted live."""
    return hele and not handle and not betaling


@afgraenset(spinner="Tæller borgere pr. paragraf …", max_entries=16)
def _side(ds: Dataset, periode: periods.Periode, paa: dt.date, handle: tuple[str, ...], betaling: tuple[str, ...],
          visning: suppression.Visning, hele: bool = False) -> view.OverblikSide:
    t = forudberegning.overblik_tal(ds, periode, paa) if _forud(hele, handle, betaling) else None
    return view.side_af(t if t is not None else view.tal(ds, periode, paa, handle, betaling), periode, visning)


@afgraenset(spinner=None, max_entries=16, med_principal=True)
def _flis(ds: Dataset, principal: access.Principal, til: dt.date, paa: dt.date, handle: tuple[str, ...],
          betaling: tuple[str, ...], visning: suppression.Visning, hele: bool = False) -> view.FlisSide:
    t = forudberegning.overblik_flis(ds, til, paa) if _forud(hele, handle, betaling) else None
    if t is None:
        t = view.flis_tal(ds, til, paa, handle, betaling, _flis_markerede.med(ds, principal).lazy())
    return view.flis_side_af(t, til, visning)


def flis_results(principal: access.Principal, til: dt.date, paa: dt.date, handle: list[str],
                 betaling: list[str], ds: Dataset | None = None) -> view.FlisSide:
    """The FLIS-corrected cards for the month `til` (sider.overblik.flis_side), suppressed for the
    principal; apart from `results` so the page's main numbers are drawn before this runs."""
    args = (til, paa, tuple(sorted(handle)), tuple(sorted(betaling)), suppression.for_principal(principal),
            data.hele_versionen(principal))
    return _flis(principal, *args) if ds is None else _flis.med(ds, principal, *args)


def results(principal: access.Principal, fra: dt.date, til: dt.date, paa: dt.date,
            handle: list[str], betaling: list[str], ds: Dataset | None = None) -> view.OverblikSide:
    """The Overblik view (sider.overblik.side) for the principal's scope, suppressed as the principal
    may see it (exact for roles with the borger list). ds: the principal's scoped dataset when already
    at hand (a background thread), else looked up. For a principal whose scope is the whole version
    the default view is read from the version's precomputation when it matches (forudberegning)."""
    args = (periods.periode_fra_til(fra, periods.month_end(til)), paa, tuple(sorted(handle)),
            tuple(sorted(betaling)), suppression.for_principal(principal), data.hele_versionen(principal))
    return _side(principal, *args) if ds is None else _side.med(ds, principal, *args)


def varm_standardvisning(ds: Dataset, principal: access.Principal, paa: dt.date) -> None:
    """The page's first view into the cache (workbench.ui.forvarmning): the default period
    (standard_maaneder) for all kommuner on `paa`, the same calls and keys as the page's."""
    fra, til = (periods.parse_month(m) for m in standard_maaneder(month_options(principal, paa, ds)))
    results(principal, fra, til, paa, [], [], ds=ds)
    flis_results(principal, til, paa, [], [], ds=ds)


def export_visning(principal: access.Principal, offentlig: bool) -> suppression.Visning:
    """The export's suppression (suppression.for_export): always suppressed til offentliggørelse."""
    return suppression.for_export(principal, offentlig)
