"""Overblik: nøgletal, antal borgere pr. paragraf pr. måned (som seed 002), udvikling, tilgang og afgang.

Every number comes from the view workbench.sider.overblik (through workbench.ui.overblik_cache), already
suppressed for the principal: the KPI cards are the Total row of the table for the last month shown,
and the per-paragraf rows are the `optaelling` command's table. This file only lays the result out.
"""

import altair as alt
import streamlit as st

from workbench.regler import access, flis, suppression
from workbench.format import export as X
from workbench.regler.periods import parse_month
from workbench.sider.overblik import ALLE, EGEN, ENHEDER, HP, UNIKKE
from workbench.ui import auth, data
from workbench.ui import overblik_cache as oc
from workbench.ui.widgets import Kpi, dansk_dato, dansk_maaned, kpi_cards, persisted, remember
from workbench.ui.widgets import vaelg
from workbench.ui.eksport import eksport_knap
from workbench.format.dansk import DATO_INPUT

principal = auth.require_page("overblik")
visning = suppression.for_principal(principal)
G = visning.graense


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
fra_default, til_default = oc.standard_maaneder(maaneder)  # the last 12 months
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
periode = f"{dansk_maaned(fra, kort=True)} – {dansk_maaned(til, kort=True)}"

# --- KPI cards: the Total row of the table for the last month -------------------------------------
maaned = res.maaned_titel
k = res.noegletal_tekster()
kpi_cards([
    Kpi(f"Borgere i {maaned}", k.borgere,
        help=f"Unikke borgere under mindst én paragraf i {maaned} (tabellens Total)."),
    Kpi(f"Helårspersoner i {maaned}", k.helaarspersoner,
        help=f"Summen over paragraffer af helårspersoner i {maaned} (tabellens Total i visningen Helårspersoner)."),
    Kpi(f"Tilgang i {maaned}", k.tilgang,
        help=f"Borgere under en paragraf i {maaned}, men under ingen måneden før."),
    Kpi(f"Afgang i {maaned}", k.afgang,
        help=f"Borgere under en paragraf måneden før {maaned}, men under ingen i {maaned}."),
    Kpi("Aktive ydelser", k.aktive_ydelser, help=f"Ydelser, der er aktive den {dansk_dato(paa)}."),
])
# --- the FLIS-corrected count beside the raw one (regler.flis; `optaelling --flis`) ------------------
fr = oc.flis_results(principal, til, paa, handle, betaling)
fk = fr.noegletal_tekster()
kpi_cards([
    Kpi(f"FLIS-korrigeret: borgere i {maaned}", fk.borgere,
        help="Som Borgere ovenfor, men uden de ydelser, FLIS fjerner før offentliggørelse."),
    Kpi(f"FLIS-korrigeret: helårspersoner i {maaned}", fk.helaarspersoner,
        help="Som Helårspersoner ovenfor, men uden de ydelser, FLIS fjerner før offentliggørelse."),
    Kpi("Ydelser FLIS fjerner", fr.udeladt_tekst,
        help="Ydelser blandt de valgte kommuners, som FLIS opmærker og fjerner (se Kvalitet)."),
])
st.caption(flis.FORKLARING)

if res.tom:
    st.info(f"Ingen borgere med ydelser i {periode} for de valgte kommuner.")
    st.stop()

# --- the monthly table (seed 002) -----------------------------------------------------------------
st.subheader("Antal borgere på § pr. måned")
maal = st.segmented_control("Vis", list(ENHEDER), key=persisted("ov_maal", EGEN),
                            help="Paragraffens enhed: botilbud (§§107–110) i helårspersoner, øvrige paragraffer som "
                                 "unikke borgere (som DST og KL opgør dem).") or EGEN
remember("ov_maal")
shown = res.maaned_tabel(maal)
if maal == UNIKKE:
    st.caption("Enhed: unikke borgere. Total er unikke borgere under mindst én paragraf (en borger under to "
               "paragraffer tæller én gang), ikke summen af rækkerne.")
