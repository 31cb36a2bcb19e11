"""Overblik: nøgletal, antal borgere pr. paragraf pr. måned (som seed 002), udvikling, tilgang og afgang."""

import altair as alt
import polars as pl
import streamlit as st

from workbench import optaelling
from workbench.periods import parse_month
from workbench.suppression import explanation, suppress_crosstab, suppress_table, threshold
from workbench.ui import auth, data
from workbench.ui import overblik_cache as oc
from workbench.ui.widgets import Kpi, dansk_dato, dansk_maaned, dansk_tal, kpi_cards, persisted, remember, small_count

principal = auth.require_page("overblik")
G = threshold()

st.title("Overblik")
st.caption("Unikke borgere pr. paragraf måned for måned, helårspersoner og tilgang/afgang. En borger tæller i en "
           "måned, når en ydelse under paragraffen dækker mindst én dag af måneden; ydelser uden slutdato løber "
           "til og med referencedatoen.")

# --- filters --------------------------------------------------------------------------------------
c_paa, c_fra, c_til, c_handle, c_betaling = st.columns([1.2, 1.2, 1.2, 2, 2])
seneste = data.data_date()
paa = c_paa.date_input("Referencedato", key=persisted("ov_paa", seneste), format="DD-MM-YYYY",
                       help="Ydelser uden slutdato løber til og med denne dato. Nøgletallene gælder denne dato "
                            f"og dens måned. Standard er datasættets seneste registrering ({dansk_dato(seneste)}).")
maaneder = oc.month_options(principal, paa)
til_default = maaneder[-1]
fra_default = maaneder[max(0, len(maaneder) - 12)]
fra_s = c_fra.selectbox("Fra måned", maaneder, key=persisted("ov_fra", fra_default, maaneder),
                        format_func=dansk_maaned)
til_s = c_til.selectbox("Til måned", maaneder, key=persisted("ov_til", til_default, maaneder),
                        format_func=dansk_maaned)
handle_opts = oc.kommune_options(principal, "handle")
betaling_opts = oc.kommune_options(principal, "betaling")
handle = c_handle.multiselect("Handlekommune", handle_opts, key=persisted("ov_handle", [], handle_opts),
                              format_func=oc.kommune_label, placeholder="Alle", select_all=False)
betaling = c_betaling.multiselect("Betalingskommune", betaling_opts,
                                  key=persisted("ov_betaling", [], betaling_opts), format_func=oc.kommune_label,
                                  placeholder="Alle", select_all=False,
                                  help="Tom betalingskommune tæller som handlekommunen.")
remember("ov_paa", "ov_fra", "ov_til", "ov_handle", "ov_betaling")

fra, til = parse_month(fra_s), parse_month(til_s)
if fra > til:
    st.warning("'Fra måned' ligger efter 'Til måned': perioden er vendt om.")
    fra, til = til, fra
res = oc.results(principal, fra, til, paa, handle, betaling)
per, total, kpi = res["per_paragraf"], res["total"], res["kpi"].row(0, named=True)
periode = f"{dansk_maaned(fra, kort=True)} – {dansk_maaned(til, kort=True)}"

# --- KPI cards ------------------------------------------------------------------------------------
denne = dansk_maaned(paa, kort=True)
kpi_cards([
    Kpi("Borgere i alt", small_count(kpi["borgere"]),
        help=f"Unikke borgere med mindst én aktiv ydelse den {dansk_dato(paa)}."),
    Kpi("Aktive ydelser", small_count(kpi["aktive_ydelser"]), help=f"Ydelser, der er aktive den {dansk_dato(paa)}."),
    Kpi("Helårspersoner", dansk_tal(kpi["helaarspersoner"], 1),
        help=f"Dage med ydelse i {periode} (pr. borger og paragraf, overlap tælles én gang, summeret over "
             "paragraffer) divideret med periodens dage."),
    Kpi(f"Nye i {denne}", small_count(kpi["nye"]),
        help=f"Borgere, hvis forløb (alle paragraffer; et skifte fra dag D til D+1 er ét forløb) begyndte i "
             f"{denne} til og med {dansk_dato(paa)}."),
    Kpi(f"Afsluttede i {denne}", small_count(kpi["afsluttede"]),
        help=f"Borgere, hvis forløb sluttede i {denne} til og med {dansk_dato(paa)}."),
])

if per.height == 0:
    st.info(f"Ingen borgere med ydelser i {periode} for de valgte kommuner.")
    st.stop()

month_list = total["maaned"].to_list()
titles = {m: dansk_maaned(m, kort=True) for m in month_list}

# --- the monthly table (seed 002) -----------------------------------------------------------------
st.subheader("Antal borgere på § pr. måned")
maal = st.segmented_control("Vis", ["Unikke borgere", "Helårspersoner"], key=persisted("ov_maal", "Unikke borgere"),
                            help="Botilbud (§§107/108) opgøres typisk i helårspersoner, dagtilbud (§§103/104) som "
                                 "unikke borgere.") or "Unikke borgere"
remember("ov_maal")
borger_table = optaelling.month_table(per, total, "borgere", month_label=titles.get)
cols = [titles[m] for m in month_list]
if maal == "Unikke borgere":
    shown = suppress_crosstab(borger_table, "Paragraf", cols, total_col=None, total_row="Total", graense=G)
    st.caption("Total er unikke borgere under mindst én paragraf (en borger under to paragraffer tæller én gang), "
               "ikke summen af rækkerne.")
