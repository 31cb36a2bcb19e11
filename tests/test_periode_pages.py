"""Issue 20 'Tests', the pages themselves: one month's helårspersoner as the Overblik page and the Tilbud
page show them in the browser (AppTest, the rendered tables), against the owner
(`optaelling.period_counts`), the `oekonomi` command and the statusrapport read back from its HTML.

test_periode_every_path.py does the same through the views' functions; this file reads what a user sees."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from workbench.cli import main
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.lager import users
from workbench.regler import optaelling, periods
from workbench.sider import tilbud
from workbench.ui.widgets import dansk_maaned

from tests.test_periode_every_path import _dansk, _report_table

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180


def _month(demo: Path) -> tuple[dt.date, dt.date, dt.date]:
    """The last whole month before the udtræksdato (fra, til) and the udtræksdato."""
    paa = udtraeksdato(open_dataset(demo))
    til = periods.month_start(paa) - dt.timedelta(days=1)
    return periods.month_start(til), til, paa


def _owner(demo: Path, fra: dt.date, til: dt.date, paa: dt.date, by: str) -> dict[str, float]:
    ds = open_dataset(demo)
    return {str(r[by]): r["helaarspersoner"] for r in optaelling.period_counts(ds.ydelser, fra, til, paa, by=(by,))
            .with_columns(pl.col(by).cast(pl.String)).collect().iter_rows(named=True) if r["helaarspersoner"] > 0}


def test_overblik_page_shows_the_owners_helaarspersoner_for_a_month(demo_env, tmp_path, capsys):
    fra, til, paa = _month(demo_env)
    owner = _owner(demo_env, fra, til, paa, "paragraf")
    assert len(owner) >= 5
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    maaned = fra.strftime("%Y-%m")
    at.selectbox(key="ov_fra").set_value(maaned)
    at.selectbox(key="ov_til").set_value(maaned)
    at.run()
    at.button_group[0].set_value("Helårspersoner").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    col = dansk_maaned(fra, kort=True)
    page = {row["Paragraf"]: row[col] for _, row in table.iterrows() if row["Paragraf"] != "Total"}
    # the page shows one decimal, Danish format; every paragraf with days in the month is on it
    for par, v in owner.items():
        assert _dansk(page[par]) == pytest.approx(v, abs=0.05), (par, page[par], v)
    total = table[table["Paragraf"] == "Total"][col].iloc[0]
    assert _dansk(total) == pytest.approx(sum(owner.values()), abs=0.05 * len(owner))
    # the same month through the oekonomi command and the statusrapport
    assert main(["oekonomi", str(demo_env), "--periode", maaned, "--format", "csv"]) == 0
    cli = {r["gruppe"]: r["helaarspersoner"] for r in pl.read_csv(io.StringIO(capsys.readouterr().out))
           .iter_rows(named=True)}
    out = tmp_path / "r.html"
    assert main(["rapport", str(demo_env), "--periode", maaned, "--niveau", "administrativ", "--out", str(out)]) == 0
    rep = _report_table(out.read_text(encoding="utf-8"), "Paragraf", f"Helårspersoner {periods.parse_periode(maaned).label()}")
    compared = 0
    for par, v in owner.items():
        assert cli.get(par) == pytest.approx(v), ("oekonomi", par)
        if rep.get(par) not in (None, "x", "&lt;5", "–"):
            assert _dansk(rep[par]) == pytest.approx(v, abs=0.05), ("rapport", par, rep[par])
            compared += 1
    assert compared >= len(owner) // 2


def test_tilbud_page_shows_the_owners_helaarspersoner_for_a_month(demo_env):
    users.bootstrap(engine_for(demo_env), demo_env)
    fra, til, paa = _month(demo_env)
    ds = open_dataset(demo_env)
    busiest = tilbud.liste(ds, paa).sort("borgere", descending=True).collect()["tilbud_id"][0]
    owner = _owner(demo_env, fra, til, paa, "tilbud_id")[str(busiest)]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.query_params["tilbud"] = str(busiest)  # the page's deep link: /tilbud?tilbud=P-nummer
    at.switch_page("sidefiler/tilbud.py").run()
    assert not at.exception, [e.value for e in at.exception]
    flows = [df.value for df in at.dataframe if "Belægningsgrad %" in df.value.columns]
    assert flows, "no belægning table on the Tilbud page"
    rows = flows[0]
    label = [m for m in rows["Måned"] if str(m) in (fra.strftime("%Y-%m"), dansk_maaned(fra, kort=True))]
    assert label, (list(rows["Måned"]), fra)
    shown = rows[rows["Måned"] == label[0]]["Helårspersoner"].iloc[0]
    assert float(str(shown).replace(",", ".")) == pytest.approx(owner, abs=0.05), (shown, owner)
