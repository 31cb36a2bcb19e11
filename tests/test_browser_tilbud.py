"""Browser test: open the Tilbud page by deep link (`/tilbud?tilbud=P-nummer`) in Debian chromium on
the kommune demo and see the tilbud's header, its borgere and the development chart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import open_page, require_chromium, running_app
from workbench.sider import tilbud
from workbench.data.dataset import open_dataset, udtraeksdato

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_tilbud_deep_link_in_browser(demo_kommune, tmp_path):
    require_chromium()
    ds = open_dataset(demo_kommune)
    tid = tilbud.liste(ds, udtraeksdato(ds)).sort("borgere", descending=True).collect()["tilbud_id"][0]
    navn = tilbud.header(ds, tid).navn
    out_dir = Path(os.environ.get("FFB_SCREENSHOT_DIR") or tmp_path)
    with running_app({"FFB_WORKBENCH_DATA": str(demo_kommune)}, log_dir=tmp_path) as base, \
            open_page(f"{base}/tilbud?tilbud={tid}", out_dir) as (page, shot):
        page.get_by_role("heading", name=navn).wait_for(timeout=90_000)
        page.get_by_text("Udvikling i funktionsevne", exact=True).first.wait_for(timeout=90_000)
        charts = page.locator(".vega-embed canvas, .vega-embed svg.marks")
        charts.first.wait_for(timeout=90_000)
        body = page.inner_text("body")
        assert "Borgere nu" in body and "Målopfyldelse" in body and "Belægning og flow" in body
        assert f"tilbud={tid}" in page.url
        assert shot("tilbud").stat().st_size > 10_000
