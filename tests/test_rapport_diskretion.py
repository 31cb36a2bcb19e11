"""Issue 20 item 7 / issue 23 item 3, the statusrapport and the Økonomi page: no kroner figure, chart or
total lets a suppressed cell be read back. Hand-made frames for the rules, then the kommune demo's
report: every paragraf whose udgift is hidden is hidden in the budget table and left out of the charts."""

from __future__ import annotations

import re

import polars as pl
import pytest

from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.regler import suppression
from workbench.sider import oekonomi, rapport


def test_total_is_hidden_when_exactly_one_row_is_hidden():
    vis = suppression.suppressed(5)
    fmt = str
    assert suppression.total_tekst(100.0, [10, 3, 20], vis, fmt) == suppression.SEKUNDAER  # 100 - shown = row 2
    assert suppression.total_tekst(100.0, [10, 3, 2], vis, fmt) == "100.0"  # only the two rows' sum can be read
    assert suppression.total_tekst(100.0, [10, 0, 20], vis, fmt) == "100.0"  # a zero row hides nothing
    assert suppression.total_tekst(100.0, [10, 3, 20], suppression.exact(), fmt) == "100.0"


def _budget(borgere: list[int]) -> oekonomi.Budgetopfoelgning:
    n = len(borgere)
    tabel = pl.DataFrame({
        "paragraf": [f"SEL §{80 + i}" for i in range(n)], "konto": [None] * n,
        "budget": [10_000.0] * n, "forbrug": [7_232.0 + i for i in range(n)],
        "forbrugsprocent": [72.32] * n, "prognose_tempo": [8_678.4] * n, "prognose_procent": [86.8] * n,
        "prognose_sidste_aar": [None] * n, "prognose_sidste_aar_procent": [None] * n,
        "afvigelse": [-1_321.6] * n, "status": ["Inden for"] * n, "borgere": borgere,
    }, schema_overrides={"konto": pl.String, "prognose_sidste_aar": pl.Float64, "prognose_sidste_aar_procent": pl.Float64})
    return oekonomi.Budgetopfoelgning(2026, "2026-10", 10, tabel, "", "", "betalinger", True)


def test_budget_table_hides_forbrug_resting_on_few_borgere():
    b = _budget([2, 40])
    vist = b.vist()
    small, big = vist.row(0, named=True), vist.row(1, named=True)
    for c in ("forbrug", "forbrugsprocent", "prognose_tempo", "prognose_procent", "afvigelse"):
        assert small[c] == suppression.SEKUNDAER, c
        assert big[c] != suppression.SEKUNDAER, c
    assert small["budget"] == "10.000"  # the budget is a policy figure, shown
    assert "borgere" not in vist.columns
    assert b.diagram()["paragraf"].to_list() == ["SEL §81"]  # the chart would give the forbrug back
    assert b.forbrugsprocent_i_alt() == suppression.SEKUNDAER  # total - shown row = the hidden one
    assert _budget([2, 3, 40]).forbrugsprocent_i_alt() != suppression.SEKUNDAER


def test_monthly_chart_leaves_out_paragraffer_with_hidden_udgift():
    months = pl.DataFrame({"maaned": ["2026-01"] * 3, "paragraf": ["SEL §95", "SEL §96", "SEL §108"],
                           "kategori": ["BPA", "BPA", "Botilbud"], "udgift": [100.0, 900.0, 5000.0]})
    enh = pl.DataFrame({"paragraf": ["SEL §95", "SEL §96", "SEL §108"], "borgere": [2, 6, 40]})
    got = {r["kategori"]: r["udgift"] for r in oekonomi.pr_maaned_vist(months, enh, 5).iter_rows(named=True)}
    assert got == {"BPA": 900.0, "Botilbud": 5000.0}  # BPA minus §96 would be §95's 100 kr


def _tables(html: str) -> list[list[list[str]]]:
    out = []
    for tb in re.findall(r"<table.*?</table>", html, re.S):
        out.append([[c.strip() for c in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", r)]
                    for r in re.findall(r"<tr>(.*?)</tr>", tb, re.S)])
    return out


def _column(tables, first: str, col: str) -> dict[str, str]:
    for rows in tables:
        if rows and rows[0] and rows[0][0] == first and col in rows[0]:
            i = rows[0].index(col)
            return {r[0]: r[i] for r in rows[1:] if len(r) > i}
    raise AssertionError(f"no table {first}/{col}")


def test_report_hides_every_trace_of_a_hidden_udgift(demo_kommune):
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    r = rapport.build(ds, "administrativ", str(paa.year), paa)
    tables = _tables(rapport.render_html(r))
    udgift = _column(tables, "Paragraf", "Udgift (kr.)")
    hidden = {p for p, v in udgift.items() if v == suppression.SEKUNDAER}
    assert len(hidden) >= 2, udgift  # the demo has paragraffer with 1-4 borgere
    forbrug = _column(tables, "Paragraf", "Forbrug til dato (kr.)")
    in_budget = hidden & set(forbrug)
    assert in_budget, (hidden, forbrug)  # small paragraffer have a budget line
    for p in in_budget:
        assert forbrug[p] == suppression.SEKUNDAER, (p, forbrug[p])
    sek = {s.noegle: s for s in r.sektioner}
    drawn = {d["paragraf"] for d in sek["budget"].diagrammer[0].to_dict()["layer"][0]["data"]["values"]}
    assert not drawn & hidden, drawn & hidden
    # the monthly udgift chart: kategori sums over the shown paragraffer only
    per = sek["udgift"].data["enhedsudgift"]
    shown = per.filter(~pl.col("paragraf").cast(pl.String).is_in(list(hidden)))["udgift"].sum()
    assert sek["udgift"].data["pr_maaned"]["udgift"].sum() == pytest.approx(shown, rel=1e-9)

