"""Cached numbers of the Økonomi and Rapporter pages, keyed on the dataset version, the principal's
scope and the choices (frozen dataclasses from workbench.sider.oekonomi / workbench.sider.rapport)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from workbench.regler import access
from workbench.sider import oekonomi, rapport
from workbench.data.dataset import Dataset
from workbench.ui import data


@st.cache_resource(show_spinner="Beregner økonomi …", max_entries=16)
def _side(version: str, principal_key: str, periode: str, kommune: str | None, paa_iso: str,
          _ds: Dataset) -> oekonomi.OekonomiSide:
    cfg = rapport.load_rapport_config()
    return oekonomi.side(_ds, oekonomi.parse_periode(periode), dt.date.fromisoformat(paa_iso), kommune,
                         cfg.budget_graense_pct)


def side(principal: access.Principal, periode: str, kommune: str | None, paa: dt.date) -> oekonomi.OekonomiSide:
    ds = data.scoped_dataset(principal)
    return _side(ds.version, principal.key, periode, kommune, paa.isoformat(), ds)


@st.cache_resource(show_spinner="Danner rapporten …", max_entries=8)
def _rapport(version: str, principal_key: str, niveau: str, periode: str, kommune: str | None, paa_iso: str,
             udtraek_iso: str, tilsyn: str, _ds: Dataset, _principal: access.Principal) -> tuple[rapport.Rapport, str]:
    from data_model import db

    paa = dt.date.fromisoformat(paa_iso)
    fund = None
    if kommune is None and "kvalitet" in rapport.load_rapport_config().niveauer[niveau][1] \
            and access.page_allowed(_principal, "kvalitet"):
        # the Kvalitet page's findings and overlap pairs for the same scope and date (often computed
        # already in the background): the report's kvalitet section reads them instead of recomputing
        from workbench.ui import kvalitet_cache

        res = kvalitet_cache.results(_principal, paa)
        fund = (res.findings, res.pairs)
    r = rapport.build(_ds, niveau, periode, paa, kommune, udtraek=dt.date.fromisoformat(udtraek_iso),
                      engine=db.get_engine(db.database_url(data.data_path())), kvalitet_fund=fund)
    return r, rapport.render_html(r)


def rapport_html(principal: access.Principal, niveau: str, periode: str, kommune: str | None,
                 paa: dt.date) -> tuple[rapport.Rapport, str]:
    from data_model import db

    ds = data.scoped_dataset(principal)
    # the stored tilsyn are live state: their token is part of the key (issue 21: no stale report)
    token = rapport.tilsyn_token(db.get_engine(db.database_url(data.data_path()))) \
        if "tilsyn" in rapport.load_rapport_config().niveauer[niveau][1] else ""
    return _rapport(ds.version, principal.key, niveau, periode, kommune, paa.isoformat(),
                    data.data_date().isoformat(), token, ds, principal)


@st.cache_data(show_spinner="Laver PDF …", max_entries=8)
def pdf(html: str) -> bytes:
    from workbench.format import udskrift

    return udskrift.to_pdf(html)


@st.cache_data(show_spinner=False, max_entries=8)
def _kommuner(version: str, principal_key: str, _ds: Dataset) -> list[str]:
    return rapport.kommuner_i(_ds)


def kommuner(principal: access.Principal) -> list[str]:
    """The handlekommuner in the principal's part of the data."""
    ds = data.scoped_dataset(principal)
    return _kommuner(ds.version, principal.key, ds)


def aar(paa: dt.date, n: int = 4) -> list[str]:
    """Year choices: the reference date's year and the n-1 before, newest first."""
    return [str(paa.year - i) for i in range(n)]


def kommune_label(code: str | None) -> str:
    if not code:
        return "Alle kommuner"
    from workbench.data.geo import kommune_navne

    return f"{kommune_navne().get(code, code)} ({code})"
