"""Sign-in and the current principal (issue 7 builds the real login; until then: admin)."""

from __future__ import annotations

from workbench import access


def current_principal() -> access.Principal:
    return access.ADMIN


def require_principal() -> access.Principal:
    """The signed-in principal; shows the login form and stops the script when nobody is."""
    return current_principal()


def sidebar_user(principal: access.Principal) -> None:
    import streamlit as st

    st.sidebar.caption(f"Logget ind som **{principal.username}** ({principal.rolle})")
