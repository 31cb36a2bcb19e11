"""Kort: kommuner shaded by a measure for the current filters, tilbud as points; clicks filter every page."""

import json
import math

import pydeck as pdk
import streamlit as st
from streamlit.errors import StreamlitAPIException

from workbench.regler import access
from workbench.data import geo
from workbench.format import export as X
from workbench.sider import kort
from workbench.sider import udforsk as E
from workbench.data.config import load_config
from workbench.regler import suppression
from workbench.regler.suppression import NONE
from workbench.ui import auth, data, kort_cache
from workbench.ui.deck import CompactDeck
from workbench.ui.filter_panel import (current_filters, filter_panel, seed_view_widget, set_filters, summary,
                                       view_params, write_view_params)
from workbench.ui.widgets import dansk_tal, vaelg
from workbench.ui.eksport import eksport_knap

PAGE = "kort"
INGEN = "(ingen)"
LAST_PICK = "_ffb_kort_sidste_valg"
MAX_TILBUD_VALG = kort.MAX_TILBUD_VALG
codes = load_config().codes

principal = auth.require_page(PAGE)
visning = suppression.for_principal(principal)  # exact for roles with the borger list
ds = data.scoped_dataset(principal)
f = filter_panel(ds, principal, extra_keys=("maal",))

st.title("Kort")
st.caption(summary(f) or "Ingen filtre valgt.")
view = view_params(PAGE, {"maal": (list(E.MEASURES), "borgere")})
measure = vaelg(st, "Mål for kommunerne", list(E.MEASURES), format_func=E.MEASURES.get,
                       key=seed_view_widget(PAGE, "maal", view["maal"]))
write_view_params(PAGE, {"maal": measure})
label = E.MEASURES[measure]
fmt = E.formatter(measure)

# -- data (collected once here) ---------------------------------------------------------------------
kv = kort_cache.kommune_values(principal, f, measure)
tp = kort_cache.tilbud_points(principal, f)
navne = geo.kommune_navne()

kmask = suppression.list_mask([int(b) for b in kv["borgere"].to_list()], visning=visning)
krows = []
for (code, vaerdi, borgere), state in zip(kv.iter_rows(), kmask):
    tekst = suppression.cell_text(state, fmt(vaerdi or 0.0), is_count=measure == "borgere", visning=visning)
    krows.append({"kommunekode": code, "vaerdi": float(vaerdi or 0.0), "tekst": tekst, "skjult": state != NONE,
                  "borgere": int(borgere)})
gj, legend = geo.kommune_layer_data(krows, label)

colours = geo.tilbudstype_colours(list(codes.tilbudstyper))
tmask = suppression.list_mask([int(b) for b in tp["borgere"].to_list()], visning=visning)
points = []
for row, state in zip(tp.iter_rows(named=True), tmask):
    if row["lat"] is None or row["lon"] is None:
        continue
    hidden = state != NONE
    n_text = suppression.cell_text(state, str(row["borgere"]), visning=visning)
    points.append({
        "tilbud_id": row["tilbud_id"], "lat": row["lat"], "lon": row["lon"],
        # suppressed counts get one fixed small size: the size never reveals a small number
        "radius": 300.0 if hidden else round(300.0 + 220.0 * math.sqrt(row["borgere"]), 1),
        "fill": colours.get(row["tilbudstype"], [120, 120, 120]) + [210],
        "navn": row["navn"],
        "tekst": f"{row['tilbudstype']}<br/>Borgere: {n_text}<br/>Driftsform: {row['driftsform'] or 'uoplyst'}"
                 + ("<br/>Placering: postnummerets centrum" if row["placering"] == "postnr" else ""),
    })
missing = tp.filter(tp["lat"].is_null()).height

