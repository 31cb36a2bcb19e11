"""AppTest for sidefiler/kort.py: offline pydeck map, suppression, selection fallback filters the state."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench.data import geo
from workbench.regler.suppression import primary_label
from workbench.sider.kort import MAX_TILBUD_VALG

from tests.helpers import run_page, served

PAGE = str(Path(__file__).resolve().parents[1] / "sidefiler" / "kort.py")


def run(params: dict | None = None) -> AppTest:
    return run_page(PAGE, params)


def deck_spec(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert charts, "no pydeck chart"
    return json.loads(charts[0].proto.json)


def layer(spec: dict, layer_id: str) -> dict:
    return next(l for l in spec["layers"] if l["id"] == layer_id)


def test_renders_offline_map_with_attribution(demo_env):
    at = run()
    assert at.title[0].value == "Kort"
    spec = deck_spec(at)
    # map_provider=None and no map_style: no basemap provider, no tile/style URL
    assert spec.get("mapProvider") in (None, "")
    assert "http" not in json.dumps(spec.get("mapStyle"))
    kommuner = layer(spec, "kommuner")
    feats = kommuner["data"]["features"]
    assert len(feats) == 98
    home = next(f for f in feats if f["properties"]["kommunekode"] == "0250")
    assert home["properties"]["fill"][:3] != geo.EMPTY_FILL
    assert "Antal borgere" in home["properties"]["tekst"]
    assert layer(spec, "tilbud")["data"], "no tilbud points"
    captions = " ".join(c.value for c in at.caption)
    assert "Geodatastyrelsen" in captions and "ODbL" in captions


def test_suppressed_kommuner_are_grey_not_shaded(demo_env, monkeypatch):
    # analytiker: no borger list, so small numbers are suppressed (roles with the list see them exactly)
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    at = run({"kommunetype": "betaling"})
    feats = layer(deck_spec(at), "kommuner")["data"]["features"]
    hidden = [f for f in feats if "diskretioneret" in f["properties"]["tekst"]]
    assert hidden, "expected some kommuner with 1-4 borgere as betalingskommune"
    for f in hidden:
        assert f["properties"]["fill"][:3] == geo.SUPPRESSED_FILL
        # exactly the suppressed value as shown: the primary label (<5) or x for a complementary cell
        shown = re.fullmatch(r".+: (.+) \(diskretioneret\)", f["properties"]["tekst"].split("<br/>")[0])
        assert shown is not None and shown.group(1) in (primary_label(), "x"), f["properties"]["tekst"]


def test_filter_changes_the_map(demo_env):
    at = run()
    before = next(f for f in layer(deck_spec(at), "kommuner")["data"]["features"]
                  if f["properties"]["kommunekode"] == "0250")["properties"]["tekst"]
    next(w for w in at.multiselect if w.key == "fp_paragraffer").set_value(["SEL §108"]).run()
    assert not at.exception
    after = next(f for f in layer(deck_spec(at), "kommuner")["data"]["features"]
                 if f["properties"]["kommunekode"] == "0250")["properties"]["tekst"]
    assert before != after


def test_vaelg_kommune_filters_state_and_url(demo_env):
    at = run({"kommunetype": "betaling"})
    sb = next(s for s in at.selectbox if s.key == "kort_vaelg_kommune")
    assert "Frederikssund (0250)" in sb.options
    sb.set_value("0250").run()
    assert not at.exception
    assert at.query_params["kommune"] in ("0250", ["0250"])
    assert next(w for w in at.multiselect if w.key == "fp_kommuner").value == ["0250"]
    assert any("Filtreret på" in s.value for s in at.success)


def test_vaelg_tilbud_lists_every_tilbud_up_to_the_limit(demo_env):
    at = run()
    sb = next(s for s in at.selectbox if s.key == "kort_vaelg_tilbud")
    n = len(layer(deck_spec(at), "tilbud")["data"])
    assert 1 < len(sb.options) - 1 <= MAX_TILBUD_VALG and len(sb.options) - 1 >= n
    assert not [t for t in at.text_input if t.key == "kort_soeg_tilbud"]


def test_vaelg_tilbud_filters(demo_env, monkeypatch):
    from workbench.sider import kort

    monkeypatch.setattr(kort, "MAX_TILBUD_VALG", 5)
    at = run()
    # more tilbud than the list holds (4.265 nationally): a search (navn or P-nummer) narrows it
    assert not [s for s in at.selectbox if s.key == "kort_vaelg_tilbud"]
    assert any(c.value.endswith("tilbud: søg for at vælge ét.") for c in at.caption)
    at.text_input(key="kort_soeg_tilbud").set_value("100").run()
    sb = next(s for s in at.selectbox if s.key == "kort_vaelg_tilbud")
    assert len(sb.options) == 1 + 5
    assert any(c.value.startswith("Viser de første 5 af ") for c in at.caption)
    tid = sb.options[1].rsplit("(", 1)[1].rstrip(")")  # options are shown as 'navn (id)'
    at.text_input(key="kort_soeg_tilbud").set_value(tid).run()
    sb = next(s for s in at.selectbox if s.key == "kort_vaelg_tilbud")
    assert [o.rsplit("(", 1)[1].rstrip(")") for o in sb.options[1:]] == [tid]
    sb.set_value(tid).run()
    assert not at.exception
    assert at.query_params["tilbud"] in (tid, [tid])
    pts = layer(deck_spec(at), "tilbud")["data"]
    assert [p["tilbud_id"] for p in pts] == [tid]


def test_malformed_params_warn(demo_env):
    at = run({"maal": "gennemsnit", "region": "9999"})
    texts = " ".join(w.value for w in at.warning)
    assert "maal" in texts and "region" in texts


def test_export_kommuner_and_tilbud_exact_or_til_offentliggoerelse(demo_env, media):
    # admin (borger list) exports exact numbers; "Til offentliggørelse" suppresses small counts
    import io

    import polars as pl

    def csv(at):
        return pl.read_csv(io.BytesIO(served(at.download_button(key="kort_csv"), media)), separator=";",
                           schema_overrides={"Kommunekode": pl.String, "Antal borgere": pl.String}
                           ).rename({"Antal borgere": "Borgere"})

    at = run({"kommunetype": "betaling"})
    assert not at.exception
    exact = csv(at)
    assert exact.columns == ["Kommune", "Kommunekode", "Borgere"]
    assert "Frederikssund" in exact["Kommune"].to_list()  # names, not only codes
    assert exact["Borgere"].str.contains("<").sum() == 0
    small = exact.filter(pl.col("Borgere").cast(pl.Int64).is_between(1, 4))
    assert small.height, "expected a kommune with 1-4 borgere as betalingskommune"
    at.checkbox(key="kort_offentlig").check().run()
    pub = csv(at)
    got = dict(zip(pub["Kommunekode"].to_list(), pub["Borgere"].to_list()))
    assert all(got[k] in (primary_label(), "x") for k in small["Kommunekode"].to_list())


def test_deck_json_is_compact_and_the_same_spec():
    """The map is sent without pydeck's indent=2 (5 MB -> ~1 MB at national scale), same content."""
    import pydeck as pdk

    from workbench.ui.deck import CompactDeck

    layers = [pdk.Layer("GeoJsonLayer", geo.kommune_geojson(), id="kommuner", get_fill_color=[1, 2, 3])]
    args = dict(layers=layers, map_provider=None, initial_view_state=pdk.ViewState(latitude=56.0, longitude=10.8, zoom=6.2),
                tooltip={"html": "<b>{navn}</b>"})
    compact, pretty = CompactDeck(**args).to_json(), pdk.Deck(**args).to_json()
    assert "\n" not in compact and ", " not in compact[:2000]
    assert json.loads(compact) == json.loads(pretty)
    assert len(compact) < len(pretty) / 2


