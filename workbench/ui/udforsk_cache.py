"""Cached computations of the Udforsk page: the funktionsevne distribution of the filtered population.

Keyed on (dataset version, principal scope, filters): a rerun that only changes the crosstab's rows,
columns or measure no longer recomputes the distribution (0.5 s of a 2 s rerun on the national demo).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from workbench import access
from workbench import udforsk
from workbench.dataset import Dataset
from workbench.filters import Filters
from workbench.ui import data


@st.cache_resource(show_spinner=False, max_entries=32)
def _fordeling(version: str, principal_key: str, filters_key: str, _ds: Dataset, _f: Filters) -> pl.DataFrame:
    return udforsk.funktionsevne_fordeling(_ds, _f).collect()


def funktionsevne_fordeling(principal: access.Principal, f: Filters) -> pl.DataFrame:
    """udforsk.funktionsevne_fordeling(scoped dataset, f), collected once per version/scope/filters."""
    ds = data.scoped_dataset(principal)
    return _fordeling(ds.version, principal.key, repr(f), ds, f)
