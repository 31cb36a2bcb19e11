"""Tilbud: one tilbud's borgere, udvikling i funktionsevne, målopfyldelse, opfølgninger, belægning and
peer comparison (deep link ?tilbud=P-nummer). Numbers from workbench.sider.tilbud via workbench.ui.tilbud_cache."""

import datetime as dt

import altair as alt
import pydeck as pdk
import streamlit as st

from workbench.regler import access
from workbench.lager import accesslog
from workbench.format.export import standard_meta, to_csv_bytes, to_xlsx_bytes
from workbench.regler.periods import dansk_dato
from workbench.regler import suppression
from workbench.regler.suppression import explanation
from workbench.ui import auth, data
from workbench.sider import tilbud as tilbud_view
from workbench.ui import tilbud_cache as tc
from workbench.ui.audit import log_action
from workbench.ui.widgets import Kpi, dansk_tal, kpi_cards, paa_fra_adresse, small_count
from workbench.format.dansk import DATO_INPUT, uden_borger_link
from workbench.format.dansk import TILBUD_LINK_TEKST
from workbench.ui.widgets import borger_link_kolonne
from workbench.ui.eksport import eksport_knap

principal = auth.require_page("tilbud")
VIS = suppression.for_principal(principal)  # exact for roles with the borger list (workbench.regler.suppression)
G = VIS.graense
individual = access.can(principal, "borgerliste")
may_export = access.can(principal, "eksport")
tilbudstal = access.can(principal, "tilbudstal")

st.title("Tilbud")

# --- reference date and the tilbud ---------------------------------------------------------------
seneste = data.data_date()
paa_default = paa_fra_adresse()
c_paa, c_valg = st.columns([1, 3])
paa = c_paa.date_input("Referencedato", value=paa_default, format=DATO_INPUT, key="tilbud_paa",
                       help=f"Tallene gælder denne dato. Standard er datasættets udtræksdato ({dansk_dato(seneste)}).")
liste = tc.liste(principal, paa)
if liste.height == 0:
    st.info("Du har ikke adgang til nogen tilbud.")
    st.stop()
ids = liste["tilbud_id"].to_list()
labels = dict(zip(ids, [f"{n} ({t}) · {tt}" for n, t, tt in liste.select("navn", "tilbud_id", "tilbudstype").iter_rows()]))
wanted = st.query_params.get("tilbud")
if wanted and wanted not in labels:
    # a refused deep link is logged; a P-nummer the dataset knows is kept, anything else that can be a CPR masked
    log_action(accesslog.ADGANG_NAEGTET, detalje=f"tilbud {wanted[:40]} (adresse)", behold=tc.kendte(wanted))
    st.warning(f"Tilbud {wanted} findes ikke, eller du har ikke adgang til det.")
    st.stop()
own = [t for t in principal.tilbud_ids if t in labels]
valgt = wanted or (own[0] if own else None)
tid = c_valg.selectbox("Tilbud (skriv for at søge på navn eller P-nummer)", ids, index=ids.index(valgt) if valgt else None,
                       format_func=labels.get, placeholder="Vælg et tilbud", key="tilbud_valg")
if tid is None:
    st.info("Vælg et tilbud på listen.")
    st.dataframe(tilbud_view.liste_vist(liste, VIS), hide_index=True, width="stretch",
                 column_config={"Åbn": st.column_config.LinkColumn("Åbn", display_text=TILBUD_LINK_TEKST)})
    st.stop()
if tid != wanted:
    st.query_params["tilbud"] = tid

fra_default, til_default = paa - dt.timedelta(days=364), paa
p_fra, p_til = st.session_state.get("tilbud_fra", fra_default), st.session_state.get("tilbud_til", til_default)
if p_fra > p_til:  # the period's pickers are drawn further down; a reversed period is turned around
    p_fra, p_til = p_til, p_fra