def test_page_sends_compact_deck_json(demo_env):
    at = run()
    assert "\n" not in at.get("deck_gl_json_chart")[0].proto.json


def test_simplified_kommune_geometry_keeps_every_kommune_and_island():
    """geo/kommuner.geojson is simplified for drawing (geo/SOURCES.md): 98 kommuner, 308 polygon
    parts (small islands kept), closed rings of at least 4 points, coordinates inside Denmark."""
    feats = geo.kommune_geojson()["features"]
    assert len(feats) == 98 == len({f["properties"]["kommunekode"] for f in feats})
    assert set(geo.kommuner()["kommunekode"]) == {f["properties"]["kommunekode"] for f in feats}
    parts = [poly for f in feats for poly in f["geometry"]["coordinates"]]
    assert len(parts) == 308
    for poly in parts:
        for ring in poly:
            assert len(ring) >= 4 and ring[0] == ring[-1]
            for lon, lat in ring:
                assert 8.0 <= lon <= 15.3 and 54.5 <= lat <= 57.8


def test_layer_data_shares_no_properties_between_calls():
    """geo.kommune_layer_data parses the geometry once per process: each call still gets its own features
    and properties (a second map's colours never leak into the first), every kommune as in the file."""
    rows = [{"kommunekode": "0101", "vaerdi": 12.0, "tekst": "12", "skjult": False, "borgere": 12},
            {"kommunekode": "0250", "vaerdi": 3.0, "tekst": "<5", "skjult": True, "borgere": 3}]
    first, _ = geo.kommune_layer_data(rows, "Borgere")
    before = json.dumps(first)
    second, _ = geo.kommune_layer_data(rows[:1], "Ydelser")
    assert json.dumps(first) == before and json.dumps(second) != before
    fresh = geo.kommune_geojson()
    assert [f["geometry"] for f in first["features"]] == [f["geometry"] for f in fresh["features"]]
    assert [{k: v for k, v in f["properties"].items() if k in fresh["features"][0]["properties"]}
            for f in first["features"]] == [f["properties"] for f in fresh["features"]]
    assert {k: v for k, v in first.items() if k != "features"} == {k: v for k, v in fresh.items() if k != "features"}


def test_cached_map_numbers_equal_the_live_ones(demo_env):
    """kort_cache: the page's kommune values and tilbud points are the udforsk functions' own, collected."""
    from workbench.regler import access
    from workbench.regler.filters import Filters
    from workbench.sider import udforsk
    from workbench.ui import data, kort_cache

    ds = data.scoped_dataset(access.ADMIN)
    f = Filters(udtraeksdato=data.data_date(), paragraffer=("SEL §108",))
    for measure in ("borgere", "udgift"):
        assert kort_cache.kommune_values(access.ADMIN, f, measure).equals(
            udforsk.kommune_values(ds, f, measure).collect())
    assert kort_cache.tilbud_points(access.ADMIN, f).equals(udforsk.tilbud_points(ds, f).collect())
