"""Issue 20 'Tests': one period's helårspersoner through every path that shows them -- optaelling (the
owner), Udforsk's pivot, Økonomi's enhedsudgift (page and `oekonomi` command) and the statusrapport's
table read back from its HTML -- on the kommune demo, year to date (a partial period)."""

from __future__ import annotations

import datetime as dt
import io
import re

import polars as pl
import pytest

from workbench.cli import main
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.regler import optaelling
from workbench.regler.filters import Filters
from workbench.regler.periods import parse_periode
from workbench.sider import oekonomi, udforsk


def _dansk(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def test_year_to_date_helaarspersoner_agree_on_every_path(demo_kommune, tmp_path, capsys):
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    p = parse_periode(str(paa.year))
    assert p.delvis(paa)  # 2026 to 31-10-2026: counted days 304, not 365
    owner = {r["paragraf"]: r["helaarspersoner"] for r in optaelling.period_counts(
        ds.ydelser, p.fra, p.til, paa, by=("paragraf",)).with_columns(pl.col("paragraf").cast(pl.String))
        .collect().iter_rows(named=True) if r["helaarspersoner"] > 0}
    assert owner
    # Udforsk: the pivot over the same days (fra = 1 January, reference date = the udtræksdato)
    ct = udforsk.crosstab(ds, Filters(paa=paa, fra=p.fra), "paragraf", None, "helaarspersoner")
    pivot = {r["row"]: r["vaerdi"] for r in ct.row_totals.iter_rows(named=True)}
    # Økonomi (view) and the oekonomi command
    page = {r["paragraf"]: r["helaarspersoner"] for r in oekonomi.side(ds, p, paa).enhedsudgift
            .with_columns(pl.col("paragraf").cast(pl.String)).iter_rows(named=True)}
    assert main(["oekonomi", str(demo_kommune), "--periode", str(paa.year), "--format", "csv"]) == 0
    cli = {r["gruppe"]: r["helaarspersoner"] for r in pl.read_csv(io.StringIO(capsys.readouterr().out))
           .iter_rows(named=True)}
    for par, v in owner.items():
        assert pivot.get(par) == pytest.approx(v), ("udforsk", par)
        assert page.get(par) == pytest.approx(v), ("oekonomi", par)
        assert cli.get(par) == pytest.approx(v), ("oekonomi-cli", par)
    # the statusrapport (administrativt niveau) shows the same numbers, one decimal, Danish format
    out = tmp_path / "r.html"
    assert main(["rapport", str(demo_kommune), "--periode", str(paa.year), "--niveau", "administrativ",
                 "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    col = f"Helårspersoner {p.label()}"
    table = next(tb for tb in re.findall(r"<table.*?</table>", html, re.S) if f">{col}<" in tb)
    head = [h.strip() for h in re.findall(r"<th[^>]*>([^<]*)</th>", table)]
    i = head.index(col)
    shown = 0
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [c.strip() for c in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", row)]
        if not cells or cells[0] not in owner or len(cells) <= i:
            continue
        if cells[i] in ("x", "&lt;5"):  # suppressed (the report is for publication)
            continue
        assert _dansk(cells[i]) == pytest.approx(owner[cells[0]], abs=0.05), (cells[0], cells)
        shown += 1
    assert shown >= len(owner) // 2, (shown, head)


def _report_table(html: str, first_header: str, col: str) -> dict[str, str]:
    """{first column: cell of `col`} of the report table whose headers include `col`."""
    for tb in re.findall(r"<table.*?</table>", html, re.S):
        head = [h.strip() for h in re.findall(r"<th[^>]*>([^<]*)</th>", tb)]
        if head and head[0] == first_header and col in head:
            i = head.index(col)
            out = {}
            for row in re.findall(r"<tr>(.*?)</tr>", tb, re.S):
                cells = [c.strip() for c in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", row)]
                if len(cells) > i and cells[0] != first_header:
                    out[cells[0]] = cells[i]
            return out
    raise AssertionError(f"no table with {col}")


def test_kroner_and_goal_counts_agree_on_every_path(demo_kommune, tmp_path, capsys):
    """Issue 20 'Tests': the same period's kroner (forbrug to date: Økonomi view, `oekonomi` command, the
    drift report) and goal counts (Opnået: Resultater's function, `resultater` command, the report)."""
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    p = parse_periode(str(paa.year))
    page = {r["paragraf"]: r["forbrug"] for r in oekonomi.side(ds, p, paa).budget.tabel.iter_rows(named=True)}
    assert main(["oekonomi", str(demo_kommune), "--periode", str(paa.year), "--format", "csv"]) == 0
    cli = {r["gruppe"]: r["forbrug"] for r in pl.read_csv(io.StringIO(capsys.readouterr().out)).iter_rows(named=True)}
    out = tmp_path / "drift.html"
    assert main(["rapport", str(demo_kommune), "--periode", str(paa.year), "--niveau", "drift", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    rep = _report_table(html, "Paragraf", "Forbrug til dato (kr.)")
    compared = 0
    for par, v in page.items():
        if v is None or par not in cli:
            continue
        assert cli[par] == pytest.approx(v), par
        if rep.get(par) not in (None, "x", "&lt;5", "–"):
            assert _dansk(rep[par]) == pytest.approx(v, abs=1.0), (par, rep[par])
            compared += 1
    assert compared >= 3
    # goal counts: Resultater per paragraf over the period, function = command = report
    from workbench.sider import resultater

    fn = {r["gruppe"]: r["opnaaet"] for r in resultater.resultater(ds, "paragraf", p.fra, paa).collect()
          .iter_rows(named=True)}
    assert main(["resultater", str(demo_kommune), "--pr", "paragraf", "--fra", p.fra.isoformat(), "--til",
                 paa.isoformat(), "--format", "csv"]) == 0
    cmd = {r["gruppe"]: r["opnaaet"] for r in pl.read_csv(io.StringIO(capsys.readouterr().out)).iter_rows(named=True)}
    assert cmd == fn
    rep_g = _report_table(html, "Paragraf", "Opnået")
    shown = [par for par, v in rep_g.items() if par in fn and v not in ("x", "&lt;5", "–")]
    assert shown
    for par in shown:
        assert _dansk(rep_g[par]) == fn[par], (par, rep_g[par], fn[par])
