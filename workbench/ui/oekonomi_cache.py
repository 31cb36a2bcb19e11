"""Cached numbers of the Økonomi page (the frozen view workbench.sider.oekonomi.side), through the one
scoped cache (ui.cache): keyed on the dataset version, the principal's scope and the choices."""

from __future__ import annotations

import datetime as dt

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.regler.periods import Periode, parse_periode
from workbench.sider import oekonomi, rapport
from workbench.ui import valg
from workbench.ui.cache import afgraenset


@afgraenset(spinner="Beregner økonomi …", max_entries=16)
def _side(ds: Dataset, periode: Periode, paa: dt.date, kommune: str | None) -> oekonomi.OekonomiSide:
    # the budget limit from config/rapporter.yaml, read on a miss only (as the report reads it)
    return oekonomi.side(ds, periode, paa, kommune, rapport.load_rapport_config().budget_graense_pct)


def side(principal: access.Principal, periode: str, kommune: str | None, paa: dt.date) -> oekonomi.OekonomiSide:
    return _side(principal, parse_periode(periode), paa, kommune)


def standard_aar(paa: dt.date) -> str:
    """The page's default year: the first of valg.aar (the reference date's year)."""
    return valg.aar(paa)[0]


def varm_standardvisning(ds: Dataset, principal: access.Principal, paa: dt.date) -> None:
    """The page's first view into the cache (workbench.ui.forvarmning): the whole default year for
    all handlekommuner on the dataset's udtraeksdato `paa`, the same key as the page's."""
    _side.med(ds, principal, parse_periode(standard_aar(paa)), paa, None)