r = tc.rapport(principal, tid, paa, p_fra, p_til)
side = tilbud_view.TilbudSide(r, VIS)  # every table and chart series below, suppressed for VIS
h = r.header

# --- header ---------------------------------------------------------------------------------------
st.header(h.navn)
st.caption(" · ".join(x for x in [f"P-nummer {h.tilbud_id}", h.tilbudstype, h.driftsform or "", h.adresse or "",
                                  f"{h.postnr or ''}".strip()] if x))
kpi_cards([
    Kpi("Pladser", dansk_tal(h.pladser) if h.pladser is not None else "–"),
    Kpi("Borgere nu", dansk_tal(r.borgere.height) if individual else small_count(r.borgere.height),
        help=f"Borgere med en aktiv ydelse på tilbuddet den {dansk_dato(paa)}."),
    Kpi("Opfølgning inden 30 dage", dansk_tal(r.kommende.height) if individual else small_count(r.kommende.height)),
    Kpi("Overskredne opfølgninger", dansk_tal(r.overskredne.height) if individual else small_count(r.overskredne.height)),
])
if h.lat is not None and h.lon is not None:
    deck = pdk.Deck(layers=[pdk.Layer("ScatterplotLayer", [{"navn": h.navn, "lat": h.lat, "lon": h.lon}],
                                      get_position=["lon", "lat"], get_radius=300, get_fill_color=[200, 40, 40],
                                      radius_min_pixels=6)],
                    map_provider=None, initial_view_state=pdk.ViewState(latitude=h.lat, longitude=h.lon, zoom=10))
    with st.expander("Kort", expanded=False):
        st.pydeck_chart(deck, height=220)


LINK = {"Borger": borger_link_kolonne()}


def download(sheets: dict, name: str, key: str, borger_ids: list[str]) -> None:
    if not may_export:
        return
    meta = standard_meta([("Tilbud", f"{h.navn} ({h.tilbud_id})"), ("Referencedato", dansk_dato(paa))],
                         data.dataset_version(), {"Udtrukket af": principal.username})
    c1, c2 = st.columns(2)
    eksport_knap(c1, "Hent Excel", to_xlsx_bytes(sheets, meta), f"{name}.xlsx", key=f"{key}_xlsx",
                 borger_ids=borger_ids, detalje=f"tilbud {h.tilbud_id} {name}.xlsx", behold=[h.tilbud_id])
    first = next(iter(sheets.values()))
    eksport_knap(c2, "Hent CSV", to_csv_bytes(first), f"{name}.csv", key=f"{key}_csv",
                 borger_ids=borger_ids, detalje=f"tilbud {h.tilbud_id} {name}.csv", behold=[h.tilbud_id])


# --- borgere nu -----------------------------------------------------------------------------------
st.subheader("Borgere nu")
if individual:
    if r.borgere.height:
        log_action(accesslog.VIS_BORGER, r.borgere["borger_id"].to_list(),
                   f"tilbud {h.tilbud_id} borgerliste {paa.isoformat()}", behold=[h.tilbud_id])
    borger_tabel = side.borgere_vist()
    st.dataframe(borger_tabel, hide_index=True, width="stretch", column_config=LINK)
    st.caption("Udvikling: ↑ flere undertemaer forbedret end forværret siden ankomst (eller første vurdering efter), "
               "↓ flere forværret, → lige mange; – ingen at sammenligne. Start er ankomst til tilbuddet (ved "
               "fraflytning og genindflytning: seneste ankomst).")
    download({"Borgere": borger_tabel.with_columns(uden_borger_link("Borger"))},
             "tilbud_borgere", "exp_borgere", r.borgere["borger_id"].to_list())
else:
    st.caption("Din rolle viser ikke enkelte borgere; tallene nedenfor er samlede.")

