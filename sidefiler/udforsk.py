"""Udforsk: pivot of the filtered population, chart, funktionsevne distribution, borger list, export."""

import altair as alt
import streamlit as st

from workbench.regler import access, paragraffer
from workbench.lager import accesslog
from workbench.sider import udforsk as E
from workbench.format import export as X
from workbench.data.config import load_config
from workbench.regler.filters import IKKE_VURDERET, NIVEAUER, niveau_label, vurderet_tekst
from workbench.regler import suppression
from workbench.ui import auth, data, udforsk_cache
from workbench.ui.audit import log_action
from workbench.ui.filter_panel import filter_panel, seed_view_widget, summary, view_params, write_view_params
from workbench.ui.widgets import vaelg
from workbench.ui.eksport import eksport_knap

PAGE = "udforsk"
INGEN = "ingen"
DIMS = list(E.DIMENSIONS)
codes = load_config().codes
UTS = codes.aktivitet_undertemaer()

principal = auth.require_page(PAGE)
visning = suppression.for_principal(principal)  # exact for roles with the borger list
ds = data.scoped_dataset(principal)
f = filter_panel(ds, principal, extra_keys=("raekker", "kolonner", "maal", "niveau_undertema"))

st.title("Udforsk")
st.caption(summary(f) or "Ingen filtre valgt.")

view = view_params(PAGE, {
    "raekker": (DIMS, udforsk_cache.STANDARD_RAEKKER), "kolonner": (DIMS + [INGEN], INGEN),
    "maal": (list(E.MEASURES), udforsk_cache.STANDARD_MAAL),
    "niveau_undertema": (UTS, None),
})
c1, c2, c3, c4 = st.columns(4)
rows = vaelg(c1, "Rækker", DIMS, format_func=E.DIMENSIONS.get, key=seed_view_widget(PAGE, "raekker", view["raekker"]))
col_opts = [INGEN] + [d for d in DIMS if d != rows]
ck = seed_view_widget(PAGE, "kolonner", view["kolonner"])
if st.session_state[ck] not in col_opts:
    st.session_state[ck] = INGEN
cols = vaelg(c2, "Kolonner", col_opts, format_func=lambda d: "(ingen)" if d == INGEN else E.DIMENSIONS[d], key=ck)
measure = vaelg(c3, "Mål", list(E.MEASURES), format_func=E.MEASURES.get,
                       key=seed_view_widget(PAGE, "maal", view["maal"]))
undertema = None
if "niveau" in (rows, cols):
    candidate = view["niveau_undertema"] or f.undertema
    default_ut = candidate if candidate in UTS else UTS[0]
    undertema = vaelg(c4, "Undertema for niveau", UTS, key=seed_view_widget(PAGE, "niveau_undertema", default_ut))
write_view_params(PAGE, {"raekker": rows, "kolonner": None if cols == INGEN else cols, "maal": measure,
                         "niveau_undertema": undertema})
cols_dim = None if cols == INGEN else cols
if "kategori" in (rows, cols_dim) and "maalgruppe_kategorier" in codes.unconfirmed:
    st.caption("⚠ Målgruppekategorien (DST) bygger på en ubekræftet kobling fra FFB-målgrupper.")
if "driftsform" in (rows, cols_dim) and "driftsformer" in codes.unconfirmed:
    st.caption("⚠ Listen over driftsformer er ubekræftet.")

try:
    ct = udforsk_cache.crosstab(principal, f, rows, cols_dim, measure, undertema=undertema)
except ValueError as exc:
    st.error(f"Tabellen kan ikke laves: {exc}")
    st.stop()

if ct.total[1] == 0:
    st.info("Ingen borgere matcher filtrene.")
    st.stop()

table = E.suppressed_table(ct, visning=visning)


def med_paragraf_info(df):
    """Rows per paragraf carry the paragraf's DST ydelseskode and konto (workbench.regler.paragraffer)."""
    if rows != "paragraf":
        return df
    return paragraffer.with_info(df, ct.row_label, ["dst_ydelseskode", "konto"]).rename(
        {"dst_ydelseskode": paragraffer.HEADERS["dst_ydelseskode"], "konto": paragraffer.HEADERS["konto"]})


