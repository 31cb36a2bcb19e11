"""Danish defaults for Streamlit's own widget texts.

Streamlit writes "Choose an option" / "Choose options" in an empty selectbox or multiselect unless a
placeholder is given. `install()` (run once when workbench.ui is imported, so on every page, also a
page run directly) gives every selectbox and multiselect a Danish placeholder unless the call sets
its own. Texts Streamlit does not let an app set (the "No results" of an option search, the date
picker's format hint) are not covered.
"""

from __future__ import annotations

import functools

VAELG_EN = "Vælg …"
VAELG_FLERE = "Vælg en eller flere …"

_installed: list[bool] = []


def _with_placeholder(fn, text: str):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs.get("placeholder") is None:
            kwargs["placeholder"] = text
        return fn(*args, **kwargs)

    wrapper.__ffb_dansk__ = True
    return wrapper


def install() -> None:
    if _installed:
        return
    import streamlit as st
    from streamlit.elements.widgets.multiselect import MultiSelectMixin
    from streamlit.elements.widgets.selectbox import SelectboxMixin

    if not getattr(SelectboxMixin.selectbox, "__ffb_dansk__", False):
        SelectboxMixin.selectbox = _with_placeholder(SelectboxMixin.selectbox, VAELG_EN)
    if not getattr(MultiSelectMixin.multiselect, "__ffb_dansk__", False):
        MultiSelectMixin.multiselect = _with_placeholder(MultiSelectMixin.multiselect, VAELG_FLERE)
    # st.selectbox / st.multiselect are bound methods taken at import: rebind them
    st.selectbox = st._main.selectbox
    st.multiselect = st._main.multiselect
    st.sidebar.selectbox  # noqa: B018 (the sidebar's methods are looked up on the class each time)
    _installed.append(True)
