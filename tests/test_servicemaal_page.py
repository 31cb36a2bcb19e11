"""Issue 22 items 2-3: the Servicemål og klager page (AppTest), its role gating, and one period's numbers
equal on the page, in the `servicemaal` command and in the statusrapport (all through
workbench.sider.servicemaal)."""

from __future__ import annotations

import html as htmllib
import io
import re
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from tests.helpers import run_page
from workbench.cli import main
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.format.output import dansk_tal
from workbench.lager import users
from workbench.regler import access, suppression
from workbench.regler.periods import parse_periode
from workbench.sider import rapport
from workbench.sider import servicemaal as view

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "sidefiler" / "servicemaal.py")


def _page(monkeypatch, rolle: str | None, aar: str | None = None) -> AppTest:
    if rolle:
        monkeypatch.setenv("FFB_WORKBENCH_USER", rolle)
    at = run_page(PAGE)
    if aar:
        at.selectbox(key="sm_aar").set_value(aar).run()
        assert not at.exception, [e.message for e in at.exception]
    return at


def _expected(path: Path, rolle: str, periode: str) -> view.ServicemaalSide:
    """The view on the role's scoped data, suppressed as the role sees it on screen."""
    principal = users.principal_for(engine_for(None), rolle)
    ds = access.scope(open_dataset(path), principal)
    return view.side(ds, parse_periode(periode), udtraeksdato(open_dataset(path)), suppression.for_principal(principal))


def _same(shown, expected: pl.DataFrame) -> None:
    got = pl.from_pandas(shown).with_columns(pl.all().cast(pl.String))
    assert got.columns == expected.columns
    assert got.rows() == expected.rows()


def test_leader_sees_the_views_tables(demo_env, monkeypatch):
    aar = str(udtraeksdato(open_dataset(demo_env)).year)
    at = _page(monkeypatch, "leder_myndighed", aar)
    assert [t.value for t in at.title] == ["Servicemål og klager"]
    assert not at.warning  # the demo has ansøgningsdato and klager: no data-mangler line
    exp = _expected(demo_env, "leder_myndighed", aar)
    assert exp.visning.eksakt and exp.servicemaal.height > 3
    tables = [d.value for d in at.dataframe]
    assert len(tables) == 4
    _same(tables[0], exp.servicemaal_vist())
    _same(tables[1], exp.trend_bred("median_dage"))
    _same(tables[2], exp.trend_vist())  # every measure per quarter and paragraf (the expander)
    _same(tables[3], exp.klager_vist())
    assert "Omgørelsesprocent" in tables[3].columns
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the quarter trend chart
    # the partial last quarter is labelled the way regler.periods does it
    assert any(" t.o.m. " in c for c in tables[1].columns)
    labels = [b.label for b in at.get("download_button")]
    assert "Hent servicemål (CSV)" in labels and "Hent klager (CSV)" in labels
    # another measure in the trend: the share within the servicemål, only paragraffer that have one
    at.radio(key="sm_maal").set_value("andel_inden_for").run()
    _same(at.dataframe[1].value, exp.trend_bred("andel_inden_for"))


def test_analytiker_sees_suppressed_numbers(demo_env, monkeypatch):
    aar = str(udtraeksdato(open_dataset(demo_env)).year)
    at = _page(monkeypatch, "analytiker", aar)
    exp = _expected(demo_env, "analytiker", aar)
    assert not exp.visning.eksakt
    shown = at.dataframe[0].value
    _same(shown, exp.servicemaal_vist())
    small = exp.servicemaal.filter((pl.col("afgjorte") > 0) & (pl.col("afgjorte") < 5))
    assert small.height  # the demo has small paragraffer: they must read '<5'
    rows = dict(zip(shown["Paragraf"], shown["Afgjort"]))
    assert all(rows[p] == "<5" for p in small["paragraf"].to_list())
    assert not any(re.fullmatch(r"[1-4]", str(v)) for v in shown["Afgjort"])


