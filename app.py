"""FFB Workbench entry point: sign-in / role gate and navigation, nothing else.

Only the pages the role may see are registered, so a page outside the role is neither in the
navigation nor reachable by its URL.
"""

import streamlit as st

from workbench.ui import data

# The data are opened and collected in the background while the rest is imported (data.preload).
data.preload()

from workbench.regler import access  # noqa: E402
from workbench.ui import auth  # noqa: E402
from workbench.ui.pages import PAGES  # noqa: E402
from workbench.ui.widgets import sidebar_data_date  # noqa: E402

st.set_page_config(page_title="FFB Workbench", page_icon=":material/analytics:", layout="wide")

principal = auth.require_principal()
data.preload(principal)  # the principal's scoped part, while the page's modules are imported
allowed = [p for p in PAGES if access.page_allowed(principal, p[0])]
if not allowed:
    auth.sidebar_user(principal)
    st.error("Din rolle giver ikke adgang til nogen sider.")
    st.stop()
default = "overblik" if any(p[0] == "overblik" for p in allowed) else allowed[0][0]
if principal.tilbud_ids and any(p[0] == "tilbud" for p in allowed):
    default = "tilbud"  # a tilbudsleder / udfører lands on her own tilbud
_rolle = access.role(principal.rolle)
if _rolle is not None and _rolle.scope == "sagsbehandler" and any(p[0] == "sagsoverblik" for p in allowed):
    default = "sagsoverblik"  # a sagsbehandler lands on what she must do next (issue 22)
pages = [st.Page(file, title=title, url_path=url, icon=icon) for key, file, title, url, icon in allowed]
landing = next(p for p, (key, *_) in zip(pages, allowed) if key == default)


def start() -> None:
    """The app's root address opens the role's landing page at its own address. (Marking that page as
    Streamlit's default would serve it at '/' only: its own address, e.g. /overblik or a bookmarked
    /tilbud?tilbud=…, would give Streamlit's English 'Page not found'.)"""
    st.switch_page(landing)


pages.insert(0, st.Page(start, title="FFB Workbench", url_path="start", default=True, visibility="hidden"))
auth.sidebar_user(principal)
sidebar_data_date()  # "Data pr. dd-mm-åååå" on every page
st.navigation(pages, expanded=True).run()  # every page listed: no English "View N more" button

# After the page: Kvalitet's heavy computation starts in the background (once per dataset version,
# scope and reference date), so its first visit finds it ready (workbench/ui/kvalitet_cache.py), and so
# do the default views of Overblik, Udforsk and Økonomi (workbench/ui/forvarmning.py).
from workbench.ui import forvarmning  # noqa: E402  (not on the first page's critical path)
from workbench.ui.kvalitet_cache import prewarm  # noqa: E402

prewarm(principal)
forvarmning.start(principal)
