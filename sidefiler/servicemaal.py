"""Servicemål og klager: sagsbehandlingstid mod servicemålene pr. paragraf, udviklingen pr. kvartal og
klagesagsstatistikken med omgørelsesprocent (workbench/sider/servicemaal.py via
workbench/ui/servicemaal_cache.py; samme view som kommandoen `servicemaal` og statusrapporten)."""

import streamlit as st

from workbench.format.export import to_csv_bytes
from workbench.regler import access
from workbench.regler.periods import dansk_dato
from workbench.regler.suppression import explanation, for_principal
from workbench.sider import servicemaal as sm
from workbench.ui import auth, data
from workbench.ui import valg
from workbench.ui import servicemaal_cache as sc
from workbench.ui.widgets import vaelg
from workbench.ui.eksport import eksport_knap

principal = auth.require_page("servicemaal")

st.title("Servicemål og klager")
st.caption("Sagsbehandlingstid fra ansøgning til bevilling mod kommunens servicemål pr. paragraf, udviklingen "
           "pr. kvartal og klagesagsstatistik med Ankestyrelsens omgørelsesprocent.")

paa = data.data_date()
c1, c2 = st.columns([1, 1])
aar = vaelg(c1, "År", valg.aar(paa), key="sm_aar")
kvartal = vaelg(c2, "Kvartal", ["Hele året", *sc.kvartal_valg(aar, paa)], key="sm_kvartal")
periode = aar if kvartal == "Hele året" else f"{aar}-{kvartal}"
res = sc.side(principal, periode, paa)
p = res.periode
st.caption(f"Periode {p.label_paa(paa)} ({dansk_dato(p.fra)}–{dansk_dato(p.til)}); ansøgninger bevilget efter "
           f"udtræksdatoen {dansk_dato(paa)} tæller ikke.")
for linje in res.mangler_linjer:
    st.warning(linje, icon=":material/info:")

st.subheader("Sagsbehandlingstid og servicemål pr. paragraf")
vist = res.servicemaal_vist()
if vist is not None:
    if vist.height:
        st.dataframe(vist, hide_index=True, width="stretch")
    else:
        st.info(f"Ingen ansøgninger afgjort i perioden {p.label_paa(paa)}.")
    st.caption(sm.DEFINITION)
    if res.ugyldige:
        st.caption(f"{res.ugyldige} ydelser har en ansøgningsdato efter bevillingsdatoen og er udeladt "
                   "(en datafejl: ansøgningen kan ikke komme efter bevillingen).")

    st.subheader("Udvikling pr. kvartal")
    maal = st.radio("Mål", list(sm.MAAL), format_func=sm.MAAL.get, horizontal=True, key="sm_maal")
    if res.graf_data(maal).height:
        st.altair_chart(sm.trend_chart(res, maal), width="stretch")
    st.dataframe(res.trend_bred(maal), hide_index=True, width="stretch")
    with st.expander("Alle mål pr. kvartal og paragraf"):
        st.dataframe(res.trend_vist(), hide_index=True, width="stretch")
    st.caption(f"Kvartalerne: {', '.join(q.label_paa(paa) for q in res.kvartaler)}. Et kvartal, som udtræksdatoen "
               "skærer over, er markeret 't.o.m.'. '–': ingen afgørelser i kvartalet.")

st.subheader("Klagesagsstatistik")
klager = res.klager_vist()
if klager is not None:
    if klager.height:
        st.dataframe(klager, hide_index=True, width="stretch")
    else:
        st.info(f"Ingen klager modtaget eller afgjort i {p.aar if p.fra.year == p.til.year else p.label()}.")
    st.caption(sm.KLAGE_DEFINITION)

st.caption(explanation(visning=for_principal(principal)))

if access.can(principal, "eksport") and (vist is not None or klager is not None):
    offentlig = st.checkbox("Til offentliggørelse", key="sm_offentlig",
                            help="Eksporten diskretioneres (små tal), uanset din rolle.")
    ud = sc.side(principal, periode, paa, offentlig=offentlig)
    e1, e2 = st.columns(2)
    if ud.servicemaal is not None:
        eksport_knap(e1, "Hent servicemål (CSV)", lambda: to_csv_bytes(ud.servicemaal_vist()),
                     f"servicemaal_{periode}.csv", key="sm_csv", detalje=f"servicemaal {periode}.csv")
    if ud.klager is not None:
        eksport_knap(e2, "Hent klager (CSV)", lambda: to_csv_bytes(ud.klager_vist()),
                     f"klager_{periode}.csv", key="sm_klager_csv", detalje=f"klager {periode}.csv")
