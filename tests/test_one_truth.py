"""Issue 11: one owner per concept, checked through every path that shows it.

- The reference date: every page's default == the CLI default (commands.common.paa) == udtraeksdato.
- One primary målgruppe (workbench.regler.maalgruppe) on every page and command that groups or lists by it.
- No count 1..g-1 in any page's result for a role without the borger list (workbench.regler.suppression).
- Code shape: "betalingskommune else handlekommune" only in workbench/data/geo.py, data_model never imports
  workbench.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
from pathlib import Path

import pytest

from workbench.commands.common import paa as cli_paa
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.regler.filters import Filters

from tests.helpers import run_page

ROOT = Path(__file__).resolve().parents[1]


def sources(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


# --------------------------------------------------------------------------------------------
# item 1: one reference date


def test_filters_never_default_to_today():
    with pytest.raises(ValueError):
        Filters().reference_date()
    d = dt.date(2026, 10, 31)
    assert Filters(udtraeksdato=d).reference_date() == d
    assert Filters(paa=dt.date(2025, 1, 1), udtraeksdato=d).reference_date() == dt.date(2025, 1, 1)
    assert Filters(udtraeksdato=d) == Filters()  # not a filter: not compared, not in the URL
    assert Filters(udtraeksdato=d).to_query_params() == {}


def test_every_page_defaults_to_the_cli_reference_date(demo_env):
    ds = open_dataset(demo_env)
    cli_default = cli_paa(argparse.Namespace(paa=None), ds)
    assert cli_default == udtraeksdato(ds)
    assert cli_default < dt.date.today()  # the demo was extracted 31-10-2026: not 'today'
    overblik = run_page(str(ROOT / "sidefiler" / "overblik.py"))
    assert overblik.date_input(key="ov_paa").value == cli_default
    kvalitet = run_page(str(ROOT / "sidefiler" / "kvalitet.py"))
    assert kvalitet.date_input(key="kv_paa").value == cli_default
    udforsk = run_page(str(ROOT / "sidefiler" / "udforsk.py"))
    assert udforsk.date_input(key="fp_paa").value == cli_default
    borger = run_page(str(ROOT / "sidefiler" / "borger.py"), {"borger": ds.borgere.head(1).collect()["borger_id"][0]})
    assert borger.date_input(key="borger_paa").value == cli_default


# --------------------------------------------------------------------------------------------
# code shape


def test_betalingskommune_fallback_spelled_once():
    hits = [str(p.relative_to(ROOT)) for p in sources("workbench", "sidefiler")
            if 'coalesce("betalingskommune"' in p.read_text(encoding="utf-8")
            or "coalesce(pl.col(\"betalingskommune\")" in p.read_text(encoding="utf-8")]
    assert hits == ["workbench/data/geo.py"]


def test_data_model_never_imports_workbench():
    offenders = []
    for path in sources("data_model"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "workbench"]
    assert offenders == []


def test_dead_region_of_is_gone():
    from workbench.data import geo

    assert not hasattr(geo, "region_of")


# --------------------------------------------------------------------------------------------
# item 8: the paragraffer DST and the seeds use, with their counting unit, DST code and konto


def test_paragraffer_82a_82b_101_are_accepted_on_load(borger_x_dir):
    from workbench.data.config import load_config

    codes = load_config().codes
    for text, want in [("SEL §82a", "SEL §82a"), ("§ 82 a", "SEL §82a"), ("82b", "SEL §82b"),
                       ("Serviceloven § 82 b", "SEL §82b"), ("§101", "SEL §101"), ("Rusmiddelcenter §101", "SEL §101")]:
        assert codes.paragraf_canonical(text) == want, text
    (borger_x_dir / "ydelser.csv").write_text(
        "ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato\n"
        "Y1,X,§82a,Gruppebaseret hjælp og støtte,2023-01-01,2023-03-01\n"
        "Y2,X,SEL 82b,Individuel tidsbegrænset socialpædagogisk hjælp og støtte,2023-01-01,\n"
        "Y3,X,Rusmiddelcenter §101,Stofmisbrugsbehandling,2023-02-01,2023-05-31\n", encoding="utf-8")
    ds = open_dataset(borger_x_dir)
    assert ds.rejected_counts(["ydelser"]) == {}
    got = ds.ydelser.select("paragraf").collect()["paragraf"].cast(str).to_list()
    assert got == ["SEL §82a", "SEL §82b", "SEL §101"]


def test_paragraf_info_joins_unit_dst_code_and_konto():
    import polars as pl

    from workbench.regler import paragraffer

    info = {r["paragraf"]: r for r in paragraffer.info_frame().to_dicts()}
    assert set(info) >= {"SEL §82a", "SEL §82b", "SEL §101"}
    assert info["SEL §107"]["taelling"] == "helaarspersoner" and info["SEL §107"]["enhed"] == "Helårspersoner"
    assert info["SEL §104"]["taelling"] == "unikke"
    assert (info["SEL §108"]["dst_ydelseskode"], info["SEL §108"]["konto"]) == ("1.8.1", "5.38.50")
    df = pl.DataFrame({"Paragraf": ["SEL §85", "Total"], "v": [1, 2]})
    out = paragraffer.with_info(df, "Paragraf", ["enhed", "konto"])
    assert out.columns == ["Paragraf", "enhed", "konto", "v"]
    assert out.rows() == [("SEL §85", "Unikke borgere", "5.38.39", 1), ("Total", None, None, 2)]


# --------------------------------------------------------------------------------------------
# helårspersoner and borgere for a month: Overblik (optaelling) == Udforsk, total and per paragraf

def test_month_totals_agree_between_overblik_and_udforsk(demo_kommune):
    import polars as pl

    from workbench.regler import optaelling
    from workbench.sider import udforsk

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    fra = dt.date(paa.year, paa.month, 1) - dt.timedelta(days=1)
    fra = fra.replace(day=1)  # the last whole month before the reference date
    til = dt.date(paa.year, paa.month, 1) - dt.timedelta(days=1)
    per, total = (lf.collect() for lf in optaelling.overblik(ds.ydelser, fra, til, paa))
    ct = udforsk.crosstab(ds, Filters(fra=fra, paa=til), "paragraf", None, "helaarspersoner")
    # the Overblik KPI card and the Udforsk 'I alt' row: the same helårspersoner and the same borgere
    card = optaelling.noegletal(total, fra.strftime("%Y-%m"), 0)
    assert ct.total[0] == pytest.approx(card.helaarspersoner) and ct.total[1] == card.borgere
    # a borger under two paragraffer: once in the borger total, under each paragraf in helårspersoner
    assert ct.total[0] > 0 and ct.total[1] < per["borgere"].sum()
    rows = dict(ct.row_totals.select("row", "vaerdi").iter_rows())
    want = dict(per.select(pl.col("paragraf").cast(pl.String), "helaarspersoner").iter_rows())
    assert rows.keys() == {k for k, v in want.items() if v}
    assert all(rows[k] == pytest.approx(want[k]) for k in rows)


def test_no_python_function_inside_a_polars_query():
    """A Python UDF in a query (map_elements, map_batches, map_groups) needs the GIL on Polars' worker
    threads; with several sessions at once the app server hung (one session's UDF waiting for the GIL
    on the workers, another session holding the GIL waiting for the workers). Text for display is made
    from distinct values in Python (workbench.format.output.map_values) or with expressions."""
    offenders = []
    for path in [ROOT / "app.py", ROOT / "serve.py", *sources("workbench", "sidefiler")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"map_elements", "map_batches", "map_groups",
                                                                  "apply"} and isinstance(node.ctx, ast.Load):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert not offenders, offenders


# --------------------------------------------------------------------------------------------
# one primary målgruppe through every path (workbench.regler.maalgruppe.primaer_maalgruppe)


def _cli_json(argv: list[str]):
    import contextlib
    import io
    import json

    from workbench.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return json.loads(out.getvalue())


def test_one_primary_maalgruppe_on_every_page_and_command(demo_env):
    """Resultater per målgruppe (page and command) and Tilbud's borger list show, for every borger, the
    målgruppe the owner gives on that path's date; borgere without one are in the same 'ukendt' group."""
    import polars as pl

    from workbench.regler.maalgruppe import primaer_maalgruppe
    from workbench.sider import resultater, tilbud
    from workbench.sider.tilbud import standard_periode

    ds = open_dataset(demo_env)
    paa = udtraeksdato(ds)
    fra, til = standard_periode(paa)
    owner_til = dict(primaer_maalgruppe(ds.maalgrupper, til).select("borger_id", "maalgruppe").collect().iter_rows())
    owner_paa = dict(primaer_maalgruppe(ds.maalgrupper, paa).select("borger_id", "maalgruppe").collect().iter_rows())
    assert len(set(owner_til.values())) > 3  # the demo has many målgrupper: a wrong pick would show

    # Resultater page: each group's borgere (the drill-down) have that primary målgruppe
    at = run_page(str(ROOT / "sidefiler" / "resultater.py"))
    at.selectbox(key="res_pr").set_value("maalgruppe").run()
    side = next(f.value for f in at.dataframe if resultater.GRUPPER["maalgruppe"] in f.value.columns)
    shown = dict(zip(side[resultater.GRUPPER["maalgruppe"]], side["Borgere"]))
    biggest = max(shown, key=lambda g: int(str(shown[g]).replace(".", "")))
    at.selectbox(key="res_gruppe").set_value(biggest).run()
    assert not at.exception
    ids = [str(b).split("=")[-1] for b in next(f.value for f in at.dataframe if "Udvikling" in f.value.columns)["Borger"]]
    assert ids and len(ids) == int(str(shown[biggest]).replace(".", ""))
    assert {owner_til.get(b, resultater.UKENDT) for b in ids} == {biggest}

    # the command: the same groups with the same borger counts as the page
    cli = _cli_json(["resultater", str(demo_env), "--pr", "maalgruppe", "--format", "json"])
    assert {r["gruppe"]: r["borgere"] for r in cli} == {g: int(str(n).replace(".", "")) for g, n in shown.items()}

    # Tilbud page: the busiest tilbud's borger list
    busiest = tilbud.liste(ds, paa).sort("borgere", descending=True).collect()["tilbud_id"][0]
    page = run_page(str(ROOT / "sidefiler" / "tilbud.py"), {"tilbud": busiest})
    nu = next(f.value for f in page.dataframe if "Primær målgruppe" in f.value.columns)
    pairs = [(str(b).split("=")[-1], m) for b, m in zip(nu["Borger"], nu["Primær målgruppe"])]
    assert pairs
    assert all((m if isinstance(m, str) else None) == owner_paa.get(b) for b, m in pairs), pairs
    cli_t = _cli_json(["tilbud", str(demo_env), busiest, "--format", "json"])
    assert [(b["borger_id"], b["primaer_maalgruppe"]) for b in cli_t["borgere"]] == \
        [(b, owner_paa.get(b)) for b, _ in pairs]
    assert pl.Series([m for _, m in pairs]).n_unique() >= 1


