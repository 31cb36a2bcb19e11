"""Kvalitet page views (issue 21: the page only lays out what these return).

ottetal_fund: the 8-talskontrol findings (workbench.regler.reconcile.FINDING_RULES) with their kroner
at stake as a number. The kroner come from the rule (reconcile.mismatches, carried by
kvalitet.findings in its `kroner` column), never parsed from the message; the total per rule is
their sum. Suppression for roles without exact numbers through workbench.regler.suppression: a rule
with 1..g-1 borgere shows '<g' borgere and hides its fund and kroner ('x').
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import polars as pl

from workbench.data import geo
from workbench.data.dataset import Dataset
from workbench.format.output import dansk_kolonne as _dansk
from workbench.format.output import map_values
from workbench.format.dansk import DATO, borger_link
from workbench.regler import kvalitet, overlap, reconcile, suppression
from workbench.regler.kvalitet import ALVOR, QualityConfig
from workbench.regler.periods import dansk_maaned, dansk_maaned_expr

OTTETAL_REGLER = reconcile.FINDING_RULES


@dataclass(frozen=True)
class OttetalFund:
    """The 8-talskontrol findings of one Kvalitet result."""
    fund: pl.DataFrame  # regel, titel, borger_id, paragraf, maaned ('YYYY-MM'), kroner (float), besked
    pr_regel: pl.DataFrame  # regel, titel, fund, borgere, kroner (sum): the rules with findings, in rule order

    @property
    def antal(self) -> int:
        return self.fund.height

    @property
    def borger_ids(self) -> list[str]:
        """The borgere of the findings (logged when the list is shown)."""
        return self.fund["borger_id"].drop_nulls().unique().sort().to_list()

    def fund_tabel(self) -> pl.DataFrame:
        """The findings for roles with the borger list: Regel, Borger-id, Paragraf, Måned ('YYYY-MM'),
        Kroner (Danish number text), Besked; largest kroner first within a rule."""
        return self.fund.select(
            pl.col("titel").alias("Regel"), pl.col("borger_id").alias("Borger-id"),
            pl.col("paragraf").alias("Paragraf"), pl.col("maaned").alias("Måned"),
            _dansk(self.fund["kroner"].round(0)).alias("Kroner"), pl.col("besked").alias("Besked"))

    def pr_regel_tabel(self, visning: suppression.Visning) -> pl.DataFrame:
        """Per rule: Regel, Fund, Borgere, Kroner i alt (Danish text), suppressed for `visning`."""
        df = self.pr_regel.select("titel", "fund", "borgere", pl.col("kroner").round(0).cast(pl.Int64))
        df = suppression.suppress_table(df, ["fund", "kroner"], count_col="borgere", visning=visning)
        df = suppression.suppress_table(df, ["borgere"], visning=visning)
        return df.select(pl.col("titel").alias("Regel"), _dansk(df["fund"]).alias("Fund"),
                         _dansk(df["borgere"]).alias("Borgere"), _dansk(df["kroner"]).alias("Kroner i alt"))


def ottetal_fund(found: pl.DataFrame, cfg: QualityConfig) -> OttetalFund:
    """The 8-talskontrol rows of kvalitet.findings (`found`, collected) with their numeric kroner, sorted
    by rule (reconcile.FINDING_RULES order), kroner descending, noegle; and the sum per rule."""
    order = {r: i for i, r in enumerate(OTTETAL_REGLER)}
    titler = {r: cfg.rules[r].titel for r in OTTETAL_REGLER}
    key = pl.col("noegle").str.split("|")
    fund = (
        found.filter(pl.col("regel").is_in(OTTETAL_REGLER))
        .with_columns(pl.col("regel").replace_strict(order, return_dtype=pl.Int64).alias("_orden"))
        .sort(["_orden", "kroner", "noegle"], descending=[False, True, False], nulls_last=True)
        .select("regel", pl.col("regel").replace_strict(titler, return_dtype=pl.String).alias("titel"),
                "borger_id", key.list.get(1, null_on_oob=True).alias("paragraf"),
                key.list.get(2, null_on_oob=True).alias("maaned"), pl.col("kroner").cast(pl.Float64), "besked")
    )
    pr_regel = (
        fund.group_by("regel", "titel", maintain_order=True)
        .agg(pl.len().cast(pl.Int64).alias("fund"), pl.col("borger_id").drop_nulls().n_unique().cast(pl.Int64)
             .alias("borgere"), pl.col("kroner").sum().alias("kroner"))
    )
    return OttetalFund(fund, pr_regel)


# --------------------------------------------------------------------------------------------
# The page's data (computed once per dataset version, scope and reference date; cached by
# workbench.ui.kvalitet_cache, which also prewarms it) and the page's view over them.


@dataclass(frozen=True)
class KvalitetData:
    """Everything the Kvalitet page counts for one (dataset version, scope, reference date)."""
    pairs: pl.DataFrame  # overlap.overlap_pairs
    flis: pl.DataFrame  # overlap.by_paragraf_pair
    trend: pl.DataFrame  # overlap.per_month
    kommune: pl.DataFrame  # overlap.money_per_kommune
    tilbud: pl.DataFrame  # overlap.money_per_tilbud
    per_rule: pl.DataFrame  # overlap.money_per_rule
    findings: pl.DataFrame  # kvalitet.findings (the `kvalitet` command's rows)
    counts: pl.DataFrame  # kvalitet.counts_by_rule
    ottetal: pl.DataFrame  # reconcile.ottetalskontrol
    databrud: pl.DataFrame  # reconcile.databrud_series
    rules: Any  # overlap.load_rules()
    cfg: Any  # kvalitet.load_quality_config()
    has_betalinger: bool
    tilbud_navne: dict  # tilbud_id -> navn (the scope's tilbud)


def beregn(ds: Dataset, paa: dt.date) -> KvalitetData:
    """The heavy part, once: the 8-talskontrol comparison, the overlap pairs and the findings are each
    computed once (pl.collect_all); the tables are derived from those collected frames. `ds` is the
    scoped dataset (it carries the rows rejected at load too: nothing is re-read)."""
    rules = overlap.load_rules()
    cfg = kvalitet.load_quality_config()
    got = reconcile.compared(ds, paa)
    cmp = got.collect().rechunk().lazy() if got is not None else None  # rechunk: see reconcile.compared
    pairs_df, found_df = pl.collect_all([
        overlap.overlap_pairs(ds.ydelser, paa, rules),
        kvalitet.findings(ds, paa, cfg, cmp=cmp),
    ])
    pairs, found = pairs_df.rechunk().lazy(), found_df.rechunk().lazy()
    names = ["pairs", "flis", "trend", "kommune", "tilbud", "per_rule", "findings", "counts", "ottetal", "databrud"]
    frames = [pairs_df, found_df] + pl.collect_all([
        overlap.by_paragraf_pair(pairs),
        overlap.per_month(pairs),
        overlap.money_per_kommune(pairs, ds.borgere),
        overlap.money_per_tilbud(pairs),
        overlap.money_per_rule(pairs),
        kvalitet.counts_by_rule(found, cfg),
        reconcile.ottetalskontrol(ds, paa, cmp),
        reconcile.databrud_series(ds, paa, cfg.databrud),
        ds.tilbud.select("tilbud_id", "navn"),
    ])
    tilbud_navne = dict(frames.pop().iter_rows())
    frames = [frames[0], *frames[2:7], frames[1], *frames[7:]]
    return KvalitetData(**dict(zip(names, frames)), rules=rules, cfg=cfg, has_betalinger=ds.has("betalinger"),
                        tilbud_navne=tilbud_navne)


SEVERITY = {"fejl": "Fejl", "advarsel": "Advarsel", "info": "Info"}
TAL = ["borgere", "par", "dage", "kroner", "Borgere", "Par", "Dage", "Kroner"]
I_ALT = "_i_alt"  # the label of a total row before it is shown as "I alt"
TAL_OVERSKRIFTER = {"borgere": "Borgere", "par": "Par", "dage": "Dage", "kroner": "Kroner"}
PAR_OVERSKRIFTER = {"regel": "Regel", "paragraf_a": "Paragraf A", "ydelse_a": "Ydelse A", "paragraf_b": "Paragraf B",
                    "ydelse_b": "Ydelse B", **TAL_OVERSKRIFTER}
OTTETAL_OVERSKRIFTER = {"maaned": "Måned", "paragraf": "Paragraf", "ydelser": "Borgere i ydelser",
                        "betalinger": "Borgere i betalinger", "begge": "I begge", "kun_ydelser": "Kun i ydelser",
                        "kun_betalinger": "Kun i betalinger"}
OTTETAL_TAL = ["ydelser", "betalinger", "begge", "kun_ydelser", "kun_betalinger"]


def _dansk_kolonner(df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """`cols` as Danish number text; text already there (suppression labels) passes through."""
    return df.with_columns(_dansk(df[c]) for c in cols if c in df.columns)


def _kr(col: str) -> pl.Expr:
    return pl.col(col).round(0).cast(pl.Int64)


def _maaned_tekst(col: str = "maaned") -> pl.Expr:
    """'2025-03' -> 'mar. 2025'."""
    return dansk_maaned_expr(col, kort=True).alias(col)


def _maaned_graf(df: pl.DataFrame) -> pl.DataFrame:
    """A month series for a time-axis chart: `dato` (the month's first day) and `Måned` ('mar. 2025') added."""
    return df.with_columns(pl.col("maaned").str.to_date("%Y-%m").alias("dato"), _maaned_tekst().alias("Måned"))


@dataclass(frozen=True)
class MaanedGraf:
    """A line chart's data over months: dato, Måned, the value column and the series column."""
    data: pl.DataFrame
    vaerdi: str
    serie: str

    @property
    def punkter(self) -> bool:
        """Points on the line while there are few months (at most 36)."""
        return self.data["maaned"].n_unique() <= 36


@dataclass(frozen=True)
class ParTabel:
    """The overlap pairs for the chosen rules and paragraffer (roles with the borger list only)."""
    tabel: pl.DataFrame  # on screen: Borger (link), Borger-id, Regel, ydelser A/B, Overlap fra/til (dd-mm-åååå), ...
    eksport: pl.DataFrame  # the same without the link, the dates as dates
    borger_ids: list[str]


@dataclass(frozen=True)
class Opmaerkninger:
    """One severity of the other quality rules."""
    alvor: str
    overskrift: str  # 'Fejl (10 fund)'
    tabel: pl.DataFrame  # Regel, Beskrivelse, Fund, Borgere (suppressed)
    regler: tuple[tuple[str, str, int], ...]  # (regel, titel, fund) of the rules with findings


@dataclass(frozen=True)
class KvalitetSide:
    """The Kvalitet page for one (scope, reference date), suppressed for `visning` (exact for roles with the
    borger list): what the page lays out. The borger lists (pairs, examples, 8-talskontrol findings) are
    methods, called only for roles with the borger list."""
    data: KvalitetData
    visning: suppression.Visning

    # --- titles -----------------------------------------------------------------------------
    @cached_property
    def regel_titler(self) -> dict[str, str]:
        """Rule id -> Danish title, overlap rules and quality rules."""
        quality = dict(zip(self.data.counts["regel"].to_list(), self.data.counts["titel"].to_list()))
        return {**quality, **{r.id: r.titel for r in self.data.rules}}

    def _titel(self, col: str = "regel") -> pl.Expr:
        return pl.col(col).replace_strict(self.regel_titler, default=pl.col(col))

    def _suppressed(self, df: pl.DataFrame, money: list[str] = (), total: dict | None = None) -> pl.DataFrame:
        """Borger and pair counts '<g' when small, days and kroner hidden ('x') with them, never '<g'; with a
        total row, no hidden row can be worked out from it (suppression.suppress_rows)."""
        return suppression.suppress_rows(df, "borgere", [c for c in ("par",) if c in df.columns], list(money),
                                         total=total, visning=self.visning)

    def _pair_total(self, label_col: str, label: str = "I alt") -> dict:
        """The total row of the overlap tables: distinct borgere, pairs, days and kroner of all pairs."""
        pairs = self.data.pairs
        return {label_col: label, "borgere": pairs["borger_id"].n_unique(), "par": pairs.height,
                "dage": int(pairs["overlap_dage"].sum()), "kroner": int(round(pairs["kroner"].sum()))}

    # --- overlap ----------------------------------------------------------------------------
    @property
    def har_overlap(self) -> bool:
        return self.data.pairs.height > 0

    @cached_property
    def _pr_regel(self) -> pl.DataFrame:
        per_rule = self.data.per_rule.with_columns(self._titel().alias("titel"), _kr("kroner")).select(
            "regel", "titel", "borgere", "par", "dage", "kroner")
        return _dansk_kolonner(self._suppressed(per_rule, ["dage", "kroner"],
                                                total={**self._pair_total("regel"), "titel": "I alt"}), TAL)

    @property
    def overlap_noegletal(self) -> tuple[str, str, str]:
        """Borgere, overlapdage and kroner i spil of all pairs (the total row), as shown."""
        last = self._pr_regel.row(-1, named=True)
        return last["borgere"], last["dage"], f"{last['kroner']} kr."

    def overlap_pr_regel(self) -> pl.DataFrame:
        """Regel (title), Borgere, Par, Dage, Kroner per rule with an I alt row."""
        return self._pr_regel.drop("regel").rename({"titel": "Regel", **TAL_OVERSKRIFTER})

    @property
    def overlap_regler(self) -> tuple[Any, ...]:
        """The overlap rules (overlap.load_rules order) with pairs: their explanation is shown."""
        present = set(self.data.per_rule["regel"].to_list())
        return tuple(r for r in self.data.rules if r.id in present)

    def overlap_pr_paragrafpar(self) -> pl.DataFrame:
        """Per paragraf pair and ydelse (as FLIS' view), with an I alt row."""
        flis = self.data.flis.with_columns(_kr("kroner")).select(
            "regel", "paragraf_a", "ydelse_a", "paragraf_b", "ydelse_b", "borgere", "par", "dage", "kroner")
        return (_dansk_kolonner(self._suppressed(flis, ["dage", "kroner"], total=self._pair_total("regel")), TAL)
                .with_columns(self._titel()).rename(PAR_OVERSKRIFTER))

    def overlap_trend_graf(self) -> MaanedGraf:
        """Kroner i spil per rule and month (by the month the overlap starts); months without overlap 0."""
        trend = self.data.trend
        first, last = (dt.date.fromisoformat(trend["maaned"].min() + "-01"),
                       dt.date.fromisoformat(trend["maaned"].max() + "-01"))
        alle = pl.DataFrame({"maaned": pl.date_range(first, last, "1mo", eager=True).dt.strftime("%Y-%m")})
        grid = alle.join(trend.select("regel").unique(maintain_order=True), how="cross")  # months without overlap are 0
        chart = grid.join(trend.select("maaned", "regel", "kroner"), on=["maaned", "regel"], how="left").with_columns(
            pl.col("kroner").fill_null(0.0), self._titel().alias("Regel"))
        return MaanedGraf(_maaned_graf(chart), "kroner", "Regel")

    def overlap_trend_tabel(self) -> pl.DataFrame:
        """Måned, Regel, Borgere, Par, Dage, Kroner, newest month first."""
        trend = self.data.trend
        return (_dansk_kolonner(self._suppressed(
            trend.sort("maaned", descending=True).with_columns(_kr("kroner"))
            .select("maaned", "regel", "borgere", "par", "dage", "kroner"), ["dage", "kroner"]), TAL)
            .with_columns(_maaned_tekst(), self._titel())
            .rename({"maaned": "Måned", "regel": "Regel", **TAL_OVERSKRIFTER}))

    def overlap_pr_kommune(self) -> pl.DataFrame:
        """Per handlekommune ('Navn (kode)') with an I alt row."""
        navne = geo.kommune_navne()
        kommune = self._suppressed(self.data.kommune.with_columns(_kr("kroner")), ["dage", "kroner"],
                                   total=self._pair_total("handlekommune", I_ALT))
        return _dansk_kolonner(kommune, TAL).with_columns(map_values(
            kommune["handlekommune"], lambda k: "I alt" if k == I_ALT else f"{navne.get(k, k)} ({k})")).rename(
            {"handlekommune": "Handlekommune", **TAL_OVERSKRIFTER})

    def overlap_pr_tilbud(self) -> pl.DataFrame:
        """Per tilbud ('Navn (id)'; a pair with two tilbud counts at both) with an I alt row."""
        navne = self.data.tilbud_navne
        pr_tilbud = _dansk_kolonner(self._suppressed(self.data.tilbud.with_columns(_kr("kroner")), ["dage", "kroner"],
                                                     total=self._pair_total("tilbud_id", I_ALT)), TAL)
        return pr_tilbud.with_columns(map_values(
            pr_tilbud["tilbud_id"], lambda t: "I alt" if t == I_ALT else f"{navne.get(t) or 'ukendt'} ({t})")
            .fill_null("(intet tilbud)")).rename({"tilbud_id": "Tilbud", **TAL_OVERSKRIFTER})

    @property
    def par_regler(self) -> list[str]:
        """The rule ids of the pairs (the drill-down's choices)."""
        return sorted(self.data.pairs["regel"].unique().to_list())

    @property
    def par_paragraffer(self) -> list[str]:
        pairs = self.data.pairs
        return sorted(set(pairs["paragraf_a"].to_list()) | set(pairs["paragraf_b"].to_list()))

    def par_tabel(self, regler: list[str] = (), paragraffer: list[str] = ()) -> ParTabel:
        """The pairs (for roles with the borger list), narrowed to the chosen rules and paragraffer."""
        shown = self.data.pairs
        if regler:
            shown = shown.filter(pl.col("regel").is_in(list(regler)))
        if paragraffer:
            p = list(paragraffer)
            shown = shown.filter(pl.col("paragraf_a").is_in(p) | pl.col("paragraf_b").is_in(p))
        forklaring = {r.id: f"{r.forklaring} Ret: {r.ret}" for r in self.data.rules}
        table = shown.select(
            borger_link("borger_id").alias("Borger"),
            pl.col("borger_id").alias("Borger-id"),
            pl.col("regel").alias("Regel"),  # the rule id: this table is also the export (stable codes)
            pl.col("ydelse_id_a").alias("Ydelse-id A"), pl.col("paragraf_a").alias("Paragraf A"),
            pl.col("ydelse_a").alias("Ydelse A"),
            pl.col("ydelse_id_b").alias("Ydelse-id B"), pl.col("paragraf_b").alias("Paragraf B"),
            pl.col("ydelse_b").alias("Ydelse B"),
            pl.col("overlap_start").dt.strftime(DATO).alias("Overlap fra"),
            pl.col("overlap_slut").dt.strftime(DATO).alias("Overlap til"),
            pl.col("overlap_dage").alias("Overlapdage"),
            _kr("kroner").alias("Kroner"),
            pl.col("regel").replace_strict(forklaring, default="").alias("Hvad er galt, og hvad skal rettes"),
        )
        export = table.drop("Borger").with_columns(pl.col("Overlap fra", "Overlap til").str.to_date(DATO))
        return ParTabel(table, export, table["Borger-id"].unique().sort().to_list())

    # --- other rules ------------------------------------------------------------------------
    @cached_property
    def opmaerkninger(self) -> tuple[Opmaerkninger, ...]:
        """The rules per severity (ALVOR order; a severity without rules left out), suppressed."""
        out = []
        for alvor in ALVOR:
            group = self.data.counts.filter(pl.col("alvor") == alvor)
            if group.height == 0:
                continue
            table = _dansk_kolonner(suppression.suppress_table(group.select("titel", "tekst", "fund", "borgere"),
                                                               ["borgere"], visning=self.visning),
                                    ["fund", "borgere"]).rename(
                {"titel": "Regel", "tekst": "Beskrivelse", "fund": "Fund", "borgere": "Borgere"})
            med_fund = group.filter(pl.col("fund") > 0)
            out.append(Opmaerkninger(alvor, f"{SEVERITY[alvor]} ({int(group['fund'].sum())} fund)", table,
                                     tuple(med_fund.select("regel", "titel", "fund").iter_rows())))
        return tuple(out)

    @property
    def har_fund(self) -> bool:
        return self.data.findings.height > 0

    def eksempel_ids(self, gruppe: Opmaerkninger, n: int = 5) -> list[str]:
        """The borgere of the first n examples of each rule of the severity with findings (logged as shown)."""
        regler = self.data.counts.filter((pl.col("alvor") == gruppe.alvor) & (pl.col("fund") > 0)).select("regel")
        return (self.data.findings.join(regler, on="regel").group_by("regel", maintain_order=True).head(n)["borger_id"]
                .drop_nulls().unique().sort().to_list())

    def eksempler(self, regel: str, alvor: str, n: int = 5) -> tuple[pl.DataFrame, int]:
        """The first n findings of a rule of the severity (Tabel, Nøgle, Besked) and how many there are."""
        examples = self.data.findings.filter((pl.col("regel") == regel) & (pl.col("alvor") == alvor))
        return examples.head(n).select(pl.col("tabel").alias("Tabel"), pl.col("noegle").alias("Nøgle"),
                                       pl.col("besked").alias("Besked")), examples.height

    def fund_eksport(self) -> pl.DataFrame:
        """Every finding (the `kvalitet` command's rows) with the severity in Danish, for the export."""
        alvor = pl.col("alvor").replace_strict(SEVERITY, default=pl.col("alvor"))
        return self.data.findings.with_columns(alvor).select(
            pl.col("regel").alias("Regel"), pl.col("alvor").alias("Alvor"), pl.col("tabel").alias("Tabel"),
            pl.col("noegle").alias("Nøgle"), pl.col("borger_id").alias("Borger-id"), pl.col("besked").alias("Besked"))

    # --- 8-talskontrol and databrud ---------------------------------------------------------
    def ottetal_tabel(self) -> pl.DataFrame:
        """Borgere per paragraf and month in ydelser and betalinger, newest month first, suppressed."""
        return (suppression.suppress_table(self.data.ottetal.sort("maaned", "paragraf", descending=[True, False]),
                                           OTTETAL_TAL, visning=self.visning)
                .with_columns(_maaned_tekst()).rename(OTTETAL_OVERSKRIFTER))

    @cached_property
    def ottetal_fund(self) -> OttetalFund:
        return ottetal_fund(self.data.findings, self.data.cfg)

    def ottetal_fund_tabel(self) -> pl.DataFrame:
        """The 8-talskontrol findings for roles with the borger list, the month as 'mar. 2025'."""
        return self.ottetal_fund.fund_tabel().with_columns(dansk_maaned_expr("Måned", kort=True).alias("Måned"))

    def databrud_graf(self) -> MaanedGraf | None:
        """New registrations per month against the trend (None without ydelser)."""
        series = self.data.databrud
        if series.height == 0:
            return None
        long = series.select("maaned", pl.col("antal").cast(pl.Float64).alias("Nye registreringer"),
                             pl.col("forventet").alias("Tendens")).unpivot(index="maaned", variable_name="Serie",
                                                                            value_name="Antal")
        return MaanedGraf(_maaned_graf(long), "Antal", "Serie")

    def databrud(self) -> tuple[tuple[str, str], ...]:
        """The databrud findings: (month 'marts 2025', message)."""
        brud = self.data.findings.filter(pl.col("regel") == "databrud")
        return tuple((dansk_maaned(r["noegle"]), r["besked"]) for r in brud.iter_rows(named=True))


def eksport_ids(df: pl.DataFrame, borger_col: str | None = "Borger-id") -> list[str]:
    """The borgere in an export (logged with it): the distinct ids of `borger_col`, when it is there."""
    return sorted(set(df[borger_col].drop_nulls().to_list())) if borger_col and borger_col in df.columns else []


def side(data: KvalitetData, visning: suppression.Visning) -> KvalitetSide:
    """The Kvalitet page's view of `data` (beregn) for a visning (suppression.for_principal)."""
    return KvalitetSide(data, visning)
