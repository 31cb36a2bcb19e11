"""workbench.ui.udforsk_cache: the cached crosstab follows the dataset version (never old numbers for
new data) and equals the uncached computation."""

from __future__ import annotations

import datetime as dt

from workbench.data import importer
from workbench.sider import udforsk as E
from workbench.regler.access import Principal
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.regler.filters import Filters
from workbench.ui import udforsk_cache

ADMIN = Principal("admin", "admin")
T0 = dt.datetime(2026, 11, 23, 12, 0)


def test_crosstab_cache_follows_a_new_dataset_version(borger_x_dir, tmp_path, monkeypatch):
    data = tmp_path / "data"
    importer.import_dataset(borger_x_dir, data, now=T0)
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(data))
    f = Filters(udtraeksdato=udtraeksdato(open_dataset(data), today=dt.date(2026, 11, 25)))
    before = udforsk_cache.crosstab(ADMIN, f, "paragraf", None, "ydelser")
    first = E.crosstab(open_dataset(data), f, "paragraf", None, "ydelser")
    assert before.total == first.total and before.row_totals.equals(first.row_totals)
    assert udforsk_cache.crosstab(ADMIN, f, "paragraf", None, "ydelser") is before  # cached: same view, same data

    (borger_x_dir / "ydelser.csv").open("a").write("Y9,X,SEL §85,Støtte til administration,2023-01-01,,,,,,,\n")
    importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=1))
    after = udforsk_cache.crosstab(ADMIN, f, "paragraf", None, "ydelser")
    expected = E.crosstab(open_dataset(data), f, "paragraf", None, "ydelser")
    assert after.total[0] == before.total[0] + 1  # the new version's extra ydelse, not the cached count
    assert after.row_values == expected.row_values and after.total == expected.total
    assert after.row_totals.equals(expected.row_totals)


def test_distribution_reuses_niveauer_only_for_the_same_date(demo_env):
    """The cached assessed niveauer are shared by filters with the same reference date and window;
    each cached distribution equals the uncached one (another date or window is not reused)."""
    ds = open_dataset(demo_env)
    base = Filters(udtraeksdato=udtraeksdato(ds, today=dt.date(2026, 11, 25)))
    older = base.with_(paa=base.reference_date() - dt.timedelta(days=400))
    cases = [base, base.with_(kun_primaer=True), base.with_(vurderet_maaneder=6), older, older.with_(koen=("K",))]
    seen = []
    for f in cases:
        got = udforsk_cache.funktionsevne_fordeling(ADMIN, f)
        assert got.equals(E.funktionsevne_fordeling(ds, f).collect()), f
        seen.append(got)
    assert not seen[0].equals(seen[2]) and not seen[0].equals(seen[3])  # the cases do differ


def _same(a: E.Crosstab, b: E.Crosstab) -> bool:
    return (a.total == b.total and a.row_values == b.row_values and a.col_values == b.col_values
            and a.row_totals.equals(b.row_totals) and a.cells.equals(b.cells))


def test_crosstab_and_distribution_with_the_cached_borger_status_equal_the_live_ones(demo_env, monkeypatch):
    """The crosstab and the distribution read borger_status from a cache keyed on what it depends on (reference
    date, kommunetype, undertema, assessment window), not on the population filters: equal to the uncached
    computation for every kind of filter, also an undertema other than the filters' and a niveau filter."""
    ds = open_dataset(demo_env)
    base = Filters(udtraeksdato=udtraeksdato(ds, today=dt.date(2026, 11, 25)))
    kommuner = sorted(ds.borgere.select("handlekommune").unique().collect()["handlekommune"].drop_nulls().to_list())
    uts = E.load_config().codes.aktivitet_undertemaer()
    calls = {"status": 0}
    view = udforsk_cache._status.view

    def counting(*args, **kwargs):
        calls["status"] += 1
        return view(*args, **kwargs)

    monkeypatch.setattr(udforsk_cache._status, "view", counting)
    cases = [
        (base.with_(kommuner=(kommuner[0],)), "kommune", None, "borgere", None),
        (base.with_(kommuner=(kommuner[0],), koen=("M",)), "kommune", None, "borgere", None),
        (base.with_(kommuner=tuple(kommuner[:2]), koen=("K",)), "aldersgruppe", "koen", "helaarspersoner", None),
        (base.with_(kommunetype="betaling", kommuner=(kommuner[0],)), "kommune", "paragraf", "ydelser", None),
        (base.with_(undertema=uts[0], niveauer=("2", "3")), "niveau", None, "borgere", uts[1]),
        (base.with_(undertema=uts[0], niveauer=("2",)), "niveau", "aar", "borgere", None),
        (base.with_(vurderet_maaneder=6, undertema=uts[0], niveauer=("1",)), "stoettebehov", None, "udgift", None),
        (base.with_(paa=base.reference_date() - dt.timedelta(days=400), maalgrupper=()), "maalgruppe", None,
         "borgere", None),
    ]
    seen = []
    for i, (f, rows, cols, measure, ut) in enumerate(cases):
        got = udforsk_cache.crosstab(ADMIN, f, rows, cols, measure, undertema=ut)
        assert _same(got, E.crosstab(ds, f, rows, cols, measure, undertema=ut)), (f, rows, cols, measure, ut)
        assert udforsk_cache.funktionsevne_fordeling(ADMIN, f).equals(E.funktionsevne_fordeling(ds, f).collect()), f
        seen.append(got.total)
        if i == 2:  # three population filters on one date: one borger_status, reused
            assert calls["status"] == 1
    assert calls["status"] > 1  # another kommunetype, undertema, window or date: its own
    assert len(set(seen)) > 3 and seen[0] != seen[1]  # the cases do differ
