"""Small-cell suppression: primary, complementary (iterated) and non-count measures."""

from __future__ import annotations

import polars as pl

from workbench.regler import suppression as S


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
    # kroner are never shown as '<5': hidden ('x') with the small borger count behind them
    assert out["udgift"].to_list() == [S.SEKUNDAER, "9.000"]  # Danish text (workbench.format.dansk)


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
    assert text.row(0) == ("r0", "x", "x", "91.000")  # 90000 kr rests on 3 borgere: hidden, never '<5' 
    assert text.filter(pl.col("Række") == "r1")["a"].item() == "x"


def test_list_mask_protects_against_the_public_total():
    assert S.list_mask([3, 40, 9]) == [S.PRIMARY, S.NONE, S.COMPLEMENTARY]
    assert S.list_mask([3, 2, 40]) == [S.PRIMARY, S.PRIMARY, S.NONE]
    assert S.list_mask([0, 40]) == [S.NONE, S.NONE]
    assert S.list_mask([]) == []


def test_explanation_is_danish():
    assert "vises som '<5'" in S.explanation()


# --------------------------------------------------------------------------------------------
# who sees exact numbers (issue 11 item 9)


def _principal(rolle: str):
    from workbench.regler.access import Principal

    return Principal(username=rolle, rolle=rolle)


def test_roles_with_borgerliste_see_exact_numbers_analytiker_suppressed():
    df = pl.DataFrame({"p": ["§96", "§107"], "borgere": [3, 12]})
    for rolle in ("admin", "leder_myndighed", "sagsbehandler", "udfoerer", "tilbudsleder", "tilsyn"):
        v = S.for_principal(_principal(rolle))
        assert v.eksakt, rolle
        assert S.suppress_table(df, ["borgere"], visning=v)["borgere"].to_list() == ["3", "12"]
        assert S.antal(3, v) == "3"
        # an export marked til offentliggørelse is suppressed for every role
        pub = S.for_export(_principal(rolle), til_offentliggoerelse=True)
        assert S.suppress_table(df, ["borgere"], visning=pub)["borgere"].to_list() == ["<5", "12"]
    ana = S.for_principal(_principal("analytiker"))
    assert not ana.eksakt
    assert S.antal(3, ana) == "<5"
    assert not S.for_export(_principal("analytiker"), til_offentliggoerelse=False).eksakt
    assert not S.for_principal(None).eksakt


def test_kroner_hidden_not_small_labelled_and_exact_for_internal_roles():
    assert S.skjult_vaerdi(120000, 2, S.suppressed()) == S.SEKUNDAER
    assert S.skjult_vaerdi(120000, 2, S.exact()) == "120.000"
    assert S.skjult_vaerdi(3, 7, S.suppressed()) == "3"  # 3 kroner/days behind 7 borgere are shown


def test_crosstab_values_hidden_as_x_when_counts_small():
    vals = grid([[1000.0, 50.0, 1050.0], [2000.0, 3000.0, 5000.0], [3000.0, 3050.0, 6050.0]], ["a", "b", "I alt"])
    counts = grid([[2, 8, 10], [9, 7, 16], [11, 15, 26]], ["a", "b", "I alt"])
    out = S.suppress_crosstab(vals, "Række", ["a", "b"], "I alt", "I alt", counts=counts)
    cells = [v for c in ["a", "b", "I alt"] for v in out[c].to_list()]
    assert "<5" not in cells and out["a"][0] == S.SEKUNDAER


