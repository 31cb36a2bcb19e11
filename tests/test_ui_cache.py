"""workbench.ui.cache.afgraenset, the one scoped cache of the pages' views (issue 21): a view is cached
per (scoped dataset version, principal scope, arguments), on the principal's own scoped dataset; two
scopes never share a result, dates are keyed as dates (no ISO text round trip), and two views never
share a cache."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from workbench.data.dataset import Dataset, open_dataset
from workbench.regler import access
from workbench.ui.cache import afgraenset

UI = Path(__file__).resolve().parents[1] / "workbench" / "ui"
CALLS: list[tuple] = []


def _borgere(ds: Dataset, paa: dt.date) -> tuple[int, tuple[str, ...]]:
    """How many borgere the scoped dataset holds, and their handlekommuner."""
    CALLS.append(("borgere", paa))
    b = ds.borgere.select("borger_id", "handlekommune").collect()
    return b["borger_id"].n_unique(), tuple(sorted(x for x in b["handlekommune"].unique().to_list() if x))


def _dato(ds: Dataset, paa: dt.date, dage: int = 7) -> tuple[type, dt.date]:
    """What the view was handed: the type of `paa` and a date computed from it."""
    CALLS.append(("dato", paa, dage))
    return type(paa), paa + dt.timedelta(days=dage)


def _dato_igen(ds: Dataset, paa: dt.date, dage: int = 7) -> tuple[type, dt.date]:
    """The same arguments as _dato, another result: its own cache."""
    CALLS.append(("dato_igen", paa, dage))
    return type(paa), paa - dt.timedelta(days=dage)


borgere = afgraenset(_borgere, spinner="Tæller borgere …", max_entries=8)
dato = afgraenset(_dato, spinner=None, max_entries=8)
dato_igen = afgraenset(_dato_igen, spinner=None, max_entries=8)


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()


def test_two_scopes_never_share_a_cached_result(demo_env):
    """Each principal gets the view on its own scoped dataset, cached under its own scope: the admin,
    two sagsbehandlere and a leder of a kommune without borgere all differ, and each equals the view
    on access.scope of the opened data (never another scope's cached result)."""
    paa = dt.date(2026, 10, 31)
    opened = open_dataset(demo_env)
    sb = (opened.borgere.group_by("sagsbehandler").agg(pl.len()).drop_nulls().sort("len", "sagsbehandler")
          .collect()["sagsbehandler"].to_list())
    principals = [access.ADMIN, access.Principal("s", "sagsbehandler", sagsbehandler=sb[0]),
                  access.Principal("s", "sagsbehandler", sagsbehandler=sb[-1]),
                  access.Principal("l", "leder_myndighed", kommuner=("0999",))]
    got = [borgere(p, paa) for p in principals]
    assert len(CALLS) == 4  # one computation per scope
    assert len({n for n, _ in got}) == 4, got  # the scopes do differ
    assert got[3][0] == 0
    for p, g in zip(principals, got):
        assert g == _borgere(access.scope(opened, p), paa)
    CALLS.clear()
    assert [borgere(p, paa) for p in reversed(principals)] == list(reversed(got))  # cached per scope
    assert CALLS == []


def test_dates_are_keyed_and_handed_over_as_dates(demo_env):
    """Another date is another result; the view gets the dt.date itself (not ISO text); the same call
    again is cached, and a default left out or given is one key."""
    a, b = dt.date(2026, 10, 31), dt.date(2025, 3, 1)
    assert dato(access.ADMIN, a) == (dt.date, a + dt.timedelta(days=7))
    assert dato(access.ADMIN, b) == (dt.date, b + dt.timedelta(days=7))
    assert dato(access.ADMIN, a, 7) == dato(access.ADMIN, a, dage=7) == dato(access.ADMIN, a)
    assert dato(access.ADMIN, a, 1) == (dt.date, a + dt.timedelta(days=1))
    assert CALLS == [("dato", a, 7), ("dato", b, 7), ("dato", a, 1)]


def test_two_views_never_share_a_cache(demo_env):
    """The same arguments to two views: two computations, two results (each view its own cache)."""
    a = dt.date(2026, 10, 31)
    assert dato(access.ADMIN, a) != dato_igen(access.ADMIN, a)
    assert dato_igen(access.ADMIN, a) == (dt.date, a - dt.timedelta(days=7))
    assert [c[0] for c in CALLS] == ["dato", "dato_igen"]


def test_a_name_is_cached_once_and_bounded():
    with pytest.raises(ValueError, match="allerede"):
        afgraenset(_dato, max_entries=4)
    with pytest.raises(ValueError, match="navn"):
        afgraenset(lambda ds: None, max_entries=4)
    with pytest.raises(ValueError, match="max_entries"):
        afgraenset(_dato, max_entries=None, navn="ubegraenset")


def test_no_ui_module_parses_dates_back_from_text():
    """Dates reach the views as dates: no cache (nor anything else in workbench/ui) parses ISO text."""
    hits = [p.name for p in UI.glob("*.py") if "fromisoformat" in p.read_text(encoding="utf-8")]
    assert hits == []


def test_page_caches_go_through_the_one_helper():
    """The pages' cache modules hold no Streamlit cache of their own (the PDF of a report's HTML apart,
    which is not a view of the scoped data), and none is named after another page than its own."""
    modules = sorted(UI.glob("*_cache.py"))
    assert {p.stem for p in modules} == {"borger_cache", "kort_cache", "kvalitet_cache", "oekonomi_cache",
                                         "overblik_cache", "rapporter_cache",
                                         "resultater_cache", "sagsoverblik_cache", "servicemaal_cache",
                                         "tilbud_cache", "udforsk_cache"}
    for p in modules:
        text = p.read_text(encoding="utf-8")
        assert "st.cache_resource" not in text, p.name
        assert text.count("st.cache_data") == (1 if p.stem == "rapporter_cache" else 0), p.name
        assert "afgraenset" in text, p.name