# --- udvikling i funktionsevne --------------------------------------------------------------------
st.subheader("Udvikling i funktionsevne")
niveau = st.segmented_control("Vis pr.", ["Tema", "Undertema"], default="Tema", key="tilbud_udv_niveau") or "Tema"
chart_df = side.udvikling_graf(niveau)
if chart_df.height:
    bars = alt.Chart(chart_df).mark_bar().encode(
        y=alt.Y("Emne:N", title=None, sort=side.udvikling_emner(niveau)),
        x=alt.X("Borgere:Q", stack="normalize", title="Andel af borgere med to vurderinger",
                axis=alt.Axis(format="%")),
        color=alt.Color("Udvikling:N", scale=alt.Scale(domain=["Forbedret", "Uændret", "Forværret"],
                                                       range=["#2e7d32", "#9e9e9e", "#c62828"]),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("Udvikling:N", sort="descending"),
        tooltip=["Emne", "Udvikling", "Borgere"],
    )
    st.altair_chart(bars, width="stretch")
st.dataframe(side.udvikling_vist(niveau), hide_index=True, width="stretch")
st.caption("Niveau ved ankomst (eller første vurdering efter ankomst) sammenlignet med niveauet på referencedatoen; "
           "lavere niveau er bedre. Ingen ny vurdering: ikke vurderet igen i perioden, så der er kun én vurdering at sammenligne. Ikke vurderet: intet niveau. "
           "Pr. tema tæller hver borger én gang (flere undertemaer forbedret end forværret = forbedret).")

# --- målopfyldelse --------------------------------------------------------------------------------
st.subheader("Målopfyldelse")
c1, c2 = st.columns(2)
c1.date_input("Opfølgning fra", value=fra_default, format=DATO_INPUT, key="tilbud_fra")
c2.date_input("Opfølgning til", value=til_default, format=DATO_INPUT, key="tilbud_til")
# suppressed with complementary cells for a role without the borger list (the CLI's tilbud command: the same call)
st.dataframe(side.maalopfyldelse_vist(), hide_index=True, width="stretch")
st.caption(f"Mål med opfølgningsdato {dansk_dato(r.fra)}–{dansk_dato(r.til)} for borgere på tilbuddet i perioden. "
           "Målt status (på funktionsevnen, vurderet ved opfølgningen) og registreret vurdering side om side; "
           "uenighed = registreret Opnået men målt Ikke opnået eller omvendt.")

# --- opfølgninger ---------------------------------------------------------------------------------
st.subheader("Opfølgninger")


if individual:
    t1, t2 = st.tabs([f"Inden for 30 dage ({r.kommende.height})", f"Overskredne ({r.overskredne.height})"])
    with t1:
        kommende = side.opfoelgninger_vist(r.kommende)
        st.dataframe(kommende, hide_index=True, width="stretch", column_config=LINK)
        download({"Kommende": kommende.with_columns(uden_borger_link("Borger"))},
                 "tilbud_opfoelgninger", "exp_kommende", r.kommende["borger_id"].unique().to_list())
    with t2:
        over = side.opfoelgninger_vist(r.overskredne)
        st.dataframe(over, hide_index=True, width="stretch", column_config=LINK)
        download({"Overskredne": over.with_columns(uden_borger_link("Borger"))},
                 "tilbud_overskredne", "exp_over", r.overskredne["borger_id"].unique().to_list())
else:
    st.caption(f"Opfølgning inden for 30 dage: {small_count(r.kommende.height)} mål; overskredne: "
               f"{small_count(r.overskredne.height)}.")

# --- belægning og flow ----------------------------------------------------------------------------
if tilbudstal:
    st.subheader("Belægning og flow")
    lines = alt.Chart(side.belaegning_graf()).mark_line(point=True).encode(
        x=alt.X("Måned:N", axis=alt.Axis(labelAngle=0)), y=alt.Y("Antal:Q", title="Borgere / helårspersoner"),
        color=alt.Color("Mål:N", legend=alt.Legend(orient="bottom")), tooltip=["Måned", "Mål", "Antal"])
    layers = [lines]
    pladser = side.pladser_linje()
    if pladser is not None:
        layers.append(alt.Chart(pladser).mark_rule(strokeDash=[6, 4], color="black")
                      .encode(y="Pladser:Q"))
    st.altair_chart(alt.layer(*layers), width="stretch")
    if side.maaneder_over_kapacitet:
        st.warning(f"Belægningsgraden er over 100 % i {side.maaneder_over_kapacitet} af månederne: flere "
                   "helårspersoner end pladser.")
    # tilgang/afgang hidden with the month-to-month change in borgere for a suppressed visning (the CLI: the same call)
    st.dataframe(side.flow_vist(), hide_index=True, width="stretch")
    lt = r.liggetid
    if not individual:  # counts of ophold 1..g-1 and the medians resting on them are not shown
        lt = tilbud_view.for_principal(r, principal).liggetid
    kpi_cards([
        Kpi("Median liggetid, igangværende", f"{dansk_tal(lt.median_dage_igangvaerende)} dage"
            if lt.median_dage_igangvaerende is not None else "–", help=f"{lt.igangvaerende} igangværende ophold"),
        Kpi("Median liggetid, afsluttede", f"{dansk_tal(lt.median_dage_afsluttede)} dage"
            if lt.median_dage_afsluttede is not None else "–",
            help=f"{lt.afsluttede} ophold afsluttet {dansk_dato(r.fra)}–{dansk_dato(r.til)}"),
    ])
    st.caption("Belægningsgrad = belagte dage ÷ (pladser × dage i måneden) = helårspersoner ÷ pladser; over 100 % "
               "markeres. Borgere på datoen ÷ pladser (i sammenligningen) er et andet tal. Et ophold er sammenhængende ydelser på tilbuddet (et skifte "
               "fra dag D til D+1 er ét ophold).")

    # --- sammenligning ----------------------------------------------------------------------------
    s = tc.sammenligning(principal, tid, paa)
    if s is not None:
        st.subheader("Sammenligning")
        st.caption(f"{s.tilbud_i_alt} tilbud af typen {s.tilbudstype} i datasættet. Kun median og kvartiler vises; "
                   f"tilbud med 1–{G - 1} borgere indgår ikke, og under 3 tilbud vises ingen statistik.")
        st.dataframe(tilbud_view.sammenligning_tabel(s), hide_index=True, width="stretch")
        box = tilbud_view.sammenligning_boks(s)
        if box.height:
            base = alt.Chart(box).encode(y=alt.Y("Nøgletal:N", title=None))
            st.altair_chart(alt.layer(
                base.mark_bar(color="#cfd8dc", height=14).encode(x=alt.X("q1:Q", title="Andel", axis=alt.Axis(format="%")),
                                                                 x2="q3:Q"),
                base.mark_tick(color="#455a64", thickness=2, size=18).encode(x="median:Q"),
                base.mark_point(color="#c62828", filled=True, size=90, shape="diamond").encode(
                    x="egen:Q", tooltip=["Nøgletal", "egen", "median"]),
            ), width="stretch")
            st.caption("Grå: midterste halvdel af tilbuddene (kvartiler), streg: median, rød: dette tilbud.")

if individual and may_export:
    st.subheader("Eksport")
    sheets = {"Borgere": r.borgere, "Udvikling pr tema": r.udvikling_tema, "Udvikling pr undertema":
              r.udvikling_undertema, "Målopfyldelse": r.maalopfyldelse, "Opfølgning 30 dage": r.kommende,
              "Overskredne": r.overskredne}
    if tilbudstal:
        sheets["Belægning"] = r.belaegning
    download(sheets, f"tilbud_{h.tilbud_id}", "exp_alt", r.borgere["borger_id"].to_list())
st.caption(explanation(visning=VIS) if not individual else f"Forløbet vist som det stod {dansk_dato(paa)}.")