def _recoverable_cells(matrix, state) -> list[tuple[int, int]]:
    """Independent check (exact rational arithmetic): a hidden cell is recoverable by adding and
    subtracting rows/columns when its unit vector is in the row space of the line equations."""
    from fractions import Fraction

    n_r, n_c = len(matrix), len(matrix[0])
    hidden = [(i, j) for i in range(n_r) for j in range(n_c) if state[i][j]]
    idx = {h: k for k, h in enumerate(hidden)}
    eqs = []
    for i in range(n_r):  # row i: body cells - row total = 0
        row = [Fraction(0)] * len(hidden)
        for j in range(n_c - 1):
            if (i, j) in idx:
                row[idx[(i, j)]] += 1
        if (i, n_c - 1) in idx:
            row[idx[(i, n_c - 1)]] -= 1
        eqs.append(row)
    for j in range(n_c):  # column j: body cells - column total = 0
        row = [Fraction(0)] * len(hidden)
        for i in range(n_r - 1):
            if (i, j) in idx:
                row[idx[(i, j)]] += 1
        if (n_r - 1, j) in idx:
            row[idx[(n_r - 1, j)]] -= 1
        eqs.append(row)

    def rank(rows):
        rows = [r[:] for r in rows if any(r)]
        rk, col, ncol = 0, 0, len(rows[0]) if rows else 0
        while rk < len(rows) and col < ncol:
            piv = next((r for r in range(rk, len(rows)) if rows[r][col] != 0), None)
            if piv is None:
                col += 1
                continue
            rows[rk], rows[piv] = rows[piv], rows[rk]
            for r in range(len(rows)):
                if r != rk and rows[r][col] != 0:
                    f = rows[r][col] / rows[rk][col]
                    rows[r] = [a - f * b for a, b in zip(rows[r], rows[rk])]
            rk += 1
            col += 1
        return rk

    base = rank(eqs)
    out = []
    for h, k in idx.items():
        unit = [Fraction(0)] * len(hidden)
        unit[k] = Fraction(1)
        if rank(eqs + [unit]) == base:
            out.append(h)
    return out


from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def small_tables(draw):
    n_r = draw(st.integers(1, 4))
    n_c = draw(st.integers(1, 4))
    body = [[draw(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 12, 30])) for _ in range(n_c)] for _ in range(n_r)]
    rows = [r + [sum(r)] for r in body]
    total = [sum(rows[i][j] for i in range(n_r)) for j in range(n_c + 1)]
    return rows + [total]


@settings(max_examples=300, deadline=None)
@given(small_tables())
def test_no_suppressed_cell_recoverable_from_totals(matrix):
    state = S.suppression_pattern([[float(v) for v in r] for r in matrix], True, True, 5)
    # every small count (totals included) is hidden ...
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            if 0 < v < 5:
                assert state[i][j] == S.PRIMARY
    # ... and none can be worked out from the visible cells and the totals
    assert _recoverable_cells(matrix, state) == []


def test_pattern_the_line_rule_alone_leaks():
    # Found by the property test against the previous algorithm (line rule only): every row and
    # column had 0 or >= 2 hidden members, yet the cell (0, 1) = 2 followed from the totals.
    matrix = [[0, 2, 3, 5], [4, 3, 0, 7], [0, 0, 8, 8], [4, 5, 11, 20]]
    state = S.suppression_pattern([[float(v) for v in r] for r in matrix], True, True, 5)
    assert state[0][1] == S.PRIMARY
    assert _recoverable_cells(matrix, state) == []


def test_rows_with_total_hide_kroner_and_days_with_their_borgere():
    """Kvalitet per rule: kroner and days are never '<5'; hidden ('x') only with a suppressed borger
    count, and a second row goes too so the total does not give the hidden one away."""
    df = pl.DataFrame({"regel": ["A", "B", "C"], "borgere": [3, 10, 20], "par": [3, 12, 25],
                       "dage": [40, 100, 300], "kroner": [5000, 9000, 30000]})
    total = {"regel": "I alt", "borgere": 33, "par": 40, "dage": 440, "kroner": 44000}
    out = S.suppress_rows(df, "borgere", ["par"], ["dage", "kroner"], total=total)
    assert out.row(0) == ("A", "<5", "x", "x", "x")
    assert out.row(1) == ("B", "x", "x", "x", "x")  # complementary: 440 - 300 - x would reveal A
    assert out.row(3) == ("I alt", "33", "40", "440", "44.000")
    assert "<5" not in out["kroner"].to_list() + out["dage"].to_list()
    exact = S.suppress_rows(df, "borgere", ["par"], ["dage", "kroner"], total=total, visning=S.exact())
    assert exact["kroner"].to_list() == ["5.000", "9.000", "30.000", "44.000"]
