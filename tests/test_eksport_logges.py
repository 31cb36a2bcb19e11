"""Issue 21 'one export-button path that logs' and issue 23 item 5: every download a page offers writes an
access-log entry when clicked. Walks every page as admin (who may export everywhere) on the kommune demo,
clicks each download button it finds and checks that the log got one more entry for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from workbench.lager import accesslog, users
from workbench.ui.pages import PAGES

ROOT = Path(__file__).resolve().parents[1]
LOGGED = (accesslog.EKSPORT, accesslog.UDTRAEK)


def _n(eng) -> int:
    return sum(accesslog.entries(eng, handling=h, limit=100_000).height for h in LOGGED)


@pytest.mark.slow
def test_every_download_on_every_page_is_logged(demo_env, monkeypatch):
    eng = engine_for(demo_env)
    users.bootstrap(eng, demo_env)
    monkeypatch.setenv("FFB_WORKBENCH_USER", "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    clicked = []
    for key, file, *_ in PAGES:
        at.switch_page(file).run()
        assert not at.exception, (key, at.exception)
        knapper = [b.key for b in at.download_button if b.key]
        for k in knapper:
            before = _n(eng)
            at.download_button(key=k).click().run()
            assert not at.exception, (key, k, at.exception)
            assert _n(eng) == before + 1, f"{key}: the download '{k}' was not logged"
            clicked.append((key, k))
    pages = {p for p, _ in clicked}
    # the pages with exports on the demo as admin (a page with none today fails here when it gains one
    # that is not walked: add it to the walk)
    assert {"overblik", "udforsk", "kort", "kvalitet", "rapporter"} <= pages, clicked
    assert len(clicked) >= 10, clicked
