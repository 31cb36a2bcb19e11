"""Økonomi: udgift pr. paragraf, kategori, konto og kommune, enhedsudgift, budget mod forbrug med
prognose, og sammenligning med de andre kommuner i datasættet (workbench/sider/oekonomi.py)."""

import streamlit as st

from workbench.sider import oekonomi
from workbench.regler.periods import dansk_dato
from workbench.regler.suppression import explanation, threshold
from workbench.ui import auth, data
from workbench.ui import oekonomi_cache as oc, valg
from workbench.regler.periods import maaned_valg
from workbench.ui.widgets import vaelg

principal = auth.require_page("oekonomi")

st.title("Økonomi")
st.caption("Udgift, enhedsudgift (kr. pr. helårsperson og pr. borger) og budget mod forbrug pr. paragraf.")

paa = data.data_date()
kommuner = valg.kommuner(principal)
c1, c2, c3 = st.columns([1, 1, 2])
aar = vaelg(c1, "År", valg.aar(paa), key="oe_aar")  # the first: oc.standard_aar(paa)
maaned = vaelg(c2, "Måned", ["Hele året"] + maaned_valg(aar, paa), key="oe_maaned",
                      format_func=lambda m: m if m == "Hele året" else oekonomi.MAANEDER[int(m) - 1].capitalize())
kommune = vaelg(c3, "Handlekommune", [None, *kommuner], format_func=valg.kommune_label, key="oe_kommune")
periode = aar if maaned == "Hele året" else f"{aar}-{maaned}"
res = oc.side(principal, periode, kommune, paa)
p = res.periode
st.caption(f"Periode {p.label_paa(paa)} ({dansk_dato(p.fra)}–{dansk_dato(p.til)}); dage efter udtræksdatoen "
           f"{dansk_dato(paa)} tæller ikke. {oekonomi.KILDE_TEKST[res.kilde]}")

k1, k2, k3 = st.columns(3)
k1.metric("Udgift i perioden", res.udgift_i_alt())
k2.metric("Helårspersoner (sum over paragraffer)", res.helaarspersoner_i_alt())
b = res.budget
if b.har_budget and b.tabel["budget"].sum() > 0:
    k3.metric(f"Forbrugsprocent {b.aar} til og med {b.til_maaned}", b.forbrugsprocent_i_alt())

# Lazy tabs: only the open tab is laid out and sent to the browser (a tab click reruns from the cache).
t_udgift, t_budget, t_sml = st.tabs(["Udgift og enhedsudgift", "Budget og forbrug", "Sammenligning"],
                                    key="oe_fane", on_change="rerun")


def udgift_fane() -> None:
    if res.pr_maaned.height:
        st.altair_chart(oekonomi.udgift_chart(res.pr_maaned), width="stretch")
        st.caption(oekonomi.UDELADT_I_GRAF.format(g=threshold()))
    st.markdown("**Pr. paragraf**")
    st.dataframe(oekonomi.overskrifter(oekonomi.vis_tabel(res.enhedsudgift)), hide_index=True)
    st.markdown("**Pr. tilbudstype**")
    st.caption(oekonomi.TILBUD_KILDE)
    st.dataframe(oekonomi.overskrifter(oekonomi.vis_tabel(res.tilbudstype)), hide_index=True)
    dim = st.radio("Udgift fordelt på", ["kategori", "konto", "handlekommune", "betalingskommune"], horizontal=True,
                   key="oe_dim", format_func=lambda d: oekonomi.OVERSKRIFTER[d])
    st.dataframe(oekonomi.vis_tabel(res.udgift_fordelt(dim),
                                    count_col=None).rename({"vaerdi": oekonomi.OVERSKRIFTER[dim],
                                                            "udgift": "Udgift (kr.)"}), hide_index=True)
    st.caption(oekonomi.FOLK1A_TEKST)


def budget_fane() -> None:
    if not b.har_budget:
        st.info("Datasættet har ingen budgettabel (budget er valgfri i datakontrakten).")
    else:
        over = b.over_budget
        if over:
            st.error(f"Over budget (prognose over grænsen): {', '.join(over)}", icon=":material/warning:")
        st.altair_chart(oekonomi.budget_chart(b.diagram()), width="stretch")
        st.dataframe(oekonomi.overskrifter(res.budget_vist()), hide_index=True)
        st.caption("Prognose, løbende tempo – antagelse: " + b.antagelse_tempo)
        st.caption("Prognose, som sidste år – antagelse: " + b.antagelse_sidste_aar)
        st.caption("Budgettet følger betalingskommunen (den kommune, der betaler).")


def sammenligning_fane() -> None:
    tab = res.sammenligning
    if tab.height < 2:
        st.info("Datasættet har kun én kommune; der er ingen andre at sammenligne med.")
    else:
        st.altair_chart(oekonomi.sammenligning_chart(tab), width="stretch")
    st.dataframe(oekonomi.overskrifter(oekonomi.vis_tabel(tab.drop("handlekommune"))), hide_index=True)


for fane, tegn in ((t_udgift, udgift_fane), (t_budget, budget_fane), (t_sml, sammenligning_fane)):
    if fane.open:
        with fane:
            tegn()
st.caption(explanation())
