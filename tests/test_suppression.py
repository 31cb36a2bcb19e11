"""Small-cell suppression: primary, complementary (iterated) and non-count measures."""

from __future__ import annotations

import polars as pl

from workbench import suppression as S


def grid(rows: list[list[float]], cols: list[str], label="Række", total_row=True) -> pl.DataFrame:
    labels = [f"r{i}" for i in range(len(rows) - (1 if total_row else 0))] + (["I alt"] if total_row else [])
    return pl.DataFrame([[lab] + r for lab, r in zip(labels, rows)], schema={label: pl.String, **{c: pl.Float64 for c in cols}},
                        orient="row")


def test_suppress_table_keeps_old_signature():
    df = pl.DataFrame({"paragraf": ["a", "b", "c"], "borgere": [0, 3, 12]})
    out = S.suppress_table(df, ["borgere"])
    assert out["borgere"].to_list() == ["0", "<5", "12"]
    assert S.suppress_table(df, ["borgere"], graense=3)["borgere"].to_list() == ["0", "3", "12"]


def test_suppress_table_non_count_measure_by_borger_count():
    df = pl.DataFrame({"p": ["a", "b"], "udgift": [120000.0, 9000.0], "borgere": [2, 7]})
    out = S.suppress_table(df, ["udgift"], count_col="borgere")
    assert out["udgift"].to_list() == ["<5", "9000.0"]


def test_threshold_from_config():
    assert S.threshold() == 5
    assert S.primary_label() == "<5"


def test_complementary_in_row_and_column():
    #        a   b   c | I alt
    # r0     3  10  20 |  33     <- 3 is primary; smallest other in the row (10) complementary
    # r1     8  12  30 |  50     <- column a then has 3 and... 8 visible -> column a has one hidden (3) -> 8 hidden
    # r2    15  11  40 |  66
    # I alt 26  33  90 | 149
    df = grid([[3, 10, 20, 33], [8, 12, 30, 50], [15, 11, 40, 66], [26, 33, 90, 149]], ["a", "b", "c", "I alt"])
    mask = S.crosstab_mask(df, "Række", ["a", "b", "c"], "I alt", "I alt")
    m = {(r, c): mask[c][i] for i, r in enumerate(mask["Række"]) for c in ["a", "b", "c", "I alt"]}
    assert m[("r0", "a")] == S.PRIMARY
    assert m[("r0", "b")] == S.COMPLEMENTARY  # row r0
    assert m[("r1", "a")] == S.COMPLEMENTARY  # column a
    # column b now has r0 hidden only -> its smallest visible (r2: 11) goes too; row r1 has a hidden -> r1,b (12)
    hidden = {k for k, v in m.items() if v}
    # every line (row or column incl. its total) has 0 or >= 2 hidden members
    for r in ["r0", "r1", "r2", "I alt"]:
        assert sum((r, c) in hidden for c in ["a", "b", "c", "I alt"]) != 1, r
    for c in ["a", "b", "c", "I alt"]:
        assert sum((r, c) in hidden for r in ["r0", "r1", "r2", "I alt"]) != 1, c
    assert not any(k[0] == "I alt" or k[1] == "I alt" for k in hidden)  # totals stay visible here
    text = S.suppress_crosstab(df, "Række", ["a", "b", "c"])
    assert text.filter(pl.col("Række") == "r0")["a"].item() == "<5"
    assert text.filter(pl.col("Række") == "r0")["b"].item() == "x"
    assert text.filter(pl.col("Række") == "I alt")["I alt"].item() == "149"


def test_single_cell_line_hides_the_total():
    # r0: only one non-zero cell (3); the rest 0 -> the row total (3) is primary too.
    # r1 only has one suppressed cell in column a; column a needs a complement.
    df = grid([[3, 0, 3], [9, 7, 16], [12, 7, 19]], ["a", "b", "I alt"])
    text = S.suppress_crosstab(df, "Række", ["a", "b"])
    assert text.row(0) == ("r0", "<5", "0", "<5")
    assert text.filter(pl.col("Række") == "r1")["a"].item() == "x"
    # the total column then has r0's total hidden only -> r1's total (16) is the complement, which
    # also protects row r1 (two hidden members: a and its total)
    assert text.filter(pl.col("Række") == "r1")["I alt"].item() == "x"
    assert text.filter(pl.col("Række") == "r1")["b"].item() == "7"
    mask = S.crosstab_mask(df, "Række", ["a", "b"], "I alt", "I alt")
    rows = [list(r[1:]) for r in mask.iter_rows()]
    for line in rows:
        assert sum(1 for v in line if v) != 1
    for j in range(3):
        assert sum(1 for r in rows if r[j]) != 1


def test_complementary_iterates_until_stable():
    # A chain: hiding one complement creates a new single-hidden line elsewhere.
    df = grid([[2, 50, 60, 0, 112], [40, 6, 70, 80, 196], [45, 55, 9, 90, 199], [87, 111, 139, 170, 507]],
              ["a", "b", "c", "d", "I alt"])
    mask = S.crosstab_mask(df, "Række", ["a", "b", "c", "d"], "I alt", "I alt")
    rows = [list(r[1:]) for r in mask.iter_rows()]
    assert sum(v == S.PRIMARY for r in rows for v in r) == 1
    for line in rows:
        assert sum(1 for v in line if v) != 1
    for j in range(5):
        assert sum(1 for r in rows if r[j]) != 1


def test_no_suppression_when_nothing_small():
    df = grid([[5, 6, 11], [7, 8, 15], [12, 14, 26]], ["a", "b", "I alt"])
    text = S.suppress_crosstab(df, "Række", ["a", "b"])
    assert "x" not in text.to_pandas().values and "<5" not in text.to_pandas().values


def test_one_dimensional_table_with_total_row():
    df = grid([[3], [40], [9], [52]], ["Antal borgere"])
    text = S.suppress_crosstab(df, "Række", ["Antal borgere"], total_col=None)
    assert text["Antal borgere"].to_list() == ["<5", "40", "x", "52"]


def test_non_count_values_follow_count_pattern():
    counts = grid([[3, 10, 13], [8, 12, 20], [11, 22, 33]], ["a", "b", "I alt"])
    kroner = grid([[90000, 1000, 91000], [5000, 6000, 11000], [95000, 7000, 102000]], ["a", "b", "I alt"])
    text = S.suppress_crosstab(kroner, "Række", ["a", "b"], counts=counts)
    assert text.row(0) == ("r0", "<5", "x", "91000")  # 90000 kr rests on 3 borgere
    assert text.filter(pl.col("Række") == "r1")["a"].item() == "x"


def test_list_mask_protects_against_the_public_total():
    assert S.list_mask([3, 40, 9]) == [S.PRIMARY, S.NONE, S.COMPLEMENTARY]
    assert S.list_mask([3, 2, 40]) == [S.PRIMARY, S.PRIMARY, S.NONE]
    assert S.list_mask([0, 40]) == [S.NONE, S.NONE]
    assert S.list_mask([]) == []


def test_explanation_is_danish():
    assert "vises som '<5'" in S.explanation()
