"""Server entry (`streamlit run serve.py`, used by ./run.sh): app.py inside Streamlit's ASGI app,
plus the workbench's session-cookie routes and security headers (workbench/ui/server.py)."""

import threading

import streamlit as st

from workbench.ui import server


def _forvarm() -> None:
    from workbench.ui import data

    data.ved_serverstart()


# the dataset and the first page's modules are loaded while the server starts, before a browser connects
threading.Thread(target=_forvarm, name="ffb-serverstart", daemon=True).start()
app = st.App("app.py", routes=server.routes(), middleware=server.middleware())
