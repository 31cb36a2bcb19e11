"""Browser: a password sign-in survives a reload and a new tab (HttpOnly session cookie + server-side
session), a deep link survives sign-in, sign-out revokes the session; security headers and lang="da"."""

from __future__ import annotations

import urllib.request

import pytest

from data_model.db import engine_for
from test_access import write_dataset
from tests.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, require_chromium, running_app, wait_idle
from workbench.lager import users

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PW = "korrekt-hest-batteri"


def test_session_cookie_reload_new_tab_deep_link_and_logout(tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import sync_playwright

    d = write_dataset(tmp_path / "data")
    db = f"sqlite:///{tmp_path / 'workbench.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", db)  # the test's own view of the server's database
    users.create_user(engine_for(d), "sara", "sagsbehandler", PW, sagsbehandler="SB2", navn="Sara")
    env = {"FFB_WORKBENCH_DATA": str(d), "FFB_WORKBENCH_DEV": "0", "DATABASE_URL": db,
           "FFB_WORKBENCH_HOME": str(tmp_path / "home")}
    with running_app(env, log_dir=tmp_path) as base:
        with urllib.request.urlopen(f"{base}/borger") as resp:
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
            assert '<html lang="da"' in resp.read().decode()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                ctx = browser.new_context(viewport=VIEWPORT, locale="da-DK")
                page = ctx.new_page()
                page.goto(f"{base}/borger?borger=B001", wait_until="domcontentloaded")
                wait_idle(page)
                page.get_by_label("Brugernavn").fill("sara")
                page.get_by_label("Adgangskode").fill(PW)
                page.get_by_role("button", name="Log ind").click()
                # the deep link survives the sign-in: the borger page with B001
                page.get_by_role("heading", name="Borgerforløb").wait_for(timeout=60_000)
                wait_idle(page)
                assert "borger=B001" in page.url and "/borger" in page.url
                page.wait_for_function("() => true")
                for _ in range(40):  # the cookie arrives through the one-time ticket
                    if any(c["name"] == "ffb_session" for c in ctx.cookies()):
                        break
                    page.wait_for_timeout(250)
                cookie = next(c for c in ctx.cookies() if c["name"] == "ffb_session")
                assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
                assert "ffb_session" not in page.evaluate("document.cookie")
                # reload: still signed in
                page.reload(wait_until="domcontentloaded")
                wait_idle(page)
                page.locator('[data-testid="stSidebar"]').get_by_text("Logget ind som").first.wait_for()
                # a new tab: signed in too
                tab = ctx.new_page()
                tab.goto(f"{base}/udforsk", wait_until="domcontentloaded")
                wait_idle(tab)
                tab.locator('[data-testid="stSidebar"]').get_by_text("Logget ind som").first.wait_for()
                # sign out in the tab: the session is revoked, the first page's reload shows the login
                tab.get_by_role("button", name="Log ud").click()
                wait_idle(tab)
                page.reload(wait_until="domcontentloaded")
                wait_idle(page)
                page.get_by_label("Adgangskode").wait_for()
                assert not page.locator('[data-testid="stSidebar"]').get_by_text("Logget ind som").count()
            finally:
                browser.close()
