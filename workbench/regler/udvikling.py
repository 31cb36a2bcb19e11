"""Development in funktionsevne between a start date and an end date, per borger and undertema.

The one owner of "improved / same / worse" used by the Tilbud page (start = the borger's arrival at
the tilbud, end = the reference date) and by Resultater (start = the period's first day, end = its
last day). Every niveau comes from workbench.regler.niveau (contract "A borger's niveau on an undertema").

Per (borger, undertema of *Aktivitet og deltagelse*):

* ``slut`` = the niveau on the end date (niveau.niveau_ved at the end date);
* ``start`` = the niveau on the start date, or, when the borger had none then, the first assessment
  after the start date and on or before the end date;
* kategori: ``Ikke vurderet`` when there is no niveau on the end date; ``Ingen ny vurdering`` when start
  and end are the same assessment (nothing to compare); else ``Forbedret`` when slut < start (lower
  niveau is better), ``Uændret`` when equal, ``Forværret`` when higher.

Roll-ups (per tema, per område, and the borger's arrow on the Tilbud page) give one result per
borger: the undertemaer compared are netted, ``Forbedret`` when more improved than worsened,
``Forværret`` when more worsened, ``Uændret`` when equal (at least one compared); without any
comparison ``Ingen ny vurdering`` when some undertema had a single assessment, else ``Ikke vurderet``.
Ikke vurderet and Ingen ny vurdering are counted separately and never as a level.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import polars as pl

from workbench.regler import niveau
from workbench.data.config import codes as load_codes

AKTIVITET = "Aktivitet og deltagelse"
FORBEDRET = "Forbedret"
UAENDRET = "Uændret"
FORVAERRET = "Forværret"
EN_VURDERING = "Ingen ny vurdering"  # start and end are the same assessment: no reassessment in the period
IKKE_VURDERET = niveau.IKKE_VURDERET
KATEGORIER = (FORBEDRET, UAENDRET, FORVAERRET, EN_VURDERING, IKKE_VURDERET)
COUNT_COLS = ("forbedret", "uaendret", "forvaerret", "en_vurdering", "ikke_vurderet")
PIL = {FORBEDRET: "↑", UAENDRET: "→", FORVAERRET: "↓"}


def _tree() -> pl.LazyFrame:
    c = load_codes()
    return pl.LazyFrame({
        "undertema": list(c.undertema_tema),
        "tema": [c.undertema_tema[u] for u in c.undertema_tema],
        "omraade": [c.tema_omraade[c.undertema_tema[u]] for u in c.undertema_tema],
    })


def _aktivitet(funktionsevne: pl.LazyFrame, undertemaer: Sequence[str] | None) -> pl.LazyFrame:
    fe = funktionsevne.filter(pl.col("omraade").cast(pl.String) == AKTIVITET)
    if undertemaer:
        fe = fe.filter(pl.col("undertema").cast(pl.String).is_in(list(undertemaer)))
    return fe


def pr_undertema(funktionsevne: pl.LazyFrame, population: pl.LazyFrame, slut: dt.date,
                 undertemaer: Sequence[str] | None = None, start: dt.date | None = None) -> pl.LazyFrame:
    """One row per (population row, undertema the borger has any Aktivitet og deltagelse row on,
    dated on or before the end): _p (the population row), the population's columns, start,
    undertema, tema, omraade, start_niveau, start_dato, slut_niveau, slut_dato, kategori.

    `population` has borger_id and a Date column `start` (each row's own start; or give one `start`
    date for all) plus any grouping columns (a borger may appear in several rows, e.g. under two
    paragraffer). Borgere with no row at all do not appear: `tael` counts them as Ikke vurderet.
    Niveauer: niveau.niveau_paa on a single date, niveau.niveau_ved on each row's own start."""
    if start is not None:
        population = population.with_columns(pl.lit(start, pl.Date).alias("start"))
    # only the population's borgere (the niveau lookups below then touch a fraction of the table);
    # cached: the plan below reads it several times
    fe = _aktivitet(funktionsevne, undertemaer).join(population.select("borger_id").unique(), on="borger_id",
                                                      how="semi").cache()
    # _p numbers the population rows; it is used in several branches of one plan, so the rows must
    # come in a deterministic order (a join's or unique's output order is not)
    pop = population.sort(population.collect_schema().names(), nulls_last=True).with_row_index("_p")
    seen = fe.select("borger_id", pl.col("undertema").cast(pl.String), "dato").group_by("borger_id", "undertema").agg(
        pl.col("dato").min().alias("_foerste"))
    keys = (
        pop.select("_p", "borger_id", "start")
        .join(seen.filter(pl.col("_foerste") <= slut).drop("_foerste"), on="borger_id", how="inner")
        # niveau_ved numbers the key rows (with_row_index) in two branches of one plan: the keys
        # must come in a deterministic order, and a join's output order is not
        .sort("_p", "undertema")
    )
    at_slut = niveau.niveau_paa(fe, slut).select(
        "borger_id", "undertema", pl.col("niveau").alias("slut_niveau"), pl.col("niveau_dato").alias("slut_dato"))
    if start is not None:
        at_start = keys.join(niveau.niveau_paa(fe, start).select(
            "borger_id", "undertema", pl.col("niveau").alias("start_niveau"),
            pl.col("niveau_dato").alias("start_niveau_dato")), on=["borger_id", "undertema"], how="left")
    else:
        at_start = niveau.niveau_ved(fe, keys.rename({"start": "dato"}), "dato", "start_niveau").rename(
            {"dato": "start"})
    both = at_start.join(at_slut, on=["borger_id", "undertema"], how="left")
    # no niveau on the start date: the first assessment after it (on or before the end)
    need = both.filter(pl.col("start_niveau").is_null() & pl.col("slut_niveau").is_not_null())
    first_after = (
        need.select("_p", "borger_id", "undertema", "start")
        .join(niveau.assessments(fe, slut).with_columns(pl.col("undertema").cast(pl.String)),
              on=["borger_id", "undertema"], how="inner")
        .filter(pl.col("dato") > pl.col("start"))
        .group_by("_p", "undertema")
        .agg(pl.col("niveau").sort_by("dato").first().alias("_fn"), pl.col("dato").min().alias("_fd"))
    )
    kategori = (
        pl.when(pl.col("slut_niveau").is_null()).then(pl.lit(IKKE_VURDERET))
        .when(pl.col("start_dato") == pl.col("slut_dato")).then(pl.lit(EN_VURDERING))
        .when(pl.col("slut_niveau") < pl.col("start_niveau")).then(pl.lit(FORBEDRET))
        .when(pl.col("slut_niveau") == pl.col("start_niveau")).then(pl.lit(UAENDRET))
        .otherwise(pl.lit(FORVAERRET))
    )
    extra = [c for c in population.collect_schema().names() if c not in ("borger_id", "start")]
    return (
        both.join(first_after, on=["_p", "undertema"], how="left")
        .with_columns(
            pl.coalesce("start_niveau", "_fn").alias("start_niveau"),
            pl.coalesce("start_niveau_dato", "_fd").alias("start_dato"),
        )
        .with_columns(kategori.alias("kategori"))
        .join(pop.select("_p", *extra), on="_p", how="left")
        .join(_tree(), on="undertema", how="left")
        .select("_p", "borger_id", *extra, "start", "undertema", "tema", "omraade", "start_niveau", "start_dato",
                "slut_niveau", "slut_dato", "kategori")
    )


