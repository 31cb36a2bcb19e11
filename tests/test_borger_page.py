"""The borger page (AppTest): deep link, reference date, step chart spec, CPR search (masked only,
never in the URL), access log, and the fælles sagsgennemgang flow by two people."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from workbench.lager import accesslog, reviews

from tests import helpers

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "sidefiler" / "borger.py")
FULL_CPR = "0101901234"


@pytest.fixture
def data_dir(borger_x_dir, monkeypatch) -> Path:
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(borger_x_dir))
    return borger_x_dir


def run_page(**query: str) -> AppTest:
    return helpers.run_page(PAGE, query)


def charts(at: AppTest) -> list[dict]:
    """Each chart's Vega-Lite spec, with its named datasets (sent as Arrow) decoded under 'datasets'."""
    out = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        spec["datasets"] = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist()
                            for d in el.proto.datasets}
        out.append(spec)
    return out


def all_text(at: AppTest) -> str:
    """Every value shown on the page (markdown, captions, metrics, tables, inputs) as one string."""
    parts = []
    for kind in ("markdown", "caption", "header", "subheader", "title", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [str(t.value) for t in at.text_input]
    parts += [b.label for b in at.button]
    return "\n".join(parts)


def step_chart_values(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def test_deep_link_shows_borger_x_as_on_reference_date(data_dir):
    at = run_page(borger="X", paa="2023-06-02")
    assert at.header[0].value == "Borger X"
    assert at.date_input(key="borger_paa").value == dt.date(2023, 6, 2)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Alder"] == "33 år" and metrics["Køn"] == "Kvinde" and metrics["Handlekommune"] == "Frederikssund (0250)"
    assert metrics["Sagsbehandler"] == "Z"
    assert any("Anden psykisk vanskelighed** (primær)" in m.value for m in at.markdown)
    goals = next(df.value for df in at.dataframe if "Status (målt)" in df.value.columns)
    row = goals.iloc[0]
    assert (row["Måltype"], row["Udgangsniveau"], row["Seneste niveau"], row["Forventet"], row["Status (målt)"]) == (
        "Udvikle funktionsevne", "2 (21-01-2023)", "0 (01-06-2023)", "1", "Opnået")
    # measured and recorded side by side (opfoelgninger: M1 Opnået 01-06-2023), and what it was judged on
    assert (row["Målt på"], row["Registreret vurdering"]) == ("0 (01-06-2023)", "Opnået (01-06-2023)")
    # the niveau per undertema with the date of the assessment it used
    assert any("Niveau 02-06-2023: 0 " in c.value and "(vurderet 01-06-2023)" in c.value for c in at.caption)
    assert "**Varetage økonomi**" in [m.value for m in at.markdown]
    # Three charts: ydelser timeline, the Varetage økonomi step chart, støttebehov.
    specs = charts(at)
    assert len(specs) == 3
    step = specs[1]
    y_axes = [layer["encoding"]["y"] for layer in step["layer"] if "y" in layer.get("encoding", {})
              and layer["encoding"]["y"].get("field") == "niveau"]
    assert y_axes and all(y["scale"]["reverse"] is True for y in y_axes)  # 0 (best) at the top
    assert "Moderat nedsat funktionsevne" in y_axes[0]["axis"]["labelExpr"]
    segments = {(r["fra"], r["til"], r["niveau"]) for r in step_chart_values(step) if "fald_fra" in r}
    assert sorted(n for _, _, n in segments) == [0, 2]
    forventet = [r for r in step_chart_values(step) if r.get("maal_id") == "M1"]
    assert forventet and forventet[0]["niveau"] == 1  # the goal's forventet niveau as a rule
    # The view is logged, once.
    log = accesslog.entries(engine_for(data_dir), handling="vis_borger")
    assert log.height == 1 and log["borger_ids"][0].strip(",") == "X"
    at.run()
    assert accesslog.entries(engine_for(data_dir), handling="vis_borger").height == 1


def test_reference_date_changes_the_view(data_dir):
    at = run_page(borger="X", paa="2023-06-02")
    at.date_input(key="borger_paa").set_value(dt.date(2023, 3, 1)).run()
    assert not at.exception
    goals = next(df.value for df in at.dataframe if "Status (målt)" in df.value.columns)
    assert (goals.iloc[0]["Seneste niveau"], goals.iloc[0]["Status (målt)"]) == ("2 (21-01-2023)", "Afventer opfølgning")
    assert goals.iloc[0]["Registreret vurdering"] == "–"
    yd = next(df.value for df in at.dataframe if "Paragraf" in df.value.columns)
    assert list(yd["Slut"]) == ["01-06-2023"]
    # Before the borger's first record: no goals yet.
    at.date_input(key="borger_paa").set_value(dt.date(2022, 12, 1)).run()
    assert "Ingen indsatsmål på referencedatoen." in [c.value for c in at.caption]


def test_ikke_vurderet_is_never_drawn_as_zero(data_dir):
    fe = data_dir / "funktionsevne.csv"
    fe.write_text(fe.read_text(encoding="utf-8").replace(
        "X,2023-06-01,Aktivitet og deltagelse,Samfundsliv,Varetage økonomi,0,S2",
        "X,2023-06-01,Aktivitet og deltagelse,Samfundsliv,Varetage økonomi,,S2"), encoding="utf-8")
    at = run_page(borger="X", paa="2023-06-02")
    step = charts(at)[1]
    segments = {(r["fra"], r["til"], r["niveau"]) for r in step_chart_values(step) if "fald_fra" in r}
    assert [n for _, _, n in segments] == [2]  # the Ikke vurderet day is a gap, not 0
    assert any(r.get("hvad") == "Ikke vurderet" for r in step_chart_values(step))
    goals = next(df.value for df in at.dataframe if "Status (målt)" in df.value.columns)
    assert goals.iloc[0]["Status (målt)"] == "Opfølgning overskredet"


def test_unknown_borger(data_dir):
    at = run_page(borger="NOPE")
    assert any("NOPE findes ikke" in w.value for w in at.warning)
    assert len(at.header) == 0 and len(charts(at)) == 0


def test_no_borger_selected(data_dir):
    at = run_page()
    assert any("Søg efter en borger" in i.value for i in at.info)


@pytest.mark.parametrize("query", ["010190-1234", FULL_CPR])
def test_search_by_cpr_shows_masked_cpr_only(data_dir, query):
    at = run_page()
    at.text_input(key="borger_soeg").input(query).run()
    assert not at.exception
    assert any("CPR 010190-xxxx" in m.value for m in at.markdown)
    shown = all_text(at).replace(query, "")  # the search box itself holds what was typed
    assert FULL_CPR not in shown and "1234" not in shown
    assert not any(FULL_CPR in str(v) or "1234" in str(v) for v in at.query_params.values())
    # The search is logged without the CPR number.
    log = accesslog.entries(engine_for(data_dir), handling="soeg")
    assert log.height == 1 and log["borger_ids"][0].strip(",") == "X" and "1234" not in log["detalje"][0]
    # Opening the hit puts only the borger id in the URL.
    at.button(key="borger_aabn_X").click().run()
    assert not at.exception
    assert dict(at.query_params) == {"borger": "X"}
    assert at.header[0].value == "Borger X"
    assert "010190-xxxx" in all_text(at) and FULL_CPR not in all_text(at).replace(query, "")


def test_search_wrong_cpr_finds_nothing(data_dir):
    at = run_page()
    at.text_input(key="borger_soeg").input("010190-9999").run()
    assert any("Ingen borgere fundet" in i.value for i in at.info)


def test_search_by_borger_id(data_dir):
    at = run_page()
    at.text_input(key="borger_soeg").input("x").run()
    assert any(m.value == "**X**" for m in at.markdown)


def _signin(monkeypatch, data_dir, username: str, rolle: str, **scope) -> None:
    from workbench.lager import users

    users.create_user(engine_for(data_dir), username, rolle, None, **scope)
    monkeypatch.setenv("FFB_WORKBENCH_USER", username)


@pytest.mark.slow
def test_review_flow(data_dir, media, monkeypatch):
    at = run_page(borger="X", paa="2023-06-02")
    at.button(key="sg_start").click().run()
    assert not at.exception
    eng = engine_for(data_dir)
    listed = reviews.list_reviews(eng, "X")
    assert len(listed) == 1 and listed[0]["oprettet_af"] == "admin"
    rid = listed[0]["review_id"]
    key = f"sg_{rid}_1"
    # Signing before a decision is refused.
    at.button(key=f"sg_sign_myndighed_{rid}_1").click().run()
    assert any("ingen afgørelse" in e.value for e in at.error)
    at.text_input(key=f"{key}_myn").input("Sagsbehandler Z")
    at.text_input(key=f"{key}_udf").input("Bostøtten i Kommune Y")
    at.radio(key=f"{key}_borger").set_value("ja")
    at.radio(key=f"{key}_paar").set_value("nej")
    at.selectbox(key=f"{key}_v_M1").set_value("Opnået")
    at.text_input(key=f"{key}_n_M1").input("Klarer sin økonomi selv")
    at.selectbox(key=f"{key}_dec").set_value("Træf afgørelse om afslutning af indsats")
    at.button[[b.label for b in at.button].index("Gem sagsgennemgang")].click().run()
    assert not at.exception
    r2 = reviews.get(eng, rid)
    assert r2.version == 2 and r2.borger_til_stede is True and r2.paaroerende_til_stede is False
    assert r2.vurderinger["M1"] == {"vurdering": "Opnået", "note": "Klarer sin økonomi selv"}
    assert reviews.get(eng, rid, version=1).myndighed_navn == ""  # the first version is kept
    at.button(key=f"sg_sign_myndighed_{rid}_2").click().run()
    assert reviews.get(eng, rid).myndighed_underskrevet_af == "admin"
    # The same person cannot also sign for the udfører.
    at.button(key=f"sg_sign_udfoerer_{rid}_3").click().run()
    assert any("samme person" in e.value for e in at.error)
    assert reviews.status(reviews.get(eng, rid)) == reviews.DELVIS

    # An udfører at the borger's tilbud signs in and signs off.
    _signin(monkeypatch, data_dir, "u1", "udfoerer", tilbud_ids=["1000000001"])
    at2 = run_page(borger="X", paa="2023-06-02")
    assert [b.key for b in at2.button if b.key and b.key.startswith("sg_sign")] == [f"sg_sign_udfoerer_{rid}_3"]
    at2.button(key=f"sg_sign_udfoerer_{rid}_3").click().run()
    assert not at2.exception
    done = reviews.get(eng, rid)
    assert reviews.is_finished(done) and done.udfoerer_underskrevet_af == "u1" and done.version == 4
    assert any("afsluttet" in s.value for s in at2.success)
    # Finished: read-only with a print download; the history lists every version with who.
    assert not [b for b in at2.button if b.key and b.key.startswith("sg_sign")]
    buttons = {b.proto.label: b for b in at2.get("download_button")}
    assert sorted(buttons) == ["Hent udskrift (A4, HTML)", "Hent udskrift (A4, PDF)"]
    url = buttons["Hent udskrift (A4, HTML)"].proto.url
    page = media[-1].get_file(url.rsplit("/", 1)[-1]).content.decode("utf-8")
    assert page == reviews.print_html(done)
    # the same print through the one print pipeline (workbench.format.udskrift) as PDF
    pdf = media[-1].get_file(buttons["Hent udskrift (A4, PDF)"].proto.url.rsplit("/", 1)[-1]).content
    from pypdf import PdfReader
    import io

    assert "Fælles sagsgennemgang" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "<svg" in page and "Varetage økonomi" in page and "size: A4" in page and "u1" in page
    history = next(df.value for df in at2.dataframe if "Handling" in df.value.columns)
    assert list(history["Version"]) == [1, 2, 3, 4] and list(history["Af"]) == ["admin", "admin", "admin", "u1"]
    earlier = next(df.value for df in at2.dataframe if "Oprettet af" in df.value.columns)
    assert list(earlier["Oprettet af"]) == ["admin"] and list(earlier["Status"]) == ["afsluttet"]


def test_edit_after_signature_needs_new_signatures(data_dir):
    at = run_page(borger="X", paa="2023-06-02")
    at.button(key="sg_start").click().run()
    eng = engine_for(data_dir)
    rid = reviews.list_reviews(eng, "X")[0]["review_id"]
    reviews.edit(eng, rid, username="admin", rolle="admin", status_paa_indsats="Træf afgørelse om fortsættelse af indsats",
                 borger_til_stede=True, naeste_opfoelgning=dt.date(2023, 12, 1))
    reviews.sign(eng, rid, reviews.UDFOERER, username="u9", rolle="udfoerer")
    at.run()
    key = f"sg_{rid}_3"
    assert any("begge parter skal underskrive igen" in c.value.lower() or "skal begge parter" in c.value
               for c in at.caption)
    at.selectbox(key=f"{key}_dec").set_value("Træf afgørelse om afslutning af indsats")
    at.button[[b.label for b in at.button].index("Gem sagsgennemgang")].click().run()
    now = reviews.get(eng, rid)
    assert now.version == 4 and now.udfoerer_underskrevet_af is None
    assert reviews.get(eng, rid, version=3).udfoerer_underskrevet_af == "u9"


def test_role_without_review_rights_sees_no_form(data_dir, monkeypatch):
    _signin(monkeypatch, data_dir, "t1", "tilsyn")
    import polars as pl

    from workbench.lager import tilsyn_store

    # the tilsyn user's cases are the sample of an audit a leader created
    tilsyn_store.create(engine_for(data_dir), pl.DataFrame({"team": ["Voksen 1"], "borger_id": ["X"]}), pr="team",
                        antal=1, seed=1, paa=dt.date(2023, 6, 2), auditor="t1", leder="l1", af="l1")
    at = run_page(borger="X", paa="2023-06-02")
    assert at.header[0].value == "Borger X"
    assert not any(b.key == "sg_start" for b in at.button)


def test_demo_dataset_borger_x_and_a_busy_borger(demo_env):
    """The kommune demo data: Borger X as in seed 003, and the borger with the most goals renders."""
    from workbench.data.dataset import open_dataset

    at = run_page(borger="X", paa="2023-06-02")
    goals = next(df.value for df in at.dataframe if "Status (målt)" in df.value.columns)
    assert list(goals["Status (målt)"]) == ["Opnået"] and list(goals["Seneste niveau"]) == ["0 (01-06-2023)"]
    busiest = (open_dataset(demo_env).indsatsmaal.group_by("borger_id").len()
               .sort(["len", "borger_id"], descending=[True, False]).head(1).collect())
    bid = busiest["borger_id"][0]
    at = run_page(borger=bid)
    assert at.header[0].value == f"Borger {bid}"
    goals = next(df.value for df in at.dataframe if "Status (målt)" in df.value.columns)
    assert 1 <= len(goals) <= busiest["len"][0]  # goals starting after today are left out
    assert set(goals["Status (målt)"]) <= {"Opnået", "Afventer opfølgning", "Ikke opnået", "Opfølgning overskredet"}
    assert len(at.get("vega_lite_chart")) >= 2


def test_findings_section_calls_overlap_and_kvalitet_directly():
    """The importlib probe is gone: the borger page uses workbench.regler.overlap / workbench.regler.kvalitet."""
    import inspect

    from workbench.sider import forloeb
    from workbench.ui import borger_view

    assert not hasattr(borger_view, "_module") and "importlib" not in inspect.getsource(borger_view)
    # the page's data come from forloeb.borger_side (cached per version, scope, borger and date), which calls
    # the two owners directly
    from workbench.ui import borger_cache

    assert "borger_cache.side.med(" in inspect.getsource(borger_view.render)
    assert borger_cache.side.view is forloeb.borger_side
    side = inspect.getsource(forloeb.borger_side)
    assert "importlib" not in side
    assert "overlap.overlap_report(" in side and "kvalitet.findings(" in side


def test_borger_side_findings_are_kvalitet_and_overlap_for_the_borger(borger_x_dir):
    """forloeb.borger_side (the page's one data path) gives exactly the borger's rows of the
    whole-dataset overlap report and kvalitet findings."""
    import datetime as dt

    import polars as pl

    from workbench.sider import forloeb
    from workbench.regler import kvalitet, overlap
    from workbench.data.dataset import open_dataset

    ds = open_dataset(borger_x_dir)
    paa = dt.date(2023, 6, 2)
    side = forloeb.borger_side(ds, "X", paa)
    want_ov = overlap.overlap_report(ds.ydelser, paa).filter(pl.col("borger_id") == "X").collect()
    want_fund = (kvalitet.findings(ds, paa).filter(pl.col("borger_id") == "X")
                 .select("regel", "alvor", "tabel", "noegle", "besked").collect())
    assert side.overlap.sort(side.overlap.columns).equals(want_ov.sort(want_ov.columns))
    assert side.findings.sort(side.findings.columns).equals(want_fund.sort(want_fund.columns))
    assert side.header["borger_id"] == "X" and side.goals.height > 0


def test_cached_borger_side_equals_the_live_one_and_every_view_is_logged(data_dir):
    """borger_cache.side: the page's data are forloeb.borger_side's own (field by field); a reload reads
    them from the cache, and still logs the new view (a new session)."""
    import dataclasses

    import polars as pl

    from workbench.regler import access
    from workbench.sider import forloeb
    from workbench.ui import borger_cache, data

    paa = dt.date(2023, 6, 2)
    cached = borger_cache.side(access.ADMIN, "X", paa)
    live = forloeb.borger_side(data.scoped_dataset(access.ADMIN), "X", paa)
    for field in dataclasses.fields(live):
        a, b = getattr(cached, field.name), getattr(live, field.name)
        if field.name == "data":
            assert set(a.tables) == set(b.tables)
            assert all(a.tables[t].collect().equals(b.tables[t].collect()) for t in b.tables)
        elif isinstance(b, pl.DataFrame):
            assert a.equals(b), field.name
        else:
            assert a == b, field.name
    assert borger_cache.side(access.ADMIN, "X", paa) is cached  # one computation per key
    for _ in range(2):  # two sessions, the second from the cache: both views logged
        run_page(borger="X", paa="2023-06-02")
    log = accesslog.entries(engine_for(data_dir), handling=accesslog.VIS_BORGER)
    assert log.height == 2
