"""Server entry (`streamlit run serve.py`, used by ./run.sh): app.py inside Streamlit's ASGI app,
plus the workbench's session-cookie routes and security headers (workbench/ui/server.py)."""

import streamlit as st

from workbench.ui import server

app = st.App("app.py", routes=server.routes(), middleware=server.middleware())
