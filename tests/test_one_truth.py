"""Issue 11: one owner per concept, checked through every path that shows it.

- The reference date: every page's default == the CLI default (commands.common.paa) == udtraeksdato.
- Code shape: month arithmetic only in workbench/regler/periods.py, "betalingskommune else handlekommune" only
  in workbench/data/geo.py, suppression labels only in workbench/regler/suppression.py, data_model never imports
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
    overblik = run_page(str(ROOT / "pages" / "overblik.py"))
    assert overblik.date_input(key="ov_paa").value == cli_default
    kvalitet = run_page(str(ROOT / "pages" / "kvalitet.py"))
    assert kvalitet.date_input(key="kv_paa").value == cli_default
    udforsk = run_page(str(ROOT / "pages" / "udforsk.py"))
    assert udforsk.date_input(key="fp_paa").value == cli_default
    borger = run_page(str(ROOT / "pages" / "borger.py"), {"borger": ds.borgere.head(1).collect()["borger_id"][0]})
    assert borger.date_input(key="borger_paa").value == cli_default


# --------------------------------------------------------------------------------------------
# code shape


MONTH_HELPERS = {"month_start", "add_months", "month_end", "months", "_month_start", "_next_month", "_add_month",
                 "_months"}


def test_month_arithmetic_only_in_periods():
    offenders = []
    for path in sources("workbench", "pages"):
        if path.name == "periods.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in MONTH_HELPERS:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert offenders == []


def test_betalingskommune_fallback_spelled_once():
    hits = [str(p.relative_to(ROOT)) for p in sources("workbench", "pages")
            if 'coalesce("betalingskommune"' in p.read_text(encoding="utf-8")
            or "coalesce(pl.col(\"betalingskommune\")" in p.read_text(encoding="utf-8")]
    assert hits == ["workbench/data/geo.py"]


def test_suppression_labels_only_in_suppression_module():
    offenders = []
    for path in sources("pages", "workbench/ui"):
        text = path.read_text(encoding="utf-8")
        for needle in ('f"<{', '"<5"', "'<5'", "primary_label(", "threshold()"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


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
    for path in [ROOT / "app.py", ROOT / "serve.py", *sources("workbench", "pages")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"map_elements", "map_batches", "map_groups",
                                                                  "apply"} and isinstance(node.ctx, ast.Load):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert not offenders, offenders
