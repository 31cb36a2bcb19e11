"""Overlapping ydelser (spec/DATA_CONTRACT.md "Periods and overlaps", DOMAIN.md, seed 003 FLIS view).

Rules live in config/overlap_rules.yaml. Everything here is a pure function over LazyFrames:

- `overlap_pairs(ydelser, paa)` -> one row per (pair, matching rule) with detail columns
  (ydelse names, tilbud, monthly cost, kroner at stake);
- `overlap_report(ydelser, paa)` -> exactly the contract CSV columns, in contract order and sort order;
- `money_per_rule / money_per_kommune / money_per_tilbud` -> the money at stake.

Periods are inclusive; an open slutdato runs through the reference date; a ydelse whose (effective)
slutdato is before its startdato never overlaps anything (kvalitet flags it instead).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.data.config import ConfigError, check_codes, load_config, load_yaml, require
from workbench.data.paths import config_dir
from workbench.regler.periods import slut_eff

RULES_FILE = "overlap_rules.yaml"
ALVOR = ("fejl", "advarsel", "info")
ALLE = "alle"

CSV_COLUMNS = [
    "borger_id", "regel", "ydelse_id_a", "paragraf_a", "ydelse_id_b", "paragraf_b",
    "overlap_start", "overlap_slut", "overlap_dage",
]
SORT = ["borger_id", "regel", "ydelse_id_a", "ydelse_id_b"]
DAYS_PER_MONTH = 365 / 12  # daily cost = maanedlig_udgift * 12 / 365


@dataclass(frozen=True)
class OverlapRule:
    id: str
    titel: str
    paragraffer_a: tuple[str, ...] | None  # None = every paragraf
    paragraffer_b: tuple[str, ...] | None
    min_dage: int
    alvor: str
    forklaring: str
    ret: str
    samme_paragraf: bool = False
    samme_ydelse: bool = False

    def paragraffer(self) -> set[str] | None:
        """The paragraffer this rule can involve (None = all)."""
        if self.paragraffer_a is None or self.paragraffer_b is None:
            return None
        return set(self.paragraffer_a) | set(self.paragraffer_b)


def load_rules(directory: Path | str | None = None) -> tuple[OverlapRule, ...]:
    """The validated rules of config/overlap_rules.yaml; ConfigError names file and key."""
    d = Path(directory) if directory else config_dir()
    f = RULES_FILE
    data = load_yaml(f, d)
    known = load_config(d).codes.paragraffer
    items = require(data, "regler", f)
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{f}: 'regler' skal være en ikke-tom liste")
    rules: list[OverlapRule] = []
    seen: set[str] = set()
    for n, row in enumerate(items):
        where = f"regler[{n}]."
        rid = require(row, "id", f, where)
        if not isinstance(rid, str) or not rid.strip():
            raise ConfigError(f"{f}: '{where}id' skal være en tekst")
        if rid in seen:
            raise ConfigError(f"{f}: regel-id '{rid}' står to gange under '{where}id'")
        seen.add(rid)
        sides: list[tuple[str, ...] | None] = []
        for side in ("paragraffer_a", "paragraffer_b"):
            value = require(row, side, f, where)
            if value == ALLE:
                sides.append(None)
                continue
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not value:
                raise ConfigError(f"{f}: '{where}{side}' skal være en liste af paragraffer eller '{ALLE}'")
            check_codes([str(v) for v in value], known, f, f"{where}{side}")
            sides.append(tuple(str(v) for v in value))
        min_dage = row.get("min_dage", 1)
        if not isinstance(min_dage, int) or isinstance(min_dage, bool) or min_dage < 1:
            raise ConfigError(f"{f}: '{where}min_dage' skal være et heltal på mindst 1")
        alvor = row.get("alvor", "advarsel")
        if alvor not in ALVOR:
            raise ConfigError(f"{f}: ukendt kode '{alvor}' under '{where}alvor'")
        flags = {}
        for flag in ("samme_paragraf", "samme_ydelse"):
            v = row.get(flag, False)
            if not isinstance(v, bool):
                raise ConfigError(f"{f}: '{where}{flag}' skal være true eller false")
            flags[flag] = v
        rules.append(OverlapRule(
            id=rid, titel=str(row.get("titel") or rid), paragraffer_a=sides[0], paragraffer_b=sides[1],
            min_dage=min_dage, alvor=alvor,
            forklaring=str(require(row, "forklaring", f, where)).strip(),
            ret=str(require(row, "ret", f, where)).strip(), **flags,
        ))
    return tuple(rules)


SIDE_COLS = ["ydelse_id", "paragraf", "ydelse", "startdato", "slut", "tilbud_id", "maanedlig_udgift"]


def _periods(ydelser: pl.LazyFrame, paa: dt.date, rules: tuple[OverlapRule, ...]) -> pl.LazyFrame:
    """Valid periods (effective end >= start) of the ydelser any rule can involve."""
    lf = ydelser.select(
        pl.col("borger_id").cast(pl.String),
        pl.col("ydelse_id").cast(pl.String),
        pl.col("paragraf").cast(pl.String),
        pl.col("ydelse").cast(pl.String),
        pl.col("startdato"),
        slut_eff(paa).alias("slut"),
        pl.col("tilbud_id").cast(pl.String),
        pl.col("maanedlig_udgift").cast(pl.Float64),
    ).filter(pl.col("startdato").is_not_null() & (pl.col("slut") >= pl.col("startdato")))
    involved: set[str] = set()
    for rule in rules:
        p = rule.paragraffer()
        if p is None:
            involved = set()
            break
        involved |= p
    if involved:
        lf = lf.filter(pl.col("paragraf").is_in(sorted(involved)))
    # Exact duplicate rows are not removed here but from the pairs (overlap_pairs): a pair row holds
    # both sides' rows whole, so distinct periods give distinct pairs and a duplicate gives only
    # copies of its twin's pairs. The national demo's 264 000 ydelser cost ~75 ms CPU to make distinct,
    # its 2 800 pairs nothing.
    return lf


def rule_pairs(rules: tuple[OverlapRule, ...]) -> pl.DataFrame:
    """Every ordered (paragraf_a, paragraf_b) a rule matches, with the rule's extra conditions.

    A rule with 'alle' on a side expands to every canonical paragraf; samme_paragraf keeps a == b.
    """
    alle = load_config().codes.paragraffer
    rows = []
    for r in rules:
        side_a = r.paragraffer_a if r.paragraffer_a is not None else alle
        side_b = r.paragraffer_b if r.paragraffer_b is not None else alle
        for x in side_a:
            for y in side_b:
                if r.samme_paragraf and x != y:
                    continue
                for pa, pb in ((x, y), (y, x)):
                    rows.append((pa, pb, r.id, r.samme_ydelse, r.min_dage))
    schema = {"paragraf_a": pl.String, "paragraf_b": pl.String, "regel": pl.String,
              "_samme_ydelse": pl.Boolean, "_min_dage": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row").unique()


def overlap_pairs(ydelser: pl.LazyFrame, paa: dt.date, rules: tuple[OverlapRule, ...] | None = None) -> pl.LazyFrame:
    """One row per overlapping pair (a before b by ydelse_id) and matching rule, with detail columns.

    Vectorised: a self-join within borger_id, then the interval test, then a join with the rules'
    concrete paragraf pairs (a pair matching several rules gives one row per rule).
    """
    rules = rules if rules is not None else load_rules()
    per = _periods(ydelser, paa, rules)
    a = per.rename({c: f"{c}_a" for c in SIDE_COLS})
    b = per.rename({c: f"{c}_b" for c in SIDE_COLS})
    pairs = (
        a.join(b, on="borger_id", how="inner")
        .filter(
            (pl.col("ydelse_id_a") < pl.col("ydelse_id_b"))
            & (pl.col("startdato_a") <= pl.col("slut_b"))
            & (pl.col("startdato_b") <= pl.col("slut_a"))
        )
        .with_columns(
            pl.max_horizontal("startdato_a", "startdato_b").alias("overlap_start"),
            pl.min_horizontal("slut_a", "slut_b").alias("overlap_slut"),
        )
        .with_columns(
            ((pl.col("overlap_slut") - pl.col("overlap_start")).dt.total_days() + 1).cast(pl.Int64).alias("overlap_dage")
        )
    )
    daily = pl.min_horizontal("maanedlig_udgift_a", "maanedlig_udgift_b") / DAYS_PER_MONTH
    return (
        # One row per matching rule: a join with the rules' concrete paragraf pairs (both orders).
        pairs.join(rule_pairs(rules).lazy(), on=["paragraf_a", "paragraf_b"], how="inner")
        .filter((~pl.col("_samme_ydelse") | (pl.col("ydelse_a") == pl.col("ydelse_b")))
                & (pl.col("overlap_dage") >= pl.col("_min_dage")))
        .with_columns((pl.col("overlap_dage") * daily).fill_null(0.0).alias("kroner"))
        .select(
            "borger_id", "regel",
            "ydelse_id_a", "paragraf_a", "ydelse_a", "startdato_a", "slut_a", "tilbud_id_a", "maanedlig_udgift_a",
            "ydelse_id_b", "paragraf_b", "ydelse_b", "startdato_b", "slut_b", "tilbud_id_b", "maanedlig_udgift_b",
            "overlap_start", "overlap_slut", "overlap_dage", "kroner",
        )
        # An exact duplicate ydelse row would pair with its twin's partners twice (kvalitet reports it
        # as dublet): each pair once, as if the periods had been made distinct first (_periods).
        .unique()
        .sort(SORT)
    )


def overlap_report(ydelser: pl.LazyFrame, paa: dt.date, rules: tuple[OverlapRule, ...] | None = None) -> pl.LazyFrame:
    """The contract's `overlap` output: CSV_COLUMNS, sorted by borger_id, regel, ydelse_id_a, ydelse_id_b."""
    return overlap_pairs(ydelser, paa, rules).select(CSV_COLUMNS)  # already sorted by SORT


