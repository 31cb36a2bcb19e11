"""Issue 23 item 8 (log gaps), through AppTest on the kommune demo: the Tilsyn page's case list and
checklist are logged as borger views; a refused `?tilbud=` link and a URL naming a page outside the
role are logged as adgang_naegtet (the P-nummer kept, issue 23 item 5)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

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


def test_refused_page_url_is_logged(demo_env, monkeypatch):
    """A URL naming a page outside the role (app.py does not register it; Streamlit falls back to the
    default page) is logged; a URL of an allowed page is not."""
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at._page_hash = calc_hash("adgangslog")  # what the browser sends for /adgangslog
    at.run()
    assert not at.exception
    refused = _log(demo_env, accesslog.ADGANG_NAEGTET).filter(pl.col("bruger") == "analytiker")
    assert refused["detalje"].to_list() == ["side adgangslog (adresse)"]
    at._page_hash = calc_hash("udforsk")
    at.run()
    assert _log(demo_env, accesslog.ADGANG_NAEGTET).filter(pl.col("bruger") == "analytiker").height == 1
