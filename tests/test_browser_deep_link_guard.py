"""Browser: a deep link as the very first request of a fresh server goes through app.py's role gate.

The page files live outside a folder named `pages/` (Streamlit's legacy multipage mode, which runs a
page file without app.py, is keyed on that name), so nothing needs to patch Streamlit: without a
sign-in the first request shows the sign-in and nothing of the page; a role that may not see a page
never gets it by its address, and the navigation lists only the role's pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import module_chromium, open_page, require_chromium, running_app  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def app_env(demo: Path, tmp_path: Path, dev: str, user: str | None = None) -> dict[str, str]:
    env = {"FFB_WORKBENCH_DATA": str(demo), "FFB_WORKBENCH_DEV": dev, "FFB_WORKBENCH_HOME": str(tmp_path / "home"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'workbench.sqlite'}"}
    if user:
        env["FFB_WORKBENCH_USER"] = user
    return env


def test_first_request_deep_link_shows_the_sign_in_not_the_page(demo_kommune, tmp_path, module_chromium):
    require_chromium()
    with running_app(app_env(demo_kommune, tmp_path, "0"), log_dir=tmp_path) as base:
        with open_page(f"{base}/oekonomi?aar=2025", tmp_path, browser=module_chromium) as (page, shot):
            page.get_by_label("Brugernavn").wait_for()
            page.get_by_label("Adgangskode").wait_for()
            shot("dybt_link_foerst_logind")
            assert not page.get_by_role("heading", name="Økonomi").count()
            assert not page.locator('[data-testid="stMetric"]').count()
            assert not page.locator('[data-testid="stDataFrame"]').count()
            # no navigation of raw file names (Streamlit's legacy mode) next to the sign-in
            assert not page.locator('[data-testid="stSidebarNav"]').count()
            assert not page.get_by_text("adgangslog", exact=True).count()
            assert not page.locator('[data-testid="stException"]').count()


def test_first_request_deep_link_outside_the_role_is_not_shown(demo_kommune, tmp_path, module_chromium):
    require_chromium()
    env = app_env(demo_kommune, tmp_path, "1", user="analytiker")
    with running_app(env, log_dir=tmp_path) as base:
        with open_page(f"{base}/borger?borger=B00001", tmp_path, browser=module_chromium) as (page, shot):
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.get_by_text("Logget ind som").first.wait_for()
            shot("dybt_link_uden_for_rollen")
            assert not page.get_by_role("heading", name="Borgerforløb").count()
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.get_by_text("Overblik", exact=True).first.wait_for()  # app.py's navigation ran
            assert not nav.get_by_text("Borgerforløb", exact=True).count()
            assert not nav.get_by_text("Adgangslog", exact=True).count()
            assert not page.locator('[data-testid="stException"]').count()


def test_sign_in_returns_to_the_deep_link_or_the_roles_default(tmp_path, monkeypatch, module_chromium):
    """The address asked for before sign-in opens after it when the role may see it; otherwise, and
    for the bare address, the role's own default page (a sagsbehandler: Sagsoverblik)."""
    require_chromium()
    from data_model.db import engine_for
    from test_access import write_dataset
    from workbench.lager import users

    pw = "korrekt-hest-batteri"
    d = write_dataset(tmp_path / "data")
    db = f"sqlite:///{tmp_path / 'workbench.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", db)
    users.create_user(engine_for(d), "sara", "sagsbehandler", pw, sagsbehandler="SB2", navn="Sara")
    env = {"FFB_WORKBENCH_DATA": str(d), "FFB_WORKBENCH_DEV": "0", "DATABASE_URL": db,
           "FFB_WORKBENCH_HOME": str(tmp_path / "home")}
    cases = [("/borger?borger=B001", "Borgerforløb", "/borger"), ("/", "Sagsoverblik", None),
             ("/adgangslog", "Sagsoverblik", None)]
    with running_app(env, log_dir=tmp_path) as base:
        for path, heading, url_part in cases:
            with open_page(f"{base}{path}", tmp_path, browser=module_chromium) as (page, shot):
                page.get_by_label("Brugernavn").fill("sara")
                page.get_by_label("Adgangskode").fill(pw)
                page.get_by_role("button", name="Log ind").click()
                page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
                if url_part:
                    assert url_part in page.url, page.url
                assert not page.get_by_role("heading", name="Adgangslog").count()
                assert not page.locator('[data-testid="stException"]').count()
