"""Tilsyn page helpers: the cached prefill of an audit's cases and the session keys.

The prefill is computed on the viewer's scoped dataset (for the auditor: exactly the sample), keyed
on the dataset version, the principal's scope, the audit and the reference date.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import tilsyn
from workbench.ui import data
from workbench.ui.cache import afgraenset

AUDIT_KEY = "ts_audit"
CASE_KEY = "ts_sag"


@st.cache_data(show_spinner=False, max_entries=16)
def _prefill(version: str, principal_key: str, audit_id: str, paa: dt.date, ids: tuple[str, ...],
             _principal: access.Principal) -> pl.DataFrame:
    return tilsyn.prefill(data.scoped_dataset(_principal), ids, paa)


def prefill(principal: access.Principal, audit_id: str, paa: dt.date, ids: tuple[str, ...]) -> pl.DataFrame:
    """workbench.sider.tilsyn.prefill of the audit's cases (cached per dataset version and scope)."""
    return _prefill(data.dataset_version(), principal.key, audit_id, paa, tuple(sorted(ids)), principal)


def _synlige(ds: Dataset) -> frozenset[str]:
    return frozenset(ds.borgere.select(pl.col("borger_id").cast(pl.String)).collect()["borger_id"].to_list())


# per dataset version and scope: the page asked twice per run (~0,03 s each on the national demo)
_synlige_cache = afgraenset(_synlige, spinner=None, max_entries=8, navn="tilsyn_view.synlige")


def visible_ids(principal: access.Principal) -> frozenset[str]:
    """The borger ids the principal may see (the report hides the others)."""
    return _synlige_cache(principal)
