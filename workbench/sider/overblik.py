"""Overblik page view (issue 21: the page only lays out what this returns; the `optaelling` command
gives the same numbers).

`side(ds, periode, paa, handle, betaling, visning)` returns one frozen `OverblikSide` for a principal's
scoped dataset: the per-paragraf table is exactly the `optaelling` command's table
(workbench.regler.optaelling.overblik), the Total row its unique borgere (helårspersoner summed), and
the KPI cards the Total row of the last month (optaelling.noegletal). Everything the page shows is
derived from those two frames by the methods below, already suppressed for `visning`
(workbench.regler.suppression; exact for roles with the borger list):

- `noegletal_tekster()`: the KPI values as display texts;
- `maaned_tabel(enhed)`: the month table in one of ENHEDER (crosstab suppression with complementary
  cells), with the paragraf's unit, DST code and konto;
- `eksport_tabel(enhed, visning)`: the export of that table for an export visning
  (suppression.for_export);
- `graf(valgt)`: the chart series of the chosen paragraffer, counts 1..g-1 left out (a gap);
- `flow(valg)`: tilgang/afgang for all paragraffer (the Total row) or one paragraf: chart series and table.

`flis_side` is the FLIS-corrected cards (workbench.regler.flis, the same as `optaelling --flis`).
`optaelling_tabel` is the `optaelling` command's table for a visning (cells 1..g-1 '<g', helårspersoner
beside them 'x').
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import polars as pl

from workbench.data.dataset import Dataset
from workbench.format.dansk import TOM
from workbench.format.output import dansk_tal
from workbench.regler import flis, optaelling, paragraffer, suppression
from workbench.regler.periods import MONTH_FMT, Periode, add_months, dansk_maaned, month_start, months, parse_month

EGEN, UNIKKE, HP = "Paragraffens enhed", "Unikke borgere", "Helårspersoner"
ENHEDER = (EGEN, UNIKKE, HP)  # the month table's units ("Vis")
ALLE = "Alle paragraffer"  # the tilgang/afgang choice for the Total row
INFO = ("enhed", "dst_ydelseskode", "konto")
TOP = 5  # paragraffer in the chart by default: the most borgere in the last month
MAX_YEARS_BACK = 15  # month options reach at most this far back from the reference date


def maaneder(first: dt.date | None, paa: dt.date) -> list[str]:
    """The months the page offers: 'YYYY-MM' from `first` (the first ydelse's startdato; at most
    MAX_YEARS_BACK years back) to the month of `paa` (optaelling.last_month): a month after the reference
    date is never offered."""
    last = optaelling.last_month(paa)
    floor = add_months(last, -12 * MAX_YEARS_BACK)
    start = max(month_start(first), floor) if first else add_months(last, -11)
    start = min(start, last)
    return [m.strftime(MONTH_FMT) for m in months(start, last)]


def standard_maaneder(maaneder: list[str]) -> tuple[str, str]:
    """The page's default period of `maaneder`: (fra, til) = the last 12 months offered."""
    return maaneder[max(0, len(maaneder) - 12)], maaneder[-1]


def standard_periode(first: dt.date | None, paa: dt.date) -> tuple[dt.date, dt.date]:
    """(fra, til), the first days of the default period's first and last month on `paa`."""
    fra, til = standard_maaneder(maaneder(first, paa))
    return parse_month(fra), parse_month(til)


def _hp(v) -> str:
    return dansk_tal(v, 1)


@dataclass(frozen=True)
class Noegletekster:
    """The KPI cards' values as display texts (suppressed for the visning)."""
    borgere: str
    helaarspersoner: str
    tilgang: str
    afgang: str
    aktive_ydelser: str


@dataclass(frozen=True)
class Flow:
    """Tilgang and afgang of one choice (ALLE or a paragraf)."""
    graf: pl.DataFrame  # Måned, Bevægelse (Tilgang/Afgang), Borgere (afgang negative; hidden counts null)
    tabel: pl.DataFrame  # Måned, Borgere, Tilgang, Afgang, Helårspersoner (texts, suppressed)
    har_bevaegelse: bool  # some month has a tilgang or afgang to draw


