"""The dataset as the app sees it: opened once, collected once per (version, principal), cached.

Pages call `scoped_dataset()` and get a Dataset whose LazyFrames sit on cached, collected frames
already scoped to the signed-in principal.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import streamlit as st

from workbench import access
from workbench.dataset import Dataset, open_dataset, peek_version, udtraeksdato
from workbench.paths import demo_dir


def data_path() -> Path:
    env = os.environ.get("FFB_WORKBENCH_DATA")
    return Path(env) if env else demo_dir()


def using_demo() -> bool:
    return not os.environ.get("FFB_WORKBENCH_DATA")


def ensure_demo() -> None:
    """Generate the bundled demo dataset on first start."""
    if not using_demo():
        return
    target = demo_dir()
    if (target / "borgere.parquet").is_file():
        return
    from workbench import synth
    from workbench.config import load_config

    settings = load_config().settings
    with st.spinner("Genererer syntetiske demodata (første start) …"):
        synth.write_demo(target, skala=settings.demo_skala, seed=settings.demo_seed)


@st.cache_resource(show_spinner=False, max_entries=4)
def _frames(path: str, version: str, principal_key: str, _principal: access.Principal) -> dict:
    ds = access.scope(open_dataset(path), _principal)
    names = list(ds.tables)
    collected = pl.collect_all([ds.tables[n] for n in names])
    return {"tables": dict(zip(names, collected)), "files": ds.files, "path": ds.path}


def scoped_dataset(principal: access.Principal) -> Dataset:
    ensure_demo()
    path = data_path()
    version = peek_version(path)
    got = _frames(str(path), version, principal.key, principal)
    tables = {n: df.lazy() for n, df in got["tables"].items()}
    return Dataset(got["path"], version, tables, {}, got["files"])


def dataset_version() -> str:
    ensure_demo()
    return peek_version(data_path())


@st.cache_data(show_spinner=False, max_entries=8)
def _udtraeksdato(path: str, version: str, today: dt.date) -> dt.date:
    return udtraeksdato(open_dataset(path), today)


def data_date() -> dt.date:
    """The default reference date of every page: the dataset's udtraeksdato
    (workbench.dataset.udtraeksdato, the same default as every CLI command)."""
    today = dt.date.today()
    ensure_demo()
    path = data_path()
    try:
        return _udtraeksdato(str(path), peek_version(path), today)
    except Exception:  # an unreadable dataset shows its own error on the page
        return today
