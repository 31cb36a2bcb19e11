"""One tilbud as it stood on the reference date (spec/DATA_CONTRACT.md, `tilbud`): the Tilbud page
and the `ffb-workbench tilbud` command both call these functions (one owner per number).

Pure Polars; every function returns a LazyFrame (collect at the boundary) or a frozen dataclass.
Owners used, never re-implemented: niveauer via workbench.regler.niveau (through workbench.regler.udvikling),
goal status via workbench.sider.maalstatus.goal_status, monthly counts via workbench.regler.optaelling.

Definitions (decided here, tested in tests/test_tilbud.py):

* A borger's *stay* at the tilbud is a run of his ydelser there, merged when they overlap or touch
  (a handover from day D to D+1 is one stay). *Arrival* is the first day of the stay that covers the
  reference date; a borger who left and came back arrives again on the day he came back.
* *Borgere nu*: borgere with a ydelse at the tilbud active on the reference date (slutdato <
  startdato never counts). `paragraf` lists the paragraffer of those active ydelser.
* *Goals* of a borger on the page: his indsatsmål started on or before the reference date whose
  follow-up date is not before his arrival (or has none): the goals in play during the stay.
* *Opfølgninger*: those goals with a follow-up date from the reference date through `dage` days
  after it (both included: the reference date itself is not passed, contract) and the overdue ones
  (measured status `Opfølgning overskredet`).
* *Målopfyldelse*: goals of borgere at the tilbud at any time in the period with a follow-up date
  in the period, measured status (goal_status on the reference date) against the recorded
  `vurdering`; disagreement as the contract's `vurdering_afviger_maaling` (recorded Opnået and
  measured Ikke opnået, or the reverse).
* *Belægning*: optaelling.monthly_counts on the tilbud's ydelser (by=()): unique borgere and
  helårspersoner per month against `pladser`; tilgang/afgang as in `optaelling`.
* *Liggetid*: the length in days (both ends counted) of stays that ended in the period, and of the
  stays running on the reference date (so far).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Sequence

import polars as pl

from workbench.regler import maalstatus
from workbench.regler import optaelling
from workbench.regler import udvikling as udv
from workbench.data.dataset import Dataset
from workbench.format.dansk import DATO, TOM, borger_link
from workbench.format.output import dansk_tal
from workbench.regler.periods import active_on
from workbench.regler.maalgruppe import primaer_maalgruppe
from workbench.regler.stoettebehov import seneste_stoettebehov

OPFOELGNING_DAGE = 30
HEADER_COLUMNS = ("tilbud_id", "navn", "tilbudstype", "driftsform", "adresse", "postnr", "kommunekode", "pladser",
                  "lat", "lon")
STATUS_COLS = {maalstatus.OPNAAET: "opnaaet", maalstatus.AFVENTER: "afventer", maalstatus.IKKE_OPNAAET: "ikke_opnaaet",
               maalstatus.OVERSKREDET: "overskredet",
               # listed apart: a goal that asked for nothing is in no attainment share
               maalstatus.OPNAAET_VED_START: "opnaaet_ved_start"}
VURDERING_COLS = {"Opnået": "vurdering_opnaaet", "Delvist opnået": "vurdering_delvist",
                  "Ikke opnået": "vurdering_ikke_opnaaet"}


@dataclass(frozen=True)
class Header:
    tilbud_id: str
    navn: str
    tilbudstype: str
    driftsform: str | None
    adresse: str | None
    postnr: str | None
    kommunekode: str | None
    pladser: int | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Liggetid:
    afsluttede: int
    median_dage_afsluttede: float | None
    igangvaerende: int
    median_dage_igangvaerende: float | None


# --------------------------------------------------------------------------------------------
# the tilbud and its list


def _text(df_cols: Sequence[str]) -> list[pl.Expr]:
    return [pl.col(c).cast(pl.String) for c in df_cols]


def liste(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Every tilbud in the (scoped) dataset with its borgere on `paa`: tilbud_id, navn, tilbudstype,
    driftsform, kommunekode, pladser, borgere; sorted by navn, tilbud_id."""
    t = ds.tilbud.unique(subset="tilbud_id", keep="first")
    nu = (ds.ydelser.filter(active_on(paa) & pl.col("tilbud_id").is_not_null())
          .group_by("tilbud_id").agg(pl.col("borger_id").n_unique().cast(pl.Int64).alias("borgere")))
    return (
        t.select("tilbud_id", "navn", *_text(["tilbudstype", "driftsform"]), "kommunekode", "pladser")
        .join(nu, on="tilbud_id", how="left")
        .with_columns(pl.col("borgere").fill_null(0))
        .sort("navn", "tilbud_id")
    )


def header(ds: Dataset, tilbud_id: str) -> Header:
    """The tilbud's stamdata; ValueError (Danish) for a tilbud not in the (scoped) dataset."""
    df = ds.tilbud.filter(pl.col("tilbud_id") == tilbud_id).head(1).collect()
    if df.height == 0:
        raise ValueError(f"ukendt tilbud: {tilbud_id}")
    row = df.row(0, named=True)
    vals = {c: row.get(c) for c in HEADER_COLUMNS}
    for c in ("tilbudstype", "driftsform"):
        vals[c] = None if vals[c] is None else str(vals[c])
    return Header(**vals)


# --------------------------------------------------------------------------------------------
# stays


def _ydelser(ds: Dataset, tilbud_ids: Sequence[str] | None) -> pl.LazyFrame:
    y = ds.ydelser.filter(pl.col("tilbud_id").is_not_null())
    return y if tilbud_ids is None else y.filter(pl.col("tilbud_id").is_in(list(tilbud_ids)))


def ophold(ds: Dataset, paa: dt.date, tilbud_ids: Sequence[str] | None = None) -> pl.LazyFrame:
    """tilbud_id, borger_id, s, e: each stay (merged ydelser at the tilbud, open end = paa)."""
    iv = optaelling.covered(_ydelser(ds, tilbud_ids).filter(pl.col("startdato") <= paa), paa, ("tilbud_id",))
    return optaelling.merge_intervals(iv, ("tilbud_id", "borger_id"))


