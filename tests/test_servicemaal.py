"""Issue 22 item 3 (rule): sagsbehandlingstid per paragraf, hand-computed."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.data.config import ConfigError
from workbench.regler.servicemaal import COLUMNS, load_servicemaal, sagsbehandlingstid

D = dt.date


def _ydelser(rows):
    return pl.LazyFrame(rows, schema={"ydelse_id": pl.String, "borger_id": pl.String, "paragraf": pl.String,
                                      "ansoegningsdato": pl.Date, "bevillingsdato": pl.Date}, orient="row")


ROWS = [
    # §85: 10, 20, 30, 40, 100 days -> median 30, p90 linear = 40 + 0.6*60 = 76; servicemål 42 -> 4/5
    ("A", "B1", "SEL §85", D(2024, 1, 1), D(2024, 1, 11)),
    ("B", "B2", "SEL §85", D(2024, 1, 1), D(2024, 1, 21)),
    ("C", "B3", "SEL §85", D(2024, 1, 1), D(2024, 1, 31)),
    ("D", "B4", "SEL §85", D(2024, 1, 1), D(2024, 2, 10)),
    ("E", "B5", "SEL §85", D(2024, 1, 1), D(2024, 4, 10)),
    # §107 without servicemål in this test: 5 and 15 -> median 10, p90 14, andel None
    ("F", "B6", "SEL §107", D(2024, 3, 1), D(2024, 3, 6)),
    ("G", "B7", "SEL §107", D(2024, 3, 1), D(2024, 3, 16)),
    # ansøgning after bevilling: left out, reported apart
    ("H", "B8", "SEL §85", D(2024, 5, 2), D(2024, 5, 1)),
    # outside the period / no ansøgningsdato: not counted
    ("I", "B9", "SEL §85", D(2022, 1, 1), D(2023, 12, 31)),
    ("J", "B9", "SEL §85", None, D(2024, 6, 1)),
]


def test_median_p90_and_share_hand_computed():
    r = sagsbehandlingstid(_ydelser(ROWS), D(2024, 1, 1), D(2024, 12, 31), {"SEL §85": 42})
    assert tuple(r.per_paragraf.columns) == COLUMNS
    rows = {row["paragraf"]: row for row in r.per_paragraf.to_dicts()}
    assert rows["SEL §85"] == {"paragraf": "SEL §85", "afgjorte": 5, "median_dage": 30.0, "p90_dage": 76.0,
                               "servicemaal_dage": 42, "andel_inden_for": 0.8}
    assert rows["SEL §107"] == {"paragraf": "SEL §107", "afgjorte": 2, "median_dage": 10.0, "p90_dage": 14.0,
                                "servicemaal_dage": None, "andel_inden_for": None}


def test_ansoegning_after_bevilling_excluded_and_reported():
    r = sagsbehandlingstid(_ydelser(ROWS), D(2024, 1, 1), D(2024, 12, 31), {"SEL §85": 42})
    assert r.ugyldige["ydelse_id"].to_list() == ["H"]
    # without it the §85 figures are the five valid ones; adding a valid sixth changes them
    more = ROWS + [("K", "B10", "SEL §85", D(2024, 5, 1), D(2024, 5, 1))]
    r2 = sagsbehandlingstid(_ydelser(more), D(2024, 1, 1), D(2024, 12, 31), {"SEL §85": 42})
    row = r2.per_paragraf.filter(pl.col("paragraf") == "SEL §85").to_dicts()[0]
    assert row["afgjorte"] == 6 and row["median_dage"] == 25.0


def test_config_validated(tmp_path):
    assert load_servicemaal()["SEL §85"] == 42
    (tmp_path / "servicemaal.yaml").write_text("servicemaal_dage:\n  SEL §999: 10\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ukendt paragraf 'SEL §999'"):
        load_servicemaal(tmp_path)
    (tmp_path / "servicemaal.yaml").write_text("servicemaal_dage:\n  '85': -3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="positivt"):
        load_servicemaal(tmp_path)


def test_paragraffer_in_the_code_lists_order():
    """§85 before §107 (the code list's order, regler/paragraffer.orden), not text order ('SEL §107' <
    'SEL §85' as text): what a Danish reader expects in the table and the command."""
    r = sagsbehandlingstid(_ydelser(ROWS), D(2024, 1, 1), D(2024, 12, 31), {"SEL §85": 42})
    assert r.per_paragraf["paragraf"].to_list() == ["SEL §85", "SEL §107"]