table = med_paragraf_info(table)
n_total = ct.total[1]
st.metric("Borgere i alt (filtreret)", suppression.antal(n_total, visning, E.formatter("borgere")))
st.subheader(f"{E.MEASURES[measure]} efter {E.DIMENSIONS[rows].lower()}"
             + (f" og {E.DIMENSIONS[cols_dim].lower()}" if cols_dim else ""))
st.dataframe(table, hide_index=True, key="udforsk_tabel")
st.caption(suppression.explanation(visning=visning) + " Borgertal i totaler tæller hver borger én gang (også når borgeren står i flere celler)."
           + (" Helårspersoner: dage med ydelse under paragraffen (en borgers overlappende ydelser under samme "
              "paragraf tælles én gang) / dage i perioden; paragrafferne lægges sammen, så I alt er summen over "
              "paragrafferne som på Overblik." if measure == "helaarspersoner" else "")
           + (" Udgift: gennemsnitlig månedlig udgift i perioden." if measure == "udgift" else ""))

offentlig = access.can(principal, "eksport") and st.checkbox(
    "Til offentliggørelse", key="udforsk_offentlig",
    help="Eksporten diskretioneres (små tal og totaler), uanset din rolle.")
eksport_visning = suppression.for_export(principal, bool(offentlig))
meta = X.standard_meta(f.describe(codes), ds.version, {
    "Rækker": E.DIMENSIONS[rows], "Kolonner": E.DIMENSIONS[cols_dim] if cols_dim else "(ingen)",
    "Mål": E.MEASURES[measure], "Undertema (niveau)": undertema or "",
    "Diskretionering": suppression.explanation(visning=eksport_visning),
})
if access.can(principal, "eksport"):
    plain = med_paragraf_info(E.suppressed_table(ct, danish=False, visning=eksport_visning))
    bar = st.container(horizontal=True)
    # the files are built when clicked (a callable), not on every rerun (each filter change) of the page
    eksport_knap(bar, "Eksportér til Excel", lambda: X.to_xlsx_bytes({"Krydstabel": plain}, meta), "udforsk.xlsx",
                 key="udforsk_xlsx", detalje=f"Udforsk krydstabel (xlsx): {summary(f)}")
    eksport_knap(bar, "Eksportér til CSV", lambda: X.to_csv_bytes(plain), "udforsk.csv", key="udforsk_csv",
                 detalje=f"Udforsk krydstabel (csv): {summary(f)}")

# -- chart ------------------------------------------------------------------------------------------
chart_rows = E.chart_data(ct, visning=visning)
if chart_rows.height:
    y = alt.Y("row:N", title=E.DIMENSIONS[rows], sort=ct.row_values, axis=alt.Axis(labelLimit=260))
    x = alt.X("vaerdi:Q", title=E.MEASURES[measure])
    enc = dict(y=y, x=x, tooltip=[alt.Tooltip("row:N", title=E.DIMENSIONS[rows]),
                                  alt.Tooltip("vaerdi:Q", title=E.MEASURES[measure], format=",.1f")])
    if cols_dim:
        enc["color"] = alt.Color("col:N", title=E.DIMENSIONS[cols_dim], sort=ct.col_values,
                                 legend=alt.Legend(labelLimit=320))
        enc["yOffset"] = alt.YOffset("col:N", sort=ct.col_values)
        enc["tooltip"].insert(1, alt.Tooltip("col:N", title=E.DIMENSIONS[cols_dim]))
    height = max(160, min(900, 22 * chart_rows.height + 40))
    st.altair_chart(alt.Chart(chart_rows.to_pandas()).mark_bar().encode(**enc).properties(height=height),
                    width="stretch")
    st.caption("Diagrammet viser kun celler, der ikke er diskretioneret.")

# -- funktionsevne distribution ------------------------------------------------------------------------
st.subheader("Funktionsevne i den filtrerede population")
long = udforsk_cache.funktionsevne_fordeling(principal, f)
if long.height == 0:
    st.info("Ingen funktionsevnevurderinger for de valgte borgere.")