def test_without_ansoegningsdato_and_klager_the_page_says_so(borger_x_dir, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(borger_x_dir))
    at = _page(monkeypatch, None)
    warnings = [w.value for w in at.warning]
    assert warnings == [view.MANGLER_TEKST[view.ANSOEGNING], view.MANGLER_TEKST[view.KLAGER]]
    assert all(w.startswith("Data mangler:") for w in warnings)
    assert not at.dataframe  # no empty table in place of the line


def test_a_role_without_the_page_is_refused(demo_env, monkeypatch):
    assert not access.page_allowed(access.Principal(username="x", rolle="sagsbehandler"), "servicemaal")
    assert access.page_allowed(access.Principal(username="x", rolle="analytiker"), "servicemaal")
    from workbench.ui.pages import PAGES

    assert ("servicemaal", "sidefiler/servicemaal.py", "Servicemål og klager", "servicemaal") == PAGES[
        [p[0] for p in PAGES].index("servicemaal")][:4]
    monkeypatch.setenv("FFB_WORKBENCH_USER", "sagsbehandler")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    text = " ".join(str(e.value) for e in at.error) + " ".join(m.value for m in at.markdown)
    assert "Du har ikke adgang" in text
    assert not at.dataframe  # refused before any number is computed


def _report_table(html: str, titel: str) -> list[list[str]]:
    m = re.search(rf"<h3>{re.escape(htmllib.escape(titel))}</h3>(<table.*?</table>)", html, re.S)
    assert m, titel
    return [[htmllib.unescape(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1), re.S)]


