"""Issue 24 item 1: the default views of Overblik, Udforsk and Økonomi are computed in the background after
the first page (workbench/ui/forvarmning.py), with the page's own arguments and cache keys: a first
visit then reads them (no view computed on the page), and the numbers are the page's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_page
from workbench.regler import access

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def misses(monkeypatch) -> dict[str, int]:
    """Count every computation (cache miss) of the views the three pages' first visits need."""
    from workbench.ui import oekonomi_cache, overblik_cache, udforsk_cache

    counts: dict[str, int] = {}
    for name, cached in {"overblik": overblik_cache._side, "overblik-flis": overblik_cache._flis,
                         "udforsk-krydstabel": udforsk_cache.crosstab, "udforsk-fordeling": udforsk_cache._fordeling,
                         "oekonomi": oekonomi_cache._side}.items():
        def counting(*args, _view=cached.view, _name=name, **kwargs):
            counts[_name] = counts.get(_name, 0) + 1
            return _view(*args, **kwargs)

        monkeypatch.setattr(cached, "view", counting)
    return counts


@pytest.fixture
def background(demo_env, monkeypatch):
    from workbench.ui import data, forvarmning

    monkeypatch.setattr(data, "BACKGROUND", True)
    monkeypatch.setattr(data, "_preloaded", set())
    monkeypatch.setattr(forvarmning, "DELAY_S", 0.0)
    return forvarmning


ALL = {"overblik": 1, "overblik-flis": 1, "udforsk-krydstabel": 1, "udforsk-fordeling": 1, "oekonomi": 1}


def test_first_visits_read_what_was_computed_in_the_background(background, misses):
    thread = background.start(access.ADMIN)
    assert thread is not None
    thread.join(timeout=300)
    assert not thread.is_alive() and misses == ALL
    assert background.start(access.ADMIN) is None  # once per version, scope and date
    for page in ("overblik", "udforsk", "oekonomi"):
        run_page(str(ROOT / "sidefiler" / f"{page}.py"))
    assert misses == ALL  # every page found its first view cached: the same arguments and keys


def test_without_it_each_page_computes_its_own(demo_env, misses):
    """The control: the same first visits compute each view once themselves (so the count above can fail)."""
    for page in ("overblik", "udforsk", "oekonomi"):
        run_page(str(ROOT / "sidefiler" / f"{page}.py"))
    assert misses == ALL


def test_only_for_the_whole_dataset(background, misses):
    assert background.start(access.Principal("l", "leder_myndighed", kommuner=("0250",))) is None
    assert background.start(access.Principal("s", "sagsbehandler")) is None
    assert misses == {}


def test_off_in_tests_by_default(demo_env, misses):
    from workbench.ui import forvarmning

    assert forvarmning.start(access.ADMIN) is None


def test_process_modules_imported_once_for_every_principal(demo_env, monkeypatch):
    """The modules a first page view pays for (Streamlit's emoji regex, Altair, pydeck) are imported in the
    background once per process, also for a narrow scope."""
    from workbench.ui import data, forvarmning

    monkeypatch.setattr(data, "BACKGROUND", True)
    monkeypatch.setattr(data, "_preloaded", set())
    monkeypatch.setattr(forvarmning, "DELAY_S", 0.0)
    imported: list[str] = []
    monkeypatch.setattr(forvarmning.importlib, "import_module", imported.append)
    thread = forvarmning.start_proces()
    thread.join(timeout=60)
    assert imported == ["streamlit.emojis", "altair", "pydeck"]
    assert forvarmning.start(access.Principal("l", "leder_myndighed", kommuner=("0250",))) is None
    assert forvarmning.start_proces() is None and imported == ["streamlit.emojis", "altair", "pydeck"]
