"""Issue 22 items 2-3: the Servicemål og klager view (workbench/sider/servicemaal.py) on hand-computed
small frames: the quarter trend (a partial quarter labelled as regler.periods does), the period cut at
the reference date, suppression (primary and complementary) for a role without the borger list, and
the Danish data-mangler lines."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.regler import suppression
from workbench.regler.periods import kvartaler, parse_periode
from workbench.sider import servicemaal as view

D = dt.date
PAA = D(2024, 5, 15)
SM = {"SEL §85": 42}


def _ydelser(rows) -> pl.LazyFrame:
    """rows: (paragraf, bevillingsdato, days) -> ydelser with ansoegningsdato = bevillingsdato - days."""
    data = [(f"Y{i}", f"B{i}", par, bev - dt.timedelta(days=d) if d is not None else None, bev)
            for i, (par, bev, d) in enumerate(rows)]
    return pl.LazyFrame(data, orient="row", schema={"ydelse_id": pl.String, "borger_id": pl.String,
                                                    "paragraf": pl.String, "ansoegningsdato": pl.Date,
                                                    "bevillingsdato": pl.Date})


KLAGE_SCHEMA = {"klage_id": pl.String, "borger_id": pl.String, "paragraf": pl.String, "modtaget": pl.Date,
                "afgjort": pl.Date, "resultat": pl.String, "instans": pl.String}
NO_KLAGER = pl.LazyFrame(schema=KLAGE_SCHEMA)

ROWS = (
    # §85 in K1: 10, 20, 30, 50, 60, 70 days -> median 40, p90 (linear) 60 + 0.5*10 = 65, within 42: 3/6
    [("SEL §85", D(2024, 2, 1 + i), d) for i, d in enumerate((10, 20, 30, 50, 60, 70))]
    # §85 in K2 up to the reference date: 5, 15 -> median 10, p90 5 + 0.9*10 = 14, within: 2/2
    + [("SEL §85", D(2024, 4, 10), 5), ("SEL §85", D(2024, 5, 15), 15)]
    # granted after the reference date (15-05-2024): never counted
    + [("SEL §85", D(2024, 5, 20), 1)]
    # §107 (no servicemål here) in K1: 1..7 days -> median 4, p90 6 + 0.4*1 = 6.4, no share
    + [("SEL §107", D(2024, 3, 1), d) for d in range(1, 8)]
)


def test_kvartaler_follow_the_period_and_the_reference_date():
    assert [q.label_paa(PAA) for q in kvartaler(parse_periode("2024"), PAA)] == ["2024-K1", "2024-K2 t.o.m. 15-05-2024"]
    assert [q.tekst for q in kvartaler(parse_periode("2024-K2"), PAA)] == ["2023-K3", "2023-K4", "2024-K1", "2024-K2"]
    assert [q.tekst for q in kvartaler(parse_periode("2024-02"), PAA)] == ["2023-K2", "2023-K3", "2023-K4", "2024-K1"]
    assert [q.tekst for q in kvartaler(parse_periode("2023"), PAA)] == ["2023-K1", "2023-K2", "2023-K3", "2023-K4"]


def test_quarter_trend_hand_computed():
    s = view.beregn(_ydelser(ROWS), NO_KLAGER, parse_periode("2024"), PAA, suppression.exact(), SM)
    assert s.mangler == (view.KLAGER,)
    t = {(r["kvartal"], r["paragraf"]): r for r in s.trend.to_dicts()}
    assert set(t) == {("2024-K1", "SEL §85"), ("2024-K2 t.o.m. 15-05-2024", "SEL §85"), ("2024-K1", "SEL §107")}
    k1 = t[("2024-K1", "SEL §85")]
    assert (k1["afgjorte"], k1["median_dage"], k1["p90_dage"], k1["andel_inden_for"], k1["delvis"]) == \
        (6, 40.0, 65.0, 0.5, False)
    k2 = t[("2024-K2 t.o.m. 15-05-2024", "SEL §85")]
    assert (k2["afgjorte"], k2["median_dage"], k2["p90_dage"], k2["andel_inden_for"], k2["delvis"]) == \
        (2, 10.0, 14.0, 1.0, True)
    p107 = t[("2024-K1", "SEL §107")]
    assert (p107["afgjorte"], p107["median_dage"], p107["andel_inden_for"]) == (7, 4.0, None)
    assert p107["p90_dage"] == pytest.approx(6.4)
    # the period: the 8 §85 grants up to the reference date: 5,10,15,20,30,50,60,70
    per = {r["paragraf"]: r for r in s.servicemaal.to_dicts()}
    assert per["SEL §85"]["afgjorte"] == 8 and per["SEL §85"]["median_dage"] == 25.0
    assert per["SEL §85"]["p90_dage"] == pytest.approx(63.0) and per["SEL §85"]["andel_inden_for"] == 0.625
    # exact: every number shown, Danish format
    bred = s.trend_bred("median_dage")
    assert bred.columns == ["Paragraf", "2024-K1", "2024-K2 t.o.m. 15-05-2024"]
    assert bred.filter(pl.col("Paragraf") == "SEL §85").row(0) == ("SEL §85", "40,0", "10,0")
    assert bred.filter(pl.col("Paragraf") == "SEL §107").row(0) == ("SEL §107", "4,0", "–")
    andel = s.trend_bred("andel_inden_for")
    assert andel["Paragraf"].to_list() == ["SEL §85"] and andel.row(0)[1:] == ("50,0 %", "100,0 %")


def test_year_suppression_treats_the_period_as_the_sum_of_its_quarters():
    s = view.beregn(_ydelser(ROWS), NO_KLAGER, parse_periode("2024"), PAA, suppression.suppressed(5), SM)
    tv = {(r["Kvartal"], r["Paragraf"]): r for r in s.trend_vist().to_dicts()}
    # §85: K2 has 2 (primary '<5'); K1 (6) is hidden too, else 8 - 6 would give K2 away
    assert tv[("2024-K2 t.o.m. 15-05-2024", "SEL §85")]["Afgjort"] == "<5"
    assert tv[("2024-K1", "SEL §85")]["Afgjort"] == "x"
    for kv in ("2024-K1", "2024-K2 t.o.m. 15-05-2024"):
        assert tv[(kv, "SEL §85")]["Median (dage)"] == "x"
        assert tv[(kv, "SEL §85")]["Andel inden for servicemålet"] == "x"
    assert tv[("2024-K1", "SEL §107")]["Afgjort"] == "7" and tv[("2024-K1", "SEL §107")]["Median (dage)"] == "4,0"
    per = {r["Paragraf"]: r for r in s.servicemaal_vist().to_dicts()}
    assert per["SEL §85"]["Afgjort"] == "8" and per["SEL §85"]["Median (dage)"] == "25,0"
    # the command's table: same pattern on the contract's columns
    tab = {r["paragraf"]: r for r in s.servicemaal_tabel().to_dicts()}
    assert tab["SEL §85"]["afgjorte"] == "8"
    # the chart never draws a hidden cell
    g = s.graf_data("median_dage")
    assert g.filter(pl.col("Paragraf") == "SEL §85").height == 0 and g.height == 1


def test_a_quarter_period_is_suppressed_like_its_trend_cell():
    s = view.beregn(_ydelser(ROWS), NO_KLAGER, parse_periode("2024-K2"), PAA, suppression.suppressed(5), SM)
    assert [q.tekst for q in s.kvartaler] == ["2023-K3", "2023-K4", "2024-K1", "2024-K2"]
    per = {r["Paragraf"]: r for r in s.servicemaal_vist().to_dicts()}
    assert per["SEL §85"]["Afgjort"] == "<5" and per["SEL §85"]["Median (dage)"] == "x"
    assert "SEL §107" not in per  # nothing granted under §107 in 2024-K2


def test_missing_data_gives_danish_lines_not_empty_tables():
    rows = [("SEL §85", D(2024, 2, 1), None)]
    s = view.beregn(_ydelser(rows), NO_KLAGER, parse_periode("2024"), PAA, suppression.exact(), SM)
    assert s.mangler == (view.ANSOEGNING, view.KLAGER)
    assert s.servicemaal is None and s.trend is None and s.klager is None
    assert s.servicemaal_vist() is None and s.klager_vist() is None
    lines = s.mangler_linjer
    assert len(lines) == 2 and all(line.startswith("Data mangler:") for line in lines)
    assert "ansøgningsdato" in lines[0] and "klager" in lines[1]


def _klager() -> pl.LazyFrame:
    rows = []
    for par, res in (("SEL §85", ["Stadfæstet"] * 6 + ["Ændret"] * 2),
                     ("SEL §107", ["Stadfæstet"] * 5 + ["Ændret"] * 5)):
        rows += [(f"K{par}{i}", f"B{i}", par, D(2024, 1, 10), D(2024, 3, 1), r, "Ankestyrelsen")
                 for i, r in enumerate(res)]
    rows.append(("Kold", "B0", "SEL §85", D(2022, 1, 1), D(2022, 6, 1), "Ændret", "Ankestyrelsen"))  # another year
    return pl.LazyFrame(rows, orient="row", schema=KLAGE_SCHEMA)


def test_klager_omgoerelsesprocent_and_suppression():
    ex = view.beregn(_ydelser(ROWS), _klager(), parse_periode("2024"), PAA, suppression.exact(), SM)
    assert ex.mangler == ()
    k = {r["paragraf"]: r for r in ex.klager.to_dicts()}
    assert set(k) == {"SEL §85", "SEL §107"}  # 2022 is outside the period's years
    assert (k["SEL §85"]["modtagne"], k["SEL §85"]["afgjorte"], k["SEL §85"]["aendret"]) == (8, 8, 2)
    assert k["SEL §85"]["omgoerelsesprocent"] == pytest.approx(25.0)
    vist = {r["Paragraf"]: r for r in ex.klager_vist().to_dicts()}
    assert vist["SEL §85"]["Omgørelsesprocent"] == "25,0 %" and vist["SEL §107"]["Omgørelsesprocent"] == "50,0 %"
    sup = view.beregn(_ydelser(ROWS), _klager(), parse_periode("2024"), PAA, suppression.suppressed(5), SM)
    v = {r["Paragraf"]: r for r in sup.klager_vist().to_dicts()}
    # 2 ændret -> '<5'; the 6 stadfæstede hidden too ('x'), else afgjorte 8 - 6 gives it; the percentage hidden
    assert (v["SEL §85"]["Ændret"], v["SEL §85"]["Stadfæstet"], v["SEL §85"]["Omgørelsesprocent"]) == ("<5", "x", "x")
    assert v["SEL §85"]["Modtaget"] == "8" and v["SEL §85"]["Afgjort"] == "8"
    assert (v["SEL §107"]["Ændret"], v["SEL §107"]["Omgørelsesprocent"]) == ("5", "50,0 %")
    tab = {r["paragraf"]: r for r in sup.klager_tabel().to_dicts()}
    assert (tab["SEL §85"]["aendret"], tab["SEL §85"]["omgoerelsesprocent"]) == ("<5", "x")


def test_a_cell_hidden_in_one_period_view_is_hidden_in_every_other():
    """The page offers years and quarters, the command and report months too: §85's K1 (6) is hidden in
    the year view because the year (8) minus it would give K2 (2) away, so neither the quarter view nor
    the month view (February holds all six) may show it."""
    shown: dict[tuple[str, str], set[str]] = {}
    for t in ("2024", "2024-K1", "2024-K2", "2024-02", "2024-04"):
        s = view.beregn(_ydelser(ROWS), NO_KLAGER, parse_periode(t), PAA, suppression.suppressed(5), SM)
        for par, n in s.servicemaal_vist().select("Paragraf", "Afgjort").rows():
            shown.setdefault((t, par), set()).add(n)
        for kv, par, n in s.trend_vist().select("Kvartal", "Paragraf", "Afgjort").rows():
            shown.setdefault((kv.split(" ")[0], par), set()).add(n)
    assert shown[("2024", "SEL §85")] == {"8"}
    assert shown[("2024-K1", "SEL §85")] == {"x"}  # in its own view and in every trend
    assert shown[("2024-02", "SEL §85")] == {"x"}
    assert shown[("2024-K2", "SEL §85")] == {"<5"} and shown[("2024-04", "SEL §85")] == {"<5"}
    assert shown[("2024-K1", "SEL §107")] == {"7"}  # nothing small under §107: shown everywhere