# -- view ---------------------------------------------------------------------------------------------
centres = geo.kommuner().filter(geo.kommuner()["kommunekode"].is_in([r["kommunekode"] for r in krows]))
if centres.height:
    lat, lon = float(centres["lat"].mean()), float(centres["lon"].mean())
    spread = max(float(centres["lat"].max() - centres["lat"].min()), float(centres["lon"].max() - centres["lon"].min()))
    zoom = 8.5 if spread < 0.3 else 7.5 if spread < 1.0 else 6.2
else:
    lat, lon, zoom = 56.0, 10.8, 6.2

layers = [
    pdk.Layer("GeoJsonLayer", gj, id="kommuner", pickable=True, stroked=True, filled=True,
              get_fill_color="properties.fill", get_line_color=[90, 90, 90, 200], line_width_min_pixels=0.6),
    pdk.Layer("ScatterplotLayer", points, id="tilbud", pickable=True, get_position=["lon", "lat"],
              get_radius="radius", get_fill_color="fill", get_line_color=[40, 40, 40], stroked=True,
              line_width_min_pixels=1, radius_min_pixels=3, radius_max_pixels=40),
]
deck = CompactDeck(layers=layers, map_provider=None, initial_view_state=pdk.ViewState(latitude=lat, longitude=lon,
                zoom=zoom), tooltip={"html": "<b>{navn}</b><br/>{tekst}",
                                     "style": {"backgroundColor": "#223", "color": "white"}})

left, right = st.columns([4, 1])
with left:
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="kort_deck", height=620)
with right:
    st.markdown("**" + label + "**")
    st.markdown("".join(
        f"<div><span style='display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;"
        f"background:rgb({c[0]},{c[1]},{c[2]});border:1px solid #888'></span>{text}</div>" for c, text in legend),
        unsafe_allow_html=True)
    st.markdown("**Tilbud (størrelse = borgere)**")
    present = sorted({p["tekst"].split("<br/>")[0] for p in points})
    st.markdown("".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;border-radius:6px;margin-right:6px;"
        f"vertical-align:middle;background:rgb({colours[t][0]},{colours[t][1]},{colours[t][2]})'></span>{t}</div>"
        for t in present if t in colours) or "Ingen tilbud med placering.", unsafe_allow_html=True)

st.caption(suppression.explanation(visning=visning) + " Diskretionerede kommuner er grå og skraveres ikke efter deres værdi; "
           "diskretionerede tilbud vises med fast, lille størrelse.")
if missing:
    st.caption(f"{missing} tilbud mangler både koordinater og et kendt postnummer og er ikke vist.")
st.caption(geo.ATTRIBUTION)


# -- selection -> filters (shared with every page) --------------------------------------------------
def _apply_pick(kind: str, value: str) -> None:
    cur = current_filters()
    set_filters(cur.with_(kommuner=(value,)) if kind == "kommune" else cur.with_(tilbud=(value,)))


picked = None
try:
    objects = (event.selection or {}).get("objects", {}) if event is not None else {}
except AttributeError:
    objects = {}
for layer_id, objs in (objects or {}).items():
    for obj in objs or []:
        props = obj.get("properties", obj) if isinstance(obj, dict) else {}
        if layer_id == "kommuner" and props.get("kommunekode"):
            picked = ("kommune", props["kommunekode"])
        elif layer_id == "tilbud" and obj.get("tilbud_id"):
            picked = ("tilbud", obj["tilbud_id"])
if picked is not None and st.session_state.get(LAST_PICK) != json.dumps(picked):
    st.session_state[LAST_PICK] = json.dumps(picked)
    _apply_pick(*picked)
    st.rerun()


def _on_kommune() -> None:
    value = st.session_state.get("kort_vaelg_kommune")
    if value and value != INGEN:
        _apply_pick("kommune", value)


def _on_tilbud() -> None:
    value = st.session_state.get("kort_vaelg_tilbud")
    if value and value != INGEN:
        _apply_pick("tilbud", value)


