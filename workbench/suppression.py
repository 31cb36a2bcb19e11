"""Small-cell suppression for every aggregate shown or exported.

Threshold g = config/app.yaml suppression.graense (5 by default).

suppress_table(df, value_cols[, graense, count_col])
    Simple tables without additive totals: counts 1..g-1 read '<g'; zero stays 0. With count_col,
    the value columns (kroner, helårspersoner) are hidden where that borger count is 1..g-1.

suppress_crosstab(values, label_col, value_cols, total_col, total_row[, counts, graense, fmt])
    Crosstabs with row/column totals. The algorithm:
    1. Primary suppression: every cell *and every total* whose borger count is 1..g-1 is hidden
       and shown as '<g'. Zero cells are shown (nothing to protect).
    2. Lines: each body row together with its row total, each body column together with its column
       total, the total row with the grand total and the total column with the grand total form a
       "line" (an additive relation a reader could subtract along).
    3. Complementary suppression: whenever a line has exactly one hidden member, the smallest
       non-zero visible body cell of that line is hidden too (ties: first in reading order); when
       the line has no such cell, its total is hidden instead.
    4. Step 3 is repeated over all lines until nothing changes (each round only adds hidden cells,
       so it terminates).
    Complementary cells are shown as 'x' (their value is >= g, so '<g' would be false).
    Totals are distinct counts (a borger in two cells counts once in the total), so they are usually
    not exact sums; treating them as sums is the conservative choice.
    For non-count measures pass the borger counts as `counts`: the pattern is decided on the counts
    and applied to the values.
"""

from __future__ import annotations

from typing import Callable

import polars as pl

from workbench.config import load_config

SEKUNDAER = "x"
NONE, PRIMARY, COMPLEMENTARY = 0, 1, 2


def threshold() -> int:
    return load_config().settings.suppression_graense


def primary_label(graense: int | None = None) -> str:
    return f"<{graense or threshold()}"


def explanation(graense: int | None = None) -> str:
    g = graense or threshold()
    return (f"Diskretionering: antal fra 1 til {g - 1} borgere vises som '<{g}'. Celler markeret '{SEKUNDAER}' er "
            f"skjult, så de små tal ikke kan regnes ud fra totalerne (sekundær diskretionering).")


def suppress_table(df: pl.DataFrame, value_cols: list[str], graense: int | None = None,
                   count_col: str | None = None) -> pl.DataFrame:
    """Value columns become text; counts 1..g-1 read '<g', zero stays '0'. With count_col, each value
    column is hidden where count_col is 1..g-1 (for kroner / helårspersoner)."""
    g = graense or threshold()
    if count_col is not None:
        small = (pl.col(count_col) > 0) & (pl.col(count_col) < g)
        return df.with_columns(
            pl.when(small).then(pl.lit(f"<{g}")).otherwise(pl.col(c).cast(pl.String)).alias(c)
            for c in value_cols
        )
    return df.with_columns(
        pl.when((pl.col(c) > 0) & (pl.col(c) < g)).then(pl.lit(f"<{g}"))
        .otherwise(pl.col(c).cast(pl.String)).alias(c)
        for c in value_cols
    )


def suppression_pattern(matrix: list[list[float]], total_col: bool, total_row: bool, graense: int) -> list[list[int]]:
    """The suppression state (NONE/PRIMARY/COMPLEMENTARY) of every cell of a count matrix whose last
    column is the row total (when total_col) and last row the column total (when total_row)."""
    n_r = len(matrix)
    n_c = len(matrix[0]) if n_r else 0
    state = [[PRIMARY if 0 < (v or 0) < graense else NONE for v in row] for row in matrix]
    body_r = n_r - (1 if total_row else 0)
    body_c = n_c - (1 if total_col else 0)
    lines: list[tuple[list[tuple[int, int]], tuple[int, int] | None]] = []
    if total_col:
        for i in range(n_r):  # body rows and the total row, each with its own total in the last column
            lines.append(([(i, j) for j in range(body_c)], (i, n_c - 1)))
    if total_row:
        for j in range(n_c):  # body columns and the total column, each with the total row
            lines.append(([(i, j) for i in range(body_r)], (n_r - 1, j)))
    changed = True
    while changed:
        changed = False
        for interior, total in lines:
            members = interior + ([total] if total else [])
            hidden = [m for m in members if state[m[0]][m[1]] != NONE]
            if len(hidden) != 1:
                continue
            candidates = [m for m in interior if state[m[0]][m[1]] == NONE and (matrix[m[0]][m[1]] or 0) > 0]
            if candidates:
                pick = min(candidates, key=lambda m: (matrix[m[0]][m[1]], m))
            elif total is not None and state[total[0]][total[1]] == NONE and (matrix[total[0]][total[1]] or 0) > 0:
                pick = total
            else:
                continue
            state[pick[0]][pick[1]] = COMPLEMENTARY
            changed = True
    return state


def crosstab_mask(counts: pl.DataFrame, label_col: str, value_cols: list[str], total_col: str | None = "I alt",
                  total_row: str | None = "I alt", graense: int | None = None) -> pl.DataFrame:
    """Same shape as counts[label_col, value_cols (+ total_col)]: Int8 state per cell (0 shown,
    1 primary, 2 complementary). total_row names the label of the last row when it is a total."""
    g = graense or threshold()
    cols = list(value_cols) + ([total_col] if total_col else [])
    has_total_row = bool(total_row) and counts.height > 0 and counts[label_col][-1] == total_row
    matrix = [[float(v or 0) for v in row] for row in counts.select(cols).iter_rows()]
    state = suppression_pattern(matrix, bool(total_col), has_total_row, g) if matrix else []
    data = {label_col: counts[label_col]}
    for j, c in enumerate(cols):
        data[c] = pl.Series(c, [state[i][j] for i in range(len(state))], dtype=pl.Int8)
    return pl.DataFrame(data)


def _default_fmt(v: float) -> str:
    return str(int(round(v))) if float(v).is_integer() else f"{v:.1f}"


def suppress_crosstab(values: pl.DataFrame, label_col: str, value_cols: list[str], total_col: str | None = "I alt",
                      total_row: str | None = "I alt", counts: pl.DataFrame | None = None,
                      graense: int | None = None, fmt: Callable[[float], str] | None = None) -> pl.DataFrame:
    """The crosstab as text with primary ('<g') and complementary ('x') suppression (module docstring).
    `values` and `counts` (borger counts; default: values themselves) have the same shape and order."""
    g = graense or threshold()
    fmt = fmt or _default_fmt
    mask = crosstab_mask(counts if counts is not None else values, label_col, value_cols, total_col, total_row, g)
    cols = list(value_cols) + ([total_col] if total_col else [])
    out = {label_col: values[label_col]}
    for c in cols:
        vals = values[c].to_list()
        states = mask[c].to_list()
        out[c] = pl.Series(c, [
            f"<{g}" if s == PRIMARY else SEKUNDAER if s == COMPLEMENTARY else fmt(float(v or 0))
            for v, s in zip(vals, states)
        ], dtype=pl.String)
    return pl.DataFrame(out)


def list_mask(counts: list[int], graense: int | None = None) -> list[int]:
    """Suppression states for a one-dimensional list whose total is public (a map's kommuner, tilbud):
    primary for 1..g-1 and complementary so the total does not reveal a single hidden value."""
    g = graense or threshold()
    if not counts:
        return []
    matrix = [[float(c)] for c in counts] + [[float(sum(counts))]]
    state = suppression_pattern(matrix, False, True, g)
    # the total itself is not shown on maps; only the body states matter
    return [row[0] for row in state[:-1]]
