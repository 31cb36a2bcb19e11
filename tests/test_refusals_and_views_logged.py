"""Issue 23 item 8 (log gaps), through AppTest on the kommune demo: the Tilsyn page's case list and
checklist are logged as borger views; a refused `?tilbud=` link and a URL naming a page outside the
role are logged as adgang_naegtet (the P-nummer kept, issue 23 item 5)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data_model.db import engine_for
from tests import helpers
from workbench.lager import accesslog, tilsyn_store, users

ROOT = Path(__file__).resolve().parents[1]


def _log(path: Path, handling: str) -> pl.DataFrame:
    return accesslog.entries(engine_for(path), handling=handling)


def test_tilsyn_case_and_checklist_views_are_logged(demo_env, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_USER", "tilsyn")
    at = helpers.run_page(str(ROOT / "sidefiler" / "tilsyn.py"))
    eng = engine_for(demo_env)
    scope = set(users.principal_for(eng, "tilsyn").borger_ids)
    case = at.selectbox(key="ts_sag").value
    views = _log(demo_env, accesslog.VIS_BORGER).filter(pl.col("bruger") == "tilsyn")
    assert views["borger_ids"].to_list() == [case] and "sag og tjekliste" in views["detalje"][0]
    lists = _log(demo_env, accesslog.VIS_LISTE).filter(pl.col("bruger") == "tilsyn")
    assert any(set(ids.split(",")) == scope for ids in lists.filter(pl.col("detalje").str.contains("sagsliste"))
               ["borger_ids"].to_list())
    # another case: one more view; a rerun of the same view writes nothing new
    other = next(b for b in at.selectbox(key="ts_sag").options if not b.split(" ")[1] == case)
    at.selectbox(key="ts_sag").set_value(other.split(" ")[1]).run()
    at.run()
    views = _log(demo_env, accesslog.VIS_BORGER).filter(pl.col("bruger") == "tilsyn")
    assert sorted(views["borger_ids"].to_list()) == sorted([case, other.split(" ")[1]])
    assert tilsyn_store.audits(eng)  # the demo audit the views belong to
    assert accesslog.verify(eng).ok


def test_refused_tilbud_link_is_logged_with_its_p_nummer(demo_env, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_USER", "tilbudsleder")
    eng = engine_for(demo_env)
    users.bootstrap(eng, demo_env)
    own = set(users.principal_for(eng, "tilbudsleder").tilbud_ids)
    outside = sorted(set(pl.read_parquet(demo_env / "tilbud.parquet")["tilbud_id"]) - own)[0]
    at = helpers.run_page(str(ROOT / "sidefiler" / "tilbud.py"), {"tilbud": outside})
    assert any("har ikke adgang" in w.value for w in at.warning)
    refused = _log(demo_env, accesslog.ADGANG_NAEGTET).filter(pl.col("bruger") == "tilbudsleder")
    assert refused["detalje"].to_list() == [f"tilbud {outside} (adresse)"]  # a known P-nummer: not masked
    # a value the dataset does not know as a tilbud and that can be a CPR is masked
    helpers.run_page(str(ROOT / "sidefiler" / "tilbud.py"), {"tilbud": "0101901234"})
    refused = _log(demo_env, accesslog.ADGANG_NAEGTET).filter(pl.col("bruger") == "tilbudsleder")
    assert refused["detalje"][0] == "tilbud 010190-xxxx (adresse)"


def test_refused_page_url_is_logged(demo_env):
    """A URL naming a page outside the role (a full page load: typed, bookmarked or linked) is logged by
    the server layer (workbench.ui.server), which sees the path and the session cookie; app.py registers
    only the role's pages, so Streamlit shows the default page. A page of the role is not logged."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from data_model.db import state_dir
    from workbench.lager import sessions
    from workbench.ui import server

    eng = engine_for(demo_env)
    users.bootstrap(eng, demo_env)

    async def index(request):
        return PlainTextResponse('<html lang="en"><body>x</body></html>', media_type="text/html")

    app = Starlette(routes=[Route("/{side}", index)], middleware=server.middleware())
    client = TestClient(app)
    assert client.get("/adgangslog").status_code == 200  # not signed in: nothing to log
    client.cookies.set(sessions.COOKIE, sessions.create(eng, "analytiker", 8, state_dir(demo_env)))
    for side in ("adgangslog", "udforsk", "static.js", "brugere"):
        assert client.get(f"/{side}").status_code == 200
    refused = _log(demo_env, accesslog.ADGANG_NAEGTET).filter(pl.col("bruger") == "analytiker")
    assert sorted(refused["detalje"].to_list()) == ["side adgangslog (adresse)", "side brugere (adresse)"]
    client.cookies.set(sessions.COOKIE, "forfalsket.signatur")  # a forged cookie names nobody
    client.get("/adgangslog")
    assert _log(demo_env, accesslog.ADGANG_NAEGTET).height == refused.height