elif maal == HP:
    st.caption("Enhed: helårspersoner = dage med ydelse i måneden / månedens dage. Total er summen over "
               "paragraffer. Referencedatoens måned tæller kun til og med referencedatoen.")
else:
    st.caption("Hver paragraf i sin egen enhed (kolonnen Enhed): botilbud i helårspersoner, øvrige som unikke "
               "borgere. Enhederne kan ikke lægges sammen, så der er ingen total her – vælg én enhed for at se den.")
st.dataframe(shown, hide_index=True, width="stretch", height=35 * (shown.height + 1) + 3)
st.caption(suppression.explanation(visning=visning))

if access.can(principal, "eksport"):
    offentlig = st.checkbox("Til offentliggørelse", key="ov_offentlig",
                            help="Eksporten diskretioneres (små tal og totaler), uanset din rolle.")
    ev = oc.export_visning(principal, offentlig)
    plain = res.eksport_tabel(maal, ev)
    meta = [("Referencedato", dansk_dato(paa)), ("Periode", periode), ("Enhed", res.eksport_enhed(maal)),
            ("Handlekommune", ", ".join(handle) or "alle"), ("Betalingskommune", ", ".join(betaling) or "alle"),
            ("Diskretionering", suppression.explanation(visning=ev)), ("Dataversion", data.dataset_version())]
    e1, e2 = st.columns(2)
    # built when clicked (a callable), not on every rerun: Overblik is the first page a user sees
    eksport_knap(e1, "Eksportér til Excel", lambda: X.to_xlsx_bytes({"Optælling": plain}, meta), "overblik.xlsx",
                 key="ov_xlsx", detalje=f"Overblik (xlsx): {periode}, {res.eksport_enhed(maal)}")
    eksport_knap(e2, "Eksportér til CSV", lambda: X.to_csv_bytes(plain), "overblik.csv", key="ov_csv",
                 detalje=f"Overblik (csv): {periode}, {res.eksport_enhed(maal)}")

# --- development over time ------------------------------------------------------------------------
st.subheader("Udvikling over tid")
paragraf_list = list(res.paragraf_liste)
valgt = st.multiselect("Paragraffer i grafen", paragraf_list, key=persisted("ov_graf", list(res.top), paragraf_list),
                       placeholder="Vælg paragraffer", select_all=False)
remember("ov_graf")
order = res.kolonner

if valgt:
    line = alt.Chart(res.graf(valgt)).mark_line(point=True).encode(
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
valg = vaelg(st, "Paragraf", [ALLE, *paragraf_list], key=persisted("ov_flow", ALLE, [ALLE, *paragraf_list]))
remember("ov_flow")
st.caption("Tilgang: borgere med paragraffen i måneden, men ikke måneden før. Afgang: borgere med den måneden før, "
           "men ikke i måneden." + (" For alle paragraffer tæller kun borgere, der kommer til eller forlader "
                                    "området helt (et skift mellem paragraffer er hverken tilgang eller afgang); "
                                    "det er de samme tal som nøgletallene." if valg == ALLE else ""))
flow = res.flow(valg)
c_chart, c_table = st.columns([3, 2])
bars = alt.Chart(flow.graf).mark_bar().encode(
    x=alt.X("Måned:N", sort=order, axis=alt.Axis(labelAngle=0)),
    y=alt.Y("Borgere:Q", title="Borgere (afgang negativ)"),
    color=alt.Color("Bevægelse:N", scale=alt.Scale(domain=["Tilgang", "Afgang"], range=["#2e7d32", "#c62828"]),
                    legend=alt.Legend(orient="bottom")),
    tooltip=["Måned", "Bevægelse", "Borgere"],
)
if flow.har_bevaegelse:
    c_chart.altair_chart(bars, width="stretch")
else:
    c_chart.info("Ingen måneder med tilgang eller afgang at vise i grafen – tallene står i tabellen.",
                 icon=":material/bar_chart_off:")
c_table.dataframe(flow.tabel, hide_index=True, width="stretch", height=35 * (flow.tabel.height + 1) + 3)