st.markdown("**Filtrér ud fra kortet** – klik på en kommune eller et tilbud, eller vælg her. Valget gælder også "
            "på de andre sider (fx Udforsk).")
s1, s2 = st.columns(2)
k_opts = [INGEN] + sorted({r["kommunekode"] for r in krows} | set(f.kommuner))
vaelg(s1, "Vælg kommune", k_opts, format_func=lambda k: k if k == INGEN else f"{navne.get(k, k)} ({k})",
             key="kort_vaelg_kommune", on_change=_on_kommune)
t_names = dict(zip(tp["tilbud_id"].to_list(), tp["navn"].to_list()))
t_alle = sorted(t_names, key=lambda t: (t_names[t] or "", t))
t_label = lambda t: t if t == INGEN else f"{t_names.get(t, t)} ({t})"  # noqa: E731
# A select with every tilbud (4.265 on the national demo) cost the browser ~2 s CPU to draw on every visit:
# with more than MAX_TILBUD_VALG, the list holds the tilbud matching a search (navn or P-nummer).
if len(t_alle) <= MAX_TILBUD_VALG:
    t_fundne = t_alle
else:
    soeg = s2.text_input("Søg tilbud (navn eller P-nummer)", key="kort_soeg_tilbud",
                         placeholder="fx Bøgely eller 1001000001").strip().lower()
    t_fundne = [t for t in t_alle if soeg in t_label(t).lower()] if soeg else []
    if not soeg:
        s2.caption(f"{dansk_tal(len(t_alle))} tilbud: søg for at vælge ét.")
    elif not t_fundne:
        s2.caption("Ingen tilbud matcher søgningen.")
    elif len(t_fundne) > MAX_TILBUD_VALG:
        s2.caption(f"Viser de første {MAX_TILBUD_VALG} af {dansk_tal(len(t_fundne))} tilbud; søg mere præcist.")
if t_fundne:
    vaelg(s2, "Vælg tilbud", [INGEN] + t_fundne[:MAX_TILBUD_VALG], format_func=t_label, key="kort_vaelg_tilbud",
          on_change=_on_tilbud)
if f.kommuner or f.tilbud:
    chosen = ", ".join([navne.get(k, k) for k in f.kommuner] + [t_names.get(t, t) for t in f.tilbud])
    st.success(f"Filtreret på: {chosen}. Brug 'Nulstil filtre' i sidepanelet for at se alle.")
    try:
        st.page_link("sidefiler/udforsk.py", label="Se tallene i Udforsk", icon=":material/table_chart:")
    except StreamlitAPIException:  # the page runs outside app.py's navigation (tests)
        pass

# -- export: the map's numbers as a table (kommuner and tilbud), suppressed like every export -----------
if access.can(principal, "eksport"):
    offentlig = st.checkbox("Til offentliggørelse", key="kort_offentlig",
                            help="Eksporten diskretioneres (små tal), uanset din rolle.")
    eksport_visning = suppression.for_export(principal, bool(offentlig))
    k_tabel, t_tabel = kort.eksport_tabeller(kv, tp, measure, label, fmt, navne, eksport_visning)
    meta = X.standard_meta(f.describe(codes), ds.version, {
        "Mål": label, "Diskretionering": suppression.explanation(visning=eksport_visning)})
    bar = st.container(horizontal=True)
    # the files are built when clicked (a callable), not on every rerun of the page
    eksport_knap(bar, "Eksportér kortets tal til Excel",
                 lambda: X.to_xlsx_bytes({"Kommuner": k_tabel, "Tilbud": t_tabel}, meta), "kort.xlsx",
                 key="kort_xlsx", detalje=f"Kort (xlsx): {summary(f)}")
    eksport_knap(bar, "Eksportér kommunerne til CSV", lambda: X.to_csv_bytes(k_tabel), "kort_kommuner.csv",
                 key="kort_csv", detalje=f"Kort (csv): {summary(f)}")
