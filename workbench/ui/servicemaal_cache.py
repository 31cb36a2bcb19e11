"""Cached numbers of the Servicemål og klager page (workbench/sider/servicemaal.py over the principal's
scoped data), through the one scoped cache (ui.cache): keyed on dataset version + principal scope +
period + reference date + suppression; the principal's suppression
(workbench.regler.suppression.for_principal / for_export) is decided here, so the page only lays out."""

from __future__ import annotations

import datetime as dt

from workbench.regler import access, suppression
from workbench.regler.periods import parse_periode
from workbench.sider import servicemaal as sm
from workbench.ui.cache import afgraenset

_side = afgraenset(sm.side, spinner="Beregner servicemål …", max_entries=16)


def side(principal: access.Principal, periode: str, paa: dt.date, offentlig: bool = False) -> sm.ServicemaalSide:
    """sm.side on the principal's scoped data, suppressed as the principal may see it (on screen), or
    always suppressed for an export marked til offentliggørelse (suppression.for_export)."""
    return _side(principal, parse_periode(periode), paa, suppression.for_export(principal, offentlig))


def kvartal_valg(aar: str | int, paa: dt.date) -> list[str]:
    """Quarter choices ('K1'..'K4') of a year for the period picker: none starting after the reference date."""
    aar = int(aar)
    return [f"K{q}" for q in range(1, 5) if dt.date(aar, 3 * q - 2, 1) <= paa]
