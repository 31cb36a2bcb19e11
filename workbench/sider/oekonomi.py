"""Økonomi: udgift, enhedsudgift and budget against forbrug (issue 15). Pure Polars, no streamlit.

Sources of udgift (one per computation, always named to the user):
- `betalinger` (the økonomi system's truth) when the dataset has the table with rows: the month's
  beloeb per borger and paragraf;
- else `ydelser.maanedlig_udgift` prorated by covered days: a ydelse covering d of the D days of a
  month costs maanedlig_udgift * d / D that month (startdato..slutdato both included, an open
  ydelse runs through the reference date, slutdato < startdato covers nothing). A price change is
  a new ydelse row, so each row is prorated on its own days.
Tilbud and tilbudstype exist only on ydelser, so udgift per tilbud is always computed from ydelser.

Units (borgere, helårspersoner) come from workbench.regler.optaelling.period_counts, the one owner of
those counts. Kommune of a kroner amount: handlekommune or betalingskommune (empty = handlekommune)
of the borger; the budget follows the betalingskommune (the one that pays).

Udgift pr. 18-64-årig (FLIS) is not offered: no registry-installable package carries DST's FOLK1A
population per kommune, and nothing here may fetch it at run time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import polars as pl

from workbench.data import geo
from workbench.regler import optaelling, paragraffer, suppression
from workbench.data.config import CodeLists, codes as load_codes
from workbench.data.dataset import Dataset
from workbench.format.output import dansk_tal, map_values
from workbench.regler.udgift import ydelse_udgift
from workbench.regler.periods import MAANEDER, Periode, add_months, month_end, month_start, parse_periode  # noqa: F401
from workbench.format.dansk import TOM, tal_expr, vega_tal

BETALINGER, YDELSER = "betalinger", "ydelser"
KILDE_TEKST = {
    BETALINGER: "Kilde: betalinger (økonomisystemets udbetalinger pr. borger, paragraf og måned).",
    YDELSER: "Kilde: ydelsernes månedlige udgift, fordelt efter dækkede dage i hver måned "
             "(datasættet har ingen betalinger).",
}
TILBUD_KILDE = ("Udgift pr. tilbud og tilbudstype er altid beregnet af ydelsernes månedlige udgift "
                "(betalinger har intet tilbud).")
FOLK1A_TEKST = ("Udgift pr. 18–64-årig vises ikke: befolkningstallet (Danmarks Statistik, FOLK1A) findes "
                "ikke i en pakke, der kan installeres fra de tilladte registre, og hentes ikke over nettet.")
DIMENSIONER = ("paragraf", "kategori", "konto", "handlekommune", "betalingskommune", "tilbud_id", "tilbudstype")
YDELSE_DIMS = {"tilbud_id", "tilbudstype"}
INGEN = "(ingen)"  # a group key that is empty (no tilbud, no konto)


# --------------------------------------------------------------------------------------------
# periods


# Periode, parse_periode and MAANEDER are owned by workbench.regler.periods (re-exported here).


def _maaned_tekst(d: dt.date) -> str:
    return f"{d:%Y-%m}"


def udsnit(ds: Dataset, kommuner: Sequence[str] = ()) -> Dataset:
    """The dataset narrowed to borgere whose handlekommune is one of `kommuner` (none: unchanged);
    every borger table follows borgere, the budget follows kommunekode."""
    if not kommuner:
        return ds
    b = ds.borgere.filter(pl.col("handlekommune").is_in(list(kommuner)))
    ids = b.select("borger_id")
    tables = {name: (b if name == "borgere" else lf.join(ids, on="borger_id", how="semi")
                     if "borger_id" in lf.collect_schema().names() else lf) for name, lf in ds.tables.items()}
    tables["budget"] = ds.budget.filter(pl.col("kommunekode").is_in(list(kommuner)))
    return ds.derive(tables)


# --------------------------------------------------------------------------------------------
# udgift rows


def paragraf_frame(codes: CodeLists | None = None) -> pl.LazyFrame:
    """paragraf (text), kategori, konto, label from config/paragraffer.yaml."""
    codes = codes or load_codes()
    rows = [(p, codes.paragraf_info[p]["kategori"], codes.paragraf_info[p].get("konto"),
             codes.paragraf_info[p].get("label")) for p in codes.paragraffer]
    return pl.LazyFrame(rows, schema={"paragraf": pl.String, "kategori": pl.String, "konto": pl.String,
                                      "label": pl.String}, orient="row")


def kilde(ds: Dataset, by: Sequence[str] = ()) -> str:
    """Which source the udgift of this dataset (and grouping) comes from."""
    if set(by) & YDELSE_DIMS:
        return YDELSER
    if ds.has("betalinger") and ds.betalinger.select(pl.len()).collect().item() > 0:
        return BETALINGER
    return YDELSER


def betaling_udgift(betalinger: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date) -> pl.LazyFrame:
    """borger_id, paragraf, tilbud_id (null), maaned, udgift: the payments of the months fra..til
    (months after the reference date's month never count)."""
    lo, hi = _maaned_tekst(fra), _maaned_tekst(min(til, paa))
    return (
        betalinger.select(pl.col("borger_id").cast(pl.String), pl.col("paragraf").cast(pl.String),
                          pl.lit(None, pl.String).alias("tilbud_id"), pl.col("maaned").cast(pl.String),
                          pl.col("beloeb").cast(pl.Float64).alias("udgift"))
        .filter(pl.col("maaned").is_between(pl.lit(lo), pl.lit(hi)))
    )


def udgift_rows(ds: Dataset, fra: dt.date, til: dt.date, paa: dt.date, source: str | None = None,
                codes: CodeLists | None = None) -> pl.LazyFrame:
    """One row per borger x paragraf x month (x tilbud for ydelser) with udgift and every dimension."""
    source = source or kilde(ds)
    rows = (betaling_udgift(ds.betalinger, fra, til, paa) if source == BETALINGER
            else ydelse_udgift(ds.ydelser, fra, til, paa))
    kom = ds.borgere.select(pl.col("borger_id").cast(pl.String), "handlekommune",
                            geo.betalingskommune()
                            ).unique("borger_id")
    typ = ds.tilbud.select(pl.col("tilbud_id").cast(pl.String), pl.col("tilbudstype").cast(pl.String)
                           ).unique("tilbud_id")
    return (rows.join(kom, on="borger_id", how="left")
            .join(paragraf_frame(codes).select("paragraf", "kategori", "konto"), on="paragraf", how="left")
            .join(typ, on="tilbud_id", how="left"))


def udgift(ds: Dataset, fra: dt.date, til: dt.date, paa: dt.date, by: Sequence[str] = ("paragraf",),
           pr_maaned: bool = False, source: str | None = None) -> pl.LazyFrame:
    """*by (+ maaned), udgift (kr) for fra..til. by from DIMENSIONER; by=() is the total."""
    by = list(by)
    for b in by:
        if b not in DIMENSIONER:
            raise ValueError(f"ukendt dimension '{b}'")
    source = source or kilde(ds, by)
    keys = by + (["maaned"] if pr_maaned else [])
    rows = udgift_rows(ds, fra, til, paa, source)
    if not keys:
        return rows.select(pl.col("udgift").sum().round(2))  # to the øre: parallel float sums differ in the last bits
    return rows.group_by(keys).agg(pl.col("udgift").sum().round(2)).sort(keys, nulls_last=True)


# --------------------------------------------------------------------------------------------
# enhedsudgift


def _count_frame(ds: Dataset, by: Sequence[str]) -> pl.LazyFrame:
    """ydelser with the grouping columns optaelling needs (paragraf native; others joined)."""
    y = ds.ydelser
    need = set(by) - {"paragraf"}
    if need & {"tilbudstype"}:
        y = y.join(ds.tilbud.select(pl.col("tilbud_id").cast(pl.String),
                                    pl.col("tilbudstype").cast(pl.String)).unique("tilbud_id"),
                   on="tilbud_id", how="left")
    if need & {"handlekommune", "betalingskommune"}:
        y = y.join(ds.borgere.select(pl.col("borger_id").cast(pl.String), "handlekommune",
                                     geo.betalingskommune()
                                     ).unique("borger_id"), on="borger_id", how="left")
    if need & {"kategori", "konto"}:
        y = y.with_columns(pl.col("paragraf").cast(pl.String).alias("_p")).join(
            paragraf_frame().select(pl.col("paragraf").alias("_p"), "kategori", "konto"), on="_p", how="left")
    return y


def enhedsudgift(ds: Dataset, fra: dt.date, til: dt.date, paa: dt.date, by: Sequence[str] = ("paragraf",),
                 source: str | None = None) -> pl.LazyFrame:
    """*by, udgift, borgere, helaarspersoner, kr_pr_helaarsperson, kr_pr_borger for fra..til.
    borgere and helaarspersoner: optaelling.period_counts over ydelser; udgift: `udgift` (betalinger
    where present). Groups with udgift but no borgere get null unit costs."""
    by = list(by)
    hi = min(til, paa)
    counts = optaelling.period_counts(_count_frame(ds, by), fra, hi, paa, by=by) if fra <= hi else None
    # helårspersoner: optaelling.period_counts (covered days / counted days); kr. pr. helårsperson annualised
    talte = max((hi - fra).days + 1, 0)
    money = udgift(ds, fra, til, paa, by, source=source)
    if counts is None:
        counts = pl.LazyFrame(schema={**{b: pl.String for b in by}, "borgere": pl.Int64,
                                      "helaarspersoner": pl.Float64, "dage": pl.Int64})
    counts = counts.with_columns(*[pl.col(b).cast(pl.String).fill_null(INGEN) for b in by])
    if by:
        out = counts.join(money.with_columns(*[pl.col(b).cast(pl.String).fill_null(INGEN) for b in by]), on=by, how="full",
                          coalesce=True)
    else:
        out = pl.concat([counts, money], how="horizontal")
    out = out.with_columns(pl.col("udgift").fill_null(0.0), pl.col("borgere").fill_null(0),
                           pl.col("helaarspersoner").fill_null(0.0))
    out = out.with_columns(
        kr_pr_helaarsperson=pl.when(pl.col("helaarspersoner") > 0).then(
            pl.col("udgift") / pl.col("helaarspersoner") * 365 / max(talte, 1)),
        kr_pr_borger=pl.when(pl.col("borgere") > 0).then(pl.col("udgift") / pl.col("borgere")),
    ).select(*by, "udgift", "borgere", "helaarspersoner", "kr_pr_helaarsperson", "kr_pr_borger")
    return _sort_paragraf(out, by)


def _sort_paragraf(lf: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    if not by:
        return lf
    if by[0] == "paragraf":
        return lf.with_columns(_o=paragraffer.orden()).sort("_o", *by[1:], nulls_last=True).drop("_o")
    return lf.sort(by, nulls_last=True)


# --------------------------------------------------------------------------------------------
# budget vs forbrug


@dataclass(frozen=True)
class Budgetopfoelgning:
    """The budget follow-up of one year up to a month: per paragraf and the assumptions in words."""

    aar: int
    til_maaned: str  # 'YYYY-MM': the last month counted
    maaneder: int  # months counted (1..12)
    tabel: pl.DataFrame  # paragraf, konto, budget, forbrug, forbrugsprocent, prognose_tempo, prognose_sidste_aar, ...
    antagelse_tempo: str
    antagelse_sidste_aar: str
    kilde: str
    har_budget: bool

    @property
    def over_budget(self) -> list[str]:
        """The paragraffer whose prognose is over the limit (the page's warning)."""
        return self.tabel.filter(pl.col("status") == "Over budget")["paragraf"].to_list() if self.har_budget else []

    def _skjult(self, graense: int | None = None) -> pl.Series:
        """Rows whose forbrug rests on 1..g-1 borgere (the `borgere` behind it, same months)."""
        g = graense or suppression.threshold()
        return ((self.tabel["borgere"] > 0) & (self.tabel["borgere"] < g)).fill_null(False)

    def vist(self, kolonner: Sequence[str] | None = None, graense: int | None = None) -> pl.DataFrame:
        """The budget table for display (page and statusrapport): Danish numbers; forbrug and every figure
        derived from it hidden ('x') for a paragraf whose forbrug rests on 1..g-1 borgere, as the udgift
        table hides its udgift (issue 23: '7.232 kr' for §82 beside an 'x'). The budget itself is a
        policy figure and stays."""
        t = self.tabel.drop("borgere")
        if kolonner is not None:
            t = t.select(kolonner)
        skjul = [c for c in (*_AF_FORBRUG,) if c in t.columns]
        small = self._skjult(graense)
        return vis_tabel(t, count_col=None, graense=graense).with_columns(
            pl.when(pl.Series(small)).then(pl.lit(suppression.SEKUNDAER)).otherwise(pl.col(c)).alias(c)
            for c in skjul)

    def diagram(self, graense: int | None = None) -> pl.DataFrame:
        """The rows the budget chart may draw: not those whose forbrug is hidden in `vist` (the prognose in
        % of a shown budget would give the forbrug back)."""
        return self.tabel.filter(~self._skjult(graense))

    def forbrugsprocent_i_alt(self, graense: int | None = None) -> str:
        """Forbrug to date in % of the budget, all paragraffer: 'x' when exactly one paragraf's forbrug is
        hidden (the total would give it away)."""
        bud = self.tabel["budget"].sum()
        if not bud:
            return "–"
        return suppression.total_tekst(self.tabel["forbrug"].sum() / bud * 100, self.tabel["borgere"].to_list(),
                                       suppression.suppressed(graense), lambda v: f"{dansk_tal(v, 1)} %")


# figures computed from forbrug: hidden with it
_AF_FORBRUG = ("forbrug", "forbrugsprocent", "prognose_tempo", "prognose_procent", "prognose_sidste_aar",
               "prognose_sidste_aar_procent", "afvigelse")


def budget(ds: Dataset, aar: int, kommuner: Sequence[str] = ()) -> pl.LazyFrame:
    """paragraf, konto, budget (kr) of the year, summed over the chosen kommunekoder (none: all)."""
    b = ds.budget.filter(pl.col("aar") == aar)
    if kommuner:
        b = b.filter(pl.col("kommunekode").is_in(list(kommuner)))
    return b.group_by(pl.col("paragraf").cast(pl.String)).agg(
        pl.col("konto").drop_nulls().first(), pl.col("beloeb").sum().alias("budget"))


def budgetopfoelgning(ds: Dataset, aar: int, til: dt.date, paa: dt.date, kommuner: Sequence[str] = (),
                      graense_pct: float = 110.0) -> Budgetopfoelgning:
    """Forbrug of `aar` from January through the month of min(til, paa) against the year's budget,
    per paragraf, for borgere whose betalingskommune is in `kommuner` (none: all).

    - forbrugsprocent = forbrug to date / the year's budget * 100;
    - prognose_tempo (run-rate): forbrug to date / months counted * 12;
    - prognose_sidste_aar: forbrug to date + last year's forbrug in the remaining months;
    - status: 'Over budget' when the run-rate prognose exceeds graense_pct % of the budget,
      'Over' when above 100 %, else 'Inden for'."""
    cut = min(til, paa, dt.date(aar, 12, 31))
    first = dt.date(aar, 1, 1)
    n = cut.month if cut >= first else 0
    source = kilde(ds)
    sel = ds
    if kommuner:
        pay = ds.borgere.filter(geo.betalingskommune().is_in(list(kommuner)))
        sel = ds.replace(borgere=pay, ydelser=ds.ydelser.join(pay.select("borger_id"), on="borger_id", how="semi"),
                         betalinger=ds.betalinger.join(pay.select("borger_id"), on="borger_id", how="semi"))
    cut_end = month_end(month_start(cut)) if n else first
    # the borgere behind the forbrug (same months): the suppression of the budget table follows them
    behind = (optaelling.period_counts(sel.ydelser, first, cut_end, paa, by=("paragraf",)).select(
        pl.col("paragraf").cast(pl.String), "borgere") if n
        else pl.LazyFrame(schema={"paragraf": pl.String, "borgere": pl.Int64}))
    # forbrug to date: the months Jan..cut (a ydelse's days after paa never count)
    to_date = (udgift(sel, first, cut_end, paa, source=source).rename({"udgift": "forbrug"}) if n
               else pl.LazyFrame(schema={"paragraf": pl.String, "forbrug": pl.Float64}))
    rest_fra = add_months(dt.date(aar - 1, 1, 1), n)
    last_rest = (udgift(sel, rest_fra, dt.date(aar - 1, 12, 31), paa, source=source).rename({"udgift": "rest"})
                 if n < 12 else pl.LazyFrame(schema={"paragraf": pl.String, "rest": pl.Float64}))
    last_any = udgift(sel, dt.date(aar - 1, 1, 1), dt.date(aar - 1, 12, 31), paa, source=source).select(
        pl.col("udgift").sum()).collect().item() or 0.0
    bud = budget(ds, aar, kommuner)
    out = (
        bud.join(to_date.with_columns(pl.col("paragraf").cast(pl.String)), on="paragraf", how="full", coalesce=True)
        .join(last_rest.with_columns(pl.col("paragraf").cast(pl.String)), on="paragraf", how="left")
        .with_columns(pl.col("forbrug").fill_null(0.0), pl.col("rest").fill_null(0.0))
        .with_columns(
            forbrugsprocent=pl.when(pl.col("budget") > 0).then(pl.col("forbrug") / pl.col("budget") * 100),
            prognose_tempo=(pl.col("forbrug") / n * 12) if n else pl.lit(None, pl.Float64),
            prognose_sidste_aar=(pl.col("forbrug") + pl.col("rest")) if last_any > 0 else pl.lit(None, pl.Float64),
        )
        .with_columns(
            prognose_procent=pl.when(pl.col("budget") > 0).then(pl.col("prognose_tempo") / pl.col("budget") * 100),
            prognose_sidste_aar_procent=pl.when(pl.col("budget") > 0).then(
                pl.col("prognose_sidste_aar") / pl.col("budget") * 100),
            afvigelse=pl.col("prognose_tempo") - pl.col("budget"),
        )
        .with_columns(status=pl.when(pl.col("budget").is_null()).then(pl.lit("Intet budget"))
                      .when(pl.col("prognose_procent") > graense_pct).then(pl.lit("Over budget"))
                      .when(pl.col("prognose_procent") > 100).then(pl.lit("Over"))
                      .otherwise(pl.lit("Inden for")))
        .drop("rest")
        .join(behind, on="paragraf", how="left")
        .with_columns(pl.col("borgere").fill_null(0))
    )
    tabel = _sort_paragraf(out, ["paragraf"]).select(
        "paragraf", "konto", "budget", "forbrug", "forbrugsprocent", "prognose_tempo", "prognose_procent",
        "prognose_sidste_aar", "prognose_sidste_aar_procent", "afvigelse", "status", "borgere").collect()
    rest = 12 - n
    tempo = (f"Løbende tempo: forbruget januar–{MAANEDER[n - 1]} ({n} mdr.) fortsætter med samme gennemsnit pr. "
             f"måned i årets {rest} resterende måneder." if n else "Ingen måneder af året er gået endnu.")
    if n == 12:
        tempo = sidste = "Året er afsluttet: prognosen er det faktiske forbrug."
    if n < 12:
        sidste = (f"Som sidste år: årets resterende {rest} måneder koster det samme som de samme måneder i {aar - 1}."
                  if last_any > 0 else f"Ingen forbrugsdata for {aar - 1}: prognosen 'som sidste år' kan ikke beregnes.")
    return Budgetopfoelgning(aar, f"{aar}-{max(n, 1):02d}", n, tabel, tempo, sidste, source,
                             ds.budget.select(pl.len()).collect().item() > 0)


# --------------------------------------------------------------------------------------------
# comparison across kommuner and display tables


def sammenligning(ds: Dataset, fra: dt.date, til: dt.date, paa: dt.date) -> pl.LazyFrame:
    """Per handlekommune: kommune (code and name), udgift, borgere, helårspersoner and unit costs
    (enhedsudgift by handlekommune)."""
    from workbench.data.geo import kommune_navne

    navne = kommune_navne()
    return enhedsudgift(ds, fra, til, paa, by=("handlekommune",)).with_columns(
        kommune=pl.format("{} {}", pl.col("handlekommune"),
                          pl.col("handlekommune").replace_strict(navne, default="", return_dtype=pl.String))
        .str.strip_chars()).select("kommune", pl.exclude("kommune"))


def vis_tabel(df: pl.DataFrame, count_col: str | None = "borgere", graense: int | None = None,
              decimaler: dict[str, int] | None = None) -> pl.DataFrame:
    """Display table: numbers in Danish format, kroner/helårspersoner hidden where the borger count is
    1..g-1 and the count itself shown as '<g' (workbench.regler.suppression decides). Text columns unchanged."""
    g = graense or suppression.threshold()
    dec = {"helaarspersoner": 1, "forbrugsprocent": 1, "prognose_procent": 1, "prognose_sidste_aar_procent": 1,
           "aendring_pct": 1} | (decimaler or {})
    num = [c for c, t in df.schema.items() if t.is_numeric()]

    def small(c: str) -> pl.Expr:
        # count_col='*': every column is a borger count of its own (1..g-1 -> '<g')
        cc = c if count_col == "*" else count_col
        return ((pl.col(cc) > 0) & (pl.col(cc) < g)) if cc and cc in df.columns else pl.lit(False)

    out = df.with_columns(
        pl.when(small(c)).then(pl.lit(suppression.primary_label(g)) if c == count_col or count_col == "*" else pl.lit(suppression.SEKUNDAER))
        .otherwise(pl.lit(map_values(df[c], lambda v, d=dec.get(c, 0): dansk_tal(v, d))))
        .fill_null(TOM).alias(c)
        for c in num
    )
    return out.with_columns(pl.col(c).cast(pl.String) for c, t in out.schema.items()
                            if isinstance(t, (pl.Enum, pl.Categorical)))


OVERSKRIFTER = {
    "paragraf": "Paragraf", "kategori": "Kategori", "konto": "Konto", "handlekommune": "Handlekommune",
    "betalingskommune": "Betalingskommune", "tilbud_id": "Tilbud", "tilbudstype": "Tilbudstype",
    "maaned": "Måned", "udgift": "Udgift (kr.)", "borgere": "Borgere", "helaarspersoner": "Helårspersoner",
    "kr_pr_helaarsperson": "Kr. pr. helårsperson", "kr_pr_borger": "Kr. pr. borger", "budget": "Budget (kr.)",
    "forbrug": "Forbrug til dato (kr.)", "forbrugsprocent": "Forbrugsprocent", "prognose_tempo": "Prognose, tempo (kr.)",
    "prognose_procent": "Prognose, tempo (%)", "prognose_sidste_aar": "Prognose, som sidste år (kr.)",
    "prognose_sidste_aar_procent": "Prognose, som sidste år (%)", "afvigelse": "Afvigelse, tempo (kr.)",
    "status": "Status", "kommune": "Kommune",
}


def overskrifter(df: pl.DataFrame) -> pl.DataFrame:
    return df.rename({c: OVERSKRIFTER[c] for c in df.columns if c in OVERSKRIFTER})


# --------------------------------------------------------------------------------------------
# Altair specs shared by the page and the report (rendered server-side there)


def pr_maaned_vist(pr_maaned: pl.DataFrame, enhedsudgift: pl.DataFrame, graense: int | None = None) -> pl.DataFrame:
    """maaned, kategori, udgift for the monthly chart from per-paragraf months (maaned, paragraf, kategori,
    udgift): a paragraf whose udgift is hidden in the unit-cost table (1..g-1 borgere) is left out, since
    a kategori's bars minus the shown paragraffer would give it back (BPA = §95 + §96)."""
    g = graense or suppression.threshold()
    skjult = enhedsudgift.filter((pl.col("borgere") > 0) & (pl.col("borgere") < g)).select(
        pl.col("paragraf").cast(pl.String))
    return (pr_maaned.with_columns(pl.col("paragraf").cast(pl.String))
            .join(skjult, on="paragraf", how="anti")
            .group_by("maaned", "kategori").agg(pl.col("udgift").sum().round(2))
            .sort("maaned", "kategori", nulls_last=True))


UDELADT_I_GRAF = ("Grafen viser ikke paragraffer med færre end {g} borgere i perioden (diskretionering); "
                  "deres udgift indgår i totalen.")


def udgift_chart(per_maaned: pl.DataFrame, farve: str = "kategori"):
    """Stacked monthly udgift per `farve` (a column of per_maaned: maaned, farve, udgift)."""
    import altair as alt

    data = per_maaned.with_columns(pl.col(farve).cast(pl.String).fill_null("Ukendt"),
                                   (pl.col("udgift") / 1e6).alias("mio"),
                                   tal_expr(pl.col("udgift") / 1e6, 2).alias("mio_tekst")).to_dicts()
    return alt.Chart(alt.Data(values=data)).mark_bar().encode(
        x=alt.X("maaned:O", title="Måned"),
        y=alt.Y("mio:Q", title="Udgift (mio. kr.)", axis=alt.Axis(labelExpr=vega_tal(1))),
        color=alt.Color(f"{farve}:N", title=farve.capitalize()),
        tooltip=[alt.Tooltip("maaned:N", title="Måned"), alt.Tooltip(f"{farve}:N"),
                 alt.Tooltip("mio_tekst:N", title="Mio. kr.")],
    ).properties(height=280, width=640)


def budget_chart(tabel: pl.DataFrame):
    """Prognose (run-rate) as % of budget per paragraf, 100 % line; over-budget bars in red."""
    import altair as alt

    data = tabel.filter(pl.col("budget").is_not_null()).select(
        pl.col("paragraf").cast(pl.String), "forbrugsprocent", "prognose_procent", "status",
        tal_expr("forbrugsprocent", 1).alias("forbrug_tekst"), tal_expr("prognose_procent", 1).alias("prognose_tekst"),
    ).to_dicts()
    base = alt.Chart(alt.Data(values=data))
    bars = base.mark_bar().encode(
        y=alt.Y("paragraf:N", title=None, sort=None),
        x=alt.X("prognose_procent:Q", title="Prognose i % af budget (løbende tempo)"),
        color=alt.Color("status:N", title="Status",
                        scale=alt.Scale(domain=["Inden for", "Over", "Over budget"],
                                        range=["#4c78a8", "#f2a541", "#d62728"])),
        tooltip=[alt.Tooltip("paragraf:N"), alt.Tooltip("forbrug_tekst:N", title="Forbrug til dato %"),
                 alt.Tooltip("prognose_tekst:N", title="Prognose %"), alt.Tooltip("status:N")],
    )
    rule = alt.Chart(alt.Data(values=[{"x": 100}])).mark_rule(color="black", strokeDash=[4, 3]).encode(x="x:Q")
    return (bars + rule).properties(height=max(120, 22 * len(data)), width=560)


def sammenligning_chart(tabel: pl.DataFrame, graense: int | None = None):
    """Kr. pr. helårsperson per kommune (kommuner with 1..g-1 borgere left out: suppressed)."""
    import altair as alt

    g = graense or suppression.threshold()
    data = tabel.filter(pl.col("borgere") >= g).select(
        pl.col("kommune").cast(pl.String), "kr_pr_helaarsperson").drop_nulls().with_columns(
        tal_expr("kr_pr_helaarsperson", 0).alias("kr_tekst")).to_dicts()
    n = len(data)
    font = 10 if n <= 40 else 6  # 98 kommuner fit one A4 page
    return alt.Chart(alt.Data(values=data)).mark_bar().encode(
        y=alt.Y("kommune:N", sort="-x", title=None, axis=alt.Axis(labelFontSize=font, labelLimit=160)),
        x=alt.X("kr_pr_helaarsperson:Q", title="Kr. pr. helårsperson", axis=alt.Axis(labelExpr=vega_tal(0))),
        tooltip=[alt.Tooltip("kommune:N"), alt.Tooltip("kr_tekst:N", title="Kr. pr. helårsperson")],
    ).properties(height=max(120, min(14 * n, 620)), width=520)


# --------------------------------------------------------------------------------------------
# the Økonomi page's numbers (one call; workbench.ui caches it, the report uses the same functions)


@dataclass(frozen=True)
class OekonomiSide:
    periode: Periode
    kommune: str | None
    kilde: str
    enhedsudgift: pl.DataFrame  # per paragraf
    tilbudstype: pl.DataFrame  # per tilbudstype (ydelser)
    pr_maaned: pl.DataFrame  # maaned x kategori, paragraffer with hidden udgift left out (pr_maaned_vist)
    dimension: pl.DataFrame  # per kategori, konto, handle-/betalingskommune (long: dimension, vaerdi, udgift)
    budget: Budgetopfoelgning
    sammenligning: pl.DataFrame

    def udgift_i_alt(self, graense: int | None = None) -> str:
        """The period's udgift in mio. kr. for the KPI: 'x' when exactly one paragraf's udgift is hidden
        in the unit-cost table (total minus the shown rows would give it away)."""
        t = self.enhedsudgift
        return suppression.total_tekst(t["udgift"].sum(), t["borgere"].to_list(), suppression.suppressed(graense),
                                       lambda v: f"{dansk_tal(v / 1e6, 1)} mio. kr.")

    def helaarspersoner_i_alt(self, graense: int | None = None) -> str:
        """Helårspersoner summed over paragraffer, with the same complementary rule as udgift_i_alt."""
        t = self.enhedsudgift
        return suppression.total_tekst(t["helaarspersoner"].sum(), t["borgere"].to_list(),
                                       suppression.suppressed(graense), lambda v: dansk_tal(v, 1))

    def budget_vist(self, graense: int | None = None) -> pl.DataFrame:
        """The budget table for display (Budgetopfoelgning.vist, the one owner of its suppression)."""
        return self.budget.vist(graense=graense)

    def udgift_fordelt(self, dim: str) -> pl.DataFrame:
        """vaerdi, udgift of one dimension (kategori, konto, handle-/betalingskommune)."""
        return self.dimension.filter(pl.col("dimension") == dim).drop("dimension")


def side(ds: Dataset, periode: Periode, paa: dt.date, kommune: str | None = None,
         graense_pct: float = 110.0) -> OekonomiSide:
    """Everything the Økonomi page shows for a period (and handlekommune), computed once."""
    sel = udsnit(ds, (kommune,) if kommune else ())
    p = periode
    dims = []
    for d in ("kategori", "konto", "handlekommune", "betalingskommune"):
        dims.append(udgift(sel, p.fra, p.til, paa, (d,)).select(
            pl.lit(d).alias("dimension"), pl.col(d).cast(pl.String).fill_null(INGEN).alias("vaerdi"), "udgift"))
    frames = pl.collect_all([
        enhedsudgift(sel, p.fra, p.til, paa),
        enhedsudgift(sel, p.fra, p.til, paa, by=("tilbudstype",)),
        udgift(sel, p.fra, p.til, paa, by=("paragraf", "kategori"), pr_maaned=True),
        pl.concat(dims),
        sammenligning(ds, p.fra, p.til, paa),
    ])
    return OekonomiSide(p, kommune, kilde(sel), frames[0], frames[1], pr_maaned_vist(frames[2], frames[0]), frames[3],
                        budgetopfoelgning(ds, p.aar, p.til, paa, (kommune,) if kommune else (), graense_pct),
                        frames[4])


# --------------------------------------------------------------------------------------------
# the `oekonomi` command's table: the Økonomi page's unit costs for one period and grouping

PR = {"paragraf": "paragraf", "tilbudstype": "tilbudstype", "konto": "konto", "tilbud": "tilbud_id"}


@dataclass(frozen=True)
class OekonomiTabel:
    periode: Periode
    paa: dt.date
    pr: str
    tabel: pl.DataFrame  # gruppe, udgift, borgere, helaarspersoner, kr_pr_helaarsperson, kr_pr_borger[, talt_til]


def tabel(ds: Dataset, periode: Periode, paa: dt.date, pr: str = "paragraf") -> OekonomiTabel:
    """Udgift, borgere, helårspersoner and unit costs per group for the period: enhedsudgift, the same
    function as the Økonomi page's tables (side()); a partial period carries its last counted day in
    `talt_til`."""
    if pr not in PR:
        raise ValueError(f"ukendt gruppering '{pr}' (brug {', '.join(PR)})")
    col = PR[pr]
    df = enhedsudgift(ds, periode.fra, periode.til, paa, by=(col,)).collect()
    df = df.rename({col: "gruppe"}).with_columns(pl.col("gruppe").cast(pl.String))
    if periode.delvis(paa):
        df = df.with_columns(talt_til=pl.lit(periode.effektiv_til(paa), dtype=pl.Date))
    if pr == "paragraf" and ds.has("budget"):
        # budget and forbrug with prognose per paragraf: the Økonomi page's budgetopfølgning (the year of
        # the period, forbrug January through the period's last counted month)
        b = budgetopfoelgning(ds, periode.aar, periode.til, paa).tabel.select(
            pl.col("paragraf").alias("gruppe"), "budget", "forbrug", "prognose_tempo", "prognose_sidste_aar",
            pl.col("status").alias("budgetstatus"))
        df = df.join(b, on="gruppe", how="left")
    return OekonomiTabel(periode, paa, pr, df)


def tabel_for(res: OekonomiTabel, principal) -> pl.DataFrame:
    """`tabel`'s frame as `principal` may see it (issue 23): for a role without the borger list the
    borger counts 1..g-1 read '<g' and the kroner, helårspersoner and unit costs resting on them 'x'
    (workbench.regler.suppression, the one owner); exact roles get the numbers."""
    vis = suppression.for_principal(principal)
    if vis.eksakt:
        return res.tabel
    kroner = [c for c in ("udgift", "helaarspersoner", "kr_pr_helaarsperson", "kr_pr_borger", "budget", "forbrug",
                          "prognose_tempo", "prognose_sidste_aar") if c in res.tabel.columns]
    df = suppression.suppress_table(res.tabel, kroner, count_col="borgere", visning=vis)
    return suppression.suppress_table(df, ["borgere"], visning=vis)
