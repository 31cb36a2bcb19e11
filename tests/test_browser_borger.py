"""Browser test: open the borger page by deep link (`/borger?borger=X`) in Debian chromium and see
the step chart of Borger X's Varetage økonomi, rendered by vega-embed.

Uses tests/browser.py (running_app, open_page). The screenshot goes to $FFB_SCREENSHOT_DIR (default:
the test's tmp dir).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import open_page, require_chromium, running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_borger_x_step_chart_in_browser(borger_x_dir, tmp_path):
    require_chromium()
    from tests.helpers import write_demo_manifest

    write_demo_manifest(borger_x_dir)  # dev mode (no password) runs only on demo data: mark this copy as such
    out_dir = Path(os.environ.get("FFB_SCREENSHOT_DIR") or tmp_path)
    with running_app({"FFB_WORKBENCH_DATA": str(borger_x_dir)}, log_dir=tmp_path) as base, \
            open_page(f"{base}/borger?borger=X", out_dir) as (page, shot):
        page.get_by_role("heading", name="Borger X").wait_for(timeout=90_000)
        # visible=True: the data grid also holds the text in a hidden accessibility cell, which comes
        # first in the DOM once the page has finished rendering (open_page waits for that)
        page.get_by_text("Varetage økonomi", exact=True).filter(visible=True).first.wait_for(timeout=90_000)
        charts = page.locator(".vega-embed canvas, .vega-embed svg.marks")
        charts.first.wait_for(timeout=90_000)
        assert charts.count() >= 3  # ydelser timeline, the Varetage økonomi step chart, støttebehov
        body = page.inner_text("body")
        assert "Udvikle funktionsevne" in body and "Opnået" in body
        assert "0101901234" not in body and "010190-xxxx" in body
        assert "cpr" not in page.url.lower() and "0101901234" not in page.url
        page.locator(".vega-embed").nth(1).scroll_into_view_if_needed()
        path = shot("borger_x")
        assert path.stat().st_size > 10_000
