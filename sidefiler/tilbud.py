"""Tilbud: one tilbud's borgere, udvikling i funktionsevne, målopfyldelse, opfølgninger, belægning and
peer comparison (deep link ?tilbud=P-nummer). Numbers from workbench.sider.tilbud via workbench.ui.tilbud_cache."""

import datetime as dt

import altair as alt
import polars as pl
import pydeck as pdk
import streamlit as st

from workbench.regler import access
from workbench.lager import accesslog
from workbench.format.export import standard_meta, to_csv_bytes, to_xlsx_bytes
from workbench.regler.periods import dansk_dato
from workbench.regler import suppression
from workbench.regler.suppression import explanation, suppress_table
from workbench.ui import auth, data
from workbench.sider import tilbud as tilbud_view
from workbench.ui import tilbud_cache as tc
from workbench.ui.audit import log_action
from workbench.ui.widgets import Kpi, dansk_tal, kpi_cards, paa_fra_adresse, small_count
from workbench.format.dansk import DATO, DATO_INPUT, TOM, borger_link, uden_borger_link
from workbench.ui.widgets import borger_link_kolonne
from workbench.ui.eksport import eksport_knap

principal = auth.require_page("tilbud")
VIS = suppression.for_principal(principal)  # exact for roles with the borger list (workbench.regler.suppression)
G = VIS.graense
G_VIS = 0 if VIS.eksakt else G  # smallest group shown in charts
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
    oversigt = liste.select(pl.col("navn").alias("Tilbud"), pl.col("tilbud_id").alias("P-nummer"),
                            pl.col("tilbudstype").alias("Tilbudstype"), pl.col("pladser").alias("Pladser"),
                            pl.col("borgere").alias("Borgere nu"))
    if not individual:
        oversigt = suppress_table(oversigt, ["Borgere nu"], visning=VIS)
    st.dataframe(oversigt, hide_index=True, width="stretch")
    st.stop()
if tid != wanted:
    st.query_params["tilbud"] = tid

fra_default, til_default = paa - dt.timedelta(days=364), paa
p_fra, p_til = st.session_state.get("tilbud_fra", fra_default), st.session_state.get("tilbud_til", til_default)
if p_fra > p_til:  # the period's pickers are drawn further down; a reversed period is turned around
    p_fra, p_til = p_til, p_fra
r = tc.rapport(principal, tid, paa, p_fra, p_til)
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


