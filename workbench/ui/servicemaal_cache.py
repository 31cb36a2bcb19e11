"""Cached numbers of the Servicemål og klager page (workbench/sider/servicemaal.py over the principal's
scoped data). Keyed on dataset version + principal scope + period + reference date; the principal's
suppression (workbench.regler.suppression.for_principal) is decided here, so the page only lays out."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from workbench.data.dataset import Dataset
from workbench.regler import access, suppression
from workbench.regler.periods import parse_periode
from workbench.sider import servicemaal as sm
from workbench.ui import data


@st.cache_resource(show_spinner="Beregner servicemål …", max_entries=16)
def _side(version: str, principal_key: str, periode: str, paa: str, eksakt: bool, _ds: Dataset) -> sm.ServicemaalSide:
    visning = suppression.exact() if eksakt else suppression.suppressed()
    return sm.side(_ds, parse_periode(periode), dt.date.fromisoformat(paa), visning)


def side(principal: access.Principal, periode: str, paa: dt.date, offentlig: bool = False) -> sm.ServicemaalSide:
    """sm.side on the principal's scoped data, suppressed as the principal may see it (on screen), or
    always suppressed for an export marked til offentliggørelse (suppression.for_export)."""
    ds = data.scoped_dataset(principal)
    eksakt = suppression.for_export(principal, offentlig).eksakt
    return _side(ds.version, principal.key, periode, paa.isoformat(), eksakt, ds)


def kvartal_valg(aar: str | int, paa: dt.date) -> list[str]:
    """Quarter choices ('K1'..'K4') of a year for the period picker: none starting after the reference date."""
    aar = int(aar)
    return [f"K{q}" for q in range(1, 5) if dt.date(aar, 3 * q - 2, 1) <= paa]
