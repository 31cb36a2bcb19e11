"""Cached computations of the Tilbud and Resultater pages (workbench/sider/tilbud.py, workbench/sider/resultater.py
over the principal's scoped data). Keyed on dataset version + principal scope + dates; the pages
only format and render what these return.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import streamlit as st

from workbench.regler import access, suppression
from workbench.sider import resultater, tilbud
from workbench.data.dataset import Dataset
from workbench.ui import data


@st.cache_resource(show_spinner=False, max_entries=2)
def _alle_ids(version: str, _ds: Dataset) -> frozenset[str]:
    return frozenset(_ds.tilbud.select("tilbud_id").collect()["tilbud_id"].cast(pl.String).to_list())


def kendte(tilbud_id: str) -> list[str]:
    """[tilbud_id] when it is a tilbud of the dataset (whatever the principal's scope), else []: what the
    access log may keep unmasked as a P-nummer (accesslog `behold`)."""
    ds = data.scoped_dataset(access.ADMIN)
    return [tilbud_id] if tilbud_id in _alle_ids(ds.version, ds) else []


@st.cache_resource(show_spinner=False, max_entries=8)
def _liste(version: str, principal_key: str, paa: str, _ds: Dataset) -> pl.DataFrame:
    return tilbud.liste(_ds, dt.date.fromisoformat(paa)).collect()


def liste(principal: access.Principal, paa: dt.date) -> pl.DataFrame:
    """Every tilbud the principal may see, with borgere on paa (tilbud.liste)."""
    ds = data.scoped_dataset(principal)
    return _liste(ds.version, principal.key, paa.isoformat(), ds)


@st.cache_resource(show_spinner="Sammenligner med tilbud af samme type …", max_entries=16)
def _peers(version: str, tilbudstype: str, paa: str, _ds_alle: Dataset) -> pl.DataFrame:
    """Key figures of every tilbud of a type (whole dataset; only aggregates of it are shown), shared
    by every user and every tilbud of the type."""
    return tilbud.peer_noegletal(_ds_alle, tilbudstype, dt.date.fromisoformat(paa))


@st.cache_resource(show_spinner="Beregner tilbuddets tal …", max_entries=16)
def _rapport(version: str, principal_key: str, tilbud_id: str, paa: str, fra: str, til: str,
             _ds: Dataset) -> tilbud.Rapport:
    p, f, t = (dt.date.fromisoformat(x) for x in (paa, fra, til))
    return tilbud.rapport(_ds, tilbud_id, p, f, t)


def rapport(principal: access.Principal, tilbud_id: str, paa: dt.date, fra: dt.date, til: dt.date) -> tilbud.Rapport:
    """tilbud.rapport on the principal's scoped data, without the peer comparison (`sammenligning`,
    drawn last on the page so the rest shows first). ValueError for a tilbud outside the scope."""
    ds = data.scoped_dataset(principal)
    return _rapport(ds.version, principal.key, tilbud_id, paa.isoformat(), fra.isoformat(), til.isoformat(), ds)


def sammenligning(principal: access.Principal, tilbud_id: str, paa: dt.date) -> tilbud.Sammenligning | None:
    """The peer comparison (aggregates only, computed on the whole dataset) for roles with
    `tilbudstal` and a tilbud in their scope; None otherwise."""
    if not access.can(principal, "tilbudstal"):
        return None
    ds = data.scoped_dataset(principal)
    typ = tilbud.tilbudstype_af(ds, tilbud_id)  # ValueError outside the scope
    ds_alle = data.scoped_dataset(access.ADMIN)
    table = _peers(ds.version, typ, paa.isoformat(), ds_alle)
    # the own figures as the principal may see them (suppressed for a role without the borger list)
    return tilbud.sammenligning_for(tilbud.sammenligning(ds_alle, tilbud_id, paa, peers=table),
                                    suppression.for_principal(principal))


@dataclass(frozen=True)
class Resultater:
    pr: str
    fra: dt.date
    til: dt.date
    undertemaer: tuple[str, ...]
    tabel: pl.DataFrame
    trend: pl.DataFrame


@st.cache_resource(show_spinner="Beregner resultater …", max_entries=16)
def _resultater(version: str, principal_key: str, pr: str, fra: str, til: str, undertemaer: tuple[str, ...],
                _ds: Dataset) -> Resultater:
    f, t = dt.date.fromisoformat(fra), dt.date.fromisoformat(til)
    ut = list(undertemaer) or None
    goals = resultater.maal_status(_ds, pr, f, t).collect().lazy()  # once for the table and the trend
    tabel, trend = pl.collect_all([resultater.resultater(_ds, pr, f, t, ut, goals),
                                   resultater.trend(_ds, pr, f, t, ut, goals)])
    return Resultater(pr, f, t, undertemaer, tabel, trend)


def resultater_for(principal: access.Principal, pr: str, fra: dt.date, til: dt.date,
                   undertemaer: tuple[str, ...] = ()) -> Resultater:
    ds = data.scoped_dataset(principal)
    return _resultater(ds.version, principal.key, pr, fra.isoformat(), til.isoformat(), tuple(undertemaer), ds)


def borgere_i_gruppe(principal: access.Principal, pr: str, gruppe: str, fra: dt.date, til: dt.date,
                     undertemaer: tuple[str, ...] = ()) -> pl.DataFrame:
    ds = data.scoped_dataset(principal)
    return resultater.borgere_i_gruppe(ds, pr, gruppe, fra, til, list(undertemaer) or None).collect()