def borgere_aktive(ds: Dataset, paa: dt.date, tilbud_ids: Sequence[str] | None = None) -> pl.LazyFrame:
    """tilbud_id, borger_id, start (arrival: first day of the stay covering paa), paragraf (the
    active ydelser's paragraffer, ', '-joined in code-list order): the borgere nu."""
    y = _ydelser(ds, tilbud_ids).filter(active_on(paa) & (pl.col("slutdato").is_null()
                                                           | (pl.col("slutdato") >= pl.col("startdato"))))
    par = y.group_by("tilbud_id", "borger_id").agg(
        pl.col("paragraf").unique().sort().cast(pl.String).str.join(", ").alias("paragraf"))
    stays = ophold(ds, paa, tilbud_ids).filter((pl.col("s") <= paa) & (pl.col("e") >= paa))
    return (
        par.join(stays.select("tilbud_id", "borger_id", pl.col("s").alias("start")), on=["tilbud_id", "borger_id"],
                 how="left")
        .select("tilbud_id", "borger_id", "start", "paragraf")
    )


# --------------------------------------------------------------------------------------------
# udvikling i funktionsevne


def udvikling_rows(ds: Dataset, paa: dt.date, tilbud_ids: Sequence[str] | None = None) -> pl.LazyFrame:
    """Per borger nu and undertema: start/slut niveau and kategori (workbench.regler.udvikling), start =
    arrival, slut = paa."""
    pop = borgere_aktive(ds, paa, tilbud_ids).select("tilbud_id", "borger_id", "start")
    return udv.pr_undertema(ds.funktionsevne, pop, paa)