def samlet(rows: pl.LazyFrame, by: Sequence[str]) -> pl.LazyFrame:
    """Roll-up: one kategori per (_p, *by) netted over the undertemaer (module docstring)."""
    k = pl.col("kategori")
    n_f = (k == FORBEDRET).sum()
    n_v = (k == FORVAERRET).sum()
    n_cmp = k.is_in([FORBEDRET, UAENDRET, FORVAERRET]).sum()
    n_en = (k == EN_VURDERING).sum()
    return rows.group_by("_p", "borger_id", *by).agg(
        pl.when(n_cmp == 0).then(pl.when(n_en > 0).then(pl.lit(EN_VURDERING)).otherwise(pl.lit(IKKE_VURDERET)))
        .when(n_f > n_v).then(pl.lit(FORBEDRET))
        .when(n_f < n_v).then(pl.lit(FORVAERRET))
        .otherwise(pl.lit(UAENDRET)).alias("kategori"),
        n_f.alias("antal_forbedret"), n_v.alias("antal_forvaerret"),
    )


def tael(rows: pl.LazyFrame, population: pl.LazyFrame, by: Sequence[str]) -> pl.LazyFrame:
    """Counts per (*by): borgere (population rows), forbedret, uaendret, forvaerret, en_vurdering,
    ikke_vurderet (population rows without an assessment, incl. borgere with no row at all), and
    andel_forbedret = forbedret / (forbedret + uaendret + forvaerret) (null when none compared).

    `rows` has one row per (_p, *by) with kategori (pr_undertema, or samlet); `by` columns that are
    not population columns (undertema, tema, omraade) are crossed with the population groups."""
    by = list(by)
    pop_cols = population.collect_schema().names()
    pop_by = [c for c in by if c in pop_cols]
    k = pl.col("kategori")
    got = rows.group_by(by).agg(
        (k == FORBEDRET).sum().alias("forbedret"), (k == UAENDRET).sum().alias("uaendret"),
        (k == FORVAERRET).sum().alias("forvaerret"), (k == EN_VURDERING).sum().alias("en_vurdering"),
        (k == IKKE_VURDERET).sum().alias("_iv"),
    )
    n = (population.group_by(pop_by).agg(pl.len().alias("borgere")) if pop_by
         else population.select(pl.len().alias("borgere")))
    if pop_by and len(pop_by) == len(by):  # every population group, also those without a row
        out = n.join(got, on=pop_by, how="left")
    else:
        out = got.join(n, on=pop_by, how="left") if pop_by else got.join(n, how="cross")
    cnt = ["forbedret", "uaendret", "forvaerret", "en_vurdering"]
    compared = pl.col("forbedret") + pl.col("uaendret") + pl.col("forvaerret")
    return (
        out.with_columns(pl.col(cnt).fill_null(0).cast(pl.Int64), pl.col("borgere").cast(pl.Int64))
        .with_columns((pl.col("borgere") - pl.sum_horizontal(cnt)).alias("ikke_vurderet"))
        .with_columns(pl.when(compared > 0).then(pl.col("forbedret") / compared).otherwise(None)
                      .alias("andel_forbedret"))
        .select(*by, "borgere", *COUNT_COLS, "andel_forbedret")
        .sort(by)
    )


