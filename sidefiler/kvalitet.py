"""Kvalitet: potentielle overlappende ydelser (som FLIS' visning), øvrige opmærkninger, 8-talskontrol og databrud.

Every table comes from the view workbench.sider.kvalitet (through workbench.ui.kvalitet_cache, computed
once per scope and reference date and prewarmed), already suppressed for the principal; this file only
lays it out and logs what a role with the borger list is shown.
"""

import datetime as dt

import altair as alt
import streamlit as st

from workbench.regler import access
from workbench.lager import accesslog
from workbench.regler.periods import dansk_dato
from workbench.format.export import to_csv_bytes, to_xlsx_bytes
from workbench.regler import suppression
from workbench.sider.kvalitet import MaanedGraf, SEVERITY, eksport_ids
from workbench.ui import auth, data
from workbench.ui.audit import log_action
from workbench.ui.data import dataset_version
from workbench.ui.kvalitet_cache import side
from workbench.ui.widgets import DANSK_MAANED_EXPR, DANSK_TAL_EXPR, borger_link_kolonne, foerste_raekker
from workbench.ui.eksport import eksport_knap
from workbench.format.dansk import DATO_INPUT, dato_tid

principal = auth.require_page("kvalitet")
show_people = access.can(principal, "borgerliste")
may_export = access.can(principal, "eksport")

st.title("Kvalitet")
st.caption("Find registreringsfejl, før data går til Danmarks Statistik og FLIS: overlappende ydelser, "
           "ugyldige ydelser, manglende opfølgning, 8-talskontrol mod betalinger og databrud.")

seneste = data.data_date()
paa = st.date_input("Referencedato", value=seneste, format=DATO_INPUT, key="kv_paa",
                    help="Ydelser uden slutdato løber til og med referencedatoen. Standard er datasættets "
                         f"udtræksdato ({dansk_dato(seneste)}).")
view = side(principal, paa)
version = dataset_version()
visning = view.visning  # exact for roles with the borger list

SEVERITY_ICON = {"fejl": ":material/error:", "advarsel": ":material/warning:", "info": ":material/info:"}


def maaned_chart(graf: MaanedGraf, y_title: str) -> alt.Chart:
    """Line chart over months on a time axis, Danish month and number labels."""
    value, series = graf.vaerdi, graf.serie
    return alt.Chart(graf.data).mark_line(point=graf.punkter).encode(
        x=alt.X("dato:T", title="Måned", axis=alt.Axis(labelExpr=DANSK_MAANED_EXPR, labelAngle=0)),
        y=alt.Y(f"{value}:Q", title=y_title, axis=alt.Axis(labelExpr=DANSK_TAL_EXPR)),
        color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=420)),
        tooltip=["Måned", alt.Tooltip(f"{series}:N", title="Serie"), alt.Tooltip(f"{value}:Q", title=y_title,
                                                                                  format=",.0f")],
    ).properties(height=320)


def export_buttons(df, name: str, sheet: str, meta: list[tuple[str, str]], key: str) -> None:
    if not may_export:
        return
    full_meta = [("Referencedato", dansk_dato(paa)), *meta, ("Datasæt-version", version),
                 ("Udtrukket af", principal.username),
                 ("Udtrukket", dato_tid(dt.datetime.now()))]
    ids = eksport_ids(df)
    c1, c2 = st.columns(2)
    # the files are built when clicked (a callable), not on every rerun of the page
    eksport_knap(c1, "Hent Excel", lambda: to_xlsx_bytes({sheet: df}, full_meta), f"{name}.xlsx", key=f"{key}_xlsx",
                 borger_ids=ids, detalje=f"kvalitet {name}.xlsx ({df.height} rækker)")
    eksport_knap(c2, "Hent CSV", lambda: to_csv_bytes(df, keep_numbers=False), f"{name}.csv", key=f"{key}_csv",
                 borger_ids=ids, detalje=f"kvalitet {name}.csv ({df.height} rækker)")