def _summary(lf: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    return lf.group_by(by).agg(
        pl.len().alias("par"),
        pl.col("borger_id").n_unique().alias("borgere"),
        pl.col("overlap_dage").sum().alias("dage"),
        pl.col("kroner").sum().alias("kroner"),
    ).sort(by)


def money_per_rule(pairs: pl.LazyFrame) -> pl.LazyFrame:
    """Per rule: pairs, borgere, overlap days and kroner at stake (cheaper ydelse's daily cost × days)."""
    return _summary(pairs, ["regel"])


def per_rule_with_total(pairs: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """The per-rule table (regel, borgere, par, dage, kroner; kroner whole) and its total row ('I alt':
    distinct borgere, pairs, days, kroner of all pairs), for suppression.suppress_rows: what a role
    without the borger list gets instead of the pairs."""
    per_rule = money_per_rule(pairs.lazy()).collect().select(
        "regel", "borgere", "par", "dage", pl.col("kroner").round(0).cast(pl.Int64))
    total = {"regel": "I alt", "borgere": pairs["borger_id"].n_unique(), "par": pairs.height,
             "dage": int(pairs["overlap_dage"].sum()), "kroner": int(round(pairs["kroner"].sum()))}
    return per_rule, total


def money_per_kommune(pairs: pl.LazyFrame, borgere: pl.LazyFrame, per_rule: bool = False) -> pl.LazyFrame:
    """Per handlekommune (and rule): pairs, borgere, days, kroner."""
    kom = borgere.select(pl.col("borger_id").cast(pl.String), pl.col("handlekommune")).unique("borger_id")
    joined = pairs.join(kom, on="borger_id", how="left")
    return _summary(joined, ["handlekommune", "regel"] if per_rule else ["handlekommune"])


def money_per_tilbud(pairs: pl.LazyFrame, per_rule: bool = False) -> pl.LazyFrame:
    """Per tilbud involved in the pair (either side; a pair with two tilbud counts for both, so the
    tilbud rows do not add up to the total)."""
    key = ["borger_id", "regel", "ydelse_id_a", "ydelse_id_b", "overlap_dage", "kroner"]
    sides = pl.concat([
        pairs.select(*key, pl.col("tilbud_id_a").alias("tilbud_id")),
        pairs.select(*key, pl.col("tilbud_id_b").alias("tilbud_id")),
    ]).unique()
    return _summary(sides, ["tilbud_id", "regel"] if per_rule else ["tilbud_id"])


def by_paragraf_pair(pairs: pl.LazyFrame) -> pl.LazyFrame:
    """The FLIS view: per rule × paragraf pair × ydelse names, counts of borgere, pairs, days, kroner."""
    return _summary(pairs, ["regel", "paragraf_a", "paragraf_b", "ydelse_a", "ydelse_b"])


def per_month(pairs: pl.LazyFrame) -> pl.LazyFrame:
    """Trend: overlapping pairs that begin each month (by overlap_start), per rule."""
    return _summary(
        pairs.with_columns(pl.col("overlap_start").dt.strftime("%Y-%m").alias("maaned")), ["maaned", "regel"]
    )
