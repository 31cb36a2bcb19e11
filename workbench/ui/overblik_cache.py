"""Cached computations of the Overblik page: the view workbench/sider/overblik.py over the principal's
scoped data, suppressed for the principal (workbench.regler.suppression.for_principal).

One computation per (dataset version, principal scope, period, reference date, kommune filters,
exact or not) into a frozen view (sider.overblik.OverblikSide), through the one scoped cache (ui.cache);
the page only lays it out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.regler import access, flis, optaelling, periods, suppression
from workbench.data import geo
from workbench.data.dataset import Dataset
from workbench.sider import overblik as view
from workbench.ui.cache import afgraenset

MAX_YEARS_BACK = 15  # month options reach at most this far back from the reference date


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
    """'YYYY-MM' from the first ydelse (at most MAX_YEARS_BACK years back) to the month of `paa`
    (optaelling.last_month): a month after the reference date is never offered. ds: the principal's
    scoped dataset when already at hand (a background thread), else looked up."""
    first = (_options(principal) if ds is None else _options.med(ds, principal)).first
    last = optaelling.last_month(paa)
    floor = periods.add_months(last, -12 * MAX_YEARS_BACK)
    start = max(periods.month_start(first), floor) if first else periods.add_months(last, -11)
    start = min(start, last)
    return [m.strftime(periods.MONTH_FMT) for m in periods.months(start, last)]


def standard_maaneder(maaneder: list[str]) -> tuple[str, str]:
    """The page's default period of `month_options`: (fra, til) = the last 12 months offered."""
    return maaneder[max(0, len(maaneder) - 12)], maaneder[-1]


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


_side = afgraenset(view.side, spinner="Tæller borgere pr. paragraf …", max_entries=16)


@afgraenset(spinner=None, max_entries=16, med_principal=True)
def _flis(ds: Dataset, principal: access.Principal, til: dt.date, paa: dt.date, handle: tuple[str, ...],
          betaling: tuple[str, ...], visning: suppression.Visning) -> view.FlisSide:
    marked = _flis_markerede.med(ds, principal).lazy()
    return view.flis_side(ds, til, paa, handle, betaling, marked, visning)


def flis_results(principal: access.Principal, til: dt.date, paa: dt.date, handle: list[str],
                 betaling: list[str], ds: Dataset | None = None) -> view.FlisSide:
    """The FLIS-corrected cards for the month `til` (sider.overblik.flis_side), suppressed for the
    principal; apart from `results` so the page's main numbers are drawn before this runs."""
    args = (til, paa, tuple(sorted(handle)), tuple(sorted(betaling)), suppression.for_principal(principal))
    return _flis(principal, *args) if ds is None else _flis.med(ds, principal, *args)


def results(principal: access.Principal, fra: dt.date, til: dt.date, paa: dt.date,
            handle: list[str], betaling: list[str], ds: Dataset | None = None) -> view.OverblikSide:
    """The Overblik view (sider.overblik.side) for the principal's scope, suppressed as the principal
    may see it (exact for roles with the borger list). ds: the principal's scoped dataset when already
    at hand (a background thread), else looked up."""
    args = (periods.periode_fra_til(fra, periods.month_end(til)), paa, tuple(sorted(handle)),
            tuple(sorted(betaling)), suppression.for_principal(principal))
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
