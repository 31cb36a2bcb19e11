"""Adgangslog (admin): filter the access log, and the per-borger report for an indsigtsanmodning."""

import datetime as dt

import streamlit as st

from workbench.lager import accesslog
from workbench.sider.adgangslog import FILTER_HANDLINGER, handling_tekst, vis, vis_borger_rapport
from workbench.format import export
from workbench.ui import auth
from workbench.ui.audit import log_action
from workbench.ui.widgets import vaelg
from workbench.ui.eksport import eksport_knap
from workbench.format.dansk import DATO_INPUT

principal = auth.require_page("adgangslog")
if not auth.access.can(principal, "adgangslog"):
    st.error("Du har ikke adgang til adgangsloggen.")
    st.stop()
eng = auth.engine()

st.title("Adgangslog")
_kaede = accesslog.verify(eng)
if not _kaede.ok:
    st.error(f"**{_kaede.linje()}** Loggen er ændret uden om appen; kontakt den dataansvarlige.",
             icon=":material/gpp_bad:")
st.caption("Hvem har set hvad og hvornår. Loggen kan ikke ændres eller slettes fra appen; poster ældre end "
           f"opbevaringsperioden ({auth.access.security().adgangslog_opbevaring_aar} år) slettes kun med "
           "kommandoen `ffb-workbench adgangslog purge`. Tider vises i dansk tid (udtræk til CSV/Excel er i UTC).")

tab_log, tab_borger = st.tabs(["Log", "Hvem har set mine data"])

with tab_log:
    c1, c2, c3, c4 = st.columns(4)
    today = dt.date.today()
    fra = c1.date_input("Fra", value=today - dt.timedelta(days=30), key="al_fra", format=DATO_INPUT)
    til = c2.date_input("Til", value=today, key="al_til", format=DATO_INPUT)
    bruger = c3.text_input("Bruger", key="al_bruger").strip().lower() or None
    handling = vaelg(c4, "Handling", ["(alle)", *FILTER_HANDLINGER], key="al_handling", format_func=handling_tekst)
    borger = st.text_input("Borger-id", key="al_borger").strip() or None
    df = accesslog.entries(eng, fra=fra, til=til, bruger=bruger,
                           handling=None if handling == "(alle)" else handling, borger_id=borger, limit=5000)
    st.caption(f"{df.height} poster (højst 5000 vises)")
    st.dataframe(vis(df), hide_index=True, width="stretch")

with tab_borger:
    st.write("Udtræk til en indsigtsanmodning: alle logposter, der nævner borgeren.")
    bid = st.text_input("Borger-id", key="al_rapport_borger").strip()
    if bid:
        report = accesslog.borger_report(eng, bid)
        log_action(accesslog.UDTRAEK, [bid], "vist")
        st.caption(f"{report.height} poster for borger {bid}")
        st.dataframe(vis_borger_rapport(report), hide_index=True, width="stretch")
        c1, c2 = st.columns(2)
        eksport_knap(c1, "Hent CSV", export.to_csv_bytes(report, keep_numbers=False), f"adgangslog_{bid}.csv",
                     key="al_csv", handling=accesslog.UDTRAEK, borger_ids=[bid], detalje="CSV")
        eksport_knap(c2, "Hent Excel", accesslog.to_excel_bytes(report), f"adgangslog_{bid}.xlsx",
                     key="al_xlsx", handling=accesslog.UDTRAEK, borger_ids=[bid], detalje="Excel")
