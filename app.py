"""FFB Workbench entry point: sign-in / role gate and navigation, nothing else."""

import streamlit as st

from workbench import access
from workbench.ui import auth
from workbench.ui.pages import PAGES

st.set_page_config(page_title="FFB Workbench", page_icon=":material/analytics:", layout="wide")

principal = auth.require_principal()
pages = [
    st.Page(file, title=title, url_path=url, icon=icon, default=(key == "overblik"))
    for key, file, title, url, icon in PAGES
    if access.page_allowed(principal, key)
]
auth.sidebar_user(principal)
st.navigation(pages).run()
