"""One Danish number/date/empty-value formatter (workbench.format.dansk), seen from its functions and
from a page: Resultater shows an empty share as '–' and a share with decimals as '41,7', never
'None', 'nan' or '40.0'; its choice widgets carry Danish placeholders (nothing patches Streamlit)."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import polars as pl
import pytest

from data_model.db import engine_for
from tests import helpers
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.format import dansk
from workbench.lager import users
from workbench.sider import resultater
from workbench.sider.tilbud import standard_periode

ROOT = Path(__file__).resolve().parents[1]
RESULTATER = str(ROOT / "sidefiler" / "resultater.py")
EMPTY_WORDS = {"None", "none", "nan", "NaN", "null", "<NA>", "NaT"}
ENGLISH_DECIMAL = re.compile(r"^-?\d+\.\d{1,2}$")  # '40.0', '486.2' (a Danish '1.234' has three digits after '.')

VALUES = [0, 1, 999, 1000, 1234567.891, -1234.5, 0.04, -0.004, 486.25, 9000.0, 0.4167, None, math.nan]


@pytest.mark.parametrize("decimaler", [0, 1, 2])
def test_python_and_polars_formatters_agree(decimaler):
    """tal() and tal_expr() are the same formatter: one text for each value, empty values '–'."""
    py = [dansk.tal(v, decimaler) for v in VALUES]
    pol = pl.DataFrame({"v": VALUES}, schema={"v": pl.Float64}).select(dansk.tal_expr("v", decimaler))["v"].to_list()
    # rounding a half (486.25) may differ between Python and Polars only in its last digit
    for v, a, b in zip(VALUES, py, pol):
        if isinstance(v, float) and not math.isnan(v) and round(v * 10 ** decimaler * 2) % 2 == 1:
            assert a[:-1] == b[:-1], (v, a, b)
        else:
            assert a == b, (v, a, b)
    assert dansk.tal(None) == dansk.tal(math.nan) == dansk.TOM
    assert dansk.tal(1234.56, 1) == "1.234,6" and dansk.tal(-0.004, 1) == "0,0"
    for text in pol:
        assert text not in EMPTY_WORDS and not ENGLISH_DECIMAL.match(text)


def test_numbers_read_back_and_dates():
    for v in (0, 12, 1234, 1234567.5, -1234.25):
        for d in (0, 1, 2):
            assert dansk.tal_fra_tekst(dansk.tal(v, d)) == pytest.approx(round(v, d))
    assert dansk.tal_fra_tekst("<5") is None and dansk.tal_fra_tekst("x") is None
    assert dansk.dato(dt.date(2025, 3, 9)) == "09-03-2025"
    assert dansk.dato_tid(dt.datetime(2025, 3, 9, 7, 5)) == "09-03-2025 07:05"
    df = pl.DataFrame({"d": [dt.date(2025, 3, 9), None], "b": ["B1", "B2"]})
    got = df.select(dansk.dato_expr("d", tom=dansk.TOM), dansk.borger_link("b").alias("l"))
    assert got.rows() == [("09-03-2025", "borger?borger=B1"), (dansk.TOM, "borger?borger=B2")]
    assert got.select(dansk.uden_borger_link("l"))["l"].to_list() == ["B1", "B2"]
    assert re.fullmatch(dansk.BORGER_LINK_TEKST, "borger?borger=B1").group(1) == "B1"


def _cells(at) -> list[object]:
    out = []
    for frame in at.dataframe:
        for col in frame.value.columns:
            out += list(frame.value[col])
    return out


@pytest.fixture
def env(demo_env):
    users.bootstrap(engine_for(demo_env), demo_env)
    return demo_env


def test_resultater_shows_danish_numbers_and_no_none(env):
    """Grouped by paragraf on the kommune demo, one paragraf (SEL §83a) has no borger with a change and
    no goal followed up: its shares read '–'. Every other share reads as tal(andel * 100, 1)."""
    ds = open_dataset(env)
    fra, til = standard_periode(udtraeksdato(ds))
    fn = resultater.resultater(ds, "paragraf", fra, til).collect()
    empty = fn.filter(pl.col("andel_forbedret").is_null())["gruppe"].to_list()
    assert empty, "the demo should hold a paragraf without any share (SEL §83a)"
    at = helpers.run_page(RESULTATER)
    at.selectbox(key="res_pr").set_value("paragraf").run()
    assert not at.exception
    side = next(f.value for f in at.dataframe if "Paragraf" in f.value.columns)
    shown = dict(zip(side["Paragraf"], side["Forbedret %"]))
    with_decimals = 0
    for gruppe, andel in fn.select("gruppe", "andel_forbedret").iter_rows():
        if andel is None:
            assert shown[gruppe] == dansk.TOM, (gruppe, shown[gruppe])
        else:
            assert shown[gruppe] == dansk.tal(andel * 100, 1), (gruppe, andel, shown[gruppe])
            with_decimals += not shown[gruppe].endswith(",0")
    assert with_decimals, "no share with decimals to check"
    opnaaet = dict(zip(side["Paragraf"], side["Opnået %"]))
    for gruppe in empty:
        assert opnaaet[gruppe] == dansk.TOM
    for cell in _cells(at):
        assert cell is not None and not (isinstance(cell, float) and math.isnan(cell)), side
        assert str(cell) not in EMPTY_WORDS and not ENGLISH_DECIMAL.match(str(cell)), cell
    # the borgere behind a group: a link column showing the id; still no empty words
    at.selectbox(key="res_gruppe").set_value(fn["gruppe"][0]).run()
    assert not at.exception
    links = next(f.value for f in at.dataframe if "Udvikling" in f.value.columns)["Borger"]
    assert len(links) and all(str(v).startswith(dansk.BORGER_LINK) for v in links)
    for cell in _cells(at):
        assert cell is not None and str(cell) not in EMPTY_WORDS


def test_choice_widgets_show_danish_placeholders(env):
    """No monkeypatch: the placeholders come from the calls (workbench.ui.widgets.vaelg / vaelg_flere)."""
    at = helpers.run_page(RESULTATER)
    widgets = list(at.selectbox) + list(at.multiselect)
    assert widgets
    for w in widgets:
        assert w.proto.placeholder and "Choose" not in w.proto.placeholder, (w.label, w.proto.placeholder)


def test_chart_axes_and_tooltips_are_danish():
    """Økonomi's charts (page and report): axis labels through vega_tal, tooltips from tal_expr text."""
    import json

    import vl_convert as vlc

    from workbench.sider import oekonomi

    per_maaned = pl.DataFrame({"maaned": ["2025-01", "2025-02"], "kategori": ["Botilbud", "Botilbud"],
                               "udgift": [1_234_567.0, 2_500_000.0]})
    spec = oekonomi.udgift_chart(per_maaned).to_dict()
    assert spec["encoding"]["y"]["axis"]["labelExpr"] == dansk.vega_tal(1)
    values = spec["data"]["values"]
    assert [v["mio_tekst"] for v in values] == ["1,23", "2,50"]
    assert all("format" not in t for t in spec["encoding"]["tooltip"])
    svg = vlc.vegalite_to_svg(json.dumps(spec))
    labels = re.findall(r">([-−\d.,]+)</text>", svg)
    assert "0,0" in labels and "2,5" in labels and not any(ENGLISH_DECIMAL.match(t) for t in labels), labels


def test_danish_formats_are_spelled_once():
    """The display formats live in workbench/format/dansk.py; reading dates in (workbench/data, parse_date)
    is not display. A new page that spells them again fails here: call the owner instead."""
    pattern = re.compile(r'strftime\(["\']%d-%m-%Y|format="DD-MM-YYYY"|borger\?borger=|borger\\\\\?borger|:,\.\d?f}')
    files = [ROOT / "app.py", *sorted((ROOT / "sidefiler").glob("*.py")), *sorted((ROOT / "workbench").rglob("*.py"))]
    hits = [f"{f.relative_to(ROOT)}:{i}" for f in files
            if f.name != "dansk.py" and "vaerktoej" not in f.parts and "data" not in f.parent.parts[-1:]
            for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert hits == []
