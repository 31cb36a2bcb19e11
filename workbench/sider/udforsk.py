"""Udforsk: pivot (crosstab) of the filtered population, measures, funktionsevne distribution, borger list.

Everything here is pure Polars over the Dataset; the page collects once at the boundary.

Grain: a *fact* is one matching ydelse of a borger in the population within one time bucket (the
whole period unless a time dimension is chosen). Borger-level dimensions (målgruppe, niveau, ...)
are joined onto it. Measures:
- borgere: distinct borger_id (totals are distinct counts over the total's facts, never sums);
- ydelser: distinct ydelse_id;
- helaarspersoner: days covered in the period / days in the period, where a borger's days are the
  union of his matching ydelser within the cell and paragraf (two ydelser under one paragraf on the
  same day count once), summed over paragraffer — `optaelling`'s rule, so 'I alt' equals Overblik's
  total;
- udgift: average monthly expense in the period = sum(maanedlig_udgift x ydelsesdage) / days in the
  period; on a single reference date it is the sum of maanedlig_udgift of the active ydelser.
A ydelse without slutdato runs through the reference date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.data.config import CodeLists, load_config
from workbench.regler.optaelling import merge_intervals
from workbench.data.dataset import Dataset
from workbench.format.output import dansk_tal
from workbench.regler.periods import add_months, month_start
from workbench.regler.filters import (IKKE_VURDERET, KOEN_LABEL, NIVEAUER, Filters, StatusKilde, aldersgruppe_labels,
                               borger_status, latest_niveauer, maalgruppe_rows, niveau_label, period_ydelser, population)
from workbench.format.dansk import borger_link

UOPLYST = "Uoplyst"
UDEN_TILBUD = "Uden tilbud"  # a ydelse with no udførende tilbud (tilbud / tilbudstype dimensions)
I_ALT = "I alt"

# key -> Danish label (order = order in the UI)
DIMENSIONS: dict[str, str] = {
    "maalgruppe": "Målgruppe",
    "kategori": "Målgruppekategori (DST)",
    "tilbudstype": "Tilbudstype",
    "paragraf": "Paragraf",
    "ydelse": "Ydelse",
    "kommune": "Kommune",
    "region": "Region",
    "driftsform": "Driftsform",
    "tilbud": "Tilbud",
    "niveau": "Funktionsevneniveau",
    "stoettebehov": "Støttebehov",
    "aldersgruppe": "Aldersgruppe",
    "koen": "Køn",
    "aar": "År",
    "kvartal": "Kvartal",
    "maaned": "Måned",
}
TIME_DIMS = ("aar", "kvartal", "maaned")

MEASURES: dict[str, str] = {
    "borgere": "Antal borgere",
    "ydelser": "Antal ydelser",
    "helaarspersoner": "Helårspersoner",
    # the case system's monthly rate (maanedlig_udgift), not the kroner paid in a period (Økonomi: betalinger)
    "udgift": "Månedlig udgift efter fagsystemet (kr)",
}
COUNT_MEASURES = ("borgere", "ydelser")


# -- time buckets --------------------------------------------------------------------------------

def buckets(start: dt.date, end: dt.date, grain: str | None) -> pl.DataFrame:
    """b_label, b_start, b_end, b_dage: the period cut into år/kvartal/måned (clipped to the period)."""
    if grain is None:
        rows = [(f"{start}..{end}", start, end)]
    else:
        step = {"aar": 12, "kvartal": 3, "maaned": 1}[grain]
        if grain == "aar":
            cur = dt.date(start.year, 1, 1)
        elif grain == "kvartal":
            cur = dt.date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
        else:
            cur = month_start(start)
        rows = []
        while cur <= end:
            nxt = add_months(cur, step)
            if grain == "aar":
                label = str(cur.year)
            elif grain == "kvartal":
                label = f"{cur.year}-K{(cur.month - 1) // 3 + 1}"
            else:
                label = f"{cur.year}-{cur.month:02d}"
            rows.append((label, max(cur, start), min(nxt - dt.timedelta(days=1), end)))
            cur = nxt
    df = pl.DataFrame(rows, schema={"b_label": pl.String, "b_start": pl.Date, "b_end": pl.Date}, orient="row")
    return df.with_columns(((pl.col("b_end") - pl.col("b_start")).dt.total_days() + 1).alias("b_dage"))


# -- facts ----------------------------------------------------------------------------------------

def facts(ds: Dataset, f: Filters, dims: list[str], undertema: str | None = None,
          codes: CodeLists | None = None, status: StatusKilde | None = None) -> pl.LazyFrame:
    """One row per (matching ydelse, time bucket[, målgruppe]) of the population with the requested
    dimensions as String columns named by their key, plus borger_id, ydelse_id, dage, b_dage, udgift_dage.
    status: borger_status(ds, f, undertema) by undertema when the caller has it (filters.StatusKilde)."""
    codes = codes or load_config().codes
    start, end = f.period()
    time = [d for d in dims if d in TIME_DIMS]
    if len(time) > 1:
        raise ValueError("højst én tidsdimension ad gangen")
    grain = time[0] if time else None
    pop = population(ds, f, codes, status)
    y = period_ydelser(ds, f).join(pop, on="borger_id", how="semi")
    b = buckets(start, end, grain).lazy()
    y = y.join(b, how="cross").with_columns(
        pl.max_horizontal("startdato", "b_start").alias("_s"),
        pl.min_horizontal(pl.coalesce("slutdato", pl.lit(end, dtype=pl.Date)), "b_end").alias("_e"),
    ).filter(pl.col("_s") <= pl.col("_e")).with_columns(
        ((pl.col("_e") - pl.col("_s")).dt.total_days() + 1).alias("dage"),
    ).with_columns((pl.col("maanedlig_udgift").fill_null(0.0) * pl.col("dage")).alias("udgift_dage"))
    bs = status(undertema or f.undertema) if status is not None else borger_status(ds, f, undertema=undertema, codes=codes)
    y = y.join(bs, on="borger_id", how="left")
    if "maalgruppe" in dims or "kategori" in dims:
        mg = maalgruppe_rows(ds, f.reference_date(), f.kun_primaer, codes)
        y = y.join(mg, on="borger_id", how="left")
    cols = {
        "maalgruppe": pl.col("maalgruppe") if "maalgruppe" in dims or "kategori" in dims else None,
        "kategori": pl.col("maalgruppe_kategori") if "maalgruppe" in dims or "kategori" in dims else None,
        "paragraf": pl.col("paragraf"),
        "ydelse": pl.col("ydelse"),
        "kommune": pl.col("kommune"),
        "kommunekode": pl.col("kommunekode"),  # internal (map), not offered as a UI dimension
        "region": pl.col("region"),
        "driftsform": pl.col("driftsform"),
        # A ydelse without an udførende tilbud is shown as such (issue 20 item 9), not as "Uoplyst".
        "tilbud": pl.when(pl.col("tilbud_id").is_not_null()).then(
            pl.format("{} ({})", pl.coalesce("tilbud_navn", pl.lit("?")), pl.col("tilbud_id"))
        ).otherwise(pl.lit(UDEN_TILBUD)),
        "tilbudstype": pl.when(pl.col("tilbud_id").is_not_null()).then(pl.col("tilbudstype").cast(pl.String))
        .otherwise(pl.lit(UDEN_TILBUD)),
        "niveau": pl.col("niveau").replace({n: niveau_label(n, codes) for n in NIVEAUER[:5]}),
        "stoettebehov": pl.col("stoettebehov"),
        "aldersgruppe": pl.col("aldersgruppe"),
        "koen": pl.col("koen").replace(KOEN_LABEL),
        "aar": pl.col("b_label"), "kvartal": pl.col("b_label"), "maaned": pl.col("b_label"),
    }
    out = [pl.col(c) for c in ("borger_id", "ydelse_id", "b_label", "dage", "b_dage", "udgift_dage", "_s", "_e")]
    out.append(pl.col("paragraf").cast(pl.String).alias("_paragraf"))  # helårspersoner: days per paragraf
    for d in dims:
        expr = cols[d]
        out.append(expr.cast(pl.String).fill_null(UOPLYST).alias(d))
    return y.select(out)


def measure_expr(measure: str, period_days: pl.Expr) -> pl.Expr:
    if measure == "borgere":
        return pl.col("borger_id").n_unique().cast(pl.Float64)
    if measure == "ydelser":
        return pl.col("ydelse_id").n_unique().cast(pl.Float64)
    if measure == "helaarspersoner":
        return pl.col("dage").sum() / period_days
    if measure == "udgift":
        return pl.col("udgift_dage").sum() / period_days
    raise ValueError(f"ukendt mål '{measure}'")


def union_days(fx: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """One row per merged period of a borger within the group (optaelling.merge_intervals), with 'dage'
    its length: overlapping ydelser of one borger count each day once. Keeps keys, borger_id, b_dage."""
    part = [*dict.fromkeys([*keys, "borger_id", "b_dage"])]
    merged = merge_intervals(fx.select(*part, pl.col("_s").alias("s"), pl.col("_e").alias("e")), part)
    return merged.with_columns(((pl.col("e") - pl.col("s")).dt.total_days() + 1).alias("dage"))


def _aggregate(fx: pl.LazyFrame, keys: list[str], measure: str, total_days: int, time_key: bool) -> pl.LazyFrame:
    # Days in the period of the group: the bucket when the group is one time bucket, else the whole period.
    days = pl.col("b_dage").first() if time_key else pl.lit(total_days)
    aggs = [measure_expr(measure, days).alias("vaerdi"), pl.col("borger_id").n_unique().alias("borgere")]
    if measure not in COUNT_MEASURES:
        # With 'any målgruppe' a ydelse appears once per målgruppe: sum each ydelse-bucket once per group.
        fx = fx.unique(subset=[*keys, "ydelse_id", "b_label"])
    if measure == "helaarspersoner":
        # optaelling's rule (the one owner, as DST): a borger's days are a union within each paragraf,
        # and paragraffer add up, so 'I alt' is the sum over paragraffer, as on Overblik
        fx = union_days(fx, [*keys, "b_label", "_paragraf"])
    if keys:
        return fx.group_by(keys).agg(aggs)
    return fx.select(aggs)


# -- ordering ------------------------------------------------------------------------------------

def dimension_order(dim: str, values: list[str], codes: CodeLists | None = None) -> list[str]:
    """Values in the natural order of the dimension (niveau 0-4 then Ikke vurderet, age bands, ...);
    'Uoplyst' last."""
    codes = codes or load_config().codes
    natural: list[str] | None = None
    if dim == "niveau":
        natural = [niveau_label(n, codes) for n in NIVEAUER]
    elif dim == "aldersgruppe":
        natural = aldersgruppe_labels()
    elif dim == "stoettebehov":
        natural = list(codes.stoettebehov)
    elif dim == "paragraf":
        natural = list(codes.paragraffer)
    elif dim == "kategori":
        natural = list(codes.maalgruppe_kategorier)
    rank = {v: i for i, v in enumerate(natural or [])}
    return sorted(values, key=lambda v: (v == UOPLYST, rank.get(v, len(rank)), v))


# -- crosstab -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crosstab:
    rows: str
    cols: str | None
    measure: str
    row_values: list[str]
    col_values: list[str]  # [] when cols is None
    cells: pl.DataFrame  # row, col, vaerdi, borgere
    row_totals: pl.DataFrame  # row, vaerdi, borgere
    col_totals: pl.DataFrame  # col, vaerdi, borgere
    total: tuple[float, int]  # (vaerdi, borgere)

    @property
    def row_label(self) -> str:
        return DIMENSIONS[self.rows]

    def value_columns(self) -> list[str]:
        return list(self.col_values) if self.cols else [MEASURES[self.measure]]

    def wide(self, what: str = "vaerdi") -> pl.DataFrame:
        """Row label column + one column per column value (+ 'I alt') and a final 'I alt' row.
        what='vaerdi' gives the measure, 'borgere' the distinct borger counts behind it. Missing
        combinations are 0."""
        label = self.row_label
        if self.cols is None:
            name = MEASURES[self.measure]
            body = pl.DataFrame({label: self.row_values}).join(
                self.row_totals.rename({"row": label}), on=label, how="left", maintain_order="left")
            body = body.select(label, pl.col(what).fill_null(0).cast(pl.Float64).alias(name))
            total = pl.DataFrame({label: [I_ALT], name: [float(self.total[0 if what == "vaerdi" else 1])]})
            return pl.concat([body, total])
        rows = []
        lookup = {(r, c): v for r, c, v in self.cells.select("row", "col", what).iter_rows()}
        rtot = dict(self.row_totals.select("row", what).iter_rows())
        ctot = dict(self.col_totals.select("col", what).iter_rows())
        for r in self.row_values:
            rows.append([r] + [float(lookup.get((r, c), 0) or 0) for c in self.col_values] + [float(rtot.get(r, 0))])
        rows.append([I_ALT] + [float(ctot.get(c, 0)) for c in self.col_values]
                    + [float(self.total[0 if what == "vaerdi" else 1])])
        schema = {label: pl.String, **{c: pl.Float64 for c in self.col_values}, I_ALT: pl.Float64}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def long(self) -> pl.DataFrame:
        """row, col, vaerdi, borgere without totals (for charts)."""
        return self.cells


def crosstab(ds: Dataset, f: Filters, rows: str, cols: str | None, measure: str = "borgere",
             undertema: str | None = None, codes: CodeLists | None = None,
             status: StatusKilde | None = None) -> Crosstab:
    """The pivot of `measure` by rows x cols for the filtered population. Collects (UI boundary helper).
    status: see facts."""
    codes = codes or load_config().codes
    if rows not in DIMENSIONS or (cols is not None and cols not in DIMENSIONS):
        raise ValueError("ukendt dimension")
    if cols == rows:
        cols = None
    if measure not in MEASURES:
        raise ValueError(f"ukendt mål '{measure}'")
    dims = [rows] + ([cols] if cols else [])
    start, end = f.period()
    total_days = (end - start).days + 1
    fx = facts(ds, f, dims, undertema=undertema, codes=codes, status=status).cache()
    is_time = {d: d in TIME_DIMS for d in dims}
    parts = [_aggregate(fx, [rows], measure, total_days, is_time[rows]).rename({rows: "row"})]
    if cols:
        parts.append(_aggregate(fx, [rows, cols], measure, total_days, is_time[rows] or is_time[cols])
                     .rename({rows: "row", cols: "col"}))
        parts.append(_aggregate(fx, [cols], measure, total_days, is_time[cols]).rename({cols: "col"}))
    parts.append(_aggregate(fx, [], measure, total_days, False))
    got = pl.collect_all(parts)
    row_totals = got[0]
    total_df = got[-1]
    total = (float(total_df["vaerdi"][0] or 0.0), int(total_df["borgere"][0] or 0))
    if cols:
        cells, col_totals = got[1], got[2]
        col_values = dimension_order(cols, col_totals["col"].to_list(), codes)
    else:
        cells = pl.DataFrame(schema={"row": pl.String, "col": pl.String, "vaerdi": pl.Float64, "borgere": pl.UInt32})
        col_totals = pl.DataFrame(schema={"col": pl.String, "vaerdi": pl.Float64, "borgere": pl.UInt32})
        col_values = []
    row_values = dimension_order(rows, row_totals["row"].to_list(), codes)
    return Crosstab(rows, cols, measure, row_values, col_values, cells.sort("row", "col") if cols else cells,
                    row_totals.sort("row"), col_totals.sort("col"), total)


# -- funktionsevne distribution ---------------------------------------------------------------------

def fordeling_niveauer(ds: Dataset, f: Filters, undertemaer: list[str] | None = None,
                       codes: CodeLists | None = None) -> pl.LazyFrame:
    """borger_id, undertema, niveau of every assessed (borger, Aktivitet og deltagelse undertema) on the
    reference date (within f.vurderet_maaneder): the part of funktionsevne_fordeling that does not
    depend on the population filters (a UI may collect it once per date and reuse it)."""
    codes = codes or load_config().codes
    uts = undertemaer or codes.aktivitet_undertemaer()
    return latest_niveauer(ds, f.reference_date(), uts, f.vurderet_maaneder).select("borger_id", "undertema", "niveau")


def funktionsevne_fordeling(ds: Dataset, f: Filters, undertemaer: list[str] | None = None,
                            codes: CodeLists | None = None, kun_vurderede: bool = True,
                            niveauer: pl.LazyFrame | None = None, status: StatusKilde | None = None) -> pl.LazyFrame:
    """undertema, niveau ('0'..'4', 'Ikke vurderet'), borgere: for every Aktivitet og deltagelse undertema,
    how many borgere of the population are at each niveau (latest assessment on or before the reference
    date; no assessment or empty niveau = Ikke vurderet). Each undertema row adds up to the population.
    kun_vurderede drops undertemaer where nobody in the population has a niveau 0-4.
    niveauer: fordeling_niveauer(ds, f, undertemaer) when the caller has it already (same result);
    status: see facts."""
    codes = codes or load_config().codes
    uts = undertemaer or codes.aktivitet_undertemaer()
    pop = population(ds, f, codes, status).select("borger_id").unique()
    lv = niveauer if niveauer is not None else fordeling_niveauer(ds, f, uts, codes)
    # Counted without a population x undertema grid: the assessed per (undertema, niveau), and
    # Ikke vurderet = the population minus the assessed on that undertema (zero counts left out).
    vurderet = (lv.filter(pl.col("niveau").is_not_null()).join(pop, on="borger_id", how="semi")
                .group_by("undertema", "niveau").agg(pl.len().alias("borgere")))
    n_pop = pop.select(pl.len().alias("_n"))
    ikke = (pl.LazyFrame({"undertema": list(uts)})
            .join(vurderet.group_by("undertema").agg(pl.col("borgere").sum().alias("_v")), on="undertema", how="left")
            .join(n_pop, how="cross")
            .select("undertema", pl.lit(IKKE_VURDERET).alias("niveau"),
                    (pl.col("_n").cast(pl.Int64) - pl.col("_v").fill_null(0).cast(pl.Int64)).alias("borgere"))
            .filter(pl.col("borgere") > 0))
    out = pl.concat([vurderet.with_columns(pl.col("borgere").cast(pl.UInt32)),
                     ikke.with_columns(pl.col("borgere").cast(pl.UInt32))])
    if kun_vurderede:
        assessed = out.filter(pl.col("niveau") != IKKE_VURDERET).select("undertema").unique()
        out = out.join(assessed, on="undertema", how="semi")
    order = {u: i for i, u in enumerate(uts)}
    nrank = {n: i for i, n in enumerate(NIVEAUER)}
    return out.with_columns(
        pl.col("undertema").replace_strict(order, return_dtype=pl.Int64).alias("_u"),
        pl.col("niveau").replace_strict(nrank, return_dtype=pl.Int64).alias("_n"),
    ).sort("_u", "_n").drop("_u", "_n")


def fordeling_wide(long: pl.DataFrame) -> pl.DataFrame:
    """Undertema rows x niveau columns (0..4, Ikke vurderet, I alt) with zeros filled."""
    ut = long["undertema"].unique(maintain_order=True).to_list()
    rows = []
    look = {(u, n): c for u, n, c in long.select("undertema", "niveau", "borgere").iter_rows()}
    for u in ut:
        vals = [float(look.get((u, n), 0)) for n in NIVEAUER]
        rows.append([u] + vals + [float(sum(vals))])
    schema = {"Undertema": pl.String, **{n: pl.Float64 for n in NIVEAUER}, I_ALT: pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


# -- borger list ---------------------------------------------------------------------------------------

def borger_liste(ds: Dataset, f: Filters, rows: str, cols: str | None, row_value: str | None,
                 col_value: str | None, undertema: str | None = None,
                 codes: CodeLists | None = None) -> pl.LazyFrame:
    """The borgere behind one crosstab cell (None or 'I alt' = any value on that axis):
    borger_id, aldersgruppe, koen, kommune, paragraffer, tilbud, link (borger page)."""
    codes = codes or load_config().codes
    dims = [rows] + ([cols] if cols and cols != rows else [])
    fx = facts(ds, f, dims, undertema=undertema, codes=codes)
    if row_value not in (None, I_ALT):
        fx = fx.filter(pl.col(rows) == row_value)
    if cols and cols != rows and col_value not in (None, I_ALT):
        fx = fx.filter(pl.col(cols) == col_value)
    ids = fx.select("borger_id").unique()
    y = period_ydelser(ds, f).join(ids, on="borger_id", how="semi")
    per = y.group_by("borger_id").agg(
        pl.col("paragraf").unique().sort().str.join(", ").alias("paragraffer"),
        pl.col("tilbud_navn").drop_nulls().unique().sort().str.join(", ").alias("tilbud"),
    )
    status = borger_status(ds, f, codes=codes).select("borger_id", "aldersgruppe", "koen", "kommune")
    return (
        ids.join(status, on="borger_id", how="left").join(per, on="borger_id", how="left")
        .with_columns(
            pl.col("koen").replace(KOEN_LABEL),
            borger_link("borger_id").alias("link"),
        )
        .select("borger_id", "aldersgruppe", "koen", "kommune", "paragraffer", "tilbud", "link")
        .sort("borger_id")
    )


BORGER_LISTE_HEADERS = {
    "borger_id": "Borger-id (pseudonym)", "aldersgruppe": "Aldersgruppe", "koen": "Køn", "kommune": "Kommune",
    "paragraffer": "Paragraffer", "tilbud": "Tilbud", "link": "Borgerside",
}


# -- presentation helpers (pure; suppression applied) -------------------------------------------------

def formatter(measure: str, danish: bool = True):
    """Cell formatter: Danish display (1.234 / 12,3) or plain for exports ('1234', '12.3')."""
    decimals = 1 if measure == "helaarspersoner" else 0
    if danish:
        return lambda v: dansk_tal(v, decimals)
    return lambda v: str(int(round(v))) if decimals == 0 else f"{v:.{decimals}f}"


def suppressed_table(ct: Crosstab, danish: bool = True, graense: int | None = None, visning=None) -> pl.DataFrame:
    """The crosstab as shown and exported: text cells, primary + complementary suppression decided on the
    borger counts, row/column totals ('I alt'). visning (workbench.regler.suppression.Visning): exact for roles
    with the borger list on screen; None = suppressed."""
    from workbench.regler.suppression import suppress_crosstab

    # the borger count itself reads '<g' when small; every other measure (ydelser, kroner, helårspersoner)
    # is hidden as 'x' where its borger count is small, never shown as '<g'
    return suppress_crosstab(ct.wide("vaerdi"), ct.row_label, ct.value_columns(), I_ALT if ct.cols else None,
                             I_ALT, counts=ct.wide("borgere"), graense=graense, fmt=formatter(ct.measure, danish),
                             visning=visning, counts_are_values=ct.measure == "borgere")


def chart_data(ct: Crosstab, graense: int | None = None, visning=None) -> pl.DataFrame:
    """row, col, vaerdi of the body cells that are not suppressed (a chart never draws a hidden value)."""
    from workbench.regler.suppression import NONE, crosstab_mask

    counts = ct.wide("borgere")
    vals = ct.wide("vaerdi")
    cols = ct.value_columns()
    mask = crosstab_mask(counts, ct.row_label, cols, I_ALT if ct.cols else None, I_ALT, graense, visning=visning)
    out = []
    for i, r in enumerate(vals[ct.row_label].to_list()):
        if r == I_ALT:
            continue
        for c in cols:
            if mask[c][i] == NONE and vals[c][i]:
                out.append((r, c if ct.cols else "", float(vals[c][i])))
    return pl.DataFrame(out, schema={"row": pl.String, "col": pl.String, "vaerdi": pl.Float64}, orient="row")


def fordeling_tables(long: pl.DataFrame, graense: int | None = None, visning=None,
                     niveau_labels: dict[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(suppressed wide table, chart rows undertema/niveau/borgere without hidden segments; with
    niveau_labels also a 'Niveau' column holding each niveau's label for the chart's legend)."""
    from workbench.regler.suppression import NONE, crosstab_mask, suppress_crosstab

    wide = fordeling_wide(long)
    cols = list(NIVEAUER)
    table = suppress_crosstab(wide, "Undertema", cols, I_ALT, None, graense=graense, fmt=formatter("borgere"),
                              visning=visning)
    mask = crosstab_mask(wide, "Undertema", cols, I_ALT, None, graense, visning=visning)
    rows = []
    for i, u in enumerate(wide["Undertema"].to_list()):
        for n in cols:
            if mask[n][i] == NONE and wide[n][i]:
                rows.append((u, n, int(wide[n][i])))
    chart = pl.DataFrame(rows, schema={"undertema": pl.String, "niveau": pl.String, "borgere": pl.Int64}, orient="row")
    if niveau_labels is not None:
        chart = chart.with_columns(pl.col("niveau").replace(niveau_labels).alias("Niveau"))
    return table, chart


