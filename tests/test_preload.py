"""Background preload of the dataset at the first script run (workbench.ui.data.preload): the pages
then read the same cached objects (no second open), and a tampered typed file is still refused
before any of its data is shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.regler import access
from workbench.data import manifest
from workbench.data.dataset import DatasetError


@pytest.fixture
def background(monkeypatch):
    from workbench.ui import data

    monkeypatch.setattr(data, "BACKGROUND", True)
    monkeypatch.setattr(data, "_preloaded", set())
    return data


@pytest.fixture
def opens(monkeypatch) -> list[str]:
    from workbench.ui import data

    calls: list[str] = []
    original = data.open_dataset

    def counting(path, *a, **k):
        calls.append(str(path))
        return original(path, *a, **k)

    monkeypatch.setattr(data, "open_dataset", counting)
    return calls


def test_preload_opens_once_and_the_pages_get_the_same_objects(demo_kommune, monkeypatch, background, opens):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    data = background
    data.preload().join(timeout=300)
    assert len(opens) == 1
    assert data.preload() is None  # once per version and process
    data.preload(access.ADMIN).join(timeout=300)
    assert data.opened_dataset() is data.opened_dataset()
    ds = data.scoped_dataset(access.ADMIN)
    assert ds is data.scoped_dataset(access.ADMIN)
    assert len(opens) == 1
    # another scope is another key
    assert data.preload(access.Principal("l", "leder_myndighed", kommuner=("0250",))) is not None


def test_preload_of_a_tampered_dataset_refuses_it_on_the_page(demo_kommune, tmp_path, monkeypatch, background,
                                                               opens):
    d = tmp_path / "demo"
    shutil.copytree(demo_kommune, d)
    f = d / manifest.TYPED / "ydelser.parquet"
    raw = f.read_bytes()
    i = len(raw) // 2
    f.write_bytes(raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1:])
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(d))
    data = background
    data.preload().join(timeout=300)  # fails in the background (logged), caches nothing
    assert len(opens) == 1
    with pytest.raises(DatasetError, match="ydelser.parquet"):
        data.opened_dataset()  # the page's own call checks again and refuses
    assert len(opens) == 2


def test_background_is_off_in_tests_by_default(demo_env):
    from workbench.ui import data

    assert data.preload() is None and data.preload(access.ADMIN) is None


def test_server_start_loads_the_dataset_and_the_first_pages_modules(demo_kommune, monkeypatch, background, opens):
    """serve.py's ved_serverstart: the dataset opened once into the pages' own cache, the first page's modules
    imported; nothing at all when background work is off."""
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    data = background
    imported: list[str] = []
    monkeypatch.setattr(data.importlib, "import_module", imported.append)
    monkeypatch.setattr(data, "BACKGROUND", False)
    assert data.ved_serverstart() is None and not imported and not opens
    monkeypatch.setattr(data, "BACKGROUND", True)
    data.ved_serverstart().join(timeout=300)
    assert imported == list(data.SERVERSTART_MODULER) and len(opens) == 1
    assert data.preload() is None  # the first session's preload: already done
    assert data.opened_dataset() is data.opened_dataset() and len(opens) == 1  # the page reads what it opened


def test_serve_py_starts_it(monkeypatch):
    import runpy
    import threading

    from workbench.ui import data

    started: list[str] = []
    monkeypatch.setattr(data, "ved_serverstart", lambda: started.append("ja"))
    threads = list(threading.enumerate())
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "serve.py"))
    for t in threading.enumerate():
        if t not in threads and t.name == "ffb-serverstart":
            t.join(timeout=60)
    assert started == ["ja"]