@dataclass(frozen=True)
class OverblikSide:
    """Every number of the Overblik page for one scope, period, reference date and kommune filter."""
    per_paragraf: pl.DataFrame  # the `optaelling` command's table (maaned, paragraf, borgere, ...)
    total: pl.DataFrame  # optaelling.totals: maaned, borgere, helaarspersoner, tilgang, afgang
    kpi: optaelling.Noegletal  # the Total row of the last month
    visning: suppression.Visning
    maaneder: tuple[str, ...]  # 'YYYY-MM' of the period
    paragraf_liste: tuple[str, ...]  # paragraffer with borgere in the period (table order)
    top: tuple[str, ...]  # the chart's default: most borgere in the last month

    @property
    def tom(self) -> bool:
        """No borger under any paragraf in the period."""
        return self.per_paragraf.height == 0

    @property
    def maaned_titel(self) -> str:
        """The KPI month, 'jan. 2026'."""
        return dansk_maaned(self.kpi.maaned, kort=True)

    @property
    def kolonner(self) -> list[str]:
        """The month columns' titles ('jan. 2026'), in order."""
        return list(self._titles.values())

    @cached_property
    def _titles(self) -> dict[str, str]:
        return {m: dansk_maaned(m, kort=True) for m in self.maaneder}

    def noegletal_tekster(self) -> Noegletekster:
        # the KPI month's tilgang and afgang hidden exactly as in the flow table's row (suppression.flow_mask)
        skjult = dict(zip(self.total["maaned"].to_list(),
                          suppression.flow_mask(self.total, "borgere", "tilgang", "afgang", self.visning)))
        return noegletal_tekster(self.kpi, self.visning, flow_skjult=bool(skjult.get(self.kpi.maaned)))

    @cached_property
    def _tables(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The month tables of borgere and helårspersoner (built once per result: cached_property
        writes the instance's __dict__, which a frozen dataclass allows; a second build is harmless)."""
        titles = self._titles
        return (optaelling.month_table(self.per_paragraf, self.total, "borgere", month_label=titles.get),
                optaelling.month_table(self.per_paragraf, self.total, "helaarspersoner", month_label=titles.get))

    def maaned_tabel(self, enhed: str = EGEN) -> pl.DataFrame:
        """The month table on screen: Paragraf, Enhed, DST-ydelseskode, Konto, one column per month.
        UNIKKE/HP with the Total row; EGEN each paragraf in its own unit, no Total (units don't add up)."""
        borger_table, hp_table = self._tables
        cols, vis = self.kolonner, self.visning
        if enhed == UNIKKE:
            shown = suppression.suppress_crosstab(borger_table, "Paragraf", cols, total_col=None, total_row="Total",
                                                  visning=vis, fmt=dansk_tal)
        elif enhed == HP:
            shown = suppression.suppress_crosstab(hp_table, "Paragraf", cols, total_col=None, total_row="Total",
                                                  counts=borger_table, visning=vis, fmt=_hp)
        else:
            body = borger_table.filter(pl.col("Paragraf") != "Total")
            is_hp = pl.Series([paragraffer.taelling(p) for p in body["Paragraf"].to_list()],
                              dtype=pl.String) == "helaarspersoner"
            unik_part = suppression.suppress_crosstab(body.filter(~is_hp), "Paragraf", cols, total_col=None,
                                                      total_row=None, visning=vis, fmt=dansk_tal)
            hp_body = hp_table.filter(pl.col("Paragraf") != "Total")
            hp_part = suppression.suppress_crosstab(hp_body.filter(is_hp), "Paragraf", cols, total_col=None,
                                                    total_row=None, counts=body.filter(is_hp), visning=vis, fmt=_hp)
            order = {p: i for i, p in enumerate(body["Paragraf"].to_list())}
            shown = pl.concat([unik_part, hp_part]).sort(
                pl.col("Paragraf").replace_strict(order, return_dtype=pl.Int64))
        shown = paragraffer.with_info(shown, "Paragraf", list(INFO)).rename(
            {k: v for k, v in paragraffer.HEADERS.items() if k in INFO}
        ).with_columns(pl.col("DST-ydelseskode", "Konto").fill_null(TOM))  # on screen: no code configured
        if enhed != EGEN:
            shown = shown.with_columns(pl.lit(enhed).alias("Enhed"))
        return shown

    def eksport_enhed(self, enhed: str) -> str:
        """The export's unit: helårspersoner when chosen, else unique borgere (EGEN has no single unit)."""
        return HP if enhed == HP else UNIKKE

    def eksport_tabel(self, enhed: str, visning: suppression.Visning) -> pl.DataFrame:
        """The month table for an export (visning: suppression.for_export), numbers unformatted, with the
        Total row and the paragraf's name, unit, DST code and konto."""
        borger_table, hp_table = self._tables
        cols = self.kolonner
        if enhed == HP:
            plain = suppression.suppress_crosstab(hp_table, "Paragraf", cols, total_col=None, total_row="Total",
                                                  counts=borger_table, visning=visning)
        else:
            plain = suppression.suppress_crosstab(borger_table, "Paragraf", cols, total_col=None, total_row="Total",
                                                  visning=visning)
        return paragraffer.with_info(plain, "Paragraf", ["paragraf_navn", *INFO]).rename(
            paragraffer.HEADERS, strict=False).with_columns(pl.lit(self.eksport_enhed(enhed)).alias("Enhed"))

    @cached_property
    def _komplementaere_alle(self) -> pl.DataFrame:
        """maaned, paragraf ('Total' for the Total row), _state of the month table of borgere."""
        return _komplementaere(self.per_paragraf, self.total, self.visning, med_total=True)

    def _hidden(self, col: str) -> pl.Expr:
        """Small counts are left out of the charts (a gap) where the tables suppress them."""
        return pl.lit(False) if self.visning.eksakt else pl.col(col).is_between(1, self.visning.graense - 1)

    def graf(self, valgt: Sequence[str]) -> pl.DataFrame:
        """Måned, Paragraf, Borgere of the chosen paragraffer (counts 1..g-1 null for a suppressed visning)."""
        return (
            self.per_paragraf.filter(pl.col("paragraf").cast(pl.String).is_in(list(valgt)))
            .select(
                pl.col("maaned").replace_strict(self._titles, return_dtype=pl.String).alias("Måned"),
                pl.col("paragraf").cast(pl.String).alias("Paragraf"),
                pl.when(self._hidden("borgere")).then(None).otherwise(pl.col("borgere")).alias("Borgere"),
            )
        )

    def flow(self, valg: str = ALLE) -> Flow:
        """Tilgang/afgang per month for ALLE (the Total row: the KPI numbers) or one paragraf."""
        titles = self._titles
        frame = self.total if valg == ALLE else (
            self.per_paragraf.filter(pl.col("paragraf").cast(pl.String) == valg).drop("paragraf"))
        # borgere(m) = borgere(m-1) + tilgang(m) - afgang(m): a month's flows are hidden together, in the
        # chart and the table (suppression.flow_mask / suppress_flow), else one follows from the other
        skjul = pl.Series(suppression.flow_mask(frame, "borgere", "tilgang", "afgang", self.visning), dtype=pl.Boolean)
        chart = frame.select(
            pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
            pl.when(skjul).then(None).otherwise(pl.col("tilgang")).alias("Tilgang"),
            pl.when(skjul).then(None).otherwise(-pl.col("afgang")).alias("Afgang"),
        ).unpivot(index="Måned", variable_name="Bevægelse", value_name="Borgere")
        # suppress_table writes Danish text: helårspersoner with one decimal, as the month table and the KPI
        table = suppression.suppress_table(frame, ["helaarspersoner"], count_col="borgere", visning=self.visning,
                                           decimaler=1)
        komp = [False] * table.height
        if not self.visning.eksakt:  # the month table's complementary cells stay hidden here too
            row = "Total" if valg == ALLE else valg
            state = dict(self._komplementaere_alle.filter(pl.col("paragraf") == row)
                         .select("maaned", "_state").iter_rows())
            komp = [state.get(m) == suppression.COMPLEMENTARY for m in table["maaned"].to_list()]
        table = suppression.suppress_table(
            suppression.suppress_flow(table, "borgere", "tilgang", "afgang", self.visning, skjult=komp),
            ["borgere"], visning=self.visning)
        table = table.with_columns(
            pl.when(pl.Series(komp, dtype=pl.Boolean)).then(pl.lit(suppression.SEKUNDAER)).otherwise(pl.col(c)).alias(c)
            for c in ("borgere", "helaarspersoner"))
        table = table.select(
            pl.col("maaned").replace_strict(titles, return_dtype=pl.String).alias("Måned"),
            pl.col("borgere").alias("Borgere"),
            pl.col("tilgang").alias("Tilgang"),
            pl.col("afgang").alias("Afgang"),
            pl.col("helaarspersoner").alias("Helårspersoner"),
        )
        return Flow(chart, table, bool(chart["Borgere"].drop_nulls().abs().sum() > 0))


def noegletal_tekster(kpi: optaelling.Noegletal, visning: suppression.Visning,
                      flow_skjult: bool = False) -> Noegletekster:
    """KPI values as texts: counts 1..g-1 '<g', helårspersoner beside a hidden borger count 'x';
    tilgang and afgang 'x' together when the flow table hides the month's flows (flow_skjult)."""
    flow = (lambda v: suppression.SEKUNDAER) if flow_skjult and not visning.eksakt \
        else (lambda v: suppression.antal(v, visning))
    return Noegletekster(
        borgere=suppression.antal(kpi.borgere, visning),
        helaarspersoner=suppression.skjult_vaerdi(kpi.helaarspersoner, kpi.borgere, visning, _hp),
        tilgang=flow(kpi.tilgang),
        afgang=flow(kpi.afgang),
        aktive_ydelser=suppression.antal(kpi.aktive_ydelser, visning),
    )


def _maaned_af(til: dt.date) -> str:
    return month_start(til).strftime(MONTH_FMT)


@dataclass(frozen=True)
class OverblikTal:
    """What `side` counts before anything is suppressed or derived (one visning-independent result: the
    precomputation of the default view stores these, workbench.sider.forudberegning)."""
    per: pl.DataFrame  # optaelling.overblik's per-paragraf frame
    total: pl.DataFrame  # optaelling.overblik's Total frame
    aktive: int  # ydelser active on the reference date


def tal(ds: Dataset, periode: Periode, paa: dt.date, handle: Sequence[str], betaling: Sequence[str]) -> OverblikTal:
    """The counts of `side` for the months of `periode` on `paa`, kommuner filtered (empty: all)."""
    fra, til = month_start(periode.fra), month_start(periode.til)
    y = optaelling.filter_kommuner(ds.ydelser, ds.borgere, tuple(handle), tuple(betaling))
    per, total = optaelling.overblik(y, fra, til, paa)
    per_df, total_df, aktive = pl.collect_all([per, total, optaelling.aktive_ydelser(y, paa)])
    return OverblikTal(per_df, total_df, int(aktive.item()))


def side_af(t: OverblikTal, periode: Periode, visning: suppression.Visning) -> OverblikSide:
    """The page's view of the counts `t` of `periode` (tal), for `visning`."""
    per_df, total_df = t.per, t.total
    kpi = optaelling.noegletal(total_df, _maaned_af(periode.til), t.aktive)
    maaneder = tuple(total_df["maaned"].to_list())
    paragraf_liste = tuple(str(p) for p in per_df["paragraf"].unique(maintain_order=True).to_list())
    top = ()
    if maaneder:
        latest = per_df.filter(pl.col("maaned") == maaneder[-1]).sort("borgere", descending=True)
        top = tuple(str(p) for p in latest["paragraf"].to_list()[:TOP])
    return OverblikSide(per_df, total_df, kpi, visning, maaneder, paragraf_liste, top)


def side(ds: Dataset, periode: Periode, paa: dt.date, handle: Sequence[str], betaling: Sequence[str],
         visning: suppression.Visning) -> OverblikSide:
    """The Overblik numbers for the months of `periode` (its first to its last month) on `paa`, for the
    ydelser of the chosen handle-/betalingskommuner (empty: all), suppressed for `visning`."""
    return side_af(tal(ds, periode, paa, handle, betaling), periode, visning)


@dataclass(frozen=True)
class FlisSide:
    """The FLIS-corrected cards: the KPIs of the month counted without the ydelser FLIS removes
    (regler.flis; the same as `optaelling --flis`), and how many of the (filtered) ydelser that is."""
    kpi: optaelling.Noegletal
    udeladt: int
    visning: suppression.Visning

    def noegletal_tekster(self) -> Noegletekster:
        return noegletal_tekster(self.kpi, self.visning)

    @property
    def udeladt_tekst(self) -> str:
        return suppression.antal(self.udeladt, self.visning)


@dataclass(frozen=True)
class FlisTal:
    """What `flis_side` counts (visning-independent; precomputed for the default view)."""
    total: pl.DataFrame  # optaelling.overblik's Total frame of the month, FLIS-corrected
    aktive: int  # FLIS-corrected ydelser active on the reference date
    udeladt: int  # ydelser FLIS removes among the filtered ones


def flis_tal(ds: Dataset, til: dt.date, paa: dt.date, handle: Sequence[str], betaling: Sequence[str],
             markerede: pl.LazyFrame) -> FlisTal:
    """The counts of `flis_side`; markerede: flis.markerede(ds) (collected once by the caller's cache,
    passed lazily)."""
    t = month_start(til)
    y = optaelling.filter_kommuner(ds.ydelser, ds.borgere, tuple(handle), tuple(betaling))
    yk = flis.korrigeret(y, markerede)
    _, total_k = optaelling.overblik(yk, t, t, paa)
    total_df, aktive, udeladt = pl.collect_all([total_k, optaelling.aktive_ydelser(yk, paa),
                                                flis.udeladte(y, markerede).select(pl.len())])
    return FlisTal(total_df, int(aktive.item()), int(udeladt.item()))


def flis_side_af(t: FlisTal, til: dt.date, visning: suppression.Visning) -> FlisSide:
    """The FLIS-corrected cards of the counts `t` for the month `til` (flis_tal)."""
    return FlisSide(optaelling.noegletal(t.total, _maaned_af(til), t.aktive), t.udeladt, visning)


def flis_side(ds: Dataset, til: dt.date, paa: dt.date, handle: Sequence[str], betaling: Sequence[str],
              markerede: pl.LazyFrame, visning: suppression.Visning) -> FlisSide:
    """The FLIS-corrected cards for the month `til`; markerede: flis.markerede(ds) (collected once by the
    caller's cache, passed lazily)."""
    return flis_side_af(flis_tal(ds, til, paa, handle, betaling, markerede), til, visning)


def _for_visning(df: pl.DataFrame, visning: suppression.Visning, komp: pl.DataFrame | None = None) -> pl.DataFrame:
    """Exact, or (a role without the borger list, issue 23) borgere, tilgang and afgang 1..g-1 read '<g'
    and helårspersoner of a suppressed month/paragraf 'x'. `komp` (maaned, paragraf, _state): the page's
    month-table states; a complementary cell reads 'x' and its month's flows are hidden with it."""
    if visning.eksakt:
        return df
    df = df.with_row_index("_r").with_columns(_m=pl.col("maaned").cast(pl.String), _p=pl.col("paragraf").cast(pl.String))
    if komp is not None:
        df = df.join(komp, left_on=["_m", "_p"], right_on=["maaned", "paragraf"], how="left")
    else:
        df = df.with_columns(pl.lit(None, pl.Int8).alias("_state"))
    df = df.with_columns(_k=pl.col("_state").fill_null(suppression.NONE) == suppression.COMPLEMENTARY).sort("_r")
    df = suppression.suppress_table(df, ["helaarspersoner"], count_col="borgere", visning=visning)
    # per paragraf, borgere(m) = borgere(m-1) + tilgang(m) - afgang(m): the month's flows hidden together
    # (suppression.suppress_flow), in the command's row order
    df = pl.concat([suppression.suppress_flow(g.sort("maaned"), "borgere", "tilgang", "afgang", visning,
                                              skjult=g.sort("maaned")["_k"].to_list())
                    for _, g in df.group_by("paragraf", maintain_order=True)]).sort("_r")
    df = suppression.suppress_table(df, ["borgere"], visning=visning)
    return df.with_columns(pl.when(pl.col("_k")).then(pl.lit(suppression.SEKUNDAER)).otherwise(pl.col(c)).alias(c)
                           for c in ("borgere", "helaarspersoner")).drop("_r", "_m", "_p", "_state", "_k")


def optaelling_tabel(ds: Dataset, periode: Periode, paa: dt.date, visning: suppression.Visning,
                     flis_korrigeret: bool = False) -> pl.DataFrame:
    """The `optaelling` command's table (maaned, paragraf, borgere, helaarspersoner, tilgang, afgang) for
    the months of `periode`: the page's per-paragraf rows (optaelling.optaelling, the same rule as `side`),
    optionally without the ydelser FLIS removes (`--flis`, as flis_side), suppressed for `visning`."""
    y = flis.korrigeret(ds.ydelser, flis.markerede(ds)) if flis_korrigeret else ds.ydelser
    fra, til = month_start(periode.fra), month_start(periode.til)
    if visning.eksakt:
        return optaelling.optaelling(y, fra, til, paa).collect()
    # the page's complementary cells too ('x' where the month table hides a cell so that the Total row
    # cannot give a small one back): the command never shows a cell the page hides (issue 23). The
    # per-paragraf frame of optaelling.overblik is the command's table: computed once for both.
    per, total = pl.collect_all(optaelling.overblik(y, fra, til, paa))
    return _for_visning(per.select(optaelling.COLUMNS), visning, _komplementaere(per, total, visning))


def _komplementaere(per: pl.DataFrame, total: pl.DataFrame, visning: suppression.Visning,
                    med_total: bool = False) -> pl.DataFrame:
    """maaned, paragraf, _state: the suppression state of each cell of the page's month table of borgere
    (paragraffer x months with the Total row; OverblikSide.maaned_tabel's mask); med_total: the Total
    row too (paragraf 'Total')."""
    table = optaelling.month_table(per, total, "borgere")
    months = [c for c in table.columns if c != "Paragraf"]
    mask = suppression.crosstab_mask(table, "Paragraf", months, total_col=None, total_row="Total", visning=visning)
    return (mask.filter(pl.lit(med_total) | (pl.col("Paragraf") != "Total"))
            .unpivot(index="Paragraf", variable_name="maaned", value_name="_state")
            .select("maaned", pl.col("Paragraf").alias("paragraf"), "_state"))
