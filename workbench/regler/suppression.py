"""Small-cell suppression for every aggregate shown or exported (the one owner: pages call this module
and never spell '<5' themselves).

Threshold g = config/app.yaml suppression.graense (5 by default).

Who sees what (Visning):
    for_principal(principal)              on screen: a role with the capability `borgerliste` (it may see
                                          the borgere behind a number anyway) sees exact numbers; every
                                          other role (analytiker) sees suppressed numbers.
    for_export(principal, offentlig)      an export marked *til offentliggørelse* is always suppressed,
                                          totals included; otherwise as on screen.
    OFFENTLIG                             suppressed (publication).
Every function below takes `visning` (None = suppressed with the configured threshold, the safe default);
with an exact Visning the numbers pass through unsuppressed.

antal(value, visning)
    One borger count for display (KPI cards): '<g' or Danish digits.

suppress_rows(df, borger_col, count_cols, value_cols, total, visning)
    Rows that are groups of borgere with a total row (Kvalitet per rule / kommune / tilbud): counts
    '<g', dage and kroner 'x' on the same pattern, complementary along every column and its total.

suppress_table(df, value_cols[, graense, count_col])
    Simple tables without additive totals: counts 1..g-1 read '<g'; zero stays 0. With count_col,
    the value columns (kroner, dage, helårspersoner) are hidden ('x') where that borger count is 1..g-1:
    kroner and days are never shown as '<g' (they are not counts), only hidden with their borgere.

suppress_groups(df, label_col, groups, other_cols, ratios, total_row, visning)
    A table whose columns add up within a row too (maal = opnaaet + afventer + …, Tilbud's målopfyldelse)
    and down every column to the 'I alt' row: the crosstab algorithm below over those lines.

suppress_flow(df, bestand, tilgang, afgang, visning)
    A stock-and-flow series (Belægning per month): a month's tilgang and afgang hidden together when
    either, or the month's or previous month's bestand, is 1..g-1.

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
    5. Audit by linear algebra: reading every line as an equation (body cells sum to the total), a
       hidden cell is recoverable when its unit vector lies in the row space of the equations over the
       hidden cells (numpy SVD null space). While one is, the smallest visible non-zero cell of one of
       its lines (else of any line with a hidden member) is hidden too and steps 3-5 run again. When
       every non-zero cell is hidden nothing is recoverable, so this terminates with no cell
       recoverable by subtraction (property-tested with hypothesis in tests/test_suppression.py).
    Complementary cells are shown as 'x' (their value is >= g, so '<g' would be false).
    Totals are distinct counts (a borger in two cells counts once in the total), so they are usually
    not exact sums; treating them as sums is the conservative choice.
    For non-count measures pass the borger counts as `counts`: the pattern is decided on the counts
    and applied to the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import polars as pl

from workbench.data.config import load_config

if TYPE_CHECKING:
    from workbench.regler.access import Principal

SEKUNDAER = "x"
NONE, PRIMARY, COMPLEMENTARY = 0, 1, 2
BORGERLISTE = "borgerliste"  # the capability that lets a role see exact numbers on screen


def threshold() -> int:
    return load_config().settings.suppression_graense


@dataclass(frozen=True)
class Visning:
    """How numbers are shown: exact, or suppressed at threshold `graense`."""
    eksakt: bool
    graense: int


def suppressed(graense: int | None = None) -> Visning:
    return Visning(False, graense or threshold())


def exact() -> Visning:
    return Visning(True, threshold())


def for_principal(principal: Principal | None) -> Visning:
    """On screen: exact for a role that may see the borger list, else suppressed."""
    from workbench.regler import access

    return exact() if access.can(principal, BORGERLISTE) else suppressed()


def for_export(principal: Principal | None, til_offentliggoerelse: bool) -> Visning:
    """An export: suppressed when marked til offentliggørelse, else as on screen."""
    return suppressed() if til_offentliggoerelse else for_principal(principal)


def _g(visning: Visning | None, graense: int | None = None) -> int | None:
    """The threshold to apply, or None when the numbers are shown exactly."""
    if visning is not None:
        return None if visning.eksakt else visning.graense
    return graense or threshold()


def primary_label(graense: int | None = None) -> str:
    return f"<{graense or threshold()}"


def is_small(value: float | None, visning: Visning | None = None) -> bool:
    """True when a borger count would be suppressed (1..g-1) under `visning`."""
    g = _g(visning)
    return g is not None and value is not None and 0 < value < g


def antal(value: int | None, visning: Visning | None = None, fmt: Callable[[float], str] | None = None) -> str:
    """One borger count for display: '<g' when suppressed, else fmt(value) (Danish digits)."""
    if is_small(value, visning):
        return primary_label(_g(visning))
    if fmt is None:
        from workbench.format.output import dansk_tal

        fmt = dansk_tal
    return fmt(value)


def skjult_vaerdi(value, borgere: int | None, visning: Visning | None = None, fmt: Callable | None = None) -> str:
    """A non-count value (kroner, dage, helårspersoner) for display: hidden ('x') only where the borger
    count behind it is suppressed, never shown as '<g'."""
    if is_small(borgere, visning):
        return SEKUNDAER
    if fmt is None:
        from workbench.format.output import dansk_tal

        fmt = dansk_tal
    return fmt(value)


def total_tekst(total: float, borgere: Sequence[int | None], visning: Visning | None = None,
                fmt: Callable | None = None) -> str:
    """A total over rows shown beside (or below) the rows, e.g. 'kroner i spil i alt': hidden ('x') when
    exactly one row's value is hidden (its borger count 1..g-1), since total minus the shown rows would
    give that row away (complementary rule); with two or more hidden rows only their sum can be read."""
    g = _g(visning)
    skjulte = 0 if g is None else sum(1 for b in borgere if b is not None and 0 < b < g)
    if skjulte == 1:
        return SEKUNDAER
    if fmt is None:
        from workbench.format.output import dansk_tal

        fmt = dansk_tal
    return fmt(total)


def cell_text(state: int, shown: str, is_count: bool = True, visning: Visning | None = None) -> str:
    """The text of one cell given its suppression state (crosstab_mask / list_mask): the formatted value
    when shown, '<g' for a small borger count, 'x' for a complementary cell or a non-count value."""
    if state == NONE:
        return shown
    if state == PRIMARY and is_count:
        return primary_label(visning.graense if visning else None)
    return SEKUNDAER


def explanation(graense: int | None = None, visning: Visning | None = None) -> str:
    if visning is not None and visning.eksakt:
        return ("Tallene vises præcist, fordi din rolle må se borgerlisten. Eksport til offentliggørelse og "
                "roller uden borgerliste får små tal diskretioneret.")
    g = graense or (visning.graense if visning else None) or threshold()
    return (f"Diskretionering: antal fra 1 til {g - 1} borgere vises som '<{g}'. Celler markeret '{SEKUNDAER}' er "
            f"skjult, så de små tal ikke kan regnes ud fra totalerne (sekundær diskretionering); kroner og dage "
            f"skjules kun, hvor antallet af borgere bag dem er diskretioneret.")


def suppress_table(df: pl.DataFrame, value_cols: list[str], graense: int | None = None,
                   count_col: str | None = None, visning: Visning | None = None,
                   decimaler: int | Mapping[str, int] | None = None) -> pl.DataFrame:
    """Value columns become Danish text (workbench.format.dansk.tal_expr: integers without decimals,
    floats with `decimaler`, per column when a mapping, default up to two; an empty value '–'); counts
    1..g-1 read '<g', zero stays '0'. With count_col, each value column is hidden ('x') where count_col
    is 1..g-1 (kroner, dage, helårspersoner are never '<g'). With an exact `visning` the values are
    only formatted."""
    from workbench.format.dansk import tal_expr

    def text(c: str) -> pl.Expr:
        t = df.schema[c]
        if t == pl.String:
            return pl.col(c)
        d = 0 if t.is_integer() else decimaler.get(c) if isinstance(decimaler, Mapping) else decimaler
        return tal_expr(c, d)

    g = _g(visning, graense)
    if g is None:
        return df.with_columns(text(c).alias(c) for c in value_cols)
    if count_col is not None:
        small = (pl.col(count_col) > 0) & (pl.col(count_col) < g)
        return df.with_columns(
            pl.when(small).then(pl.lit(SEKUNDAER)).otherwise(text(c)).alias(c)
            for c in value_cols
        )
    return df.with_columns(
        pl.when((pl.col(c) > 0) & (pl.col(c) < g)).then(pl.lit(f"<{g}"))
        .otherwise(text(c)).alias(c)
        for c in value_cols
    )


Line = tuple[list[tuple[int, int]], "tuple[int, int] | None"]


def suppression_pattern(matrix: list[list[float]], total_col: bool, total_row: bool, graense: int) -> list[list[int]]:
    """The suppression state (NONE/PRIMARY/COMPLEMENTARY) of every cell of a count matrix whose last
    column is the row total (when total_col) and last row the column total (when total_row)."""
    n_r = len(matrix)
    n_c = len(matrix[0]) if n_r else 0
    body_r = n_r - (1 if total_row else 0)
    body_c = n_c - (1 if total_col else 0)
    lines: list[Line] = []
    if total_col:
        for i in range(n_r):  # body rows and the total row, each with its own total in the last column
            lines.append(([(i, j) for j in range(body_c)], (i, n_c - 1)))
    if total_row:
        for j in range(n_c):  # body columns and the total column, each with the total row
            lines.append(([(i, j) for i in range(body_r)], (n_r - 1, j)))
    return pattern_for_lines(matrix, lines, graense)


def pattern_for_lines(matrix: list[list[float]], lines: list[Line], graense: int) -> list[list[int]]:
    """The suppression state of every cell of a count matrix given its additive lines (each: interior
    cells that sum to a total cell): primary for 1..g-1, then complementary cells (module docstring,
    steps 3-5) until no hidden cell follows from the visible ones by adding and subtracting."""
    state = [[PRIMARY if 0 < (v or 0) < graense else NONE for v in row] for row in matrix]

    def visible_nonzero(members):
        return [m for m in members if state[m[0]][m[1]] == NONE and (matrix[m[0]][m[1]] or 0) > 0]

    def smallest(cands):
        return min(cands, key=lambda m: (matrix[m[0]][m[1]], m))

    while True:
        changed = True
        while changed:
            changed = False
            for interior, total in lines:
                members = interior + ([total] if total else [])
                hidden = [m for m in members if state[m[0]][m[1]] != NONE]
                if len(hidden) != 1:
                    continue
                candidates = visible_nonzero(interior)
                if candidates:
                    pick = smallest(candidates)
                elif total is not None and visible_nonzero([total]):
                    pick = total
                else:
                    continue
                state[pick[0]][pick[1]] = COMPLEMENTARY
                changed = True
        exposed = recoverable(state, lines)
        if not exposed:
            return state
        cell = exposed[0]
        own = [i + ([t] if t else []) for i, t in lines if cell in i or cell == t]
        cands = visible_nonzero([m for members in own for m in members])
        if not cands:
            cands = visible_nonzero([m for i, t in lines for m in i + ([t] if t else [])
                                     if any(state[h[0]][h[1]] != NONE for h in i + ([t] if t else []))])
        if not cands:
            return state  # every non-zero cell is hidden: nothing can be recovered
        pick = smallest(cands)
        state[pick[0]][pick[1]] = COMPLEMENTARY


def recoverable(state: list[list[int]], lines) -> list[tuple[int, int]]:
    """Hidden cells whose value follows from the visible cells by adding and subtracting along the
    lines (each line: interior cells sum to its total). Cell k is recoverable iff every vector of the
    null space of the line equations over the hidden cells is zero at k."""
    hidden = sorted({(i, j) for i, row in enumerate(state) for j, s in enumerate(row) if s != NONE})
    if not hidden:
        return []
    import numpy as np  # here, not at import: ~45 ms CPU that a command showing exact numbers never needs

    index = {h: k for k, h in enumerate(hidden)}
    rows = []
    for interior, total in lines:
        if total is None:
            continue
        row = np.zeros(len(hidden))
        for m in interior:
            if m in index:
                row[index[m]] += 1.0
        if total in index:
            row[index[total]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    a = np.array(rows)
    _, sv, vt = np.linalg.svd(a)
    rank = int((sv > 1e-9 * max(1.0, sv[0])).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return hidden
    determined = np.abs(null).max(axis=0) < 1e-9
    return [h for h, d in zip(hidden, determined) if d]


def crosstab_mask(counts: pl.DataFrame, label_col: str, value_cols: list[str], total_col: str | None = "I alt",
                  total_row: str | None = "I alt", graense: int | None = None,
                  visning: Visning | None = None) -> pl.DataFrame:
    """Same shape as counts[label_col, value_cols (+ total_col)]: Int8 state per cell (0 shown,
    1 primary, 2 complementary). total_row names the label of the last row when it is a total.
    An exact `visning` shows every cell."""
    g = _g(visning, graense)
    cols = list(value_cols) + ([total_col] if total_col else [])
    if g is None:
        return pl.DataFrame({label_col: counts[label_col],
                             **{c: pl.Series(c, [NONE] * counts.height, dtype=pl.Int8) for c in cols}})
    has_total_row = bool(total_row) and counts.height > 0 and counts[label_col][-1] == total_row
    matrix = [[float(v or 0) for v in row] for row in counts.select(cols).iter_rows()]
    state = suppression_pattern(matrix, bool(total_col), has_total_row, g) if matrix else []
    data = {label_col: counts[label_col]}
    for j, c in enumerate(cols):
        data[c] = pl.Series(c, [state[i][j] for i in range(len(state))], dtype=pl.Int8)
    return pl.DataFrame(data)


def _default_fmt(v: float) -> str:
    from workbench.format.dansk import tal

    return tal(v, 0 if float(v).is_integer() else 1)


def suppress_crosstab(values: pl.DataFrame, label_col: str, value_cols: list[str], total_col: str | None = "I alt",
                      total_row: str | None = "I alt", counts: pl.DataFrame | None = None,
                      graense: int | None = None, fmt: Callable[[float], str] | None = None,
                      visning: Visning | None = None, counts_are_values: bool = False) -> pl.DataFrame:
    """The crosstab as text with primary ('<g') and complementary ('x') suppression (module docstring).
    `values` and `counts` (borger counts; default: values themselves) have the same shape and order.
    When `counts` is given (values are kroner/helårspersoner), a cell hidden because its borger count
    is small reads 'x', never '<g' (unless counts_are_values: the values are the borger counts themselves).
    An exact `visning` only formats."""
    g = _g(visning, graense)
    fmt = fmt or _default_fmt
    cols = list(value_cols) + ([total_col] if total_col else [])
    if g is None:
        mask = pl.DataFrame({c: [NONE] * values.height for c in cols})
    else:
        mask = crosstab_mask(counts if counts is not None else values, label_col, value_cols, total_col, total_row, g)
    small = f"<{g}" if counts is None or counts_are_values else SEKUNDAER
    out = {label_col: values[label_col]}
    for c in cols:
        vals = values[c].to_list()
        states = mask[c].to_list()
        out[c] = pl.Series(c, [
            small if s == PRIMARY else SEKUNDAER if s == COMPLEMENTARY else fmt(float(v or 0))
            for v, s in zip(vals, states)
        ], dtype=pl.String)
    return pl.DataFrame(out)


def suppress_groups(df: pl.DataFrame, label_col: str, groups: Sequence[tuple[str, Sequence[str]]],
                    other_cols: Sequence[str] = (), ratios: Mapping[str, Sequence[str]] | None = None,
                    total_row: str | None = "I alt", visning: Visning | None = None,
                    fmt: Callable[[float], str] | None = None) -> pl.DataFrame:
    """A table of counts (rows: groups of borgere or mål, e.g. per måltype, the last row `total_row`
    the column totals) whose columns also add up within a row: `groups` pairs a total column with the
    columns that sum to it (e.g. ("maal", [opnaaet, afventer, …])). Primary '<g' for 1..g-1, complementary
    'x' along every row group and every column, so neither the 'I alt' row nor a row's total gives a
    hidden cell away (a total may head several groups: maal = statuses = vurderinger). `other_cols`: counts that only add up down the column (e.g. uenighed).
    `ratios`: a ratio column and the counts it is computed from, hidden ('x') in a row where any of
    them is hidden. Returns the table with those columns as text; an exact `visning` only formats."""
    g = _g(visning)
    fmt = fmt or _default_fmt
    ratios = dict(ratios or {})
    cols = list(dict.fromkeys([*(t for t, _ in groups), *(c for _, parts in groups for c in parts), *other_cols]))
    n_r = df.height
    has_total = bool(total_row) and n_r > 0 and df[label_col][-1] == total_row
    if g is None:
        state = [[NONE] * len(cols) for _ in range(n_r)]
    else:
        matrix = [[float(v or 0) for v in row] for row in df.select(cols).iter_rows()]
        idx = {c: j for j, c in enumerate(cols)}
        lines: list[Line] = []
        for tot, parts in groups:
            for i in range(n_r):
                lines.append(([(i, idx[c]) for c in parts], (i, idx[tot])))
        if has_total:
            for j in range(len(cols)):
                lines.append(([(i, j) for i in range(n_r - 1)], (n_r - 1, j)))
        state = pattern_for_lines(matrix, lines, g) if matrix else []
    out = df.with_columns(
        pl.Series(c, [cell_text(state[i][j], fmt(float(v or 0)), True, Visning(False, g or 0))
                      for i, v in enumerate(df[c].to_list())], dtype=pl.String)
        for j, c in enumerate(cols))
    for r_col, parts in ratios.items():
        hidden = [any(state[i][cols.index(p)] != NONE for p in parts) for i in range(n_r)]
        out = out.with_columns(pl.Series(r_col, [SEKUNDAER if h else (None if v is None else str(v))
                                                 for h, v in zip(hidden, df[r_col].to_list())], dtype=pl.String))
    return out


def flow_mask(df: pl.DataFrame, bestand: str, tilgang: str, afgang: str,
              visning: Visning | None = None, skjult: Sequence[bool] | None = None) -> list[bool]:
    """Per row of a stock-and-flow series: are its tilgang and afgang hidden (suppress_flow's rule)? For
    charts that leave those months out. `skjult`: rows whose bestand is hidden for another reason (a
    complementary cell of a crosstab it also appears in); they count as hidden stock like a small one."""
    g = _g(visning)
    t, a, b = df[tilgang].to_list(), df[afgang].to_list(), df[bestand].to_list()
    extra = list(skjult) if skjult is not None and g is not None else [False] * df.height

    def small(v) -> bool:
        return g is not None and v is not None and 0 < v < g

    def before(i: int):
        # the first row's previous month is not in the frame, but follows from the identity itself
        if i > 0:
            return b[i - 1]
        return None if None in (b[0], t[0], a[0]) else b[0] - t[0] + a[0]

    return [small(t[i]) or small(a[i]) or small(b[i]) or small(before(i)) or extra[i] or (i > 0 and extra[i - 1])
            for i in range(df.height)]


def suppress_flow(df: pl.DataFrame, bestand: str, tilgang: str, afgang: str,
                  visning: Visning | None = None, skjult: Sequence[bool] | None = None) -> pl.DataFrame:
    """A stock-and-flow series (rows in time order; bestand(m) = bestand(m-1) + tilgang(m) - afgang(m), e.g.
    Belægning's borgere, tilgang, afgang per month). Suppressing each cell alone leaks: with bestand 21 -> 23
    and afgang 0 shown, a hidden tilgang is 2. So a month's tilgang and afgang are hidden together ('x')
    when either is 1..g-1, and also when the month's or the previous month's bestand is 1..g-1 (else
    the hidden bestand follows from its neighbour and the flows; for the first row the previous bestand
    is bestand - tilgang + afgang, so a shorter period hides what a longer one does). With both flows hidden only their
    difference is known, which at least two pairs fit. Returns tilgang and afgang as Danish text (as
    suppress_table); `bestand` is left to suppress_table. An exact `visning` only formats."""
    from workbench.format.dansk import tal_expr

    hidden = pl.Series(flow_mask(df, bestand, tilgang, afgang, visning, skjult), dtype=pl.Boolean)
    return df.with_columns(pl.when(hidden).then(pl.lit(SEKUNDAER)).otherwise(tal_expr(c, 0)).alias(c)
                           for c in (tilgang, afgang))


def list_mask(counts: list[int], graense: int | None = None, visning: Visning | None = None) -> list[int]:
    """Suppression states for a one-dimensional list whose total is public (a map's kommuner, tilbud):
    primary for 1..g-1 and complementary so the total does not reveal a single hidden value."""
    g = _g(visning, graense)
    if not counts:
        return []
    if g is None:
        return [NONE] * len(counts)
    matrix = [[float(c)] for c in counts] + [[float(sum(counts))]]
    state = suppression_pattern(matrix, False, True, g)
    # the total itself is not shown on maps; only the body states matter
    return [row[0] for row in state[:-1]]


def suppress_rows(df: pl.DataFrame, borger_col: str = "borgere", count_cols: Sequence[str] = (),
                  value_cols: Sequence[str] = (), total: Mapping[str, object] | None = None,
                  visning: Visning | None = None, fmt: Callable[[float], str] | None = None) -> pl.DataFrame:
    """A table whose rows are groups of borgere (e.g. per rule, per kommune), optionally with a total row
    (`total`: the total row's values, labels included; appended last). One pattern, decided on the borger
    counts, hides a row's borger count ('<g'), its other counts (e.g. pairs) and its values (dage,
    kroner: 'x', never '<g'); with a total row, complementary suppression along every column keeps any
    hidden row from following from the total by subtraction. Returns the table with those columns as text."""
    counts_cols = [borger_col, *count_cols]
    text_cols = counts_cols + list(value_cols)
    body = df.with_columns(pl.col(c).cast(pl.Float64) for c in text_cols)
    if total is not None:
        row = {c: total.get(c) for c in df.columns}
        body = pl.concat([body, pl.DataFrame([row], schema=body.schema, orient="row")], how="vertical")
    body = body.with_row_index("_r").with_columns(pl.col("_r").cast(pl.String))
    if total is not None:
        body = body.with_columns(pl.when(pl.col("_r") == str(body.height - 1)).then(pl.lit("_total"))
                                 .otherwise(pl.col("_r")).alias("_r"))
    total_label = "_total" if total is not None else None
    counts = body.select("_r", *[pl.col(borger_col).alias(c) for c in text_cols])
    own = suppress_crosstab(body.select("_r", borger_col), "_r", [borger_col], None, total_label,
                            visning=visning, fmt=fmt)
    rest = [c for c in text_cols if c != borger_col]
    out = body.with_columns(own[borger_col])
    if rest:
        other = suppress_crosstab(body.select("_r", *rest), "_r", rest, None, total_label,
                                  counts=counts.select("_r", *rest), visning=visning, fmt=fmt)
        out = out.with_columns(other[c] for c in rest)
    return out.drop("_r")
