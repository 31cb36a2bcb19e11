"""Access-log hook for pages.

Call for every borger page view, search, export, unmask and sample:
    log_action("vis_borger", borger_ids=["B1"], detalje="...")
Actions: vis_borger, soeg, eksport, vis_cpr, stikproeve (constants in workbench.lager.accesslog).
The entry is written to the database (append-only) with time, user and role. CPR-looking text in
`detalje` is masked. Streamlit reruns a page on every interaction: an identical entry (same action,
borger ids and detalje) from the same session within DEDUP_SECONDS is written once.
A failure to write raises: a borger view that cannot be logged is not shown.
"""

from __future__ import annotations

import time
from typing import Iterable

import streamlit as st

from workbench.regler import access
from workbench.lager import accesslog

DEDUP_SECONDS = 600
_LAST = "_ffb_audit_sidst"


def log_action(action: str, borger_ids: Iterable[str] = (), detalje: str = "", behold: Iterable[str] = ()) -> None:
    """`behold`: values in `detalje` known not to be CPR numbers (the tilbud ids the page looked up)."""
    from workbench.ui import auth

    principal = auth.current_principal() or access.Principal("(ukendt)", "")
    ids = [str(b) for b in borger_ids if b is not None]
    key = (principal.username, action, tuple(ids), detalje)
    # a page may log several entries per run (Tilsyn: the case list and the case): remember each
    recent = {k: t for k, t in st.session_state.get(_LAST, {}).items() if _age(t) < DEDUP_SECONDS}
    if key in recent:
        return
    accesslog.log(auth.engine(), principal, action, ids, detalje, behold=behold)
    recent[key] = time.monotonic()
    st.session_state[_LAST] = recent


def _age(t: float) -> float:
    return time.monotonic() - t
