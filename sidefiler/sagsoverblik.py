"""Sagsoverblik: what myndighed must do next (workbench/sider/sagsoverblik.py via
workbench/ui/sagsoverblik_cache.py). A sagsbehandler sees the tasks on her own borgere (the row scope
of config/roles.yaml); a leader also sees the distribution per sagsbehandler and team."""

from __future__ import annotations

import streamlit as st

from workbench.format.export import to_csv_bytes
from workbench.lager import accesslog
from workbench.regler import access
from workbench.regler.periods import dansk_dato
from workbench.sider import sagsoverblik as so
from workbench.ui import auth, data
from workbench.ui import sagsoverblik_cache as sc
from workbench.ui.widgets import paa_fra_adresse
from workbench.ui.audit import log_action
from workbench.ui.widgets import vaelg
from workbench.format.dansk import DATO_INPUT
from workbench.ui.widgets import borger_link_kolonne
from workbench.ui.eksport import eksport_knap

principal = auth.require_page("sagsoverblik")
may_export = access.can(principal, "eksport")
rolle = access.role(principal.rolle)
leder = rolle is not None and rolle.scope != "sagsbehandler"

st.title("Sagsoverblik")
st.caption("Hvad skal jeg gøre næste gang? Opfølgninger, VUM, bevillinger og fejl på borgerne, sorteret efter frist.")

seneste = data.data_date()
paa_default = paa_fra_adresse()
c_paa, c_dage, c_hvem = st.columns([1, 1, 2])
paa = c_paa.date_input("Referencedato", value=paa_default, format=DATO_INPUT, key="sagsoverblik_paa",
                       help=f"Opgaverne gælder denne dato. Standard er datasættets udtræksdato ({dansk_dato(seneste)}).")
dage = int(c_dage.number_input("Forfalder inden for (dage)", min_value=1, max_value=365, value=so.DAGE, step=1,
                               key="sagsoverblik_dage"))
res = sc.overblik(principal, paa, dage)
hvem = None
if leder:
    valg = vaelg(c_hvem, "Sagsbehandler", ["Alle", *so.visning(res).sagsbehandlere], key="sagsoverblik_hvem")
    hvem = None if valg == "Alle" else valg
v = so.visning(res, hvem)

m1, m2, m3 = st.columns(3)
m1.metric("Opgaver", v.antal)
m2.metric("Overskredne", v.overskredne, help="Opgaver med en frist før referencedatoen.")
m3.metric("Borgere", len(v.borgere))

st.subheader("Opgaver")
if v.antal == 0:
    st.info(f"Ingen opgaver den {dansk_dato(paa)}.")
else:
    st.dataframe(v.tabel, hide_index=True, width="stretch",
                 column_config={"Borger": borger_link_kolonne()})
    log_action(accesslog.VIS_LISTE, list(v.borgere), f"sagsoverblik {paa.isoformat()}")
    if may_export:
        eksport_knap(st, "Hent CSV", to_csv_bytes(v.opgaver), f"sagsoverblik_{paa.isoformat()}.csv",
                     key="sagsoverblik_csv", borger_ids=list(v.borgere), detalje=f"sagsoverblik {paa.isoformat()}.csv")

if leder:
    st.subheader("Fordeling pr. sagsbehandler")
    ford = sc.fordeling(principal, paa, dage)
    st.dataframe(ford.rename({"sagsbehandler": "Sagsbehandler", "team": "Team", "aktive_sager": "Aktive sager",
                              "opgaver": "Opgaver", "overskredne": "Overskredne"}),
                 hide_index=True, width="stretch")
