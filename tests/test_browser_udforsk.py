"""Browser test: open Udforsk by a deep link with filter parameters and see the filtered numbers.

Uses tests/browser.py (running_app) when it exists; otherwise a minimal local runner.
Screenshots go to $FFB_SCREENSHOT_DIR (default: the test's tmp dir).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from workbench import explore as E
from workbench.dataset import open_dataset
from workbench.filters import Filters

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
UT = "Varetage egen sundhed"


@contextlib.contextmanager
def _local_app(env: dict):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):  # readiness poll (not a timed assertion)
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        else:
            raise RuntimeError("appen startede ikke")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def running_app(env: dict):
    try:
        from browser import running_app as shared  # tests/browser.py, when present
    except ImportError:
        return _local_app(env)
    return shared(env)


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="da-DK")
        yield pg
        browser.close()


def test_deep_link_shows_filtered_numbers(demo_env, page, tmp_path):
    params = {"kategori": "Sindslidelse", "paragraf": "SEL §108", "undertema": UT, "niveau": "3",
              "paa": "2025-06-30", "raekker": "kommune", "kolonner": "koen"}
    f, notices = Filters.from_query_params({k: v for k, v in params.items() if k not in ("raekker", "kolonner")})
    assert notices == []
    ct = E.crosstab(open_dataset(demo_env), f, "kommune", "koen", "borgere")
    n = ct.total[1]
    expected = "<5" if 0 < n < 5 else E.formatter("borgere")(n)
    unfiltered = E.crosstab(open_dataset(demo_env), Filters(paa=f.paa), "kommune", None, "borgere").total[1]
    assert n < unfiltered  # the filters matter

    env = {**os.environ, "FFB_WORKBENCH_DATA": str(demo_env), "FFB_WORKBENCH_DEV": "1"}
    shots = Path(os.environ.get("FFB_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    external: list[str] = []
    with running_app(env) as base:
        page.on("request", lambda r: external.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:", "ws://")) else None)
        url = f"{base}/udforsk?{urllib.parse.urlencode(params, safe='§')}"
        page.goto(url)
        metric = page.get_by_test_id("stMetricValue").first
        metric.wait_for(timeout=60_000)
        page.get_by_text("Funktionsevne i den filtrerede population").wait_for(timeout=60_000)
        assert metric.inner_text().strip() == expected
        # the sidebar shows the filters from the link
        sidebar = page.get_by_test_id("stSidebar")
        assert sidebar.get_by_text("Sindslidelse").count() >= 1
        assert not page.get_by_test_id("stException").count()
        page.screenshot(path=str(shots / "udforsk_deeplink.png"), full_page=True)

        # the same filters on the map (state carried by the URL)
        page.goto(f"{base}/kort?{urllib.parse.urlencode({k: v for k, v in params.items() if k not in ('raekker', 'kolonner')}, safe='§')}")
        page.get_by_text("Filtrér ud fra kortet").wait_for(timeout=60_000)
        page.locator("canvas").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # let deck.gl draw before the screenshot (not an assertion)
        assert not page.get_by_test_id("stException").count()
        page.screenshot(path=str(shots / "kort_deeplink.png"), full_page=True)
    assert not [u for u in external if "tile" in u or "basemap" in u or "carto" in u or "mapbox" in u], external
