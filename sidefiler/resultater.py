"""Resultater: progression and målopfyldelse grouped by paragraf, tilbud, tilbudstype, primær målgruppe,
sagsbehandler or team over a period, with the trend per quarter. Numbers from workbench.sider.resultater
via workbench.ui.resultater_cache (the same function as `ffb-workbench resultater`)."""

import altair as alt
import streamlit as st

from workbench.regler import access
from workbench.lager import accesslog
from workbench.sider import resultater
from workbench.data.config import codes as load_codes
from workbench.format.export import standard_meta, to_xlsx_bytes
from workbench.regler.periods import dansk_dato
from workbench.regler import suppression
from workbench.regler.suppression import explanation
from workbench.sider.tilbud import standard_periode
from workbench.ui import auth, data
from workbench.ui import resultater_cache as tc
from workbench.ui.audit import log_action
from workbench.ui.widgets import dansk_tal
from workbench.ui.widgets import vaelg, vaelg_flere
from workbench.format.dansk import DATO_INPUT
from workbench.ui.widgets import borger_link_kolonne
from workbench.ui.eksport import eksport_knap

principal = auth.require_page("resultater")
VIS = suppression.for_principal(principal)  # exact for roles with the borger list (workbench.regler.suppression)
G = VIS.graense
individual = access.can(principal, "borgerliste")

st.title("Resultater")
st.caption("Hvordan går det for borgerne? Udvikling i funktionsevne og målopfyldelse pr. gruppe i en periode.")

codes = load_codes()
seneste = data.data_date()
d_fra, d_til = standard_periode(seneste)
c_pr, c_fra, c_til = st.columns([2, 1, 1])
pr = vaelg(c_pr, "Gruppér efter", list(resultater.GRUPPER), format_func=resultater.GRUPPER.get, key="res_pr")
fra = c_fra.date_input("Fra", value=d_fra, max_value=seneste, format=DATO_INPUT, key="res_fra")
til = c_til.date_input("Til", value=d_til, max_value=seneste, format=DATO_INPUT, key="res_til")
if fra > til:
    st.warning("'Fra' ligger efter 'Til': perioden er vendt om.")
    fra, til = til, fra
aktivitet = codes.aktivitet_undertemaer()
temaer = list(dict.fromkeys(codes.undertema_tema[u] for u in aktivitet))
valg = vaelg_flere(st, "Kun disse temaer/undertemaer (tom: alle under Aktivitet og deltagelse)", temaer + aktivitet,
                      key="res_tema", placeholder="Alle")
ut = tuple(resultater.undertemaer_for(valg)) if valg else ()
res = tc.resultater_for(principal, pr, fra, til, ut)
side = resultater.ResultaterSide(pr, res.tabel, res.trend, VIS)  # every table and chart series below, suppressed
periode = f"{dansk_dato(fra)}–{dansk_dato(til)}"

st.subheader(f"Udvikling i funktionsevne pr. {resultater.GRUPPER[pr].lower()}")
vis = side.vist()
st.dataframe(vis, hide_index=True, width="stretch")
st.caption(f"Borgere med en ydelse i perioden {periode}. Niveau ved periodens start (eller første vurdering efter) "
           "sammenlignet med niveauet ved periodens slutning, på de undertemaer, borgeren har et indsatsmål på, "
           "bedømt efter målets måltype: Udvikle skal forbedres; for Fastholde og Begrænse tab er et uændret niveau "
           "en succes (tæller som forbedret/fastholdt). Pr. borger nettet over undertemaerne. Forbedret % = "
           "forbedret/fastholdt / (forbedret/fastholdt + uændret + forværret). Mål: opfølgningsdato i perioden, målt status og "
           "registreret vurdering. " + explanation(visning=VIS))

chart = side.graf()
if chart.height:
    st.altair_chart(alt.Chart(chart).mark_bar(color="#2e7d32").encode(
        y=alt.Y("Gruppe:N", sort="-x", title=None), x=alt.X("Forbedret:Q", axis=alt.Axis(format="%"),
                                                               title="Andel borgere med forbedret funktionsevne"),
        tooltip=["Gruppe", alt.Tooltip("Forbedret:Q", format=".0%"), alt.Tooltip("Opnået:Q", format=".0%")]),
        width="stretch")

st.subheader("Udvikling pr. kvartal")
trend = side.trend_graf()
if trend.height:
    st.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("Kvartal:N", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Forbedret:Q", axis=alt.Axis(format="%"), title="Andel forbedret i kvartalet"),
        color=alt.Color("Gruppe:N", legend=alt.Legend(orient="bottom")),
        tooltip=["Kvartal", "Gruppe", alt.Tooltip("Forbedret:Q", format=".0%")]), width="stretch")
    st.caption(f"De op til {resultater.TREND_GRUPPER} største grupper; kvartaler med færre end "
               f"{G} borgere i gruppen vises ikke.")
else:
    st.caption("Ingen kvartaler med nok borgere at vise.")

if access.can(principal, "eksport"):
    meta = standard_meta([("Gruppering", resultater.GRUPPER[pr]), ("Periode", periode),
                          ("Temaer", ", ".join(valg) or "alle")], data.dataset_version(),
                         {"Diskretionering": explanation(visning=VIS)})
    eksport_knap(st, "Eksportér til Excel", to_xlsx_bytes({"Resultater": vis}, meta), "resultater.xlsx",
                 key="res_xlsx", detalje=f"resultater pr. {pr} {periode}")

if individual and side.grupper:
    st.subheader("Borgerne bag et tal")
    gruppe = vaelg(st, resultater.GRUPPER[pr], side.grupper, index=None, key="res_gruppe",
                          placeholder="Vælg en gruppe for at se dens borgere")
    if gruppe:
        b = tc.borgere_i_gruppe(principal, pr, gruppe, fra, til, ut)
        log_action(accesslog.VIS_BORGER, b["borger_id"].to_list(), f"resultater {pr}={gruppe} {periode}")
        st.dataframe(resultater.borgere_vist(b), hide_index=True, width="stretch",
                     column_config={"Borger": borger_link_kolonne()})
        st.caption(f"{dansk_tal(b.height)} borgere.")
