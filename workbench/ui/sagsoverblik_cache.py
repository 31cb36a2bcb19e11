"""Cached computations of the Sagsoverblik page (workbench/sider/sagsoverblik.py over the principal's
scoped data). Keyed on dataset version + principal scope + reference date + days; the page only
formats and renders what these return.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import sagsoverblik as so
from workbench.ui import data


@st.cache_resource(show_spinner="Finder opgaver …", max_entries=16)
def _overblik(version: str, principal_key: str, paa: str, dage: int, _ds: Dataset) -> so.Sagsoverblik:
    return so.sagsoverblik(_ds, dt.date.fromisoformat(paa), dage)


@st.cache_resource(show_spinner=False, max_entries=16)
def _fordeling(version: str, principal_key: str, paa: str, dage: int, _ds: Dataset,
               _res: so.Sagsoverblik) -> pl.DataFrame:
    return so.fordeling(_ds, _res)


def overblik(principal: access.Principal, paa: dt.date, dage: int) -> so.Sagsoverblik:
    """so.sagsoverblik on the principal's scoped data (every borger in the scope)."""
    ds = data.scoped_dataset(principal)
    return _overblik(ds.version, principal.key, paa.isoformat(), dage, ds)


def fordeling(principal: access.Principal, paa: dt.date, dage: int) -> pl.DataFrame:
    """so.fordeling on the principal's scoped data."""
    ds = data.scoped_dataset(principal)
    res = _overblik(ds.version, principal.key, paa.isoformat(), dage, ds)
    return _fordeling(ds.version, principal.key, paa.isoformat(), dage, ds, res)
