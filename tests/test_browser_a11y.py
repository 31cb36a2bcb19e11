"""Accessibility: axe-core's WCAG 2.1 A/AA rules on every page (and the login page) in chromium; any
violation fails. axe-core is the npm package pinned in tools/axe/package.json (scripts/setup.sh
installs it when npm is available; without it this test is skipped with the reason). Also checks
that the page declares Danish (<html lang="da">)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser import VIEWPORT, module_chromium, open_page, require_chromium, running_app  # noqa: F401
from workbench.ui.pages import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' +
    ((n.any[0] || n.all[0] || n.none[0] || {}).message || ''))}));
}"""


# True once every shown chart has drawn its marks, every grid its canvas and every map its canvas, and the
# document has not changed for `settle` ms (checked every 50 ms): grids, charts and maps arrive after
# the script run has finished, so axe must not look before they are there. A MutationObserver
# (installed on the first poll) notes the last change.
LATE_PARTS_DRAWN = """(settle) => {
  const now = performance.now();
  if (!window.__ffbObserver) {
    window.__ffbLastChange = now;
    window.__ffbObserver = new MutationObserver(() => { window.__ffbLastChange = performance.now(); });
    window.__ffbObserver.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  // only what is shown: a grid in a closed expander or another tab draws when it is opened
  const all = (sel, part) => [...document.querySelectorAll(sel)].every(el => !el.checkVisibility() || el.querySelector(part));
  const drawn = all('[data-testid="stVegaLiteChart"]', '.vega-embed canvas, .vega-embed svg.marks')
    && all('[data-testid="stDataFrame"]', 'canvas')
    && all('[data-testid="stDeckGlJsonChart"]', 'canvas');
  const idle = document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    && !document.querySelector('[data-stale="true"]');
  if (!drawn || !idle) { window.__ffbLastChange = now; return false; }
  return now - window.__ffbLastChange >= settle;
}"""


MISSING = """() => ['[data-testid="stVegaLiteChart"]', '[data-testid="stDataFrame"]', '[data-testid="stDeckGlJsonChart"]']
  .map(sel => sel + ': ' + [...document.querySelectorAll(sel)].filter(el => el.checkVisibility() && !el.querySelector('canvas, svg.marks')).length
       + ' of ' + document.querySelectorAll(sel).length + ' not drawn').join('; ')
  + '; script ' + (document.querySelector('[data-testid="stApp"]') || {dataset: {}}).dataset.testScriptState
  + '; stale ' + document.querySelectorAll('[data-stale="true"]').length"""


def _axe(page) -> list:
    try:
        page.wait_for_function(LATE_PARTS_DRAWN, arg=400, polling=50)  # late grids, charts and maps
    except Exception as exc:  # playwright's TimeoutError: say what was still missing
        raise AssertionError(f"{page.url}: {page.evaluate(MISSING)}") from exc
    page.evaluate("() => window.__ffbObserver.disconnect()")
    assert page.evaluate("document.documentElement.lang") == "da"
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN)


def _require_axe() -> None:
    if not AXE.is_file():
        pytest.skip(f"{AXE} findes ikke (npm install --prefix tools/axe, se scripts/setup.sh)")


def test_every_page_passes_axe_wcag21_aa(demo_kommune, tmp_path, module_chromium):
    require_chromium()
    _require_axe()
    env = {"FFB_WORKBENCH_DATA": str(demo_kommune), "FFB_WORKBENCH_DEV": "1",
           "FFB_WORKBENCH_HOME": str(tmp_path / "home"), "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}"}
    found = {}
    with running_app(env, log_dir=tmp_path) as base:
        tabs = module_chromium.new_context(viewport=VIEWPORT, locale="da-DK")  # one HTTP cache for the app's scripts
        try:
            for key, _file, _title, url, _icon in PAGES:
                target = f"{base}/{url}" + ("?borger=X" if key == "borger" else "")
                with open_page(target, tmp_path, browser=tabs) as (page, _shot):  # a new tab each
                    violations = _axe(page)
                if violations:
                    found[url] = violations
        finally:
            tabs.close()
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_login_page_passes_axe(tmp_path, module_chromium):
    require_chromium()
    _require_axe()
    from test_access import write_dataset

    d = write_dataset(tmp_path / "data")
    env = {"FFB_WORKBENCH_DATA": str(d), "FFB_WORKBENCH_DEV": "0",
           "FFB_WORKBENCH_HOME": str(tmp_path / "home"), "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}"}
    with running_app(env, log_dir=tmp_path) as base, open_page(base, tmp_path, browser=module_chromium) as (page, _shot):
        violations = _axe(page)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
