"""Goal status: the one owner of an indsatsmål's status (docs/DATA_CONTRACT.md `forloeb`, "A goal's group
and goals that ask for nothing"). The borger page, Tilbud, Resultater, Tilsyn, Sagsoverblik and the
kvalitet rules all call `goal_status`; nothing else judges a goal.

* `status` is judged at the follow-up. The assessments that count are those after startdato and on or
  before the reference date; once the follow-up date has passed, only those on or before it -- unless
  none was made by then, in which case the first one after it counts (a late follow-up). The one
  used is `maalt_niveau` / `maalt_dato`. Decided in this order:
  1. no assessment counts: `Afventer opfølgning` up to and including the follow-up date,
     `Opfølgning overskredet` from the day after;
  2. the latest counting assessment meets the goal -> `Opnået` (even before the follow-up date);
  3. not met -> `Afventer opfølgning` while the follow-up date is not passed, `Ikke opnået` after.
  Lower niveau is better: *Udvikle funktionsevne* and *Begrænse tab af funktionsevne* are met when
  `maalt_niveau <= forventet_niveau`; *Fastholde funktionsevne* when `maalt_niveau <= udgangsniveau`.
* `vurdering` / `vurderingsdato` (and `status_paa_indsats`): the latest *recorded* follow-up in
  opfoelgninger on or before the reference date, shown beside the measured status.

Edge cases the contract leaves open (decided here, tested in tests/test_forloeb.py):

* Several assessments on the same undertema on the same day: the highest (worst) niveau of that
  day counts, so the result never depends on row order and never overstates progress.
* `forventet_niveau` null (Udvikle / Begrænse tab) or `udgangsniveau` null (Fastholde: no baseline
  on or before startdato): the goal cannot be measured, so it is never `Opnået`; it follows the
  "not met" branch (`Afventer opfølgning`, then `Ikke opnået` once the follow-up date has passed).
  `vurderbar` is False on such goals (UI only; not part of the CLI JSON).
* No `opfoelgningsdato`: the follow-up date is never passed, so the status is `Afventer opfølgning`
  until the goal is met (never `Opfølgning overskredet` or `Ikke opnået`).
* A goal whose startdato is after the reference date did not exist yet and is left out; the same for
  funktionsevne/støttebehov rows dated after it and ydelser starting after it.
* The follow-up date equal to the reference date is *not* passed (status `Afventer opfølgning`).
* A goal that asks for nothing the scale can show -- *Udvikle funktionsevne* with `forventet_niveau`
  >= the niveau on startdato, *Begrænse tab af funktionsevne* with `forventet_niveau` 4 -- has status
  `Opnået ved start` whatever is measured later: listed apart and kept out of every attainment share
  (`ATTAINMENT_STATUSES`); kvalitet reports it (rule `maal_uden_forventet_aendring`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.regler import niveau

AFVENTER = "Afventer opfølgning"
OVERSKREDET = "Opfølgning overskredet"
OPNAAET = "Opnået"
IKKE_OPNAAET = "Ikke opnået"
OPNAAET_VED_START = "Opnået ved start"  # a goal that asks for no change the scale can show
STATUSES = (OPNAAET, AFVENTER, IKKE_OPNAAET, OVERSKREDET, OPNAAET_VED_START)

UDVIKLE = "Udvikle funktionsevne"
FASTHOLDE = "Fastholde funktionsevne"
BEGRAENSE = "Begrænse tab af funktionsevne"

# The statuses an attainment share (andel opnået) is computed over: a goal met at start asks for
# nothing and is left out of every share.
ATTAINMENT_STATUSES = (OPNAAET, AFVENTER, IKKE_OPNAAET, OVERSKREDET)


def asks_nothing() -> pl.Expr:
    """True for a goal that asks for no change the 0-4 scale can show (needs udgangsniveau)."""
    typ = pl.col("maaltype").cast(pl.String)
    return (
        ((typ == UDVIKLE) & (pl.col("forventet_niveau") >= pl.col("udgangsniveau")))
        | ((typ == BEGRAENSE) & (pl.col("forventet_niveau") == 4))
    ).fill_null(False)


def recorded_vurdering(opfoelgninger: pl.LazyFrame, paa: dt.date) -> pl.LazyFrame:
    """maal_id, vurdering (String), vurderingsdato, status_paa_indsats: each goal's latest recorded
    follow-up in opfoelgninger on or before `paa` (contract: `vurdering`/`vurderingsdato`)."""
    return (
        opfoelgninger.filter(pl.col("dato") <= paa)
        .sort("maal_id", "dato")
        .group_by("maal_id")
        .agg(pl.col("vurdering").last().cast(pl.String), pl.col("dato").last().alias("vurderingsdato"),
             pl.col("status_paa_indsats").last().cast(pl.String))
    )


def goal_status(indsatsmaal: pl.LazyFrame, funktionsevne: pl.LazyFrame, paa: dt.date,
                opfoelgninger: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Every goal started on or before `paa`, vectorised over any number of borgere.

    Columns: the indsatsmaal columns, plus
      udgangsniveau, udgangsniveau_dato   (workbench.regler.niveau on startdato)
      seneste_niveau, seneste_niveau_dato (workbench.regler.niveau on `paa`)
      maalt_niveau, maalt_dato            (the assessment the status is judged on; null when none counts)
      status (STATUSES), vurderbar (bool: the goal can be measured at all),
      opfoelgning_forfalden (bool: the follow-up date has passed with no assessment counted -- also
      for a goal that is 'Opnået ved start')
    and with `opfoelgninger`: vurdering, vurderingsdato, status_paa_indsats (recorded_vurdering).
    Sorted by borger_id, undertema (label), startdato, maal_id.
    """
    # _g numbers the goals after a sort on everything a goal's result depends on, so every scan of
    # this plan numbers them alike even when `indsatsmaal` comes from a join (no fixed row order);
    # rows that tie on these columns get the same result either way.
    goals = (
        indsatsmaal.filter(pl.col("startdato") <= paa)
        .sort("maal_id", "borger_id", "undertema", "startdato", "opfoelgningsdato", nulls_last=True)
        .with_row_index("_g")
        .cache()  # read by every lookup below: sorted and numbered once (the optimiser kept 4 copies)
    )
    keys = goals.select("_g", "borger_id", "undertema", "startdato", pl.lit(paa, pl.Date).alias("_paa"))
    # one assessments node for the three lookups below (every key date is on or before paa)
    vurderinger = niveau.assessments(funktionsevne, paa).cache()
    baseline = niveau.niveau_ved(funktionsevne, keys, "startdato", "udgangsniveau", vurderinger).select(
        "_g", "udgangsniveau", "udgangsniveau_dato")
    latest = niveau.niveau_ved(funktionsevne, keys, "_paa", "seneste_niveau", vurderinger).select(
        "_g", "seneste_niveau", "seneste_niveau_dato")
    # Judged at the follow-up: assessments after startdato up to min(follow-up, paa) count; when none
    # was made by a passed follow-up date, the first one after it counts (a late follow-up).
    end = pl.min_horizontal(pl.col("opfoelgningsdato"), pl.lit(paa, pl.Date))
    in_window = pl.col("dato") <= end
    late = pl.col("opfoelgningsdato").is_not_null() & (pl.col("dato") > pl.col("opfoelgningsdato"))
    ka, kg = niveau.undertema_keys(funktionsevne, indsatsmaal)
    joined = (
        goals.select("_g", "borger_id", kg.alias("_ut"), "startdato", "opfoelgningsdato")
        .join(vurderinger.select("borger_id", ka.alias("_ut"), "dato", "niveau"),
              on=["borger_id", "_ut"], how="inner")
        .filter(pl.col("dato") > pl.col("startdato"))
    )
    # assessments are one row per (borger, undertema, dato): one row per goal survives each filter
    window = joined.filter(in_window).filter(pl.col("dato") == pl.col("dato").max().over("_g")).select(
        "_g", pl.col("niveau").alias("_w_n"), pl.col("dato").alias("_w_d"))
    first_late = joined.filter(late).filter(pl.col("dato") == pl.col("dato").min().over("_g")).select(
        "_g", pl.col("niveau").alias("_l_n"), pl.col("dato").alias("_l_d"))
    measured = (
        goals.select("_g").join(window, on="_g", how="left").join(first_late, on="_g", how="left")
        .select("_g",
                pl.when(pl.col("_w_d").is_not_null()).then(pl.col("_w_n")).otherwise(pl.col("_l_n")).alias("maalt_niveau"),
                pl.coalesce("_w_d", "_l_d").alias("maalt_dato"))
    )
    typ = pl.col("maaltype").cast(pl.String)
    met = (
        pl.when(typ.is_in([UDVIKLE, BEGRAENSE])).then(pl.col("maalt_niveau") <= pl.col("forventet_niveau"))
        .when(typ == FASTHOLDE).then(pl.col("maalt_niveau") <= pl.col("udgangsniveau"))
        .otherwise(None)
    )
    measurable = (
        pl.when(typ.is_in([UDVIKLE, BEGRAENSE])).then(pl.col("forventet_niveau").is_not_null())
        .when(typ == FASTHOLDE).then(pl.col("udgangsniveau").is_not_null())
        .otherwise(False)
    )
    passed = pl.col("opfoelgningsdato").is_not_null() & (pl.col("opfoelgningsdato") < paa)
    counted = pl.col("maalt_dato").is_not_null()
    status = (
        pl.when(asks_nothing()).then(pl.lit(OPNAAET_VED_START))
        .when(~counted & passed).then(pl.lit(OVERSKREDET))
        .when(~counted).then(pl.lit(AFVENTER))
        .when(met.fill_null(False)).then(pl.lit(OPNAAET))
        .when(passed).then(pl.lit(IKKE_OPNAAET))
        .otherwise(pl.lit(AFVENTER))
    )
    return (
        goals.join(baseline, on="_g", how="left")
        .join(latest, on="_g", how="left")
        .join(measured, on="_g", how="left")
        # the follow-up is overdue whatever the goal asked for: a goal met at start still has its date
        .with_columns(status.alias("status"), measurable.alias("vurderbar"),
                      (~counted & passed).alias("opfoelgning_forfalden"))
        .pipe(lambda lf: lf if opfoelgninger is None
              else lf.join(recorded_vurdering(opfoelgninger, paa), on="maal_id", how="left"))
        .sort([pl.col("borger_id"), pl.col("undertema").cast(pl.String), pl.col("startdato"), pl.col("maal_id")])
        .drop("_g")
    )


