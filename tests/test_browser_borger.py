"""Browser test: open the borger page by deep link (`/borger?borger=X`) in Debian chromium and see
the step chart of Borger X's Varetage økonomi, rendered by vega-embed.

Uses tests/browser.py (running_app) when it exists; otherwise a minimal local runner.
The screenshot goes to $FFB_SCREENSHOT_DIR (default: the test's tmp dir).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


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
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium findes ikke")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="da-DK")
        yield pg
        browser.close()


def test_borger_x_step_chart_in_browser(borger_x_dir, page, tmp_path):
    env = {**os.environ, "FFB_WORKBENCH_DATA": str(borger_x_dir), "FFB_WORKBENCH_DEV": "1"}
    env.pop("FFB_WORKBENCH_USER", None)
    with running_app(env) as base:
        page.goto(f"{base}/borger?borger=X", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Borger X").wait_for(timeout=90_000)
        page.get_by_text("Varetage økonomi", exact=True).first.wait_for(timeout=90_000)
        charts = page.locator(".vega-embed canvas, .vega-embed svg.marks")
        charts.first.wait_for(timeout=90_000)
        assert charts.count() >= 3  # ydelser timeline, the Varetage økonomi step chart, støttebehov
        body = page.inner_text("body")
        assert "Udvikle funktionsevne" in body and "Opnået" in body
        assert "0101901234" not in body and "010190-xxxx" in body
        assert "cpr" not in page.url.lower() and "0101901234" not in page.url
        page.locator(".vega-embed").nth(1).scroll_into_view_if_needed()
        out_dir = Path(os.environ.get("FFB_SCREENSHOT_DIR") or tmp_path)
        out_dir.mkdir(parents=True, exist_ok=True)
        shot = out_dir / "borger_x.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
