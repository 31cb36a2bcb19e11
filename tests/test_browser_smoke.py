"""Smoke test in a real browser: ./run.sh on the kommune demo data, Overblik with its KPI numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import module_chromium, open_page, require_chromium, running_app  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def app_env(demo: Path, tmp_path: Path) -> dict[str, str]:
    return {"FFB_WORKBENCH_DATA": str(demo), "FFB_WORKBENCH_DEV": "1",
            "FFB_WORKBENCH_HOME": str(tmp_path / "home"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'workbench.sqlite'}"}


def kpi(page, label: str) -> str:
    from playwright.sync_api import expect

    # the five KPI cards and, beside them, the three FLIS-corrected cards (issue 22): all drawn
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_count(8)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    hits = [v for lab, v in zip(labels, values) if label in lab]
    assert hits, labels
    return hits[0].strip()


def assert_overblik(page) -> None:
    page.get_by_role("heading", name="Overblik").first.wait_for()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    borgere = kpi(page, "Borgere i ")  # "Borgere i okt. 2026": the table's Total for the month
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", borgere), borgere
    assert int(borgere.replace(".", "")) > 0
    page.get_by_text("Antal borgere på § pr. måned").first.wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()  # the grid renders asynchronously
    # app.py ran: its navigation (page titles) and the signed-in user are in the sidebar
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Logget ind som").first.wait_for()
    sidebar.get_by_text("Kvalitet", exact=True).first.wait_for()
    sidebar.get_by_text("Data pr. 31-10-2026").first.wait_for()  # the dataset's udtraeksdato
    assert not page.locator('[data-testid="stException"]').count()
    # a page's own address is a real address, also the landing page's (Streamlit's English 'Page not
    # found' dialog appeared for /overblik while Overblik was the navigation's default page)
    assert not page.get_by_text("Page not found").count()


def test_overblik_in_chromium(demo_kommune, tmp_path, module_chromium):
    require_chromium()
    with running_app(app_env(demo_kommune, tmp_path), log_dir=tmp_path) as base_url:
        with open_page(base_url, tmp_path, browser=module_chromium) as (page, shot):  # Overblik is the default page
            assert_overblik(page)
            path = shot("overblik")
        with open_page(f"{base_url}/overblik", tmp_path, browser=module_chromium) as (page, shot):  # the deep link
            assert_overblik(page)
    assert path.is_file() and path.stat().st_size > 10_000


def test_deep_link_as_first_request_runs_app_py(demo_kommune, tmp_path, module_chromium):
    """Regression: Streamlit runs a fresh server in its legacy multipage mode when a folder named pages/
    sits next to app.py; a deep link as the very first request must still go through app.py (sign-in,
    role gate, navigation), not run sidefiler/overblik.py on its own. Fixed by the folder's name
    (sidefiler/), not by patching Streamlit; tests/test_browser_deep_link_guard.py covers the sign-in."""
    require_chromium()
    with running_app(app_env(demo_kommune, tmp_path), log_dir=tmp_path) as base_url:
        with open_page(f"{base_url}/overblik", tmp_path, browser=module_chromium) as (page, shot):
            assert_overblik(page)
            shot("overblik_foerste_dybe_link")