def udvikling(ds: Dataset, tilbud_id: str, paa: dt.date, niveau: str = "undertema",
              rows: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Counts per undertema / tema / omraade (niveau): borgere, forbedret, uaendret, forvaerret,
    en_vurdering, ikke_vurderet, andel_forbedret. Only undertemaer (temaer) some borger nu has a row
    on are listed; every borger nu counts in `borgere` on every line. `rows`: udvikling_rows of the
    tilbud, when already computed."""
    pop = borgere_aktive(ds, paa, [tilbud_id]).select("tilbud_id", "borger_id", "start")
    rows = rows if rows is not None else udv.pr_undertema(ds.funktionsevne, pop, paa)
    if niveau != "undertema":
        keep = ["tema", "omraade"] if niveau == "tema" else ["omraade"]
        rows = udv.samlet(rows, keep)
    return udv.tael(rows, pop, [niveau] if niveau != "tema" else ["omraade", "tema"])


# --------------------------------------------------------------------------------------------
# goals


def goal_status_for(ds: Dataset, borgere: pl.LazyFrame, paa: dt.date) -> pl.LazyFrame:
    """maalstatus.goal_status for the goals of `borgere` (borger_id column), with vurdering."""
    ids = borgere.select("borger_id").unique()
    # goal_status numbers the goals (with_row_index) in several branches of one plan: give it the
    # goals in a deterministic order (a join's output order is not)
    maal = ds.indsatsmaal.join(ids, on="borger_id", how="semi").sort("maal_id", "borger_id", "startdato")
    opf = ds.opfoelgninger if "opfoelgninger" in ds.tables else None
    return maalstatus.goal_status(maal, ds.funktionsevne.join(ids, on="borger_id", how="semi"), paa, opf)


def maal_nu(ds: Dataset, tilbud_id: str, paa: dt.date, goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The goals in play for the borgere nu (module docstring) with their status: borger_id, maal_id,
    undertema, maaltype, startdato, opfoelgningsdato, udgangsniveau, forventet_niveau,
    seneste_niveau, status, vurdering, vurderingsdato; sorted by opfoelgningsdato, borger_id, maal_id."""
    nu = borgere_aktive(ds, paa, [tilbud_id]).select("borger_id", "start")
    g = (goals if goals is not None else goal_status_for(ds, nu, paa)).join(nu, on="borger_id", how="inner")
    return (
        g.filter(pl.col("opfoelgningsdato").is_null() | (pl.col("opfoelgningsdato") >= pl.col("start")))
        .select("borger_id", "maal_id", *_text(["undertema", "maaltype"]), "startdato", "opfoelgningsdato",
                "udgangsniveau", "forventet_niveau", "seneste_niveau", "status", "vurdering", "vurderingsdato")
        .sort(["opfoelgningsdato", "borger_id", "maal_id"], nulls_last=True)
    )


def opfoelgninger(ds: Dataset, tilbud_id: str, paa: dt.date, dage: int = OPFOELGNING_DAGE,
                  goals: pl.LazyFrame | None = None) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(kommende, overskredne): goals in play with a follow-up date paa..paa+dage (both included),
    and those whose measured status is Opfølgning overskredet. Same columns as maal_nu plus
    dage_til (follow-up date minus paa; negative when overdue)."""
    g = maal_nu(ds, tilbud_id, paa, goals).with_columns(
        (pl.col("opfoelgningsdato") - pl.lit(paa, pl.Date)).dt.total_days().alias("dage_til"))
    slut = paa + dt.timedelta(days=dage)
    kommende = g.filter(pl.col("opfoelgningsdato").is_between(paa, slut))
    overskredne = g.filter(pl.col("status") == maalstatus.OVERSKREDET)
    return kommende, overskredne


def status_counts(g: pl.LazyFrame, by: Sequence[str]) -> pl.LazyFrame:
    """Per (*by): maal, opnaaet, afventer, ikke_opnaaet, overskredet, vurdering_*, uden_vurdering,
    uenighed, andel_opnaaet (opnaaet / (opnaaet + ikke_opnaaet + overskredet))."""
    st, vu = pl.col("status"), pl.col("vurdering")
    uenig = ((vu == "Opnået") & (st == maalstatus.IKKE_OPNAAET)) | ((vu == "Ikke opnået") & (st == maalstatus.OPNAAET))
    aggs = [pl.len().cast(pl.Int64).alias("maal")]
    aggs += [(st == s).sum().cast(pl.Int64).alias(c) for s, c in STATUS_COLS.items()]
    aggs += [(vu == v).sum().cast(pl.Int64).alias(c) for v, c in VURDERING_COLS.items()]
    aggs += [vu.is_null().sum().cast(pl.Int64).alias("uden_vurdering"), uenig.sum().cast(pl.Int64).alias("uenighed")]
    afgjort = pl.col("opnaaet") + pl.col("ikke_opnaaet") + pl.col("overskredet")
    out = g.group_by(list(by)).agg(aggs) if by else g.select(aggs)
    return out.with_columns(
        pl.when(afgjort > 0).then(pl.col("opnaaet") / afgjort).otherwise(None).alias("andel_opnaaet")
    ).sort(list(by)) if by else out.with_columns(
        pl.when(afgjort > 0).then(pl.col("opnaaet") / afgjort).otherwise(None).alias("andel_opnaaet"))


def periode_borgere(ds: Dataset, fra: dt.date, til: dt.date, tilbud_ids: Sequence[str] | None = None) -> pl.LazyFrame:
    """tilbud_id, borger_id: borgere with a ydelse at the tilbud covering a day of fra..til."""
    return (
        ophold(ds, til, tilbud_ids).filter((pl.col("s") <= til) & (pl.col("e") >= fra))
        .select("tilbud_id", "borger_id").unique()
    )


def maal_i_periode(ds: Dataset, tilbud_id: str, fra: dt.date, til: dt.date, paa: dt.date,
                   goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Goals of the tilbud's borgere in the period with a follow-up date in fra..til, with measured
    status (on paa) and recorded vurdering: borger_id, maal_id, undertema, maaltype, opfoelgningsdato,
    status, vurdering, vurderingsdato, uenig; sorted by borger_id, maal_id."""
    b = periode_borgere(ds, fra, til, [tilbud_id])
    g = (goals.join(b.select("borger_id"), on="borger_id", how="semi") if goals is not None
         else goal_status_for(ds, b, paa)).filter(pl.col("opfoelgningsdato").is_between(fra, til))
    st, vu = pl.col("status"), pl.col("vurdering")
    return g.select(
        "borger_id", "maal_id", *_text(["undertema", "maaltype"]), "opfoelgningsdato", "status", "vurdering",
        "vurderingsdato",
        (((vu == "Opnået") & (st == maalstatus.IKKE_OPNAAET)) | ((vu == "Ikke opnået") & (st == maalstatus.OPNAAET)))
        .fill_null(False).alias("uenig"),
    ).sort("borger_id", "maal_id")


def maalopfyldelse(ds: Dataset, tilbud_id: str, fra: dt.date, til: dt.date, paa: dt.date,
                   goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Per maaltype (plus an 'I alt' row): maal, opnaaet, afventer, ikke_opnaaet, overskredet,
    vurdering_opnaaet, vurdering_delvist, vurdering_ikke_opnaaet, uden_vurdering, uenighed,
    andel_opnaaet."""
    g = maal_i_periode(ds, tilbud_id, fra, til, paa, goals)
    per = status_counts(g, ["maaltype"])
    tot = status_counts(g, []).with_columns(pl.lit("I alt").alias("maaltype"))
    return pl.concat([per, tot.select(per.collect_schema().names())])


# --------------------------------------------------------------------------------------------
# borgere nu


def borgere_nu(ds: Dataset, tilbud_id: str, paa: dt.date, rows: pl.LazyFrame | None = None,
               goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per borger nu, sorted by borger_id: borger_id, paragraf, startdato (arrival),
    dage_i_tilbud, primaer_maalgruppe, stoettebehov (latest overall on or before paa), maal, opnaaet,
    afventer, ikke_opnaaet, overskredet, udvikling (↑ / → / ↓, null without a comparison),
    udvikling_kategori, naeste_opfoelgning (earliest follow-up date on or after paa)."""
    nu = borgere_aktive(ds, paa, [tilbud_id])
    prim = (primaer_maalgruppe(ds.maalgrupper.join(nu.select("borger_id"), on="borger_id", how="semi"), paa)
            .select("borger_id", pl.col("maalgruppe").alias("primaer_maalgruppe")))
    sb = (seneste_stoettebehov(ds.stoettebehov.join(nu.select("borger_id"), on="borger_id", how="semi"), paa)
          .select("borger_id", "stoettebehov"))
    g = maal_nu(ds, tilbud_id, paa, goals)
    st = pl.col("status")
    goals = g.group_by("borger_id").agg(
        pl.len().cast(pl.Int64).alias("maal"),
        *[(st == s).sum().cast(pl.Int64).alias(c) for s, c in STATUS_COLS.items()],
        pl.col("opfoelgningsdato").filter(pl.col("opfoelgningsdato") >= paa).min().alias("naeste_opfoelgning"),
    )
    if rows is None:
        rows = udv.pr_undertema(ds.funktionsevne, nu.select("tilbud_id", "borger_id", "start"), paa)
    arrow = udv.samlet(rows, []).select("borger_id", pl.col("kategori").alias("udvikling_kategori"))
    counts = ["maal", *STATUS_COLS.values()]
    return (
        nu.join(prim, on="borger_id", how="left").join(sb, on="borger_id", how="left")
        .join(goals, on="borger_id", how="left").join(arrow, on="borger_id", how="left")
        .with_columns(pl.col(counts).fill_null(0),
                      pl.col("udvikling_kategori").fill_null(udv.IKKE_VURDERET),
                      ((pl.lit(paa, pl.Date) - pl.col("start")).dt.total_days() + 1).alias("dage_i_tilbud"))
        .with_columns(pl.col("udvikling_kategori").replace_strict(udv.PIL, default=None, return_dtype=pl.String)
                      .alias("udvikling"))
        .select("borger_id", "paragraf", pl.col("start").alias("startdato"), "dage_i_tilbud", "primaer_maalgruppe",
                "stoettebehov", *counts, "udvikling", "udvikling_kategori", "naeste_opfoelgning")
        .sort("borger_id")
    )


# --------------------------------------------------------------------------------------------
# belægning og flow


def belaegning(ds: Dataset, tilbud_id: str, fra: dt.date, til: dt.date, paa: dt.date,
               pladser: int | None) -> pl.LazyFrame:
    """Per month fra..til: maaned, borgere, helaarspersoner, tilgang, afgang (optaelling.monthly_counts
    on the tilbud's ydelser), pladser, belaegningsgrad (contract: belagte dage ÷ (pladser × counted days)
    = helaarspersoner / pladser; null without pladser) and over_kapacitet (belaegningsgrad > 100 %).
    *Borgere på datoen* ÷ pladser is another figure (noegletal's borgere_pr_plads), named apart."""
    y = _ydelser(ds, [tilbud_id])
    m = optaelling.monthly_counts(y, fra, til, paa, by=())
    return _med_grad(m.with_columns(pl.lit(pladser, pl.Int64).alias("pladser")))


def _med_grad(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The one belægningsgrad (contract "A period"): helaarspersoner / pladser, null without pladser
    (none or 0); over_kapacitet when above 100 %."""
    grad = (pl.when(pl.col("pladser") > 0).then(pl.col("helaarspersoner") / pl.col("pladser").cast(pl.Float64))
            .otherwise(pl.lit(None, pl.Float64)))
    return frame.with_columns(grad.alias("belaegningsgrad")).with_columns(
        (pl.col("belaegningsgrad") > 1.0).fill_null(False).alias("over_kapacitet"))


def belaegning_pr_tilbud(ds: Dataset, fra: dt.date, til: dt.date, paa: dt.date,
                         tilbud_ids: Sequence[str] | None = None) -> pl.LazyFrame:
    """Per tilbud with a borger in the period fra..til (days, counted through paa): tilbud_id, navn,
    pladser, borgere and helaarspersoner of the period (optaelling.period_counts), belaegningsgrad and
    over_kapacitet (as belaegning), tilgang and afgang (the period's months of optaelling.monthly_counts,
    summed); sorted by navn, tilbud_id. For a whole month these are the Tilbud page's belægning row of
    that month (the statusrapport's drift section reads this)."""
    y = _ydelser(ds, tilbud_ids)
    slut = min(til, paa)
    counts = optaelling.period_counts(y, fra, til, paa, by=("tilbud_id",)).drop("dage")
    flow = (optaelling.monthly_counts(y, fra, slut, paa, by=("tilbud_id",))
            .group_by("tilbud_id").agg(pl.col("tilgang").sum().cast(pl.Int64), pl.col("afgang").sum().cast(pl.Int64)))
    t = ds.tilbud.unique(subset="tilbud_id", keep="first").select(
        pl.col("tilbud_id").cast(pl.String), pl.col("navn").cast(pl.String), pl.col("pladser").cast(pl.Int64))
    out = (counts.filter(pl.col("borgere") > 0).with_columns(pl.col("tilbud_id").cast(pl.String))
           .join(t, on="tilbud_id", how="left")
           .join(flow.with_columns(pl.col("tilbud_id").cast(pl.String)), on="tilbud_id", how="left")
           .with_columns(pl.col("tilgang", "afgang").fill_null(0)))
    return (_med_grad(out)
            .select("tilbud_id", "navn", "pladser", "borgere", "helaarspersoner", "belaegningsgrad",
                    "over_kapacitet", "tilgang", "afgang")
            .sort("navn", "tilbud_id", nulls_last=True))


def _median(values: list) -> float | None:
    return float(statistics.median(values)) if values else None


def liggetid(ds: Dataset, tilbud_id: str, fra: dt.date, til: dt.date, paa: dt.date) -> Liggetid:
    """Median length of stay (days, both ends) of stays ended in fra..til and of stays running on paa."""
    s = ophold(ds, paa, [tilbud_id]).with_columns(
        ((pl.col("e") - pl.col("s")).dt.total_days() + 1).alias("dage"))
    # a stay whose end is paa is running (open ydelser end on paa) unless a slutdato closes it on paa
    ended, running = pl.collect_all([
        s.filter((pl.col("e") < paa) & pl.col("e").is_between(fra, til)).select("dage"),
        s.filter(pl.col("e") >= paa).select("dage"),
    ])
    return Liggetid(ended.height, _median(ended["dage"].to_list()), running.height,
                    _median(running["dage"].to_list()))


# --------------------------------------------------------------------------------------------
# sammenligning med tilbud af samme tilbudstype (aggregates only)

NOEGLETAL = (  # column, label
    ("borgere", "Borgere nu"),
    ("borgere_pr_plads", "Borgere på datoen ÷ pladser (ikke belægningsgrad)"),
    ("andel_forbedret", "Andel borgere med forbedret funktionsevne"),
    ("andel_opnaaet", "Andel mål opnået (opfølgning seneste 12 mdr.)"),
    ("median_liggetid", "Median liggetid, igangværende ophold (dage)"),
)
MIN_PEERS = 3  # fewer comparable tilbud than this: no quartiles (they would show single tilbud)


@dataclass(frozen=True)
class Sammenligningstal:
    noegletal: str
    label: str
    egen: float | None
    median: float | None
    q1: float | None
    q3: float | None
    tilbud: int  # tilbud the statistics rest on (own included)
    skjult: bool  # statistics hidden (too few tilbud with enough borgere)
    egen_vist: str | None = None  # the own value as shown when suppressed ('<g' / 'x'); None: shown as egen


@dataclass(frozen=True)
class Sammenligning:
    tilbudstype: str
    tilbud_i_alt: int
    tal: tuple[Sammenligningstal, ...]


def noegletal(ds: Dataset, paa: dt.date, tilbud_ids: Sequence[str]) -> pl.LazyFrame:
    """Per tilbud: tilbud_id, pladser, borgere, borgere_pr_plads (borgere på datoen ÷ pladser: not the
    belægningsgrad, which is helårspersoner ÷ pladser), andel_forbedret, andel_opnaaet,
    median_liggetid (same definitions as the tilbud's own sections; goals followed up in the 365
    days up to paa)."""
    ids = list(tilbud_ids)
    t = ds.tilbud.filter(pl.col("tilbud_id").is_in(ids)).unique(subset="tilbud_id", keep="first").select(
        "tilbud_id", "pladser")
    nu = borgere_aktive(ds, paa, ids)
    n = nu.group_by("tilbud_id").agg(pl.len().cast(pl.Int64).alias("borgere"))
    rows = udv.pr_undertema(ds.funktionsevne, nu.select("tilbud_id", "borger_id", "start"), paa)
    dev = udv.tael(udv.samlet(rows, ["tilbud_id"]), nu.select("tilbud_id", "borger_id"), ["tilbud_id"])
    fra = paa - dt.timedelta(days=364)
    pb = periode_borgere(ds, fra, paa, ids)
    g = (goal_status_for(ds, pb, paa).filter(pl.col("opfoelgningsdato").is_between(fra, paa))
         .join(pb, on="borger_id", how="inner"))
    goals = status_counts(g, ["tilbud_id"]).select("tilbud_id", "andel_opnaaet")
    stay = (ophold(ds, paa, ids).filter(pl.col("e") >= paa)
            .group_by("tilbud_id").agg(((pl.col("e") - pl.col("s")).dt.total_days() + 1).median()
                                       .alias("median_liggetid")))
    return (
        t.join(n, on="tilbud_id", how="left").join(dev.select("tilbud_id", "andel_forbedret"), on="tilbud_id",
                                                   how="left")
        .join(goals, on="tilbud_id", how="left").join(stay, on="tilbud_id", how="left")
        .with_columns(pl.col("borgere").fill_null(0))
        .with_columns(pl.when(pl.col("pladser") > 0).then(pl.col("borgere") / pl.col("pladser")).otherwise(None)
                      .alias("borgere_pr_plads"))
        .select("tilbud_id", "pladser", "borgere", "borgere_pr_plads", "andel_forbedret", "andel_opnaaet",
                "median_liggetid")
        .sort("tilbud_id")
    )


def tilbudstype_af(ds: Dataset, tilbud_id: str) -> str:
    typ = (ds.tilbud.filter(pl.col("tilbud_id") == tilbud_id).select(pl.col("tilbudstype").cast(pl.String))
           .head(1).collect())
    if typ.height == 0:
        raise ValueError(f"ukendt tilbud: {tilbud_id}")
    return typ.item()


def peer_noegletal(ds_alle: Dataset, tilbudstype: str, paa: dt.date) -> pl.DataFrame:
    """noegletal of every tilbud of the tilbudstype (internal to the comparison: never shown)."""
    peers = (ds_alle.tilbud.filter(pl.col("tilbudstype").cast(pl.String) == tilbudstype)
             .select("tilbud_id").unique().collect()["tilbud_id"].to_list())
    return noegletal(ds_alle, paa, peers).collect()


def sammenligning(ds_alle: Dataset, tilbud_id: str, paa: dt.date, graense: int | None = None,
                  peers: pl.DataFrame | None = None) -> Sammenligning:
    """The tilbud's key figures against every tilbud of its tilbudstype in `ds_alle` (the dataset
    before scoping: only medians and quartiles leave this function, never another tilbud's value).

    Suppression (workbench.regler.suppression threshold g): a peer with 1..g-1 borgere nu takes no part
    in the statistics (its shares rest on too few borgere); when fewer than MIN_PEERS tilbud remain,
    the statistics are hidden (skjult) as quartiles of two tilbud would reveal each of them."""
    from workbench.regler.suppression import threshold

    g = graense or threshold()
    tilbudstype = tilbudstype_af(ds_alle, tilbud_id)
    df = peers if peers is not None else peer_noegletal(ds_alle, tilbudstype, paa)
    own = df.filter(pl.col("tilbud_id") == tilbud_id)
    usable = df.filter((pl.col("borgere") >= g) | (pl.col("tilbud_id") == tilbud_id))
    tal = []
    for col, label in NOEGLETAL:
        vals = usable[col].drop_nulls()
        egen = own[col][0] if own.height else None
        hidden = vals.len() < MIN_PEERS
        q = (lambda x: None) if hidden else (lambda x: float(vals.quantile(x, "linear")))
        tal.append(Sammenligningstal(col, label, None if egen is None else float(egen), q(0.5), q(0.25), q(0.75),
                                     int(vals.len()), hidden))
    return Sammenligning(tilbudstype, df.height, tuple(tal))


def sammenligning_for(s: Sammenligning | None, visning) -> Sammenligning | None:
    """The comparison as `visning` shows it: when the tilbud's own borgere nu are 1..g-1, its own
    borgere read '<g' and every own figure resting on them (borgere ÷ pladser gives the count back with
    the pladser, the shares and the median rest on those borgere) reads 'x', with `egen` None (no point
    drawn). Peers' statistics are already limited to tilbud with g borgere or more (sammenligning)."""
    import dataclasses

    from workbench.regler import suppression

    if s is None or visning.eksakt:
        return s
    borgere = next((t.egen for t in s.tal if t.noegletal == "borgere"), None)
    if not suppression.is_small(borgere, visning):
        return s
    tal = tuple(dataclasses.replace(t, egen=None, egen_vist=suppression.antal(int(t.egen), visning)
                                    if t.noegletal == "borgere" else suppression.SEKUNDAER) for t in s.tal)
    return dataclasses.replace(s, tal=tal)


# --------------------------------------------------------------------------------------------
# the whole tilbud (page and CLI: one function)

MAANEDER_BELAEGNING = 12


@dataclass(frozen=True)
class Rapport:
    """Everything the Tilbud page and `ffb-workbench tilbud` show, collected once."""

    header: Header
    paa: dt.date
    fra: dt.date  # målopfyldelse period and liggetid (afsluttede)
    til: dt.date
    borgere: pl.DataFrame
    udvikling_undertema: pl.DataFrame
    udvikling_tema: pl.DataFrame
    udvikling_omraade: pl.DataFrame
    maalopfyldelse: pl.DataFrame
    maal_i_periode: pl.DataFrame
    kommende: pl.DataFrame
    overskredne: pl.DataFrame
    belaegning: pl.DataFrame
    liggetid: Liggetid
    sammenligning: Sammenligning | None


def standard_periode(paa: dt.date) -> tuple[dt.date, dt.date]:
    """The default period of målopfyldelse: the 365 days up to and including paa."""
    return paa - dt.timedelta(days=364), paa


def rapport(ds: Dataset, tilbud_id: str, paa: dt.date, fra: dt.date | None = None, til: dt.date | None = None,
            ds_alle: Dataset | None = None, peers: pl.DataFrame | None = None) -> Rapport:
    """The tilbud as it stood on `paa` in the (scoped) dataset `ds`; ValueError for a tilbud outside
    it. With `ds_alle` (the unscoped dataset) also the peer comparison (aggregates only)."""
    h = header(ds, tilbud_id)
    d_fra, d_til = standard_periode(paa)
    fra, til = fra or d_fra, til or d_til
    if fra > til:
        raise ValueError(f"fra ({fra.isoformat()}) ligger efter til ({til.isoformat()})")
    m_til = optaelling.month_start(paa)
    m_fra = optaelling.add_months(m_til, -(MAANEDER_BELAEGNING - 1))
    # computed once for all sections: the development rows and the goal statuses of every borger
    # the page shows (borgere nu and borgere in the period)
    rows = udvikling_rows(ds, paa, [tilbud_id]).collect().lazy()
    ids = pl.concat([borgere_aktive(ds, paa, [tilbud_id]).select("borger_id"),
                     periode_borgere(ds, fra, til, [tilbud_id]).select("borger_id")]).unique()
    goals = goal_status_for(ds, ids, paa).collect().lazy()
    kommende, overskredne = opfoelgninger(ds, tilbud_id, paa, goals=goals)
    frames = pl.collect_all([
        borgere_nu(ds, tilbud_id, paa, rows, goals),
        udvikling(ds, tilbud_id, paa, "undertema", rows),
        udvikling(ds, tilbud_id, paa, "tema", rows),
        udvikling(ds, tilbud_id, paa, "omraade", rows),
        maalopfyldelse(ds, tilbud_id, fra, til, paa, goals),
        maal_i_periode(ds, tilbud_id, fra, til, paa, goals),
        kommende, overskredne,
        belaegning(ds, tilbud_id, m_fra, m_til, paa, h.pladser),
    ])
    cmp = sammenligning(ds_alle, tilbud_id, paa, peers=peers) if ds_alle is not None else None
    return Rapport(h, paa, fra, til, *frames, liggetid(ds, tilbud_id, fra, til, paa), cmp)


def _records(df: pl.DataFrame) -> list[dict]:
    return df.with_columns(pl.col(c).cast(pl.String) for c, t in df.schema.items()
                           if isinstance(t, (pl.Enum, pl.Categorical))).to_dicts()


def to_json(r: Rapport) -> dict:
    """The `ffb-workbench tilbud` JSON object (dates as datetime.date; output.to_json_text writes ISO)."""
    h = r.header
    return {
        "tilbud_id": h.tilbud_id, "navn": h.navn, "tilbudstype": h.tilbudstype, "driftsform": h.driftsform,
        "adresse": h.adresse, "postnr": h.postnr, "kommunekode": h.kommunekode, "pladser": h.pladser,
        "paa": r.paa,
        "borgere": _records(r.borgere),
        "udvikling": {"undertema": _records(r.udvikling_undertema), "tema": _records(r.udvikling_tema),
                      "omraade": _records(r.udvikling_omraade)},
        "maalopfyldelse": {"fra": r.fra, "til": r.til, "maaltyper": _records(r.maalopfyldelse)},
        "opfoelgninger": {"dage": OPFOELGNING_DAGE, "kommende": _records(r.kommende),
                          "overskredne": _records(r.overskredne)},
        "belaegning": {"maaneder": _records(r.belaegning), "liggetid": vars(r.liggetid).copy()},
        "sammenligning": None if r.sammenligning is None else {
            "tilbudstype": r.sammenligning.tilbudstype, "tilbud_i_alt": r.sammenligning.tilbud_i_alt,
            "noegletal": [vars(t).copy() for t in r.sammenligning.tal]},
    }


# -- the report as a principal may see it (issue 23 item 3) ----------------------------------------------

# count columns that are not counts of borgere/ophold/mål
_IKKE_ANTAL = {"pladser"}
# the count that governs each table's ratios and helårspersoner: hidden ('x') where it is 1..g-1
_STYRENDE = {"udvikling_undertema": "borgere", "udvikling_tema": "borgere", "udvikling_omraade": "borgere",
             "belaegning": "borgere"}


def _suppress_frame(df: pl.DataFrame, styrende: str | None, visning) -> pl.DataFrame:
    from workbench.regler.suppression import suppress_table

    counts = [c for c, t in df.schema.items() if t.is_integer() and c not in _IKKE_ANTAL]
    floats = [c for c, t in df.schema.items() if t.is_float()]
    if styrende in df.columns and floats:
        df = suppress_table(df, floats, count_col=styrende, visning=visning)
    return suppress_table(df, counts, visning=visning)


# Målopfyldelse's additive relations: every goal has one status and one registered vurdering (or none), so
# both groups sum to maal in each row; every column sums over the måltyper to the 'I alt' row.
MAAL_GRUPPER = (("maal", tuple(STATUS_COLS.values())),
                ("maal", (*VURDERING_COLS.values(), "uden_vurdering")))
MAAL_ANDEL = {"andel_opnaaet": ("opnaaet", "ikke_opnaaet", "overskredet")}


def maalopfyldelse_vist(df: pl.DataFrame, visning) -> pl.DataFrame:
    """The målopfyldelse table as `visning` shows it: exact unchanged; suppressed: counts 1..g-1 '<g' and
    complementary 'x' along each row's status and vurdering groups and down to 'I alt'
    (suppression.suppress_groups), so no hidden cell is total minus the visible parts; the share
    hidden where a count it rests on is. The Tilbud page and for_principal (CLI) call it."""
    from workbench.regler import suppression

    if visning.eksakt:
        return df
    return suppression.suppress_groups(df, "maaltype", MAAL_GRUPPER, other_cols=("uenighed",),
                                       ratios=MAAL_ANDEL, visning=visning)


def for_principal(r: Rapport, principal) -> Rapport:
    """The report as `principal` may see it: for a role without the borger list (e.g. analytiker) every
    count of borgere, ophold or mål of 1..g-1 reads '<g' and the ratios and helårspersoner resting on such
    a count read 'x' (workbench.regler.suppression); the per-borger tables are empty. Exact roles get `r`
    unchanged. The Tilbud page and `ffb-workbench tilbud` both call it."""
    import dataclasses

    from workbench.regler import access, suppression

    visning = suppression.for_principal(principal)
    if visning.eksakt:
        return r
    tom = {n: getattr(r, n).clear() for n in ("borgere", "maal_i_periode", "kommende", "overskredne")} \
        if not access.individual_access(principal) else {}
    frames = {n: _suppress_frame(getattr(r, n), s, visning) for n, s in _STYRENDE.items() if n != "belaegning"}
    # tilgang/afgang with the month-to-month change in borgere (suppression.suppress_flow), then the rest
    frames["belaegning"] = _suppress_frame(
        suppression.suppress_flow(r.belaegning, "borgere", "tilgang", "afgang", visning), "borgere", visning)
    frames["maalopfyldelse"] = maalopfyldelse_vist(r.maalopfyldelse, visning)
    lt = r.liggetid
    liggetid = Liggetid(
        afsluttede=suppression.antal(lt.afsluttede, visning),
        median_dage_afsluttede=None if suppression.is_small(lt.afsluttede, visning) else lt.median_dage_afsluttede,
        igangvaerende=suppression.antal(lt.igangvaerende, visning),
        median_dage_igangvaerende=None if suppression.is_small(lt.igangvaerende, visning)
        else lt.median_dage_igangvaerende)
    return dataclasses.replace(r, **tom, **frames, liggetid=liggetid,
                               sammenligning=sammenligning_for(r.sammenligning, visning))


# --- the page's view (sidefiler/tilbud.py lays it out) --------------------------------------------------

UDVIKLING_VIST = {"forbedret": "Forbedret", "uaendret": "Uændret", "forvaerret": "Forværret",
                  "en_vurdering": "Ingen ny vurdering", "ikke_vurderet": "Ikke vurderet"}
MAAL_VIST = {"maal": "Mål", "opnaaet": "Opnået", "ikke_opnaaet": "Ikke opnået", "overskredet": "Overskredet",
             "opnaaet_ved_start": "Opnået ved start",
             "afventer": "Afventer", "vurdering_opnaaet": "Registreret opnået", "vurdering_delvist": "Registreret delvist",
             "vurdering_ikke_opnaaet": "Registreret ikke opnået", "uden_vurdering": "Uden registrering",
             "uenighed": "Uenighed"}
PROCENT_TAL = {"borgere_pr_plads", "andel_forbedret", "andel_opnaaet"}  # key figures shown as a percentage
NIVEAUER = {"Tema": "tema", "Undertema": "undertema"}  # the page's 'Vis pr.' choice -> udvikling column


def _dato_tekst(c: str) -> pl.Expr:
    return pl.col(c).dt.strftime(DATO).fill_null(TOM)


def _med_link(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(borger_link("borger_id").alias("Borger"))


def liste_vist(liste: pl.DataFrame, visning) -> pl.DataFrame:
    """The list of tilbud (liste()) as the page shows it before one is chosen; Borgere nu suppressed
    for a visning that is not exact."""
    from workbench.regler import suppression

    from workbench.format.dansk import tilbud_link

    # "Åbn": each row opens its tilbud (the page's own ?tilbud= deep link)
    out = liste.select(tilbud_link("tilbud_id").alias("Åbn"), pl.col("navn").alias("Tilbud"),
                       pl.col("tilbud_id").alias("P-nummer"), pl.col("tilbudstype").alias("Tilbudstype"),
                       pl.col("pladser").alias("Pladser"), pl.col("borgere").alias("Borgere nu"))
    return out if visning.eksakt else suppression.suppress_table(out, ["Borgere nu"], visning=visning)


def sammenligning_tabel(s: Sammenligning) -> pl.DataFrame:
    """The peer comparison's table: own figure, quartiles and median in Danish, 'skjult' where hidden."""
    def fmt(col: str, v: float | None) -> str:
        if v is None:
            return TOM
        return f"{dansk_tal(v * 100)} %" if col in PROCENT_TAL else dansk_tal(v)

    return pl.DataFrame([{"Nøgletal": t.label, "Dette tilbud": t.egen_vist or fmt(t.noegletal, t.egen),
                          "Nedre kvartil": "skjult" if t.skjult else fmt(t.noegletal, t.q1),
                          "Median": "skjult" if t.skjult else fmt(t.noegletal, t.median),
                          "Øvre kvartil": "skjult" if t.skjult else fmt(t.noegletal, t.q3), "Tilbud": t.tilbud}
                         for t in s.tal])


def sammenligning_boks(s: Sammenligning) -> pl.DataFrame:
    """The box chart's series: the percentage key figures not hidden (Nøgletal, q1, median, q3, egen)."""
    return pl.DataFrame([{"Nøgletal": t.label, "q1": t.q1, "median": t.median, "q3": t.q3, "egen": t.egen}
                         for t in s.tal if t.noegletal in PROCENT_TAL and not t.skjult],
                        schema={"Nøgletal": pl.String, "q1": pl.Float64, "median": pl.Float64, "q3": pl.Float64,
                                "egen": pl.Float64})  # typed: an all-empty column would be Null (Altair refuses)


@dataclass(frozen=True)
class TilbudSide:
    """The Tilbud page for one principal: the report (rapport() on the principal's scoped data) and the
    principal's visning. Every method returns a display table or chart series already suppressed for
    the visning (the per-borger tables are only called for roles with the borger list)."""

    rapport: Rapport
    visning: object  # suppression.Visning

    @property
    def eksakt(self) -> bool:
        return self.visning.eksakt

    def borgere_vist(self) -> pl.DataFrame:
        """Borgere nu, one row per borger, Borger as a link."""
        return _med_link(self.rapport.borgere).select(
            "Borger", pl.col("paragraf").alias("Paragraf"), _dato_tekst("startdato").alias("Start"),
            pl.col("dage_i_tilbud").alias("Dage i tilbud"), pl.col("primaer_maalgruppe").alias("Primær målgruppe"),
            pl.col("stoettebehov").alias("Støttebehov"), pl.col("maal").alias("Mål"),
            pl.format("{} opnået · {} afventer · {} ikke opnået · {} overskredet · {} opnået ved start", "opnaaet",
                      "afventer", "ikke_opnaaet", "overskredet", "opnaaet_ved_start").alias("Målstatus"),
            pl.col("udvikling").fill_null(TOM).alias("Udvikling"),
            _dato_tekst("naeste_opfoelgning").alias("Næste opfølgning"))

    def _udvikling(self, niveau: str) -> pl.DataFrame:
        return self.rapport.udvikling_tema if niveau == "Tema" else self.rapport.udvikling_undertema

    def udvikling_emner(self, niveau: str) -> list[str]:
        """The temaer or undertemaer in the report's order (the chart's sort)."""
        return self._udvikling(niveau)[NIVEAUER[niveau]].to_list()

    def udvikling_graf(self, niveau: str) -> pl.DataFrame:
        """Emne, Udvikling (Forbedret/Uændret/Forværret), Borgere; a count of 1..g-1 is null (not drawn)."""
        g = 0 if self.eksakt else self.visning.graense
        df = self._udvikling(niveau).select(
            pl.col(NIVEAUER[niveau]).alias("Emne"),
            *[pl.col(k).alias(v) for k, v in list(UDVIKLING_VIST.items())[:3]]).unpivot(
            index="Emne", variable_name="Udvikling", value_name="Borgere")
        if self.eksakt:
            return df
        return df.with_columns(pl.when(pl.col("Borgere").is_between(1, g - 1)).then(None)
                               .otherwise(pl.col("Borgere")).alias("Borgere"))

    def udvikling_vist(self, niveau: str) -> pl.DataFrame:
        from workbench.regler import suppression

        df = self._udvikling(niveau).select(pl.col(NIVEAUER[niveau]).alias(niveau), pl.col("borgere").alias("Borgere"),
                                            *[pl.col(k).alias(v) for k, v in UDVIKLING_VIST.items()])
        if self.eksakt:
            return df
        return suppression.suppress_table(df, ["Borgere", *UDVIKLING_VIST.values()], visning=self.visning)

    def maalopfyldelse_vist(self) -> pl.DataFrame:
        """Målopfyldelse with Danish headers; suppressed with complementary cells (maalopfyldelse_vist, as
        the CLI's tilbud command)."""
        return maalopfyldelse_vist(self.rapport.maalopfyldelse, self.visning).select(
            pl.col("maaltype").alias("Måltype"), *[pl.col(k).alias(v) for k, v in MAAL_VIST.items()])

    @staticmethod
    def opfoelgninger_vist(df: pl.DataFrame) -> pl.DataFrame:
        """The report's kommende or overskredne follow-ups, one row per goal, Borger as a link."""
        return _med_link(df).select(
            "Borger", pl.col("undertema").alias("Undertema"), pl.col("maaltype").alias("Måltype"),
            _dato_tekst("opfoelgningsdato").alias("Opfølgning"), pl.col("dage_til").alias("Dage til"),
            pl.col("status").alias("Status"), pl.col("vurdering").fill_null(TOM).alias("Registreret"),
            pl.col("maal_id").alias("Mål"))

    def _belaegning(self) -> pl.DataFrame:
        b = self.rapport.belaegning.select(pl.col("maaned").alias("Måned"), pl.col("borgere").alias("Borgere"),
                                           pl.col("helaarspersoner").round(1).alias("Helårspersoner"))
        if self.eksakt:
            return b
        # a month with 1..g-1 borgere is not drawn (its points and tooltips would show them)
        small = (pl.col("Borgere") > 0) & (pl.col("Borgere") < self.visning.graense)
        return b.with_columns(pl.when(small).then(None).otherwise(pl.col(c)).alias(c)
                              for c in ("Borgere", "Helårspersoner"))

    def belaegning_graf(self) -> pl.DataFrame:
        """Måned, Mål (Borgere/Helårspersoner), Antal: the belægning chart's lines."""
        return self._belaegning().unpivot(index="Måned", variable_name="Mål", value_name="Antal")

    def pladser_linje(self) -> pl.DataFrame | None:
        """The chart's rule at the number of pladser; None without pladser."""
        p = self.rapport.header.pladser
        return pl.DataFrame({"Pladser": [p]}) if p else None

    @property
    def maaneder_over_kapacitet(self) -> int:
        return int(self.rapport.belaegning["over_kapacitet"].sum())

    def flow_vist(self) -> pl.DataFrame:
        """Belægning og flow per month; suppressed: helårspersoner and belægningsgrad on 1..g-1 borgere,
        tilgang/afgang hidden with the month-to-month change in borgere (the CLI: the same calls)."""
        from workbench.regler import suppression

        flow = self.rapport.belaegning.select(
            pl.col("maaned").alias("Måned"), pl.col("borgere").alias("Borgere"),
            pl.col("helaarspersoner").round(1).alias("Helårspersoner"), pl.col("pladser").alias("Pladser"),
            (pl.col("belaegningsgrad") * 100).round(0).alias("Belægningsgrad %"),
            pl.when(pl.col("over_kapacitet")).then(pl.lit("⚠ over 100 %")).otherwise(pl.lit("")).alias("Over kapacitet"),
            pl.col("tilgang").alias("Tilgang"), pl.col("afgang").alias("Afgang"))
        if self.eksakt:
            return flow
        flow = suppression.suppress_table(flow, ["Helårspersoner", "Belægningsgrad %"], count_col="Borgere",
                                          visning=self.visning)
        return suppression.suppress_table(suppression.suppress_flow(flow, "Borgere", "Tilgang", "Afgang",
                                                                    visning=self.visning),
                                          ["Borgere"], visning=self.visning)
