"""Issue 17: the 8-talskontrol comparison runs once per kvalitet run (CLI and Kvalitet page), and the
page's cached data carry the rejected rows without re-opening the files. The numbers stay those of
the unshared computation."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench import access, kvalitet, reconcile
from workbench.dataset import open_dataset

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
    monkeypatch.setattr("workbench.dataset.open_dataset", lambda *a, **k: pytest.fail("re-opened the files"))
    monkeypatch.setattr("workbench.ui.data.open_dataset", lambda *a, **k: pytest.fail("re-opened the files"))
    res = kvalitet_cache.results(access.ADMIN, PAA)
    assert len(counted) == 1
    assert res.ottetal.height
    assert res.ottetal.equals(reconcile.ottetalskontrol(ds, PAA).collect())  # unshared: same table
