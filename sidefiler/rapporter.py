"""Rapporter: statusrapporten (politisk, administrativ, drift) for en periode og kommune – forhåndsvisning,
PDF/HTML og listen over tidligere rapporter med deres dataversion (workbench/sider/rapport.py)."""

import streamlit as st
import streamlit.components.v1 as components

from data_model import db
from workbench.sider import rapport
from workbench.lager import rapportarkiv
from workbench.sider.oekonomi import MAANEDER
from workbench.regler.periods import dansk_dato
from workbench.ui import auth, data
from workbench.ui import rapporter_cache as rc, valg
from workbench.regler.periods import maaned_valg
from workbench.ui.widgets import vaelg
from workbench.ui.eksport import eksport_knap

principal = auth.require_page("rapporter")

st.title("Rapporter")
st.caption("Statusrapport med udvikling i antal borgere, udgifter og enhedsudgifter, budget mod forbrug og "
           "sammenligning med andre kommuner – som PDF til udvalg og ledelse. Samme tal som siderne.")

paa = data.data_date()
engine = db.get_engine(db.database_url(data.data_path()))
version = data.dataset_version()
cfg = rapport.load_rapport_config()

c1, c2, c3, c4 = st.columns([1.3, 1, 1, 2])
niveau = vaelg(c1, "Niveau", list(rapport.NIVEAUER), key="ra_niveau",
                      format_func=lambda n: f"{n.capitalize()} – {cfg.niveauer[n][0]}")
aar = vaelg(c2, "År", valg.aar(paa), key="ra_aar")
maaned = vaelg(c3, "Måned", ["Hele året"] + maaned_valg(aar, paa), key="ra_maaned",
                      format_func=lambda m: m if m == "Hele året" else MAANEDER[int(m) - 1].capitalize())
kommune = vaelg(c4, "Kommune", [None, *valg.kommuner(principal)], format_func=valg.kommune_label, key="ra_kommune")
periode = aar if maaned == "Hele året" else f"{aar}-{maaned}"
st.caption(f"Sektioner på niveauet: {', '.join(rapport.SEKTIONER[s] for s in cfg.niveauer[niveau][1])}. "
           f"Referencedato {dansk_dato(paa)} (udtræksdatoen).")

r, html = rc.rapport_html(principal, niveau, periode, kommune, paa)
name = f"statusrapport_{niveau}_{periode}{'_' + kommune if kommune else ''}"


def _gem(fmt: str, indhold: bytes) -> None:
    rapportarkiv.gem(engine, bruger=principal.username, niveau=niveau, periode=periode, kommune=kommune, paa=paa,
                     datasaet_version=version, datasaet_sti=str(data.data_path()), fmt=fmt, indhold=indhold)


d1, d2 = st.columns(2)
# the PDF is built only when asked for (deferred data), not on every render
# every download is logged (the report holds aggregates only: no borger ids) and archived
eksport_knap(d1, "Hent PDF", lambda: rc.pdf(html), f"{name}.pdf", key="ra_pdf", detalje=f"statusrapport {name}.pdf",
             efter=lambda: _gem("pdf", rc.pdf(html)))
eksport_knap(d2, "Hent HTML", html.encode("utf-8"), f"{name}.html", key="ra_html", detalje=f"statusrapport {name}.html",
             efter=lambda: _gem("html", html.encode("utf-8")))
if r.tom:
    st.warning(f"Perioden {r.periode.label()} indeholder ingen data.")

st.subheader("Forhåndsvisning")
components.html(html, height=900, scrolling=True)

st.subheader("Tidligere rapporter")
tidligere = rapportarkiv.liste(engine, principal=principal)
if not tidligere.height:
    st.info("Der er ikke hentet nogen rapporter endnu.")
else:
    st.caption("En rapport kan dannes igen med samme niveau, periode, kommune og referencedato. Tallene er de "
               "samme, når datasæt-versionen er den samme som da rapporten blev lavet.")
    st.dataframe(tidligere.rename({"id": "Nr.", "oprettet": "Oprettet (UTC)", "bruger": "Bruger", "niveau": "Niveau",
                                   "periode": "Periode", "kommune": "Kommune", "paa": "Referencedato",
                                   "datasaet_version": "Datasæt-version", "format": "Format"}), hide_index=True)
    valgt = vaelg(st, "Dan en tidligere rapport igen", tidligere["id"].to_list(), key="ra_igen",
                         format_func=lambda i: f"Nr. {i}")
    row = rapportarkiv.hent(engine, valgt, principal)
    if row is not None:
        if row.datasaet_version != version:
            st.warning(f"Rapport nr. {row.id} blev lavet på datasæt-version {row.datasaet_version}; den aktuelle er "
                       f"{version}. Gendan den version (ffb-workbench rul-tilbage) for at få de samme tal.")
        r2, html2 = rc.rapport_html(principal, row.niveau, row.periode, row.kommune, row.paa)
        eksport_knap(st, f"Hent rapport nr. {row.id} igen (PDF)", rc.pdf(html2),
                     f"statusrapport_{row.niveau}_{row.periode}_nr{row.id}.pdf", key="ra_igen_pdf",
                     detalje=f"statusrapport nr. {row.id} igen (PDF)")
