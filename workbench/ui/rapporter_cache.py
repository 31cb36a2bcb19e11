"""Cached statusrapporter of the Rapporter page (workbench.sider.rapport.build and its HTML), through the
one scoped cache (ui.cache): keyed on the dataset version, the principal's scope, the choices, the
udtraeksdato and the stored tilsyn's token; and the PDF of a report's HTML."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import rapport
from workbench.ui import data
from workbench.ui.cache import afgraenset


@afgraenset(spinner="Danner rapporten …", max_entries=8, med_principal=True)
def _rapport(ds: Dataset, principal: access.Principal, niveau: str, periode: str, kommune: str | None,
             paa: dt.date, udtraek: dt.date, tilsyn: str) -> tuple[rapport.Rapport, str]:
    from data_model import db

    fund = None
    if kommune is None and "kvalitet" in rapport.load_rapport_config().niveauer[niveau][1] \
            and access.page_allowed(principal, "kvalitet"):
        # the Kvalitet page's findings and overlap pairs for the same scope and date (often computed
        # already in the background): the report's kvalitet section reads them instead of recomputing
        from workbench.ui import kvalitet_cache

        res = kvalitet_cache.results.med(ds, principal, paa)
        fund = (res.findings, res.pairs)
    forud = None
    if kommune is None and data.hele_versionen(principal):
        # the whole version's sections for this period, precomputed at import when they match (else live)
        from workbench.sider import forudberegning

        forud = forudberegning.rapport_sektioner(ds, periode, paa)
    r = rapport.build(ds, niveau, periode, paa, kommune, udtraek=udtraek,
                      engine=db.get_engine(db.database_url(data.data_path())), kvalitet_fund=fund, forud=forud)
    return r, rapport.render_html(r)


def rapport_html(principal: access.Principal, niveau: str, periode: str, kommune: str | None,
                 paa: dt.date) -> tuple[rapport.Rapport, str]:
    from data_model import db

    # the stored tilsyn are live state: their token is part of the key (issue 21: no stale report)
    token = rapport.tilsyn_token(db.get_engine(db.database_url(data.data_path()))) \
        if "tilsyn" in rapport.load_rapport_config().niveauer[niveau][1] else ""
    return _rapport(principal, niveau, periode, kommune, paa, data.data_date(), token)


@st.cache_data(show_spinner="Laver PDF …", max_entries=8)
def pdf(html: str) -> bytes:
    from workbench.format import udskrift

    return udskrift.to_pdf(html)

