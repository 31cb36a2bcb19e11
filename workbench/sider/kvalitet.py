"""Kvalitet page views (issue 21: the page only lays out what these return).

ottetal_fund: the 8-talskontrol findings (workbench.regler.reconcile.FINDING_RULES) with their kroner
at stake as a number. The kroner come from the rule (reconcile.mismatches, carried by
kvalitet.findings in its `kroner` column), never parsed from the message; the total per rule is
their sum. Suppression for roles without exact numbers through workbench.regler.suppression: a rule
with 1..g-1 borgere shows '<g' borgere and hides its fund and kroner ('x').
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from workbench.format.output import dansk_kolonne as _dansk
from workbench.regler import reconcile, suppression
from workbench.regler.kvalitet import QualityConfig

OTTETAL_REGLER = reconcile.FINDING_RULES


@dataclass(frozen=True)
class OttetalFund:
    """The 8-talskontrol findings of one Kvalitet result."""
    fund: pl.DataFrame  # regel, titel, borger_id, paragraf, maaned ('YYYY-MM'), kroner (float), besked
    pr_regel: pl.DataFrame  # regel, titel, fund, borgere, kroner (sum): the rules with findings, in rule order

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