# Lazy tabs: only the open tab is laid out and sent (a tab click reruns the page from the cache); the
# three tabs together were ~3 MB of tables for the browser on the national demo.
tab_overlap, tab_regler, tab_ottetal = st.tabs(
    ["Overlappende ydelser", "Øvrige opmærkninger", "8-talskontrol og databrud"], key="kv_fane", on_change="rerun")

# --- overlap -------------------------------------------------------------------------------------
def overlap_fane() -> None:
    st.subheader("Potentielle overlappende ydelser")
    st.write("Samme borger har to ydelser, der ikke bør løbe samtidig (fx SEL §85 og ABL §105/SEL §85). "
             "Perioderne tæller begge dage med; et skifte med slut dag D og start dag D+1 er ikke et overlap. "
             "Kroner er overlapdage gange den billigste af de to ydelsers dagspris (månedlig udgift × 12 / 365).")
    if not view.har_overlap:
        st.success(f"Ingen overlappende ydelser pr. {dansk_dato(paa)}.")
    else:
        borgere, dage, kroner = view.overlap_noegletal
        m1, m2, m3 = st.columns(3)
        m1.metric("Borgere", borgere)
        m2.metric("Overlapdage", dage)
        m3.metric("Kroner i spil", kroner)

        st.markdown("**Pr. regel**")
        st.dataframe(view.overlap_pr_regel(), hide_index=True, width="stretch")
        for r in view.overlap_regler:
            with st.expander(r.titel, icon=SEVERITY_ICON.get(r.alvor)):
                st.markdown(f"**Hvad er galt:** {r.forklaring}\n\n**Hvad skal rettes:** {r.ret}")

        st.markdown("**Pr. paragrafpar og ydelse** (som FLIS' visning af potentielle overlappende ydelser)")
        foerste_raekker(view.overlap_pr_paragrafpar(), "kv_alle_paragrafpar", hide_index=True, width="stretch")

        st.markdown("**Udvikling pr. måned** (overlap efter den måned, de begynder)")
        st.altair_chart(maaned_chart(view.overlap_trend_graf(), "Kroner i spil"), width="stretch")
        foerste_raekker(view.overlap_trend_tabel(), "kv_alle_trend", hide_index=True, width="stretch")

        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Pr. handlekommune**")
            st.dataframe(view.overlap_pr_kommune(), hide_index=True, width="stretch")
        with c2:
            st.markdown("**Pr. tilbud** (et par med to tilbud tæller hos begge)")
            foerste_raekker(view.overlap_pr_tilbud(), "kv_alle_tilbud", hide_index=True, width="stretch")
        st.caption(suppression.explanation(visning=visning))

        st.markdown("**Parrene**")
        if not show_people:
            st.info("Din rolle ser kun tal; listen over borgere kræver adgang til borgerlister.")
        else:
            titler = view.regel_titler
            f1, f2 = st.columns(2)
            regel_valg = f1.multiselect("Regel", view.par_regler, key="kv_regel", select_all=False,
                                        format_func=lambda r: titler.get(r, r), placeholder="Alle")
            paragraf_valg = f2.multiselect("Paragraf", view.par_paragraffer, key="kv_paragraf", placeholder="Alle",
                                           select_all=False)
            par = view.par_tabel(regel_valg, paragraf_valg)
            log_action(accesslog.VIS_LISTE, par.borger_ids, f"kvalitet overlappende ydelser ({par.tabel.height} par)")
            st.caption(f"{par.tabel.height} par. Klik på borgeren for at åbne borgerforløbet.")
            foerste_raekker(par.tabel, "kv_alle_par", hide_index=True, width="stretch",
                            column_config={"Borger": borger_link_kolonne()})
            export_buttons(par.eksport, "overlappende_ydelser", "Overlap",
                           [("Regel", ", ".join(regel_valg) or "alle"), ("Paragraf", ", ".join(paragraf_valg) or "alle")],
                           key="kv_overlap")

