"""The one niveau rule (contract, "A borger's niveau on an undertema"), hand-computed."""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.regler.niveau import niveau_paa, niveau_ved

D = dt.date


def fe(*rows):
    return pl.LazyFrame(rows, schema={"borger_id": pl.String, "undertema": pl.String, "dato": pl.Date,
                                      "niveau": pl.Int8}, orient="row")


ROWS = fe(("A", "u", D(2024, 1, 1), 3), ("A", "u", D(2024, 2, 1), 1), ("A", "u", D(2024, 2, 1), 2),
          ("A", "u", D(2024, 3, 1), None), ("B", "u", D(2024, 1, 1), None), ("A", "v", D(2024, 5, 1), 0))


def as_dict(lf):
    return {(r["borger_id"], r["undertema"]): (r["niveau"], r["niveau_dato"]) for r in lf.collect().to_dicts()}


def test_later_ikke_vurderet_does_not_erase_and_same_day_worst_counts():
    got = as_dict(niveau_paa(ROWS, D(2024, 6, 1)))
    assert got[("A", "u")] == (2, D(2024, 2, 1))  # same day 1 and 2 -> 2; Ikke vurderet 01-03 skipped
    assert ("B", "u") not in got  # never assessed: Ikke vurderet (absent)
    assert got[("A", "v")] == (0, D(2024, 5, 1))


def test_on_a_date_and_filtered_undertemaer():
    assert as_dict(niveau_paa(ROWS, D(2024, 1, 31))) == {("A", "u"): (3, D(2024, 1, 1))}
    assert set(as_dict(niveau_paa(ROWS, D(2024, 6, 1), ["v"]))) == {("A", "v")}


def test_niveau_ved_each_rows_own_date():
    keys = pl.LazyFrame({"borger_id": ["A", "A", "B", "A"], "undertema": ["u", "u", "u", "v"],
                         "d": [D(2024, 2, 1), D(2023, 12, 31), D(2024, 6, 1), D(2024, 4, 30)], "i": [0, 1, 2, 3]})
    got = niveau_ved(ROWS, keys, "d").sort("i").collect()
    assert got["niveau"].to_list() == [2, None, None, None]
    assert got["niveau_dato"].to_list() == [D(2024, 2, 1), None, None, None]


def test_niveau_ved_joins_on_values_not_row_order():
    # keys that come from a join have no fixed row order: the result must attach to each key row by
    # its values (a row index taken in two scans of one plan could pair the wrong rows)
    keys = pl.LazyFrame({"borger_id": ["A", "A", "B", "A"], "undertema": ["u", "u", "u", "v"],
                         "d": [D(2024, 2, 1), D(2023, 12, 31), D(2024, 6, 1), D(2024, 5, 1)], "i": [0, 1, 2, 3]})
    other = pl.LazyFrame({"i": [3, 2, 1, 0], "x": [1, 1, 1, 1]})
    via_join = keys.join(other, on="i", how="inner")  # no order guarantee
    got = {r["i"]: r["niveau"] for r in niveau_ved(ROWS, via_join, "d").collect().to_dicts()}
    assert got == {0: 2, 1: None, 2: None, 3: 0}
