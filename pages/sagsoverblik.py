"""Sagsoverblik: what myndighed must do next (workbench/sider/sagsoverblik.py via
workbench/ui/sagsoverblik_cache.py). A sagsbehandler sees the tasks on her own borgere (the row scope
of config/roles.yaml); a leader also sees the distribution per sagsbehandler and team."""

from __future__ import annotations

import polars as pl
import streamlit as st

from workbench.format.export import to_csv_bytes
from workbench.lager import accesslog
from workbench.regler import access
from workbench.regler.periods import dansk_dato, parse_date
from workbench.sider import sagsoverblik as so
from workbench.ui import auth, data
from workbench.ui import sagsoverblik_cache as sc
from workbench.ui.audit import log_action

principal = auth.require_page("sagsoverblik")
may_export = access.can(principal, "eksport")
rolle = access.role(principal.rolle)
leder = rolle is not None and rolle.scope != "sagsbehandler"

st.title("Sagsoverblik")
st.caption("Hvad skal jeg gøre næste gang? Opfølgninger, VUM, bevillinger og fejl på borgerne, sorteret efter frist.")

seneste = data.data_date()
raw_paa = st.query_params.get("paa")
try:
    paa_default = parse_date(raw_paa) if raw_paa else seneste
except ValueError:
    st.warning(f"Ugyldig dato i adressen: {raw_paa}; viser {dansk_dato(seneste)}.")
    paa_default = seneste
c_paa, c_dage, c_hvem = st.columns([1, 1, 2])
paa = c_paa.date_input("Referencedato", value=paa_default, format="DD-MM-YYYY", key="sagsoverblik_paa",
                       help=f"Opgaverne gælder denne dato. Standard er datasættets udtræksdato ({dansk_dato(seneste)}).")
dage = int(c_dage.number_input("Forfalder inden for (dage)", min_value=1, max_value=365, value=so.DAGE, step=1,
                               key="sagsoverblik_dage"))
res = sc.overblik(principal, paa, dage)
opgaver = res.opgaver

if leder:
    valg = ["Alle"] + sorted({str(s) for s in opgaver["sagsbehandler"].drop_nulls().to_list()})
    hvem = c_hvem.selectbox("Sagsbehandler", valg, key="sagsoverblik_hvem")
    if hvem != "Alle":
        opgaver = opgaver.filter(pl.col("sagsbehandler") == hvem)

overskredne = opgaver.filter(pl.col("frist") < paa).height
m1, m2, m3 = st.columns(3)
m1.metric("Opgaver", opgaver.height)
m2.metric("Overskredne", overskredne, help="Opgaver med en frist før referencedatoen.")
m3.metric("Borgere", opgaver["borger_id"].n_unique())

st.subheader("Opgaver")
if opgaver.height == 0:
    st.info(f"Ingen opgaver den {dansk_dato(paa)}.")
else:
    titel = pl.col("opgave").replace(so.OPGAVE_TITLER)
    titel = pl.when(pl.col("opgave").str.starts_with("fund_")).then(
        pl.concat_str(pl.lit("Fejl: "), pl.col("opgave").str.strip_prefix("fund_").str.replace_all("_", " "))
    ).otherwise(titel)
    vis = opgaver.select(
        pl.col("frist").dt.strftime("%d-%m-%Y").fill_null("–").alias("Frist"),
        titel.alias("Opgave"),
        pl.format("borger?borger={}", "borger_id").alias("Borger"),
        pl.col("noegle").fill_null("").alias("Nøgle"),
        pl.col("sagsbehandler").fill_null("–").alias("Sagsbehandler"),
        pl.col("team").fill_null("–").alias("Team"),
        pl.col("beskrivelse").fill_null("").alias("Beskrivelse"),
    )
    st.dataframe(vis, hide_index=True, width="stretch",
                 column_config={"Borger": st.column_config.LinkColumn("Borger", display_text=r"borger\?borger=(.*)")})
    ids = opgaver["borger_id"].unique().sort().to_list()
    log_action(accesslog.VIS_LISTE, ids, f"sagsoverblik {paa.isoformat()}")
    if may_export and st.download_button("Hent CSV", to_csv_bytes(opgaver), file_name=f"sagsoverblik_{paa.isoformat()}.csv",
                                         mime="text/csv", key="sagsoverblik_csv", icon=":material/download:"):
        log_action(accesslog.EKSPORT, ids, f"sagsoverblik {paa.isoformat()}.csv")

if leder:
    st.subheader("Fordeling pr. sagsbehandler")
    ford = sc.fordeling(principal, paa, dage)
    st.dataframe(ford.rename({"sagsbehandler": "Sagsbehandler", "team": "Team", "aktive_sager": "Aktive sager",
                              "opgaver": "Opgaver", "overskredne": "Overskredne"}),
                 hide_index=True, width="stretch")
