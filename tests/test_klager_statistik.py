"""Issue 22: klagesagsstatistik, hand-computed."""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.regler.klager import COLUMNS, klagestatistik

D = dt.date
ROWS = [
    ("K1", "B1", "SEL §85", D(2023, 11, 1), D(2024, 2, 1), "Stadfæstet", "Ankestyrelsen"),
    ("K2", "B2", "SEL §85", D(2024, 1, 5), D(2024, 3, 1), "Ændret", "Ankestyrelsen"),
    ("K3", "B3", "SEL §85", D(2024, 2, 5), D(2024, 4, 1), "Hjemvist", "Ankestyrelsen"),
    ("K4", "B4", "SEL §85", D(2024, 3, 5), D(2024, 5, 1), "Afvist", "Ankestyrelsen"),
    ("K5", "B5", "SEL §85", D(2024, 4, 5), D(2024, 4, 20), "Genvurderet af kommunen", "Kommunen"),
    ("K6", "B6", "SEL §85", D(2024, 6, 5), None, None, None),
    ("K7", "B7", "SEL §107", D(2024, 6, 5), D(2024, 9, 1), "Afvist", "Ankestyrelsen"),
]


def test_klagestatistik_hand_computed():
    lf = pl.LazyFrame(ROWS, orient="row", schema={
        "klage_id": pl.String, "borger_id": pl.String, "paragraf": pl.String, "modtaget": pl.Date,
        "afgjort": pl.Date, "resultat": pl.String, "instans": pl.String})
    df = klagestatistik(lf).per_paragraf_aar
    assert tuple(df.columns) == COLUMNS
    rows = {(r["paragraf"], r["aar"]): r for r in df.to_dicts()}
    assert rows[("SEL §85", 2023)] == {"paragraf": "SEL §85", "aar": 2023, "modtagne": 1, "afgjorte": 0,
                                       "stadfaestet": 0, "aendret": 0, "ophaevet": 0, "hjemvist": 0,
                                       "afvist": 0, "omgoerelsesprocent": None}
    r = rows[("SEL §85", 2024)]
    # received 5 in 2024 (K2-K6); decided 5 in 2024 (K1-K5), of which Ankestyrelsen 4
    assert (r["modtagne"], r["afgjorte"]) == (5, 5)
    assert (r["stadfaestet"], r["aendret"], r["ophaevet"], r["hjemvist"], r["afvist"]) == (1, 1, 0, 1, 1)
    # realitetsbehandlede = 3 (afvist not), omgjort = 2 -> 66.67 %
    assert abs(r["omgoerelsesprocent"] - 200 / 3) < 1e-9
    # only an afvist klage: nothing realitetsbehandlet, no percentage (not 0)
    assert rows[("SEL §107", 2024)]["omgoerelsesprocent"] is None
