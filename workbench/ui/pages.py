"""The page list: key, file, title, url path, icon. app.py builds st.navigation from it."""

from __future__ import annotations

PAGES = [
    # key, file, title, url_path, icon
    ("overblik", "sidefiler/overblik.py", "Overblik", "overblik", ":material/dashboard:"),
    ("udforsk", "sidefiler/udforsk.py", "Udforsk", "udforsk", ":material/table_chart:"),
    ("kort", "sidefiler/kort.py", "Kort", "kort", ":material/map:"),
    ("borger", "sidefiler/borger.py", "Borgerforløb", "borger", ":material/person:"),
    ("sagsoverblik", "sidefiler/sagsoverblik.py", "Sagsoverblik", "sagsoverblik", ":material/task_alt:"),
    ("tilbud", "sidefiler/tilbud.py", "Tilbud", "tilbud", ":material/home_work:"),
    ("resultater", "sidefiler/resultater.py", "Resultater", "resultater", ":material/trending_up:"),
    ("kvalitet", "sidefiler/kvalitet.py", "Kvalitet", "kvalitet", ":material/rule:"),
    ("tilsyn", "sidefiler/tilsyn.py", "Tilsyn", "tilsyn", ":material/fact_check:"),
    ("oekonomi", "sidefiler/oekonomi.py", "Økonomi", "oekonomi", ":material/payments:"),
    ("servicemaal", "sidefiler/servicemaal.py", "Servicemål og klager", "servicemaal", ":material/timer:"),
    ("rapporter", "sidefiler/rapporter.py", "Rapporter", "rapporter", ":material/description:"),
    ("adgangslog", "sidefiler/adgangslog.py", "Adgangslog", "adgangslog", ":material/policy:"),
    ("brugere", "sidefiler/brugere.py", "Brugere", "brugere", ":material/group:"),
    ("import", "sidefiler/import.py", "Import", "import", ":material/upload_file:"),
]