def link(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(borger_link("borger_id").alias("Borger"))


LINK = {"Borger": borger_link_kolonne()}


def dato(c: str) -> pl.Expr:
    return pl.col(c).dt.strftime(DATO).fill_null(TOM)


def download(sheets: dict[str, pl.DataFrame], name: str, key: str, borger_ids: list[str]) -> None:
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
    borger_tabel = link(r.borgere).select(
        "Borger", pl.col("paragraf").alias("Paragraf"), dato("startdato").alias("Start"),
        pl.col("dage_i_tilbud").alias("Dage i tilbud"), pl.col("primaer_maalgruppe").alias("Primær målgruppe"),
        pl.col("stoettebehov").alias("Støttebehov"), pl.col("maal").alias("Mål"),
        pl.format("{} opnået · {} afventer · {} ikke opnået · {} overskredet · {} opnået ved start", "opnaaet",
                  "afventer", "ikke_opnaaet", "overskredet", "opnaaet_ved_start").alias("Målstatus"),
        pl.col("udvikling").fill_null(TOM).alias("Udvikling"), dato("naeste_opfoelgning").alias("Næste opfølgning"),
    )
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
udv = r.udvikling_tema if niveau == "Tema" else r.udvikling_undertema
navn = "tema" if niveau == "Tema" else "undertema"
COUNTS = {"forbedret": "Forbedret", "uaendret": "Uændret", "forvaerret": "Forværret", "en_vurdering": "Ingen ny vurdering",
          "ikke_vurderet": "Ikke vurderet"}
chart_df = udv.select(pl.col(navn).alias("Emne"), *[pl.col(k).alias(v) for k, v in list(COUNTS.items())[:3]]).unpivot(
    index="Emne", variable_name="Udvikling", value_name="Borgere")
if not individual:
    chart_df = chart_df.with_columns(pl.when(pl.col("Borgere").is_between(1, G_VIS - 1)).then(None)
                                     .otherwise(pl.col("Borgere")).alias("Borgere"))
if chart_df.height:
    bars = alt.Chart(chart_df).mark_bar().encode(
        y=alt.Y("Emne:N", title=None, sort=udv[navn].to_list()),
        x=alt.X("Borgere:Q", stack="normalize", title="Andel af borgere med to vurderinger",
                axis=alt.Axis(format="%")),
        color=alt.Color("Udvikling:N", scale=alt.Scale(domain=["Forbedret", "Uændret", "Forværret"],
                                                       range=["#2e7d32", "#9e9e9e", "#c62828"]),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("Udvikling:N", sort="descending"),
        tooltip=["Emne", "Udvikling", "Borgere"],
    )
    st.altair_chart(bars, width="stretch")
udv_tabel = udv.select(pl.col(navn).alias(niveau), pl.col("borgere").alias("Borgere"),
                       *[pl.col(k).alias(v) for k, v in COUNTS.items()])
if not individual:
    udv_tabel = suppress_table(udv_tabel, ["Borgere", *COUNTS.values()], visning=VIS)
st.dataframe(udv_tabel, hide_index=True, width="stretch")
st.caption("Niveau ved ankomst (eller første vurdering efter ankomst) sammenlignet med niveauet på referencedatoen; "
           "lavere niveau er bedre. Ingen ny vurdering: ikke vurderet igen i perioden, så der er kun én vurdering at sammenligne. Ikke vurderet: intet niveau. "
           "Pr. tema tæller hver borger én gang (flere undertemaer forbedret end forværret = forbedret).")

# --- målopfyldelse --------------------------------------------------------------------------------
st.subheader("Målopfyldelse")
c1, c2 = st.columns(2)
c1.date_input("Opfølgning fra", value=fra_default, format=DATO_INPUT, key="tilbud_fra")
c2.date_input("Opfølgning til", value=til_default, format=DATO_INPUT, key="tilbud_til")
MAAL = {"maal": "Mål", "opnaaet": "Opnået", "ikke_opnaaet": "Ikke opnået", "overskredet": "Overskredet",
        "opnaaet_ved_start": "Opnået ved start",
        "afventer": "Afventer", "vurdering_opnaaet": "Registreret opnået", "vurdering_delvist": "Registreret delvist",
        "vurdering_ikke_opnaaet": "Registreret ikke opnået", "uden_vurdering": "Uden registrering",
        "uenighed": "Uenighed"}
# suppressed with complementary cells for a role without the borger list (the CLI's tilbud command: the same call)
maal_tabel = tilbud_view.maalopfyldelse_vist(r.maalopfyldelse, VIS).select(
    pl.col("maaltype").alias("Måltype"), *[pl.col(k).alias(v) for k, v in MAAL.items()])
st.dataframe(maal_tabel, hide_index=True, width="stretch")
st.caption(f"Mål med opfølgningsdato {dansk_dato(r.fra)}–{dansk_dato(r.til)} for borgere på tilbuddet i perioden. "
           "Målt status (på funktionsevnen, vurderet ved opfølgningen) og registreret vurdering side om side; "
           "uenighed = registreret Opnået men målt Ikke opnået eller omvendt.")

# --- opfølgninger ---------------------------------------------------------------------------------
st.subheader("Opfølgninger")


def opf_tabel(df: pl.DataFrame) -> pl.DataFrame:
    return link(df).select(
        "Borger", pl.col("undertema").alias("Undertema"), pl.col("maaltype").alias("Måltype"),
        dato("opfoelgningsdato").alias("Opfølgning"), pl.col("dage_til").alias("Dage til"),
        pl.col("status").alias("Status"), pl.col("vurdering").fill_null(TOM).alias("Registreret"),
        pl.col("maal_id").alias("Mål"))


if individual:
    t1, t2 = st.tabs([f"Inden for 30 dage ({r.kommende.height})", f"Overskredne ({r.overskredne.height})"])
    with t1:
        kommende = opf_tabel(r.kommende)
        st.dataframe(kommende, hide_index=True, width="stretch", column_config=LINK)
        download({"Kommende": kommende.with_columns(uden_borger_link("Borger"))},
                 "tilbud_opfoelgninger", "exp_kommende", r.kommende["borger_id"].unique().to_list())
    with t2:
        over = opf_tabel(r.overskredne)
        st.dataframe(over, hide_index=True, width="stretch", column_config=LINK)
        download({"Overskredne": over.with_columns(uden_borger_link("Borger"))},
                 "tilbud_overskredne", "exp_over", r.overskredne["borger_id"].unique().to_list())
else:
    st.caption(f"Opfølgning inden for 30 dage: {small_count(r.kommende.height)} mål; overskredne: "
               f"{small_count(r.overskredne.height)}.")

# --- belægning og flow ----------------------------------------------------------------------------
if tilbudstal:
    st.subheader("Belægning og flow")
    b = r.belaegning
    belaeg = b.select(pl.col("maaned").alias("Måned"), pl.col("borgere").alias("Borgere"),
                      pl.col("helaarspersoner").round(1).alias("Helårspersoner"))
    if not individual:  # a month with 1..g-1 borgere is not drawn (its points and tooltips would show them)
        small = (pl.col("Borgere") > 0) & (pl.col("Borgere") < VIS.graense)
        belaeg = belaeg.with_columns(pl.when(small).then(None).otherwise(pl.col(c)).alias(c)
                                     for c in ("Borgere", "Helårspersoner"))
    lines = alt.Chart(belaeg.unpivot(index="Måned", variable_name="Mål", value_name="Antal")).mark_line(point=True).encode(
        x=alt.X("Måned:N", axis=alt.Axis(labelAngle=0)), y=alt.Y("Antal:Q", title="Borgere / helårspersoner"),
        color=alt.Color("Mål:N", legend=alt.Legend(orient="bottom")), tooltip=["Måned", "Mål", "Antal"])
    layers = [lines]
    if h.pladser:
        layers.append(alt.Chart(pl.DataFrame({"Pladser": [h.pladser]})).mark_rule(strokeDash=[6, 4], color="black")
                      .encode(y="Pladser:Q"))
    st.altair_chart(alt.layer(*layers), width="stretch")
    flow = b.select(pl.col("maaned").alias("Måned"), pl.col("borgere").alias("Borgere"),
                    pl.col("helaarspersoner").round(1).alias("Helårspersoner"), pl.col("pladser").alias("Pladser"),
                    (pl.col("belaegningsgrad") * 100).round(0).alias("Belægningsgrad %"),
                    pl.when(pl.col("over_kapacitet")).then(pl.lit("⚠ over 100 %")).otherwise(pl.lit(""))
                    .alias("Over kapacitet"),
                    pl.col("tilgang").alias("Tilgang"), pl.col("afgang").alias("Afgang"))
    if b["over_kapacitet"].any():
        st.warning(f"Belægningsgraden er over 100 % i {int(b['over_kapacitet'].sum())} af månederne: flere "
                   "helårspersoner end pladser.")
    if not individual:
        flow = suppress_table(flow, ["Helårspersoner", "Belægningsgrad %"], count_col="Borgere", visning=VIS)
        # tilgang/afgang hidden with the month-to-month change in borgere (the CLI: the same call)
        flow = suppress_table(suppression.suppress_flow(flow, "Borgere", "Tilgang", "Afgang", visning=VIS),
                              ["Borgere"], visning=VIS)
    st.dataframe(flow, hide_index=True, width="stretch")
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
        pct = {"borgere_pr_plads", "andel_forbedret", "andel_opnaaet"}

        def fmt(col: str, v: float | None) -> str:
            if v is None:
                return "–"
            return f"{dansk_tal(v * 100)} %" if col in pct else dansk_tal(v)

        rows = [{"Nøgletal": t.label, "Dette tilbud": t.egen_vist or fmt(t.noegletal, t.egen),
                 "Nedre kvartil": "skjult" if t.skjult else fmt(t.noegletal, t.q1),
                 "Median": "skjult" if t.skjult else fmt(t.noegletal, t.median),
                 "Øvre kvartil": "skjult" if t.skjult else fmt(t.noegletal, t.q3), "Tilbud": t.tilbud}
                for t in s.tal]
        st.dataframe(pl.DataFrame(rows), hide_index=True, width="stretch")
        box = pl.DataFrame([{"Nøgletal": t.label, "q1": t.q1, "median": t.median, "q3": t.q3, "egen": t.egen}
                            for t in s.tal if t.noegletal in pct and not t.skjult],
                           schema={"Nøgletal": pl.String, "q1": pl.Float64, "median": pl.Float64, "q3": pl.Float64,
                                   "egen": pl.Float64})  # typed: an all-empty column would be Null (Altair refuses)
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