# --- other rules ---------------------------------------------------------------------------------
def regler_fane() -> None:
    st.subheader("Øvrige opmærkninger")
    st.write("Hver regel siger, hvad der er galt, og hvad der skal rettes i fagsystemet. "
             "FLIS opmærker og fjerner fx ugyldige ydelseskoder og borgere under 18 år.")
    for gruppe in view.opmaerkninger:
        st.markdown(f"#### {gruppe.overskrift}")
        st.dataframe(gruppe.tabel, hide_index=True, width="stretch")
        if not show_people:
            continue
        shown_ids = view.eksempel_ids(gruppe)
        if shown_ids:
            log_action(accesslog.VIS_LISTE, shown_ids, f"kvalitet opmærkninger, {SEVERITY[gruppe.alvor].lower()}")
        for regel, titel, fund in gruppe.regler:
            examples, antal = view.eksempler(regel, gruppe.alvor)
            with st.expander(f"{titel}: {fund} fund", icon=SEVERITY_ICON[gruppe.alvor]):
                st.dataframe(examples, hide_index=True, width="stretch")
                if antal > 5:
                    st.caption(f"Viser 5 af {antal}; hent alle nedenfor.")
    if show_people and view.har_fund:
        export_buttons(view.fund_eksport(), "opmaerkninger", "Opmærkninger", [("Regler", "alle")], key="kv_fund")
    elif not view.har_fund:
        st.success(f"Ingen opmærkninger pr. {dansk_dato(paa)}.")

# --- 8-talskontrol and databrud -------------------------------------------------------------------
def ottetal_fane() -> None:
    st.subheader("8-talskontrol")
    st.write("Borgere pr. paragraf pr. måned i fagsystemet (ydelser) mod økonomisystemet (betalinger). "
             "Kun måneder og paragraffer, som betalingsudtrækket dækker, sammenlignes.")
    if not view.data.has_betalinger:
        st.info("Datasættet har ingen betalinger (tabellen betalinger er valgfri), så der er intet at sammenligne med.")
    else:
        foerste_raekker(view.ottetal_tabel(), "kv_alle_ottetal", hide_index=True, width="stretch")
        otte_fund = view.ottetal_fund
        if otte_fund.antal:
            st.markdown("**Kroner i spil pr. regel** (summen af fundenes kroner)")
            st.dataframe(otte_fund.pr_regel_tabel(visning), hide_index=True, width="stretch")
            st.caption(suppression.explanation(visning=visning))
        if otte_fund.antal and show_people:
            st.markdown(f"**Uoverensstemmelser** ({otte_fund.antal})")
            log_action(accesslog.VIS_LISTE, otte_fund.borger_ids, f"kvalitet 8-talskontrol ({otte_fund.antal} fund)")
            foerste_raekker(view.ottetal_fund_tabel(), "kv_alle_ottetal_fund", hide_index=True, width="stretch")
        elif otte_fund.antal == 0:
            st.success("Fagsystem og betalinger stemmer overens.")

    st.subheader("Databrud")
    st.write("Nye registreringer pr. måned mod tendensen (glidende median). Et voldsomt fald eller en stigning "
             "skyldes ofte et systemskifte, en masseindlæsning eller en manglende indlæsning.")
    graf = view.databrud_graf()
    if graf is not None:
        st.altair_chart(maaned_chart(graf, "Nye registreringer"), width="stretch")
        brud = view.databrud()
        if brud:
            for maaned, besked in brud:
                st.warning(f"**{maaned}**: {besked}", icon=":material/warning:")
        else:
            st.success("Ingen databrud i månedsserien.")
    else:
        st.info("Ingen ydelser at tælle.")


for fane, tegn in ((tab_overlap, overlap_fane), (tab_regler, regler_fane), (tab_ottetal, ottetal_fane)):
    if fane.open:
        with fane:
            tegn()