else:
    hp_total = per.group_by("maaned").agg(pl.col("helaarspersoner").sum()).sort("maaned")
    hp_table = optaelling.month_table(per, hp_total, "helaarspersoner", month_label=titles.get)
    shown = suppress_crosstab(hp_table, "Paragraf", cols, total_col=None, total_row="Total", counts=borger_table,
                              graense=G, fmt=lambda v: dansk_tal(v, 1))
    st.caption("Helårspersoner = dage med ydelse i måneden / månedens dage. Total er summen over paragraffer. "
               "Ydelser uden slutdato tæller kun til og med referencedatoen, så dens måned kan stå lavere.")
st.dataframe(shown, hide_index=True, width="stretch", height=35 * (shown.height + 1) + 3)
st.caption(explanation(G))

# --- development over time ------------------------------------------------------------------------
st.subheader("Udvikling over tid")
paragraffer = [str(p) for p in per["paragraf"].unique(maintain_order=True).to_list()]
latest = per.filter(pl.col("maaned") == month_list[-1]).sort("borgere", descending=True)
top = [str(p) for p in latest["paragraf"].to_list()[:5]]
valgt = st.multiselect("Paragraffer i grafen", paragraffer, key=persisted("ov_graf", top, paragraffer),
                       placeholder="Vælg paragraffer", select_all=False)
remember("ov_graf")
order = [titles[m] for m in month_list]
chart = (
    per.filter(pl.col("paragraf").cast(pl.String).is_in(valgt))
    .select(
        pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
        pl.col("paragraf").cast(pl.String).alias("Paragraf"),
        # small counts are left out of the chart (a gap), as in the tables
        pl.when(pl.col("borgere").is_between(1, G - 1)).then(None).otherwise(pl.col("borgere")).alias("Borgere"),
    )
)
if valgt:
    line = alt.Chart(chart).mark_line(point=True).encode(
        x=alt.X("Måned:N", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Borgere:Q", title="Unikke borgere"),
        color=alt.Color("Paragraf:N", sort=valgt, legend=alt.Legend(orient="bottom")),
        tooltip=["Måned", "Paragraf", "Borgere"],
    )
    st.altair_chart(line, width="stretch")
    st.caption(f"Måneder med 1–{G - 1} borgere under en paragraf vises ikke i grafen.")

# --- tilgang / afgang -----------------------------------------------------------------------------
st.subheader("Tilgang og afgang")
ALLE = "Alle paragraffer"
valg = st.selectbox("Paragraf", [ALLE, *paragraffer], key=persisted("ov_flow", ALLE, [ALLE, *paragraffer]))
remember("ov_flow")
st.caption("Tilgang: borgere med paragraffen i måneden, men ikke måneden før. Afgang: borgere med den måneden før, "
           "men ikke i måneden." + (" For alle paragraffer tæller kun borgere, der kommer til eller forlader "
                                    "området helt (et skift mellem paragraffer er hverken tilgang eller afgang)."
                                    if valg == ALLE else ""))
flow = total if valg == ALLE else per.filter(pl.col("paragraf").cast(pl.String) == valg).drop("paragraf")
c_chart, c_table = st.columns([3, 2])
flow_chart = flow.select(
    pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
    pl.when(pl.col("tilgang").is_between(1, G - 1)).then(None).otherwise(pl.col("tilgang")).alias("Tilgang"),
    pl.when(pl.col("afgang").is_between(1, G - 1)).then(None).otherwise(-pl.col("afgang")).alias("Afgang"),
).unpivot(index="Måned", variable_name="Bevægelse", value_name="Borgere")
bars = alt.Chart(flow_chart).mark_bar().encode(
    x=alt.X("Måned:N", sort=order, axis=alt.Axis(labelAngle=0)),
    y=alt.Y("Borgere:Q", title="Borgere (afgang negativ)"),
    color=alt.Color("Bevægelse:N", scale=alt.Scale(domain=["Tilgang", "Afgang"], range=["#2e7d32", "#c62828"]),
                    legend=alt.Legend(orient="bottom")),
    tooltip=["Måned", "Bevægelse", "Borgere"],
)
if flow_chart["Borgere"].drop_nulls().abs().sum() > 0:
    c_chart.altair_chart(bars, width="stretch")
else:
    c_chart.info(f"Ingen måneder med {G} eller flere borgere i tilgang eller afgang – tallene står i tabellen "
                 "(små tal som '<5').", icon=":material/bar_chart_off:")
flow_table = suppress_table(flow.with_columns(pl.col("helaarspersoner").round(1)), ["helaarspersoner"],
                            graense=G, count_col="borgere")
flow_table = suppress_table(flow_table, ["borgere", "tilgang", "afgang"], graense=G).select(
    pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
    pl.col("borgere").alias("Borgere"),
    pl.col("tilgang").alias("Tilgang"),
    pl.col("afgang").alias("Afgang"),
    pl.col("helaarspersoner").str.replace(r"\.", ",").alias("Helårspersoner"),
)
c_table.dataframe(flow_table, hide_index=True, width="stretch", height=35 * (flow_table.height + 1) + 3)