UDVIKLE = "Udvikle funktionsevne"


def efter_maaltype(rows: pl.LazyFrame, indsatsmaal: pl.LazyFrame, slut: dt.date) -> pl.LazyFrame:
    """`rows` (pr_undertema) narrowed to the undertemaer that carry a goal of the borger (started on or
    before `slut`; the latest such goal's måltype), each judged by that måltype (contract "A goal's
    group …": "Andel forbedret"): for *Udvikle funktionsevne* an improvement is success; for *Fastholde*
    and *Begrænse tab* not worse is success, so Uændret counts as Forbedret. Forværret stays a failure;
    Ingen ny vurdering / Ikke vurderet are unchanged. The rows keep their columns plus `maaltype`."""
    goal = (
        indsatsmaal.filter(pl.col("startdato") <= slut)
        .select(pl.col("borger_id").cast(pl.String), pl.col("undertema").cast(pl.String),
                pl.col("maaltype").cast(pl.String), "startdato", pl.col("maal_id").cast(pl.String))
        .sort("borger_id", "undertema", "startdato", "maal_id")
        .group_by("borger_id", "undertema").agg(pl.col("maaltype").last())
    )
    k, mt = pl.col("kategori"), pl.col("maaltype")
    return (
        rows.with_columns(pl.col("borger_id").cast(pl.String), pl.col("undertema").cast(pl.String))
        .join(goal, on=["borger_id", "undertema"], how="inner")
        .with_columns(pl.when((k == UAENDRET) & (mt != UDVIKLE)).then(pl.lit(FORBEDRET)).otherwise(k).alias("kategori"))
    )
