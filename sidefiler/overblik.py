"""Overblik: nøgletal, antal borgere pr. paragraf pr. måned (som seed 002), udvikling, tilgang og afgang.

Every number comes from workbench.ui.overblik_cache.results (optaelling.overblik): the KPI cards are the
Total row of the table for the last month shown, and the per-paragraf rows are the `optaelling` command's
table. Suppression is decided by workbench.regler.suppression (exact for roles with the borger list).
"""

import altair as alt
import polars as pl
import streamlit as st

from workbench.regler import access, flis, optaelling, paragraffer, suppression
from workbench.format import export as X
from workbench.regler.periods import parse_month
from workbench.ui import auth, data
from workbench.ui import overblik_cache as oc
from workbench.ui.widgets import Kpi, dansk_dato, dansk_maaned, dansk_tal, kpi_cards, persisted, remember
from workbench.ui.widgets import vaelg
from workbench.format.dansk import DATO_INPUT, TOM

principal = auth.require_page("overblik")
visning = suppression.for_principal(principal)
G = visning.graense


def antal(v) -> str:
    return suppression.antal(v, visning)


st.title("Overblik")
st.caption(
    "**Definitioner.** En borger tæller under en paragraf i en måned, når en af borgerens ydelser under "
    "paragraffen dækker mindst én dag af måneden; ydelser uden slutdato løber til og med referencedatoen, og dage "
    "efter referencedatoen tæller aldrig. **Helårspersoner** = dage med ydelse i måneden (pr. borger og paragraf, "
    "overlap tælles én gang) / månedens dage; i alt er summen over paragrafferne. **Tilgang** = borgere med "
    "paragraffen i måneden, men ikke måneden før. **Afgang** = borgere med paragraffen måneden før, men ikke i "
    "måneden (en ydelse, der slutter 1. juni, er afgang i juli).")

# --- filters --------------------------------------------------------------------------------------
c_paa, c_fra, c_til, c_handle, c_betaling = st.columns([1.2, 1.2, 1.2, 2, 2])
seneste = data.data_date()
paa = c_paa.date_input("Referencedato", key=persisted("ov_paa", seneste), format=DATO_INPUT,
                       help="Ydelser uden slutdato løber til og med denne dato, og dage efter den tæller ikke. "
                            f"Standard er datasættets udtræksdato ({dansk_dato(seneste)}).")
maaneder = oc.month_options(principal, paa)  # never a month after the reference date's month
til_default = maaneder[-1]
fra_default = maaneder[max(0, len(maaneder) - 12)]
fra_s = vaelg(c_fra, "Fra måned", maaneder, key=persisted("ov_fra", fra_default, maaneder),
                        format_func=dansk_maaned)
