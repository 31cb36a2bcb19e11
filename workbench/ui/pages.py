"""The page list: key, file, title, url path, icon. app.py builds st.navigation from it."""

from __future__ import annotations

PAGES = [
    # key, file, title, url_path, icon
    ("overblik", "pages/overblik.py", "Overblik", "overblik", ":material/dashboard:"),
    ("udforsk", "pages/udforsk.py", "Udforsk", "udforsk", ":material/table_chart:"),
    ("kort", "pages/kort.py", "Kort", "kort", ":material/map:"),
    ("borger", "pages/borger.py", "Borgerforløb", "borger", ":material/person:"),
    ("sagsoverblik", "pages/sagsoverblik.py", "Sagsoverblik", "sagsoverblik", ":material/task_alt:"),
    ("tilbud", "pages/tilbud.py", "Tilbud", "tilbud", ":material/home_work:"),
    ("resultater", "pages/resultater.py", "Resultater", "resultater", ":material/trending_up:"),
    ("kvalitet", "pages/kvalitet.py", "Kvalitet", "kvalitet", ":material/rule:"),
    ("tilsyn", "pages/tilsyn.py", "Tilsyn", "tilsyn", ":material/fact_check:"),
    ("oekonomi", "pages/oekonomi.py", "Økonomi", "oekonomi", ":material/payments:"),
    ("servicemaal", "pages/servicemaal.py", "Servicemål og klager", "servicemaal", ":material/timer:"),
    ("rapporter", "pages/rapporter.py", "Rapporter", "rapporter", ":material/description:"),
    ("adgangslog", "pages/adgangslog.py", "Adgangslog", "adgangslog", ":material/policy:"),
    ("brugere", "pages/brugere.py", "Brugere", "brugere", ":material/group:"),
    ("import", "pages/import.py", "Import", "import", ":material/upload_file:"),
]
