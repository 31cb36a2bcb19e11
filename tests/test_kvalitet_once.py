"""Issue 17: the 8-talskontrol comparison runs once per kvalitet run (CLI and Kvalitet page), and the
page's cached data carry the rejected rows without re-opening the files. The numbers stay those of
the unshared computation."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.regler import access, kvalitet, reconcile
from workbench.data.dataset import open_dataset

PAA = dt.date(2026, 10, 31)


@pytest.fixture
def counted(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = reconcile._compare_months

    def counting(ds, paa):
        calls.append(1)
        return original(ds, paa)

    monkeypatch.setattr(reconcile, "_compare_months", counting)
    return calls


def test_findings_compare_once_and_equal_the_separate_rules(demo_kommune, counted):
    ds = kvalitet.materialise(open_dataset(demo_kommune))
    got = kvalitet.findings(ds, PAA).collect()
    assert len(counted) == 1
    for rule in ("betaling_uden_ydelse", "ydelse_uden_betaling"):
        alone = kvalitet.findings(ds, PAA, rules=[rule]).collect()  # its own comparison
        assert alone.height and alone.equals(got.filter(pl.col("regel") == rule))


def test_kvalitet_page_data_compare_once_and_keep_rejected_rows(demo_kommune, counted, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    from workbench.ui import data, kvalitet_cache

    ds = data.scoped_dataset(access.ADMIN)
    assert set(ds.rejected) == set(ds.tables)  # the cached dataset carries the rejected rows
    monkeypatch.setattr("workbench.data.dataset.open_dataset", lambda *a, **k: pytest.fail("re-opened the files"))
    monkeypatch.setattr("workbench.ui.data.open_dataset", lambda *a, **k: pytest.fail("re-opened the files"))
    res = kvalitet_cache.results(access.ADMIN, PAA)
    assert len(counted) == 1
    assert res.ottetal.height
    assert res.ottetal.equals(reconcile.ottetalskontrol(ds, PAA).collect())  # unshared: same table


def test_prewarm_computes_the_pages_results_once_in_the_background(demo_kommune, counted, monkeypatch):
    """app.py starts Kvalitet's computation after the first page; the page then reads the same
    cached results (not recomputed), once per (version, scope, reference date)."""
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    from workbench.ui import data, kvalitet_cache

    monkeypatch.setattr(data, "BACKGROUND", True)
    monkeypatch.setattr(data, "_preloaded", set())
    monkeypatch.setattr(kvalitet_cache, "PREWARM_DELAY_S", 0.0)
    thread = kvalitet_cache.prewarm(access.ADMIN)
    assert thread is not None
    thread.join(timeout=300)
    assert not thread.is_alive() and len(counted) == 1
    assert kvalitet_cache.prewarm(access.ADMIN) is None  # started once per key
    res = kvalitet_cache.results(access.ADMIN, data.data_date())
    assert len(counted) == 1  # the page's call found it cached
    ds = data.scoped_dataset(access.ADMIN)
    paa = data.data_date()
    assert res.findings.equals(kvalitet.findings(ds, paa).collect())
    assert res.ottetal.equals(reconcile.ottetalskontrol(ds, paa).collect())


def test_prewarm_only_for_the_whole_dataset_and_roles_with_kvalitet(demo_kommune, counted, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    from workbench.ui import data, kvalitet_cache

    monkeypatch.setattr(data, "BACKGROUND", True)
    monkeypatch.setattr(data, "_preloaded", set())
    monkeypatch.setattr(kvalitet_cache, "PREWARM_DELAY_S", 0.0)
    assert kvalitet_cache.prewarm(access.Principal("x", "analytiker")) is None  # no Kvalitet page
    assert len(counted) == 0
    kvalitet_cache.prewarm(access.ADMIN).join(timeout=300)
    assert len(counted) == 1
    # a narrower scope is not computed in the background (bounded work), but on its visit, as its own key
    other = access.Principal("l", "leder_myndighed", kommuner=("0250",))
    assert kvalitet_cache.prewarm(other) is None
    assert len(counted) == 1
    kvalitet_cache.results(other, data.data_date())
    assert len(counted) == 2


def test_prewarm_is_off_in_tests_by_default():
    from workbench.ui import kvalitet_cache

    assert kvalitet_cache.prewarm(access.ADMIN) is None