# --------------------------------------------------------------------------------------------
# no suppressed count in any page's result (a role without the borger list: analytiker)

COUNT_HEADER = __import__("re").compile(
    r"^(Borgere|Borgere nu|Tilgang|Afgang|Antal|Antal borgere|Forbedret/fastholdt|Uændret|Forværret|"
    r"Ingen ny vurdering|Ikke vurderet|Mål fulgt op|Opnået|Ikke opnået|Overskredet|Afventer|Uenighed)$")


def test_no_small_count_in_any_page_result_for_analytiker(demo_kommune, tmp_path, monkeypatch):
    """Every page the analytiker may open, through app.py's navigation: no count column holds 1..g-1
    and no count card reads 1..g-1; a count shows as a number, '0', '<g' or 'x'."""
    import shutil

    from streamlit.testing.v1 import AppTest

    from data_model.db import engine_for
    from workbench.format.dansk import tal_fra_tekst
    from workbench.lager import users
    from workbench.regler import access, suppression
    from workbench.ui.pages import PAGES

    data = tmp_path / "kommune"
    shutil.copytree(demo_kommune, data)
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(data))
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    users.bootstrap(engine_for(data), data)
    who = users.principal_for(engine_for(data), "analytiker")
    assert not suppression.for_principal(who).eksakt
    g = suppression.threshold()
    pages = [f for key, f, *_ in PAGES if access.page_allowed(who, key)]
    assert "sidefiler/resultater.py" in pages and "sidefiler/overblik.py" in pages
    offenders, seen = [], 0
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    for f in pages:
        at.switch_page(f).run()
        assert not at.exception, (f, [e.message for e in at.exception])
        for frame in at.dataframe:
            for col in frame.value.columns:
                if not COUNT_HEADER.match(str(col)):
                    continue
                for v in frame.value[col]:
                    seen += 1
                    n = v if isinstance(v, (int, float)) else tal_fra_tekst(str(v))
                    if n is not None and 0 < n < g:
                        offenders.append(f"{f} {col}={v}")
        for m in at.metric:
            if "borgere" in m.label.lower():
                n = tal_fra_tekst(str(m.value))
                if n is not None and 0 < n < g:
                    offenders.append(f"{f} kort {m.label}={m.value}")
    assert seen > 20  # the walk really read count columns
    assert offenders == []
