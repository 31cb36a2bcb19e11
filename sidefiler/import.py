"""Import (admin / capability 'import'): bring a kommune's exports in through a visible mapping, with
quarantine, history and rollback (workbench/ui/import_view.py)."""

import streamlit as st

from workbench.regler import access
from workbench.ui import auth
from workbench.ui.import_view import render

principal = auth.require_page("import")
if not access.can(principal, "import"):
    st.error("Du har ikke adgang til at importere data.")
    st.stop()
render(principal)
