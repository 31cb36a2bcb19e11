"""Adgangslog (admin): filter the access log, and the per-borger report for an indsigtsanmodning."""

import datetime as dt

import polars as pl
import streamlit as st

from workbench.lager import accesslog
from workbench.format import export
from workbench.format.output import map_values
from workbench.ui import auth
from workbench.ui.audit import log_action
from workbench.ui.widgets import vaelg
from workbench.format.dansk import DATO_INPUT, DATO_TID

HANDLINGER = {
    accesslog.VIS_BORGER: "Vist borger", accesslog.SOEG: "Søgning", accesslog.EKSPORT: "Eksport",
    accesslog.VIS_CPR: "Vist fuldt CPR", accesslog.STIKPROEVE: "Stikprøve", accesslog.LOGIN: "Log ind",
    accesslog.LOGIN_FEJL: "Fejlet log ind", accesslog.LOGIN_SPAERRET: "Log ind spærret", accesslog.LOGOUT: "Log ud",
    accesslog.ADGANG_NAEGTET: "Adgang nægtet", accesslog.BRUGER_AENDRET: "Bruger ændret",
    accesslog.TILDEL_TILSYN: "Tildelt tilsyn", accesslog.PURGE: "Sletning efter opbevaringsperiode",
    accesslog.UDTRAEK: "Udtræk af adgangslog", accesslog.VIS_LISTE: "Vist liste over borgere",
    accesslog.LOGIN_BEGRAENSET: "Log ind begrænset (for mange forsøg fra klienten)",
}
KILDER = {"app": "App", "cli": "Kommandolinje"}
TZ = "Europe/Copenhagen"


def vis(df: pl.DataFrame) -> pl.DataFrame:
    """Log entries for the screen: Danish headers and labels, Danish time dd-mm-åååå tt:mm:ss."""
    tid = pl.col("tidspunkt")
    if df.schema.get("tidspunkt") == pl.String:
        tid = tid.str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC")
    return df.select(
        tid.dt.convert_time_zone(TZ).dt.strftime(DATO_TID + ":%S").alias("Tidspunkt (dansk tid)"),
        pl.col("bruger").alias("Bruger"),
        pl.lit(map_values(df["rolle"], auth.access.role_title)).alias("Rolle"),
        pl.col("handling").replace_strict(HANDLINGER, default=pl.col("handling")).alias("Handling"),
        pl.col("borger_ids").str.replace_all(",", ", ").alias("Borger-id'er"),
        pl.col("detalje").alias("Detalje"),
        pl.col("kilde").replace_strict(KILDER, default=pl.col("kilde")).alias("Kilde"),
    )


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
    handling = vaelg(c4, "Handling", ["(alle)", accesslog.VIS_BORGER, accesslog.SOEG, accesslog.EKSPORT,
                                         accesslog.VIS_CPR, accesslog.STIKPROEVE, accesslog.LOGIN,
                                         accesslog.LOGIN_FEJL, accesslog.LOGIN_SPAERRET, accesslog.LOGOUT,
                                         accesslog.ADGANG_NAEGTET, accesslog.BRUGER_AENDRET,
                                         accesslog.TILDEL_TILSYN, accesslog.PURGE, accesslog.UDTRAEK],
                              key="al_handling", format_func=lambda h: HANDLINGER.get(h, h))
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
        st.dataframe(vis(report.rename({"tidspunkt_utc": "tidspunkt", "borger_id": "borger_ids"})), hide_index=True,
                     width="stretch")
        c1, c2 = st.columns(2)
        if c1.download_button("Hent CSV", export.to_csv_bytes(report, keep_numbers=False), file_name=f"adgangslog_{bid}.csv",
                              mime="text/csv", key="al_csv"):
            log_action(accesslog.UDTRAEK, [bid], "CSV")
        if c2.download_button("Hent Excel", accesslog.to_excel_bytes(report), file_name=f"adgangslog_{bid}.xlsx",
                              mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              key="al_xlsx"):
            log_action(accesslog.UDTRAEK, [bid], "Excel")