# -- map data -------------------------------------------------------------------------------------------

def kommune_values(ds: Dataset, f: Filters, measure: str = "borgere", codes: CodeLists | None = None) -> pl.LazyFrame:
    """kommunekode, vaerdi, borgere per kommune (handle- or betalingskommune as in the filters)."""
    start, end = f.period()
    fx = facts(ds, f, ["kommunekode"], codes=codes)
    return _aggregate(fx, ["kommunekode"], measure, (end - start).days + 1, False).sort("kommunekode")


def tilbud_points(ds: Dataset, f: Filters, codes: CodeLists | None = None) -> pl.LazyFrame:
    """tilbud_id, navn, tilbudstype, driftsform, kommunekode, lat, lon, placering, borgere: the tilbud that
    deliver a matching ydelse to the population, with coordinates (postnr centre when lat/lon are absent)."""
    from workbench.data.geo import tilbud_coordinates

    fx = facts(ds, f, ["tilbud"], codes=codes).select("borger_id", "ydelse_id")
    y = period_ydelser(ds, f).join(fx.select("ydelse_id").unique(), on="ydelse_id", how="semi")
    counts = y.filter(pl.col("tilbud_id").is_not_null()).group_by("tilbud_id").agg(
        pl.col("borger_id").n_unique().alias("borgere"))
    t = tilbud_coordinates(ds.tilbud).select(
        "tilbud_id", "navn", pl.col("tilbudstype").cast(pl.String), pl.col("driftsform").cast(pl.String),
        "kommunekode", "lat", "lon", "placering")
    return t.join(counts, on="tilbud_id", how="inner").sort("tilbud_id")
