"""The dataset as the app sees it: opened and collected once per version for every session, then
scoped and collected once per (version, principal), cached.

Pages call `scoped_dataset()` and get a Dataset whose LazyFrames sit on cached, collected frames
already scoped to the signed-in principal, rejected rows included (no page re-opens the files).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import threading
import time
from pathlib import Path

import polars as pl
import streamlit as st

from workbench.regler import access
from workbench.data.dataset import Dataset, open_dataset, peek_version, udtraeksdato
from workbench.data.paths import demo_dir, is_object_url, object_url


_log = logging.getLogger(__name__)
# Background work (preload() here, kvalitet_cache.prewarm()): on in the app, off in tests
# (tests/conftest.py), where a thread outliving its test could fill the next test's cleared cache.
# FFB_WORKBENCH_BAGGRUND=0 switches it off in the app too (the bench's first visits without warm-up).
BACKGROUND = os.environ.get("FFB_WORKBENCH_BAGGRUND", "1") != "0"
_preloaded: set[tuple] = set()
_preload_lock = threading.Lock()


def background(key: tuple, work, name: str) -> threading.Thread | None:
    """Run work() in a daemon thread once per key and process (None: already started, or
    BACKGROUND is off). A failure is logged and forgotten: the page then does the work itself
    and shows the error."""
    if not BACKGROUND:
        return None
    with _preload_lock:
        if key in _preloaded:
            return None
        _preloaded.add(key)

    def run() -> None:
        try:
            work()
        except Exception:
            _log.exception("baggrundsberegning %s fejlede", name)
            with _preload_lock:
                _preloaded.discard(key)

    thread = threading.Thread(target=run, name=f"ffb-{name}", daemon=True)
    thread.start()
    return thread


def after_first_page(principal: access.Principal, name: str, delay_s: float, work) -> threading.Thread | None:
    """work(ds, paa) on the principal's scoped dataset and the dataset's reference date in a background
    thread, after `delay_s` (the browser draws the page that started it first), once per (name, dataset
    version, principal scope, reference date) and process (background()); None when BACKGROUND is off,
    already started or the dataset cannot be read (the page shows its own error). Which principals get
    it is the caller's choice (kvalitet_cache.prewarm, forvarmning.start)."""
    if not BACKGROUND:
        return None
    try:
        ds = scoped_dataset(principal)
        paa = data_date()
    except Exception:  # an unreadable dataset shows its own error on the page
        return None

    def run() -> None:
        time.sleep(delay_s)
        work(ds, paa)

    return background((name, ds.version, principal.key, paa), run, name)


def preload(principal: access.Principal | None = None) -> threading.Thread | None:
    """Open and collect the current version (and, given a principal, its scoped part) in the
    background while the first script run is still importing its modules: Polars works on the
    other core without the GIL, so the first page finds the data ready sooner. The same cached
    functions the pages call (a page that gets there first waits for the same computation). The
    manifest check runs inside open_dataset as always: a tampered file is refused there, and the
    page's own call then raises the error."""
    if not BACKGROUND:
        return None
    try:
        path = data_path()
        if using_demo() and not (demo_dir() / "borgere.parquet").is_file():
            return None  # generating the demo stays on the page (ensure_demo, with its spinner)
        version = peek_version(path)
    except Exception:
        return None
    if principal is None:
        return background(("opened", str(path), version), lambda: _opened(str(path), version), "indlaes")
    return background(("frames", str(path), version, principal.key),
                      lambda: _frames(str(path), version, principal.key, principal), "indlaes-scope")


# what the first page of every session needs and a new process lacks (ved_serverstart): st.dataframe's
# pandas, the charts' Altair, the sign-in's database layer and the landing page's modules
SERVERSTART_MODULER = ("pandas", "altair", "workbench.ui.auth", "workbench.ui.pages", "workbench.ui.overblik_cache",
                       "streamlit.emojis")


def ved_serverstart() -> threading.Thread | None:
    """At server start (serve.py runs it in a thread of its own, before any browser has connected): open
    and collect the current dataset version (preload: the pages' own cache) and import
    SERVERSTART_MODULER. The first session then finds them done or under way (an import in progress is
    waited for, never done twice) instead of paying them after the browser connects. Returns preload's
    thread; nothing when BACKGROUND is off."""
    if not BACKGROUND:
        return None
    thread = preload()
    for name in SERVERSTART_MODULER:
        importlib.import_module(name)
    return thread