til_s = vaelg(c_til, "Til måned", maaneder, key=persisted("ov_til", til_default, maaneder),
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
per, total, kpi = res.per_paragraf, res.total, res.kpi
periode = f"{dansk_maaned(fra, kort=True)} – {dansk_maaned(til, kort=True)}"

# --- KPI cards: the Total row of the table for the last month -------------------------------------
maaned = dansk_maaned(kpi.maaned, kort=True)
# the month's tilgang and afgang as the table shows them: hidden together (suppression.flow_mask), else the
# shown one and the borgere of two months give the hidden one away
flow_skjult = dict(zip(total["maaned"].to_list(), suppression.flow_mask(total, "borgere", "tilgang", "afgang", visning)))
flow_kpi = (lambda v: suppression.SEKUNDAER) if flow_skjult.get(kpi.maaned) else antal
kpi_cards([
    Kpi(f"Borgere i {maaned}", antal(kpi.borgere),
        help=f"Unikke borgere under mindst én paragraf i {maaned} (tabellens Total)."),
    Kpi(f"Helårspersoner i {maaned}",
        suppression.skjult_vaerdi(kpi.helaarspersoner, kpi.borgere, visning, lambda v: dansk_tal(v, 1)),
        help=f"Summen over paragraffer af helårspersoner i {maaned} (tabellens Total i visningen Helårspersoner)."),
    Kpi(f"Tilgang i {maaned}", flow_kpi(kpi.tilgang),
        help=f"Borgere under en paragraf i {maaned}, men under ingen måneden før."),
    Kpi(f"Afgang i {maaned}", flow_kpi(kpi.afgang),
        help=f"Borgere under en paragraf måneden før {maaned}, men under ingen i {maaned}."),
    Kpi("Aktive ydelser", antal(kpi.aktive_ydelser), help=f"Ydelser, der er aktive den {dansk_dato(paa)}."),
])
# --- the FLIS-corrected count beside the raw one (regler.flis; `optaelling --flis`) ------------------
fr = oc.flis_results(principal, til, paa, handle, betaling)
fk = fr.kpi
kpi_cards([
    Kpi(f"FLIS-korrigeret: borgere i {maaned}", antal(fk.borgere),
        help="Som Borgere ovenfor, men uden de ydelser, FLIS fjerner før offentliggørelse."),
    Kpi(f"FLIS-korrigeret: helårspersoner i {maaned}",
        suppression.skjult_vaerdi(fk.helaarspersoner, fk.borgere, visning, lambda v: dansk_tal(v, 1)),
        help="Som Helårspersoner ovenfor, men uden de ydelser, FLIS fjerner før offentliggørelse."),
    Kpi("Ydelser FLIS fjerner", antal(fr.udeladt),
        help="Ydelser blandt de valgte kommuners, som FLIS opmærker og fjerner (se Kvalitet)."),
])
st.caption(flis.FORKLARING)

if per.height == 0:
    st.info(f"Ingen borgere med ydelser i {periode} for de valgte kommuner.")
    st.stop()

month_list = total["maaned"].to_list()
titles = {m: dansk_maaned(m, kort=True) for m in month_list}
cols = [titles[m] for m in month_list]

# --- the monthly table (seed 002) -----------------------------------------------------------------
st.subheader("Antal borgere på § pr. måned")
EGEN, UNIKKE, HP = "Paragraffens enhed", "Unikke borgere", "Helårspersoner"
maal = st.segmented_control("Vis", [EGEN, UNIKKE, HP], key=persisted("ov_maal", EGEN),
                            help="Paragraffens enhed: botilbud (§§107–110) i helårspersoner, øvrige paragraffer som "
                                 "unikke borgere (som DST og KL opgør dem).") or EGEN
remember("ov_maal")
borger_table = optaelling.month_table(per, total, "borgere", month_label=titles.get)
hp_table = optaelling.month_table(per, total, "helaarspersoner", month_label=titles.get)
hp_fmt = lambda v: dansk_tal(v, 1)  # noqa: E731
if maal == UNIKKE:
    shown = suppression.suppress_crosstab(borger_table, "Paragraf", cols, total_col=None, total_row="Total",
                                          visning=visning, fmt=dansk_tal)
    st.caption("Enhed: unikke borgere. Total er unikke borgere under mindst én paragraf (en borger under to "
               "paragraffer tæller én gang), ikke summen af rækkerne.")
elif maal == HP:
    shown = suppression.suppress_crosstab(hp_table, "Paragraf", cols, total_col=None, total_row="Total",
                                          counts=borger_table, visning=visning, fmt=hp_fmt)
    st.caption("Enhed: helårspersoner = dage med ydelse i måneden / månedens dage. Total er summen over "
               "paragraffer. Referencedatoens måned tæller kun til og med referencedatoen.")
else:
    body = borger_table.filter(pl.col("Paragraf") != "Total")
    units = [paragraffer.taelling(p) for p in body["Paragraf"].to_list()]
    is_hp = pl.Series(units) == "helaarspersoner"
    unik_part = suppression.suppress_crosstab(body.filter(~is_hp), "Paragraf", cols, total_col=None,
                                              total_row=None, visning=visning, fmt=dansk_tal)
    hp_body = hp_table.filter(pl.col("Paragraf") != "Total")
    hp_part = suppression.suppress_crosstab(hp_body.filter(is_hp), "Paragraf", cols, total_col=None, total_row=None,
                                            counts=body.filter(is_hp), visning=visning, fmt=hp_fmt)
    order = {p: i for i, p in enumerate(body["Paragraf"].to_list())}
    shown = pl.concat([unik_part, hp_part]).sort(pl.col("Paragraf").replace_strict(order, return_dtype=pl.Int64))
    st.caption("Hver paragraf i sin egen enhed (kolonnen Enhed): botilbud i helårspersoner, øvrige som unikke "
               "borgere. Enhederne kan ikke lægges sammen, så der er ingen total her – vælg én enhed for at se den.")
shown = paragraffer.with_info(shown, "Paragraf", ["enhed", "dst_ydelseskode", "konto"]).rename(
    {k: v for k, v in paragraffer.HEADERS.items() if k in ("enhed", "dst_ydelseskode", "konto")}
).with_columns(pl.col("DST-ydelseskode", "Konto").fill_null(TOM))  # on screen: no code configured
if maal != EGEN:
    shown = shown.with_columns(pl.lit(maal).alias("Enhed"))
st.dataframe(shown, hide_index=True, width="stretch", height=35 * (shown.height + 1) + 3)
st.caption(suppression.explanation(visning=visning))

if access.can(principal, "eksport"):
    offentlig = st.checkbox("Til offentliggørelse", key="ov_offentlig",
                            help="Eksporten diskretioneres (små tal og totaler), uanset din rolle.")
    ev = suppression.for_export(principal, offentlig)
    if maal == HP:
        plain = suppression.suppress_crosstab(hp_table, "Paragraf", cols, total_col=None, total_row="Total",
                                              counts=borger_table, visning=ev)
    else:
        plain = suppression.suppress_crosstab(borger_table, "Paragraf", cols, total_col=None, total_row="Total",
                                              visning=ev)
    plain = paragraffer.with_info(plain, "Paragraf", ["paragraf_navn", "enhed", "dst_ydelseskode", "konto"]).rename(
        paragraffer.HEADERS, strict=False).with_columns(pl.lit(HP if maal == HP else UNIKKE).alias("Enhed"))
    meta = [("Referencedato", dansk_dato(paa)), ("Periode", periode), ("Enhed", HP if maal == HP else UNIKKE),
            ("Handlekommune", ", ".join(handle) or "alle"), ("Betalingskommune", ", ".join(betaling) or "alle"),
            ("Diskretionering", suppression.explanation(visning=ev)), ("Dataversion", data.dataset_version())]
    e1, e2 = st.columns(2)
    # built when clicked (a callable), not on every rerun: Overblik is the first page a user sees
    e1.download_button("Eksportér til Excel", lambda: X.to_xlsx_bytes({"Optælling": plain}, meta), "overblik.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ov_xlsx",
                       icon=":material/download:")
    e2.download_button("Eksportér til CSV", lambda: X.to_csv_bytes(plain), "overblik.csv", "text/csv", key="ov_csv",
                       icon=":material/download:")

# --- development over time ------------------------------------------------------------------------
st.subheader("Udvikling over tid")
paragraf_list = [str(p) for p in per["paragraf"].unique(maintain_order=True).to_list()]
latest = per.filter(pl.col("maaned") == month_list[-1]).sort("borgere", descending=True)
top = [str(p) for p in latest["paragraf"].to_list()[:5]]
valgt = st.multiselect("Paragraffer i grafen", paragraf_list, key=persisted("ov_graf", top, paragraf_list),
                       placeholder="Vælg paragraffer", select_all=False)
remember("ov_graf")
order = [titles[m] for m in month_list]


def hidden(col: str) -> pl.Expr:
    """Small counts are left out of the charts (a gap) where the tables suppress them."""
    return pl.lit(False) if visning.eksakt else pl.col(col).is_between(1, G - 1)


chart = (
    per.filter(pl.col("paragraf").cast(pl.String).is_in(valgt))
    .select(
        pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
        pl.col("paragraf").cast(pl.String).alias("Paragraf"),
        pl.when(hidden("borgere")).then(None).otherwise(pl.col("borgere")).alias("Borgere"),
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
    if not visning.eksakt:
        st.caption(f"Måneder med 1–{G - 1} borgere under en paragraf vises ikke i grafen.")

# --- tilgang / afgang -----------------------------------------------------------------------------
st.subheader("Tilgang og afgang")
ALLE = "Alle paragraffer"
valg = vaelg(st, "Paragraf", [ALLE, *paragraf_list], key=persisted("ov_flow", ALLE, [ALLE, *paragraf_list]))
remember("ov_flow")
st.caption("Tilgang: borgere med paragraffen i måneden, men ikke måneden før. Afgang: borgere med den måneden før, "
           "men ikke i måneden." + (" For alle paragraffer tæller kun borgere, der kommer til eller forlader "
                                    "området helt (et skift mellem paragraffer er hverken tilgang eller afgang); "
                                    "det er de samme tal som nøgletallene." if valg == ALLE else ""))
flow = total if valg == ALLE else per.filter(pl.col("paragraf").cast(pl.String) == valg).drop("paragraf")
c_chart, c_table = st.columns([3, 2])
# borgere(m) = borgere(m-1) + tilgang(m) - afgang(m): a month's flows are hidden together (suppression.flow_mask)
skjul = suppression.flow_mask(flow, "borgere", "tilgang", "afgang", visning)
flow_chart = flow.select(
    pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
    pl.when(pl.Series(skjul, dtype=pl.Boolean)).then(None).otherwise(pl.col("tilgang")).alias("Tilgang"),
    pl.when(pl.Series(skjul, dtype=pl.Boolean)).then(None).otherwise(-pl.col("afgang")).alias("Afgang"),
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
    c_chart.info("Ingen måneder med tilgang eller afgang at vise i grafen – tallene står i tabellen.",
                 icon=":material/bar_chart_off:")
flow_table = suppression.suppress_table(flow.with_columns(pl.col("helaarspersoner").round(1)), ["helaarspersoner"],
                                        count_col="borgere", visning=visning)
flow_table = suppression.suppress_table(suppression.suppress_flow(flow_table, "borgere", "tilgang", "afgang", visning),
                                        ["borgere"], visning=visning).select(
    pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
    pl.col("borgere").alias("Borgere"),
    pl.col("tilgang").alias("Tilgang"),
    pl.col("afgang").alias("Afgang"),
    pl.col("helaarspersoner").str.replace(r"\.", ",").alias("Helårspersoner"),
)
c_table.dataframe(flow_table, hide_index=True, width="stretch", height=35 * (flow_table.height + 1) + 3)