def maal_i_grupper(goals: pl.LazyFrame, ydelser: pl.LazyFrame, borger_grupper: pl.LazyFrame) -> pl.LazyFrame:
    """A goal's group (contract "A goal's group"): the goals (maal_id, borger_id, startdato,
    sagsafgoerelse_id, ...) with a `gruppe` column, one row per goal and group.

    `ydelser`: borger_id, gruppe, sagsafgoerelse_id, startdato, slutdato -- the ydelser that define the
    groups (paragraf, tilbud, tilbudstype). A goal counts in the group of the ydelse sharing its
    sagsafgoerelse_id; without that link, in every group of a ydelse the borger had on the goal's
    startdato; with neither, in the borger's groups of the period (`borger_grupper`: borger_id, gruppe).
    A goal shown in several groups is one goal in any total: count totals by distinct maal_id."""
    cols = goals.collect_schema().names()
    if "sagsafgoerelse_id" not in cols:
        goals = goals.with_columns(pl.lit(None, pl.String).alias("sagsafgoerelse_id"))
    g = goals.with_columns(pl.col("sagsafgoerelse_id").cast(pl.String).alias("_sag"))
    y = ydelser.select("borger_id", "gruppe", pl.col("sagsafgoerelse_id").cast(pl.String).alias("_sag"),
                       pl.col("startdato").alias("_ys"), pl.col("slutdato").alias("_ye"))
    linked = (g.filter(pl.col("_sag").is_not_null())
              .join(y.select("borger_id", "_sag", "gruppe").unique(), on=["borger_id", "_sag"], how="inner"))
    rest = g.join(linked.select("maal_id").unique(), on="maal_id", how="anti")
    on_start = (rest.join(y.select("borger_id", "gruppe", "_ys", "_ye"), on="borger_id", how="inner")
                .filter((pl.col("_ys") <= pl.col("startdato"))
                        & (pl.col("_ye").is_null() | (pl.col("_ye") >= pl.col("startdato"))))
                .drop("_ys", "_ye"))
    fallback = (rest.join(on_start.select("maal_id").unique(), on="maal_id", how="anti")
                .join(borger_grupper.select("borger_id", "gruppe").unique(), on="borger_id", how="inner"))
    return pl.concat([linked, on_start, fallback], how="diagonal_relaxed").unique(["maal_id", "gruppe"]).drop("_sag")