def data_path() -> Path | str:
    """The data location the app reads: a directory, or s3://bucket/prefix (kept as text: Path
    would fold its double slash; workbench.data.objektlager)."""
    env = os.environ.get("FFB_WORKBENCH_DATA")
    if env and is_object_url(env):
        return object_url(env)
    return Path(env) if env else demo_dir()


def using_demo() -> bool:
    return not os.environ.get("FFB_WORKBENCH_DATA")


def ensure_demo() -> None:
    """Generate the bundled demo dataset on first start."""
    if not using_demo():
        return
    target = demo_dir()
    if (target / "borgere.parquet").is_file():
        from workbench.data import manifest
        from workbench.data.dataset import validate_and_write_manifest

        if not (target / manifest.MANIFEST).is_file():  # a demo written before manifests existed
            try:
                validate_and_write_manifest(target)
            except OSError:
                pass  # read-only: the validating loader still reads it
        return
    from workbench.vaerktoej import synth
    from workbench.data.config import load_config

    settings = load_config().settings
    with st.spinner("Genererer syntetiske demodata (første start) …"):
        synth.write_demo(target, skala=settings.demo_skala, seed=settings.demo_seed)
    from workbench.sider import forudberegning

    with st.spinner("Forudberegner Resultater (første start) …"):
        forudberegning.efter_import(target)


@st.cache_resource(show_spinner=False, max_entries=2)
def _opened(path: str, version: str) -> Dataset:
    """One dataset version opened and collected once for every session and principal: accepted
    tables and rejected rows (a manifest directory is read without re-validation)."""
    ds = open_dataset(path).collected()
    return Dataset(ds.path, ds.version, ds.tables, ds.rejected, ds.files, ds.udtraeksdato_fil,
                   rejected_rows=ds.rejected_rows)


def opened_dataset() -> Dataset:
    """The whole (unscoped) dataset of the current version, from the shared cache. Only for code
    that scopes it itself (e.g. unmasking one CPR); pages use scoped_dataset."""
    ensure_demo()
    path = data_path()
    return _opened(str(path), peek_version(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _frames(path: str, version: str, principal_key: str, _principal: access.Principal) -> Dataset:
    from workbench.sider import forudberegning

    whole = _opened(path, version)
    # the tables the version's precomputation found without rows lacking a borger: not semi-joined again
    return access.scope(whole, _principal, har_borger=forudberegning.har_borger(whole)).collected()


def scoped_dataset(principal: access.Principal) -> Dataset:
    """The principal's part of the current version (tables and rejected rows), collected once per
    (version, principal) on top of the shared opened dataset."""
    ensure_demo()
    path = data_path()
    return _frames(str(path), peek_version(path), principal.key, principal)


@st.cache_resource(show_spinner=False, max_entries=16)
def _hele(path: str, version: str, principal_key: str, _principal: access.Principal) -> bool:
    whole = _opened(path, version)
    scoped = _frames(path, version, principal_key, _principal)

    def rows(ds: Dataset) -> list[int]:
        frames = [*ds.tables.values(), *ds.rejected.values()]
        return [int(f.item()) for f in pl.collect_all([lf.select(pl.len()) for lf in frames])]

    return (list(scoped.tables) == list(whole.tables) and list(scoped.rejected) == list(whole.rejected)
            and rows(scoped) == rows(whole))


def hele_versionen(principal: access.Principal) -> bool:
    """Does the principal's scoped dataset hold every row of the version, in every table and every
    table's rejected rows (admin; or e.g. a leader whose kommuner are every kommune in the data)?
    access.scope only filters rows (and pseudonymises ids or masks CPR, which no aggregate reads), so
    then the version's precomputed aggregates are hers (workbench.sider.forudberegning)."""
    ensure_demo()
    path = data_path()
    return _hele(str(path), peek_version(path), principal.key, principal)


def dataset_version() -> str:
    ensure_demo()
    return peek_version(data_path())


@st.cache_data(show_spinner=False, max_entries=8)
def _udtraeksdato(path: str, version: str, today: dt.date) -> dt.date:
    return udtraeksdato(_opened(path, version), today)


def data_date() -> dt.date:
    """The default reference date of every page: the dataset's udtraeksdato
    (workbench.data.dataset.udtraeksdato, the same default as every CLI command)."""
    today = dt.date.today()
    ensure_demo()
    path = data_path()
    try:
        return _udtraeksdato(str(path), peek_version(path), today)
    except Exception:  # an unreadable dataset shows its own error on the page
        return today