else:
    labels = {n: niveau_label(n, codes) for n in NIVEAUER}
    fd_table, fd_chart = E.fordeling_tables(long, visning=visning, niveau_labels=labels)
    colours = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#bdbdbd"]
    if fd_chart.height:
        ch = alt.Chart(fd_chart.to_pandas()).mark_bar().encode(
            y=alt.Y("undertema:N", title="Undertema", sort=fd_table["Undertema"].to_list(),
                    axis=alt.Axis(labelLimit=260, labelOverlap=False)),
            x=alt.X("borgere:Q", title="Borgere", stack="zero"),
            color=alt.Color("Niveau:N", sort=[labels[n] for n in NIVEAUER],
                            scale=alt.Scale(domain=[labels[n] for n in NIVEAUER], range=colours),
                            legend=alt.Legend(orient="bottom", columns=3, labelLimit=320)),
            order=alt.Order("niveau:N"),
            tooltip=[alt.Tooltip("undertema:N", title="Undertema"), "Niveau",
                     alt.Tooltip("borgere:Q", title="Borgere")],
        ).properties(height=max(120, 26 * max(fd_table.height, fd_chart["undertema"].n_unique()) + 40))
        st.altair_chart(ch, width="stretch")
        st.caption("Diagrammet viser kun celler, der ikke er diskretioneret; tallene står i tabellen.")
    st.dataframe(fd_table.rename({n: labels[n] for n in NIVEAUER}), hide_index=True, key="udforsk_fordeling")
    st.caption(f"Seneste vurdering på eller før skæringsdatoen (en senere '{IKKE_VURDERET}' sletter ikke et niveau). "
               f"'{IKKE_VURDERET}' (ingen vurdering) er sin egen kategori og indgår aldrig som et tal. "
               "Kun undertemaer, hvor mindst én borger er vurderet."
               + (f" Kun niveauer vurderet inden for {vurderet_tekst(f.vurderet_maaneder)}; ældre niveauer tæller "
                  f"som '{IKKE_VURDERET}'." if f.vurderet_maaneder else ""))

# -- borgere behind a cell ------------------------------------------------------------------------------
st.subheader("Borgere bag en celle")
if not access.can(principal, "borgerliste"):
    st.info("Din rolle giver adgang til tal, ikke til lister over borgere.")
    st.stop()
s1, s2, s3 = st.columns([2, 2, 1])
row_value = vaelg(s1, E.DIMENSIONS[rows], [E.I_ALT] + ct.row_values, key="udforsk_celle_raekke")
col_value = None
if cols_dim:
    col_value = vaelg(s2, E.DIMENSIONS[cols_dim], [E.I_ALT] + ct.col_values, key="udforsk_celle_kolonne")
show = s3.toggle("Vis borgerliste", key="udforsk_vis_liste")
if show:
    lst = E.borger_liste(ds, f, rows, cols_dim, row_value, col_value, undertema=undertema).collect()
    cell = f"{row_value}" + (f" / {col_value}" if cols_dim else "")
    log_action(accesslog.SOEG, lst["borger_id"].to_list(), f"Udforsk: borgere bag cellen {cell}"[:400])
    st.caption(f"{lst.height} borgere bag cellen {cell}. Opslaget er logget.")
    st.dataframe(
        lst, hide_index=True, key="udforsk_borgerliste",
        column_config={
            "borger_id": "Borger-id (pseudonym)", "aldersgruppe": "Aldersgruppe", "koen": "Køn", "kommune": "Kommune",
            "paragraffer": "Paragraffer", "tilbud": "Tilbud",
            "link": st.column_config.LinkColumn("Borgerside", display_text="Åbn borger"),
        },
    )
    if access.can(principal, "eksport") and lst.height:
        out = X.rename_headers(lst.drop("link"), E.BORGER_LISTE_HEADERS)
        lbar = st.container(horizontal=True)
        detalje = f"Udforsk borgerliste ({cell})"[:300]
        eksport_knap(lbar, "Borgerliste til Excel", lambda: X.to_xlsx_bytes({"Borgere": out}, meta + [("Celle", cell)]),
                     "borgere.xlsx", key="udforsk_liste_xlsx", borger_ids=lst["borger_id"].to_list(),
                     detalje=detalje + " xlsx")
        eksport_knap(lbar, "Borgerliste til CSV", lambda: X.to_csv_bytes(out), "borgere.csv", key="udforsk_liste_csv",
                     borger_ids=lst["borger_id"].to_list(), detalje=detalje + " csv")
