"""The pages' first views computed in the background (issue 24: first visit of every page < 2 s).

app.py calls start(principal) after the first page. One background thread (data.background: once per
dataset version, principal scope and reference date, and process) puts the default view of Overblik,
Udforsk and Økonomi into the same caches the pages read, through each page's cache module
(`varm_standardvisning`: the page's own default arguments and cache keys), so a first visit reads
them instead of computing 1-1,5 s of server CPU. The numbers are the page's: the same cached functions and keys; a
visit while the thread runs waits for the same computation (Streamlit's cache_resource computes one key
once). Kvalitet's heavier computation has its own thread (kvalitet_cache.prewarm).

Besides, once per process and for every principal, the modules that a page pays for the first time it is
shown in a process are imported in the background (PROCES_MODULER): Streamlit compiles its emoji regex
(~0,27 s CPU) the first time an alert or a segmented control carries non-ASCII text (every Danish label
with æ, ø or å), and Altair (~0,2 s) and pydeck (~0,1 s) are imported by the first chart or map; and
vl-convert renders the statusrapport's charts (~1 s to start its runtime).

As for Kvalitet, the page views only for a principal who sees the whole dataset (scope 'alle', no kommuner): there are
few such scopes, so the background work stays bounded (about 3 s CPU per dataset version on the national
demo); a narrower scope computes its smaller views on its first visit.
"""

from __future__ import annotations

import importlib
import threading
import time

from workbench.regler import access
from workbench.ui import data, oekonomi_cache, overblik_cache, udforsk_cache

# (page key, its cache module's varm_standardvisning): in the order a user most likely opens them
SIDER = (("overblik", overblik_cache.varm_standardvisning), ("udforsk", udforsk_cache.varm_standardvisning),
         ("oekonomi", oekonomi_cache.varm_standardvisning))
DELAY_S = 2.0  # let the browser draw the page that started it first (same two cores)
PROCES_MODULER = ("streamlit.emojis", "altair", "pydeck")


def start_proces() -> threading.Thread | None:
    """Import PROCES_MODULER and start the report's chart renderer (vl-convert's JavaScript runtime, ~1 s
    on its first chart: workbench.format.udskrift.varm) in a background thread, once per process (None:
    already started or off)."""
    def work() -> None:
        time.sleep(DELAY_S)
        for name in PROCES_MODULER:
            importlib.import_module(name)
        from workbench.format import udskrift

        udskrift.varm()

    return data.background(("proces-moduler",), work, "proces-moduler")


def start(principal: access.Principal) -> threading.Thread | None:
    """Compute the default views of the principal's pages among SIDER in a background thread (None when
    already started for this version, scope and date, switched off, or nothing to do); and, for every
    principal, start_proces()."""
    start_proces()
    sider = [(key, fn) for key, fn in SIDER if access.page_allowed(principal, key)]
    if not sider or not access.hele_datasaettet(principal):
        return None

    def work(ds, paa) -> None:
        for _key, varm in sider:
            varm(ds, principal, paa)

    return data.after_first_page(principal, "sider-forvarmning", DELAY_S, work)