def test_command_page_and_report_agree_for_one_period(demo_env, monkeypatch, capsys):
    paa = udtraeksdato(open_dataset(demo_env))
    aar = str(paa.year)
    # the command (admin: exact numbers)
    assert main(["servicemaal", str(demo_env), "--periode", aar, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    cmd = pl.read_csv(io.StringIO(out.split("\n\n")[0]))
    cmd_k = pl.read_csv(io.StringIO(out.split("\n\n")[1]))
    # the page (admin: exact numbers)
    at = _page(monkeypatch, "admin", aar)
    page = pl.from_pandas(at.dataframe[0].value)
    page_k = pl.from_pandas(at.dataframe[3].value)
    assert page["Paragraf"].to_list() == cmd["paragraf"].to_list()
    assert page["Afgjort"].to_list() == [dansk_tal(v) for v in cmd["afgjorte"].to_list()]
    assert page["Median (dage)"].to_list() == [dansk_tal(v, 1) for v in cmd["median_dage"].to_list()]
    assert page["90 %-fraktil (dage)"].to_list() == [dansk_tal(v, 1) for v in cmd["p90_dage"].to_list()]
    assert page_k["Modtaget"].to_list() == [dansk_tal(v) for v in cmd_k["modtagne"].to_list()]
    # the report (suppressed as for publication): every figure it shows is the command's
    r = rapport.build(open_dataset(demo_env), "administrativ", aar, paa)
    html = rapport.render_html(r)
    rows = _report_table(html, "Sagsbehandlingstid og servicemål pr. paragraf")
    assert rows[0][:3] == ["Paragraf", "Afgjort", "Median (dage)"]
    by_par = {row[0]: row for row in rows[1:]}
    assert set(by_par) == set(cmd["paragraf"].to_list())
    shown = 0
    for c in cmd.to_dicts():
        row = by_par[c["paragraf"]]
        if c["afgjorte"] < suppression.threshold():
            assert row[1:4] == [f"<{suppression.threshold()}", "x", "x"]
        else:
            assert row[1:4] == [dansk_tal(c["afgjorte"]), dansk_tal(c["median_dage"], 1), dansk_tal(c["p90_dage"], 1)]
            shown += 1
    assert shown >= 3
    # the report's section data are the view's frames; its klage table shows the command's years and paragraffer
    s = next(x for x in r.sektioner if x.noegle == "servicemaal")
    assert s.data["servicemaal"].equals(view.side(open_dataset(demo_env), parse_periode(aar), paa).servicemaal)
    krows = _report_table(html, "Klagesagsstatistik pr. paragraf og år")
    assert krows[0][:3] == ["Paragraf", "År", "Modtaget"]
    assert [(row[0], int(row[1])) for row in krows[1:]] == list(zip(cmd_k["paragraf"], cmd_k["aar"]))
    for row, c in zip(krows[1:], cmd_k.to_dicts()):
        if c["modtagne"] >= suppression.threshold():
            assert row[2] == dansk_tal(c["modtagne"])
    # both levels carry both sections
    cfg = rapport.load_rapport_config()
    for niveau in ("administrativ", "politisk"):
        assert {"servicemaal", "klager"} <= set(cfg.niveauer[niveau][1])


def test_csv_export_is_logged_and_suppressed_til_offentliggoerelse(demo_env, monkeypatch, media):
    import csv

    from tests.helpers import served
    from workbench.lager import accesslog

    paa = udtraeksdato(open_dataset(demo_env))
    aar = str(paa.year)
    at = _page(monkeypatch, "leder_myndighed", aar)
    at.checkbox(key="sm_offentlig").check().run()
    at.download_button(key="sm_csv").click().run()
    assert not at.exception
    log = accesslog.entries(engine_for(demo_env), handling="eksport")
    assert log.height == 1 and log["detalje"][0] == f"servicemaal {aar}.csv"
    text = served(at.download_button(key="sm_csv"), media).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    principal = users.principal_for(engine_for(None), "leder_myndighed")
    exp = view.side(access.scope(open_dataset(demo_env), principal), parse_periode(aar), paa,
                    suppression.suppressed()).servicemaal_vist()
    assert rows[0] == exp.columns
    assert rows[1:] == [list(r) for r in exp.rows()]
    assert any(r[1] == f"<{suppression.threshold()}" for r in rows[1:])  # the leader's own view is exact; this is not


def test_command_as_analytiker_is_the_suppressed_view(demo_kommune, tmp_path, capsys):
    import json
    import shutil

    path = tmp_path / "kommune"
    shutil.copytree(demo_kommune, path)
    users.bootstrap(engine_for(path), path)
    paa = udtraeksdato(open_dataset(path))
    assert main(["servicemaal", str(path), "--periode", str(paa.year), "--format", "json",
                 "--bruger", "analytiker"]) == 0
    data = json.loads(capsys.readouterr().out)
    g = suppression.threshold()
    afgjorte = [r["afgjorte"] for r in data["servicemaal"]]
    assert f"<{g}" in afgjorte and not any(isinstance(v, int) and 0 < v < g for v in afgjorte)
    exp = view.side(open_dataset(path), parse_periode(str(paa.year)), paa, suppression.suppressed())
    assert data["servicemaal"] == exp.servicemaal_tabel().to_dicts()
    assert data["klager"] == json.loads(json.dumps(exp.klager_tabel().to_dicts()))


def test_demo_planted_cases_are_found_by_the_view(demo_kommune):
    """The demo manifest's ydelser with ansøgning after bevilling and its klager: the view finds each."""
    import json

    manifest = json.loads((demo_kommune / "demo_manifest.json").read_text(encoding="utf-8"))
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    planted = manifest["ansoegning_efter_bevilling"]
    bev = ds.ydelser.filter(pl.col("ydelse_id").is_in([r["ydelse_id"] for r in planted])).collect()["bevillingsdato"]
    years = sorted(set(bev.dt.year().to_list()))
    assert planted and years
    found = sum(view.side(ds, parse_periode(str(y)), paa, suppression.exact()).ugyldige for y in years)
    assert found == len(planted)
    k = ds.tables["klager"].collect()
    aarene = sorted(set(k["modtaget"].dt.year().to_list()))
    modtagne = sum(view.side(ds, parse_periode(str(y)), paa, suppression.exact()).klager
                   .filter(pl.col("aar") == y)["modtagne"].sum() for y in aarene)
    assert modtagne == manifest["klager"]["i_alt"] == k.height
