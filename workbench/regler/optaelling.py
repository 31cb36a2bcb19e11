"""Monthly counts per paragraf (spec/DATA_CONTRACT.md, `optaelling`) and the Overblik KPIs.

Semantics (the contract, to the letter):
- A ydelse covers startdato..slutdato, both included; an open slutdato runs through the reference
  date `paa`. A ydelse with slutdato < startdato covers nothing (and so does an open ydelse that
  starts after `paa`).
- A borger counts under a paragraf in a month when any of his ydelser under that paragraf covers
  at least one day of the month.
- helaarspersoner = the covered days summed over borgere / the days of the month. A borger's days
  under a paragraf are the union of his ydelser under it: overlapping ydelser of the same borger
  and paragraf count each day once.
- tilgang = borgere with the paragraf this month and not the month before; afgang = borgere with it
  the month before and not this month. The month before `fra` is computed as well, so the first
  month is right.
- Days after the reference date `paa` never count (a ydelse that starts after it, or the days of a
  ydelse after it, are cut off), and a month after the month of `paa` is refused (ValueError ->
  exit 2 on the command line; the Overblik page never offers such a month).
- Totals over paragraffer (the Overblik KPIs and the table's Total row): borgere, tilgang and afgang
  are unique borgere under any paragraf (a change from one paragraf to another is neither tilgang nor
  afgang); helaarspersoner is the sum over paragraffer (each paragraf counts its own days, as DST
  counts them). See `totals` and `noegletal`.

Rows: every month fra..til for every paragraf with a borger in the window (the month before `fra`
through `til`), zeros included, sorted by maaned then paragraf (enum order of the code list).

Everything is vectorised over LazyFrames (no per-row Python): ydelser are clipped to the window,
merged into disjoint intervals per (borger, paragraf) with one sort, and counted with difference
arrays over the window's days and months (see monthly_counts); ~100k borgere take well under a
second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import polars as pl

from workbench.data import geo
from workbench.regler.periods import MONTH_FMT, active_on, add_months, month_end, month_start, slut_eff, valid_period

COLUMNS = ("maaned", "paragraf", "borgere", "helaarspersoner", "tilgang", "afgang")


# --------------------------------------------------------------------------------------------
# intervals


def covered(ydelser: pl.LazyFrame, paa: dt.date, keys: Sequence[str] = ("paragraf",)) -> pl.LazyFrame:
    """borger_id, *keys, s, e: the days each ydelse covers (open end = paa); ydelser covering
    nothing are dropped."""
    return (
        ydelser.select("borger_id", *keys, s=pl.col("startdato"), e=slut_eff(paa))
        .filter(pl.col("s").is_not_null() & (pl.col("s") <= pl.col("e")))
    )


def clip(intervals: pl.LazyFrame, lo: dt.date, hi: dt.date) -> pl.LazyFrame:
    """Intervals cut to lo..hi; those outside it are dropped."""
    return (
        intervals.with_columns(
            s=pl.max_horizontal(pl.col("s"), pl.lit(lo, dtype=pl.Date)),
            e=pl.min_horizontal(pl.col("e"), pl.lit(hi, dtype=pl.Date)),
        )
        .filter(pl.col("s") <= pl.col("e"))
    )


_GROUP = 1 << 32  # separates key groups in the encoded running maximum (see _merge_runs)
_OFFSET = 1 << 30  # keeps day numbers before 1970 positive


def _merge_runs(lf: pl.LazyFrame, keys: Sequence[str], s: str, e: str) -> pl.LazyFrame:
    """Merge integer ranges s..e (both included) per key group: ranges that overlap or touch (the
    next starts at most one step after the running end) become one. Returns *keys, s, e.

    One sort and no window over groups: sorted by keys, each group gets a rising index k, and the
    running maximum of k*2^32 + e can never reach back into an earlier group."""
    keys = list(keys)
    changed = pl.any_horizontal([pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys])
    k = changed.cast(pl.Int64).cum_sum()
    return (
        lf.select(*keys, pl.col(s).cast(pl.Int64).alias("_s"), pl.col(e).cast(pl.Int64).alias("_e"))
        .sort(*keys, "_s", "_e")
        .with_columns(_k=k * _GROUP)
        .with_columns(_reach=(pl.col("_k") + pl.col("_e") + _OFFSET).cum_max().shift(1))
        .with_columns(_run=(pl.col("_reach").is_null()
                            | (pl.col("_reach") < pl.col("_k") + pl.col("_s") + _OFFSET - 1)).cum_sum())
        .group_by("_run")
        .agg(*[pl.col(c).first() for c in keys], pl.col("_s").min().alias(s), pl.col("_e").max().alias(e))
        .drop("_run")
    )


def merge_intervals(intervals: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    """Disjoint date intervals per key group (*keys, s, e): overlapping and adjacent intervals (one
    ends on day D, the next starts on D+1) are merged into one."""
    return _merge_runs(intervals, keys, "s", "e").with_columns(
        pl.col("s").cast(pl.Int32).cast(pl.Date), pl.col("e").cast(pl.Int32).cast(pl.Date))


def _month_index(d: pl.Expr) -> pl.Expr:
    """Months since year 0 (consecutive months differ by one)."""
    return d.dt.year().cast(pl.Int64) * 12 + d.dt.month().cast(pl.Int64) - 1


def _mi(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def _month_of_index(i: pl.Expr) -> pl.Expr:
    return pl.date(i // 12, i % 12 + 1, 1)


def _running(events: pl.LazyFrame, grid: pl.LazyFrame, on: list[str], by: list[str], name: str) -> pl.LazyFrame:
    """Running sum of `delta` over the ordered grid column on[-1], per by-group (difference array)."""
    summed = events.group_by(on).agg(pl.col("delta").sum())
    run = pl.col("delta").cum_sum()
    return (
        grid.join(summed, on=on, how="left")
        .with_columns(pl.col("delta").fill_null(0))
        .sort(on)
        .with_columns((run.over(by) if by else run).alias(name))
        .drop("delta")
    )


# --------------------------------------------------------------------------------------------
# monthly counts


def monthly_counts(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date,
                   by: Sequence[str] = ("paragraf",)) -> pl.LazyFrame:
    """maaned ('YYYY-MM'), *by, borgere, helaarspersoner, tilgang, afgang for the months fra..til
    (any day of a month names it). by=() counts unique borgere under any paragraf (the Total line
    of seed 002's table; a borger under two paragraffer counts once).

    How: the ydelser are clipped to the window (the month before fra through til) and merged per
    borger (+ by) into disjoint day intervals. Covered days per day come from a difference array
    over the window's days, summed per month. Merging the intervals' month ranges once more
    (consecutive months touch) gives runs of months in which the borger has the paragraf without
    a break: a run starting in M is a tilgang in M, a run ending in M-1 an afgang in M, and the
    borgere of M are the runs covering M (again a difference array)."""
    by = list(by)
    first, last = month_start(fra), month_start(til)
    check_months(first, last, paa)
    lo, hi = add_months(first, -1), min(month_end(last), paa)  # days after paa never count
    keys = ["borger_id", *by]

    days = merge_intervals(clip(covered(ydelser, paa, by), lo, hi), keys).with_columns(
        si=pl.col("s").cast(pl.Int32), ei=pl.col("e").cast(pl.Int32))
    runs = _merge_runs(days.select(*keys, ms=_month_index(pl.col("s")), me=_month_index(pl.col("e"))),
                       keys, "ms", "me")
    seen = runs.select(by).unique() if by else None

    def with_keys(frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.join(seen, how="cross") if by else frame

    # covered days per day -> per month
    day_grid = with_keys(pl.LazyFrame({"dag": pl.date_range(lo, hi, eager=True).cast(pl.Int32)}))
    day_events = pl.concat([
        days.select(*by, dag=pl.col("si"), delta=pl.lit(1, pl.Int64)),
        days.select(*by, dag=pl.col("ei") + 1, delta=pl.lit(-1, pl.Int64)),
    ])
    per_day = _running(day_events, day_grid, [*by, "dag"], by, "aktive")
    dage = (
        per_day.with_columns(m=_month_index(pl.col("dag").cast(pl.Date)))
        .group_by(*by, "m").agg(dage=pl.col("aktive").sum())
    )

    # month runs -> borgere, tilgang, afgang
    month_grid = with_keys(pl.LazyFrame({"m": pl.int_range(_mi(lo), _mi(last) + 1, dtype=pl.Int64,
                                                            eager=True)}))
    month_events = pl.concat([
        runs.select(*by, m=pl.col("ms"), delta=pl.lit(1, pl.Int64)),
        runs.select(*by, m=pl.col("me") + 1, delta=pl.lit(-1, pl.Int64)),
    ])
    per_month = _running(month_events, month_grid, [*by, "m"], by, "borgere")
    tilgang = runs.group_by(*by, m=pl.col("ms")).agg(tilgang=pl.len())
    afgang = runs.group_by(*by, m=pl.col("me") + 1).agg(afgang=pl.len())

    group = [*by, "m"]
    maaned = _month_of_index(pl.col("m"))
    return (
        per_month.filter(pl.col("m") >= _mi(first))
        .join(dage, on=group, how="left")
        .join(tilgang, on=group, how="left")
        .join(afgang, on=group, how="left")
        .with_columns(pl.col("borgere", "tilgang", "afgang", "dage").fill_null(0).cast(pl.Int64))
        .with_columns(helaarspersoner=pl.col("dage").cast(pl.Float64) / maaned.dt.days_in_month())
        .sort("m", *by)
        .select(maaned.dt.strftime(MONTH_FMT).alias("maaned"), *by, "borgere", "helaarspersoner",
                "tilgang", "afgang")
    )


def check_months(fra: dt.date, til: dt.date, paa: dt.date) -> None:
    """ValueError (one Danish line) when fra is after til or til is after the month of paa."""
    if month_start(fra) > month_start(til):
        raise ValueError(f"fra-måneden ({fra.strftime(MONTH_FMT)}) ligger efter til-måneden ({til.strftime(MONTH_FMT)})")
    if month_start(til) > month_start(paa):
        raise ValueError(f"til-måneden {til.strftime(MONTH_FMT)} ligger efter referencedatoens måned "
                         f"({paa.strftime(MONTH_FMT)}, referencedato {paa.isoformat()}); dage efter "
                         "referencedatoen tælles ikke")


def last_month(paa: dt.date) -> dt.date:
    """The last month that may be counted on reference date paa (its own month)."""
    return month_start(paa)


def optaelling(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date) -> pl.LazyFrame:
    """The `optaelling` command's table: maaned, paragraf, borgere, helaarspersoner, tilgang, afgang."""
    return monthly_counts(ydelser, fra, til, paa, by=("paragraf",)).select(COLUMNS)


def month_table(per_paragraf: pl.DataFrame, total: pl.DataFrame, value: str = "borgere",
                total_label: str = "Total", month_label=None) -> pl.DataFrame:
    """Seed 002's 'Antal borgere på § per valgte Dato': paragraffer as rows (enum order), months as
    columns, and a last row `total_label` from `total` (unique borgere under any paragraf, not the
    column sum). month_label('YYYY-MM') -> column title (default: the month itself)."""
    label = month_label or (lambda m: m)
    month_list = total["maaned"].to_list() if total.height else sorted(set(per_paragraf["maaned"].to_list()))
    titles = [label(m) for m in month_list]
    if per_paragraf.height:
        body = (
            per_paragraf.select("paragraf", "maaned", value)
            .pivot(on="maaned", index="paragraf", values=value, on_columns=month_list)
            .sort("paragraf")
            .with_columns(pl.col("paragraf").cast(pl.String))
        )
    else:
        body = pl.DataFrame(schema={"paragraf": pl.String, **{m: total.schema.get(value, pl.Int64)
                                                              for m in month_list}})
    tot = pl.DataFrame({"paragraf": [total_label], **{m: [v] for m, v in zip(
        total["maaned"].to_list(), total[value].to_list())}})
    table = pl.concat([body, tot.select(body.columns).cast(body.schema)], how="vertical")
    return table.rename(dict(zip(month_list, titles))).rename({"paragraf": "Paragraf"})


# --------------------------------------------------------------------------------------------
# totals and KPIs for the Overblik page


def totals(per_paragraf: pl.LazyFrame, unique: pl.LazyFrame) -> pl.LazyFrame:
    """maaned, borgere, helaarspersoner, tilgang, afgang over all paragraffer: borgere, tilgang and
    afgang from `unique` (monthly_counts(by=()): unique borgere under any paragraf), helaarspersoner
    the sum of `per_paragraf` (monthly_counts(by=('paragraf',))) over paragraffer."""
    hp = per_paragraf.group_by("maaned").agg(pl.col("helaarspersoner").sum())
    return (
        unique.drop("helaarspersoner").join(hp, on="maaned", how="left")
        .with_columns(pl.col("helaarspersoner").fill_null(0.0))
        .sort("maaned")
        .select("maaned", "borgere", "helaarspersoner", "tilgang", "afgang")
    )


def overblik(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(per_paragraf, total): the two frames every Overblik number comes from (table, KPI, chart,
    tilgang/afgang); per_paragraf is exactly the `optaelling` command's table."""
    per = monthly_counts(ydelser, fra, til, paa, by=("paragraf",))
    return per, totals(per, monthly_counts(ydelser, fra, til, paa, by=()))


@dataclass(frozen=True)
class Noegletal:
    """The Overblik KPI cards: the Total row of the month table for one month (same numbers)."""
    maaned: str  # 'YYYY-MM'
    borgere: int  # unique borgere under any paragraf in the month
    helaarspersoner: float  # sum over paragraffer of the month's helårspersoner
    tilgang: int  # under a paragraf this month, under none the month before
    afgang: int  # under a paragraf the month before, under none this month
    aktive_ydelser: int  # ydelser active on the reference date


def noegletal(total: pl.DataFrame, maaned: str, aktive_ydelser: int) -> Noegletal:
    """The KPIs of `maaned` taken from `total` (see totals); zeros when the month has no row."""
    row = total.filter(pl.col("maaned") == maaned)
    if row.height == 0:
        return Noegletal(maaned, 0, 0.0, 0, 0, aktive_ydelser)
    r = row.row(0, named=True)
    return Noegletal(maaned, int(r["borgere"]), float(r["helaarspersoner"]), int(r["tilgang"]), int(r["afgang"]),
                     aktive_ydelser)


def aktive_ydelser(ydelser: pl.LazyFrame, paa: dt.date) -> pl.LazyFrame:
    """One value: ydelser active on paa (slutdato < startdato never counts)."""
    return ydelser.filter(active_on(paa) & valid_period()).select(aktive_ydelser=pl.len().cast(pl.Int64))


# --------------------------------------------------------------------------------------------
# filters used by the page


def filter_kommuner(ydelser: pl.LazyFrame, borgere: pl.LazyFrame, handlekommuner: Sequence[str] = (),
                    betalingskommuner: Sequence[str] = ()) -> pl.LazyFrame:
    """The ydelser of borgere whose handlekommune is in `handlekommuner` and whose betalingskommune
    (empty = the handlekommune) is in `betalingskommuner`; an empty selection means all."""
    if not handlekommuner and not betalingskommuner:
        return ydelser
    cond = pl.lit(True)
    if handlekommuner:
        cond = cond & pl.col("handlekommune").is_in(list(handlekommuner))
    if betalingskommuner:
        cond = cond & geo.betalingskommune().is_in(list(betalingskommuner))
    chosen = borgere.filter(cond).select("borger_id").unique()
    return ydelser.join(chosen, on="borger_id", how="semi")


# --------------------------------------------------------------------------------------------
# one period (a year, a month, year to date) per group: the unit counts of økonomi and rapport


def period_counts(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date,
                  by: Sequence[str] = ("paragraf",)) -> pl.LazyFrame:
    """*by, borgere, helaarspersoner, dage for the days fra..til (both included; days after `paa`
    are never counted, open ydelser run through `paa`).

    borgere: unique borgere with at least one covered day in the period (a borger under two groups
    counts in each); helaarspersoner: covered days (union per borger and group) / the days of the
    period, the same definition as the monthly table (a year's value is the day-weighted mean of
    its months). by=() gives one row over every paragraf (a borger counts once)."""
    by = list(by)
    if fra > til:
        raise ValueError("fra ligger efter til")
    # the period's counted days (contract, "A period"): fra .. min(til, paa); a year to date, a month to
    # date and a full year are on one scale
    til = min(til, paa)  # days after the reference date are never counted (nor ydelser starting after it)
    period_days = max((til - fra).days + 1, 1)
    keys = ["borger_id", *by]
    days = merge_intervals(clip(covered(ydelser, paa, by), fra, til), keys)
    agg = [pl.col("borger_id").n_unique().cast(pl.Int64).alias("borgere"),
           (pl.col("e").cast(pl.Int32) - pl.col("s").cast(pl.Int32) + 1).sum().cast(pl.Int64).alias("dage")]
    out = days.group_by(by).agg(*agg) if by else days.select(*agg)
    out = out.with_columns(pl.col("borgere", "dage").fill_null(0),
                           helaarspersoner=pl.col("dage").fill_null(0).cast(pl.Float64) / period_days)
    return (out.sort(by) if by else out).select(*by, "borgere", "helaarspersoner", "dage")


def period_borgere(ydelser: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date) -> pl.LazyFrame:
    """borger_id of every borger counted by period_counts(by=()) for fra..til (one row each)."""
    return clip(covered(ydelser, paa, ()), fra, min(til, paa)).select(pl.col("borger_id").cast(pl.String)).unique()
