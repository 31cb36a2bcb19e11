"""Issue 22: `ffb-workbench servicemaal` — output columns, missing data lines (exit 0), bad period (exit 2)."""

from __future__ import annotations

import io
import json

import polars as pl

from workbench.cli import main
from tests.test_klager_contract import KLAGER


def _with_ansoegning(directory):
    """borger_x's ydelser with an ansoegningsdato column: Y1 granted 2023-01-01, applied 2022-12-02 (30 days)."""
    df = pl.read_csv(directory / "ydelser.csv", infer_schema=False)
    df = df.with_columns(pl.lit("2022-12-02").alias("ansoegningsdato"))
    df.write_csv(directory / "ydelser.csv")


def test_missing_everything_one_line_exit_0(borger_x_dir, capsys):
    assert main(["servicemaal", str(borger_x_dir), "--periode", "2023"]) == 0
    out, _ = capsys.readouterr()
    assert out.strip().splitlines() == [
        "Servicemål og klagesagsstatistik kan ikke beregnes: datasættet mangler ydelser.ansoegningsdato "
        "og tabellen klager."]


def test_servicemaal_csv_columns_and_values(borger_x_dir, capsys):
    _with_ansoegning(borger_x_dir)
    assert main(["servicemaal", str(borger_x_dir), "--periode", "2023"]) == 0
    out, err = capsys.readouterr()
    assert "tabellen klager" in err and len(err.strip().splitlines()) == 1
    df = pl.read_csv(io.StringIO(out))
    assert df.columns[:6] == ["paragraf", "afgjorte", "median_dage", "p90_dage", "servicemaal_dage",
                              "andel_inden_for"]
    row = df.filter(pl.col("paragraf") == "SEL §85").to_dicts()[0]
    n85 = pl.read_csv(borger_x_dir / "ydelser.csv", infer_schema=False).filter(
        pl.col("bevillingsdato").str.starts_with("2023") & pl.col("paragraf").str.contains("85")).height
    assert row["afgjorte"] == n85 and n85 >= 1
    # the first §85 ydelse: 2022-12-02 .. 2023-01-01 = 30 days; within the 42-day servicemål
    assert row["servicemaal_dage"] == 42


def test_klager_json(borger_x_dir, capsys):
    (borger_x_dir / "klager.csv").write_text(KLAGER, encoding="utf-8")
    assert main(["servicemaal", str(borger_x_dir), "--periode", "2024", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert "servicemaal" not in data and "ydelser.ansoegningsdato" in err
    k85 = next(r for r in data["klager"] if r["paragraf"] == "SEL §85" and r["aar"] == 2024)
    # K1, K3, K4, K6 accepted for §85 (K5 rejected); decided by Ankestyrelsen: K1 stadfæstet, K3 hjemvist, K6 ændret
    assert (k85["modtagne"], k85["stadfaestet"], k85["hjemvist"], k85["aendret"]) == (4, 1, 1, 1)
    assert abs(k85["omgoerelsesprocent"] - 200 / 3) < 1e-9


def test_bad_period_exit_2(borger_x_dir, capsys):
    assert main(["servicemaal", str(borger_x_dir), "--periode", "2024-Q5"]) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "periode" in err
