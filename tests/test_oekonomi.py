"""workbench.sider.oekonomi on hand-made frames: proration (mid-month start, price change), betalinger vs
ydelser, enhedsudgift, forbrugsprocent and both prognoses; the demo's budget."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.sider import oekonomi
from workbench.data.dataset import open_dataset

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "borger_x"
PAA = dt.date(2025, 12, 31)
YCOLS = "ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato,registreringsdato,bevillingsdato,tilbud_id," \
        "sagsafgoerelse_id,timer_pr_uge,maanedlig_udgift"


def _dataset(tmp_path: Path, betalinger: str | None = None, budget: str | None = None) -> Path:
    d = tmp_path / "data"
    shutil.copytree(FIXTURE, d)
    (d / "expected_forloeb.json").unlink()
    (d / "README.md").unlink()
    (d / "borgere.csv").write_text(
        "borger_id,cpr,foedselsdato,koen,handlekommune,betalingskommune,sagsbehandler,team\n"
        "X,0101901234,1990-01-01,K,0250,0250,Z,Voksen 1\n"
        "A,,1980-01-01,M,0250,0250,Z,Voksen 1\n"
        "B,,1985-01-01,K,0250,0260,Z,Voksen 1\n", encoding="utf-8")
    (d / "ydelser.csv").write_text("\n".join([
        YCOLS,
        # X's ydelse is 2023: outside every period below
        "Y1,X,SEL §85,Støtte til administration,2023-01-01,2023-06-01,,,1000000001,S1,2,4800",
        # A: §108 from 16 January (mid-month) at 31.000 kr., price change to 30.000 kr. from 1 April
        "A1,A,SEL §108,Længerevarende botilbud,2025-01-16,2025-03-31,,,1000000001,,,31000",
        "A2,A,SEL §108,Længerevarende botilbud,2025-04-01,2025-04-30,,,1000000001,,,30000",
        # A in 2024 (second half) at 10.000 kr.: 'same months last year'
        "A0,A,SEL §108,Længerevarende botilbud,2024-07-01,2024-12-31,,,1000000001,,,10000",
        # B: §85 open from 1 June at 3.000 kr., no tilbud; slutdato < startdato covers nothing
        "B1,B,SEL §85,Støtte til administration,2025-06-01,,,,,,,3000",
        "B2,B,SEL §85,Støtte til administration,2025-06-01,2025-05-01,,,,,,99999",
    ]) + "\n", encoding="utf-8")
    if betalinger:
        (d / "betalinger.csv").write_text("borger_id,paragraf,maaned,beloeb\n" + betalinger, encoding="utf-8")
    if budget:
        (d / "budget.csv").write_text("aar,paragraf,beloeb,konto,kommunekode\n" + budget, encoding="utf-8")
    return d


def _row(df: pl.DataFrame, key: str, value: str) -> dict:
    rows = df.filter(pl.col(key) == value).to_dicts()
    assert len(rows) == 1, (value, df)
    return rows[0]


def test_periode_parsing():
    p = oekonomi.parse_periode("2025")
    assert (p.fra, p.til, p.er_aar) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31), True)
    m = oekonomi.parse_periode("2024-02")
    assert (m.fra, m.til, m.label()) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29), "februar 2024")
    assert m.sidste_aar().tekst == "2023-02"
    for bad in ("25", "2025-13", "2025-1", "2025x", "", "20251"):
        with pytest.raises(ValueError, match="ugyldig periode"):
            oekonomi.parse_periode(bad)


def test_proration_mid_month_and_price_change(tmp_path):
    ds = open_dataset(_dataset(tmp_path))
    assert oekonomi.kilde(ds) == oekonomi.YDELSER
    m = oekonomi.udgift(ds, dt.date(2025, 1, 1), dt.date(2025, 12, 31), PAA, ("paragraf",), pr_maaned=True).collect()
    a = {r["maaned"]: r["udgift"] for r in m.filter(pl.col("paragraf") == "SEL §108").to_dicts()}
    assert a == pytest.approx({"2025-01": 31000 * 16 / 31, "2025-02": 31000, "2025-03": 31000, "2025-04": 30000})
    b = m.filter(pl.col("paragraf") == "SEL §85")
    assert b["maaned"].to_list() == [f"2025-{k:02d}" for k in range(6, 13)]  # open through paa; B2 costs nothing
    assert b["udgift"].sum() == pytest.approx(7 * 3000)
    # days after the reference date never count
    early = oekonomi.udgift(ds, dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 6, 15)).collect()
    assert _row(early, "paragraf", "SEL §85")["udgift"] == pytest.approx(3000 * 15 / 30)


def test_enhedsudgift_per_paragraf_and_tilbudstype(tmp_path):
    ds = open_dataset(_dataset(tmp_path))
    e = oekonomi.enhedsudgift(ds, dt.date(2025, 1, 1), dt.date(2025, 12, 31), PAA).collect()
    a = _row(e, "paragraf", "SEL §108")
    days = 16 + 28 + 31 + 30
    assert a["udgift"] == pytest.approx(16000 + 31000 + 31000 + 30000)
    assert a["borgere"] == 1
    assert a["helaarspersoner"] == pytest.approx(days / 365)
    assert a["kr_pr_helaarsperson"] == pytest.approx(108000 / (days / 365))
    assert a["kr_pr_borger"] == pytest.approx(108000)
    b = _row(e, "paragraf", "SEL §85")
    assert b["helaarspersoner"] == pytest.approx(214 / 365)  # 1 June .. 31 December
    t = oekonomi.enhedsudgift(ds, dt.date(2025, 1, 1), dt.date(2025, 12, 31), PAA, by=("tilbudstype",)).collect()
    assert _row(t, "tilbudstype", "Mobilt tilbud")["udgift"] == pytest.approx(108000)
    assert _row(t, "tilbudstype", oekonomi.INGEN)["udgift"] == pytest.approx(21000)
    k = oekonomi.udgift(ds, dt.date(2025, 1, 1), dt.date(2025, 12, 31), PAA, ("betalingskommune",)).collect()
    assert _row(k, "betalingskommune", "0260")["udgift"] == pytest.approx(21000)
    kat = oekonomi.udgift(ds, dt.date(2025, 1, 1), dt.date(2025, 12, 31), PAA, ("kategori", "konto")).collect()
    assert _row(kat, "kategori", "Botilbud")["konto"] == "5.38.50"


def test_betalinger_win_over_ydelser(tmp_path):
    ds = open_dataset(_dataset(tmp_path, betalinger="A,SEL §108,2025-01,20000\nA,SEL §108,2026-01,5\n"))
    assert oekonomi.kilde(ds) == oekonomi.BETALINGER
    assert oekonomi.kilde(ds, ("tilbudstype",)) == oekonomi.YDELSER  # betalinger have no tilbud
    e = oekonomi.enhedsudgift(ds, dt.date(2025, 1, 1), dt.date(2025, 12, 31), PAA).collect()
    a = _row(e, "paragraf", "SEL §108")
    assert a["udgift"] == pytest.approx(20000)  # the payment system, not the prorated ydelser
    assert a["borgere"] == 1  # units still from the ydelser (optaelling)
    assert _row(e, "paragraf", "SEL §85")["udgift"] == 0


def test_forbrugsprocent_and_prognoser(tmp_path):
    ds = open_dataset(_dataset(tmp_path, budget="2025,SEL §108,100000,5.38.50,0250\n2025,SEL §85,50000,,0260\n"
                                                 "2024,SEL §108,1,,0250\n"))
    b = oekonomi.budgetopfoelgning(ds, 2025, dt.date(2025, 6, 30), PAA)
    assert (b.maaneder, b.til_maaned) == (6, "2025-06")
    a = _row(b.tabel, "paragraf", "SEL §108")
    assert a["budget"] == 100000 and a["forbrug"] == pytest.approx(108000)
    assert a["forbrugsprocent"] == pytest.approx(108.0)
    assert a["prognose_tempo"] == pytest.approx(108000 / 6 * 12)
    assert a["prognose_sidste_aar"] == pytest.approx(108000 + 6 * 10000)  # July-December 2024
    assert a["status"] == "Over budget"
    s = _row(b.tabel, "paragraf", "SEL §85")
    assert s["forbrug"] == pytest.approx(3000) and s["prognose_tempo"] == pytest.approx(6000)
    assert s["prognose_sidste_aar"] == pytest.approx(3000) and s["status"] == "Inden for"
    assert "6 mdr." in b.antagelse_tempo and "6 resterende" in b.antagelse_tempo
    assert "2024" in b.antagelse_sidste_aar
    # the budget follows the betalingskommune: B pays from 0260
    only = oekonomi.budgetopfoelgning(ds, 2025, dt.date(2025, 6, 30), PAA, kommuner=("0260",))
    assert only.tabel["paragraf"].to_list() == ["SEL §85"]
    assert only.tabel["forbrug"].to_list() == pytest.approx([3000])
    # a closed year: prognose = actual
    full = oekonomi.budgetopfoelgning(ds, 2025, dt.date(2025, 12, 31), PAA)
    assert _row(full.tabel, "paragraf", "SEL §85")["prognose_tempo"] == pytest.approx(21000)
    assert "afsluttet" in full.antagelse_tempo


def test_no_budget_table(tmp_path):
    ds = open_dataset(_dataset(tmp_path))
    b = oekonomi.budgetopfoelgning(ds, 2025, dt.date(2025, 12, 31), PAA)
    assert not b.har_budget
    assert set(b.tabel["status"].to_list()) == {"Intet budget"}


def test_vis_tabel_suppresses_kroner_of_small_groups():
    df = pl.DataFrame({"paragraf": ["a", "b"], "udgift": [1234567.8, 99.0], "borgere": [12, 2],
                       "helaarspersoner": [3.25, 1.0]})
    v = oekonomi.vis_tabel(df, graense=5)
    assert v.row(0) == ("a", "1.234.568", "12", "3,2")
    assert v.row(1) == ("b", "x", "<5", "x")


def test_demo_budget_lands_90_110_with_one_planted_over(demo_kommune):
    ds = open_dataset(demo_kommune)
    manifest = json.loads((demo_kommune / "demo_manifest.json").read_text(encoding="utf-8"))
    planted = manifest["budget"]["over_budget"][0]["paragraf"]
    for aar in (2024, 2025):
        b = oekonomi.budgetopfoelgning(ds, aar, dt.date(aar, 12, 31), dt.date(2026, 10, 31))
        pct = dict(zip(b.tabel["paragraf"].to_list(), b.tabel["forbrugsprocent"].to_list()))
        assert pct[planted] > 110
        others = {p: v for p, v in pct.items() if p != planted and v is not None}
        assert others and all(90 <= v <= 110 for v in others.values()), others
        assert b.tabel.filter(pl.col("status") == "Over budget")["paragraf"].to_list() == [planted]
    assert manifest["rows"]["budget"] == ds.budget.collect().height > 0


def test_vis_tabel_each_column_its_own_count():
    df = pl.DataFrame({"maalgruppe": ["a", "b"], "borgere": [14503, 3], "borgere_sidste_aar": [2, 0]})
    v = oekonomi.vis_tabel(df, count_col="*", graense=5)
    assert v.rows() == [("a", "14.503", "<5"), ("b", "<5", "0")]
