"""One borger's progression against the indsatsmål (spec/DATA_CONTRACT.md, `forloeb`).

Pure functions over LazyFrames; the caller collects. Everything is seen *as it stood on the
reference date* (`paa`): rows dated after it are left out.

Rules (the contract, to the letter):

* Niveau on a date: workbench.regler.niveau (the one owner): the latest assessment (niveau 0-4) on or before
  the date; a later *Ikke vurderet* never erases it; same-day rows: the worst niveau.
* `udgangsniveau` = the niveau on the goal's undertema on `startdato`; `seneste_niveau` = the niveau
  on the reference date (both with the date of the assessment used: `*_dato`).
* `status`: workbench.regler.maalstatus.goal_status (the one owner; rules in its docstring).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.regler import niveau
from workbench.regler.maalstatus import goal_status
from workbench.data.config import CodeLists, codes as load_codes
from workbench.data.dataset import Dataset
from workbench.regler.periods import age_on

GOAL_COLUMNS = ["maal_id", "undertema", "maaltype", "udgangsniveau", "forventet_niveau", "startdato",
                "opfoelgningsdato", "seneste_niveau", "status", "vurdering", "vurderingsdato"]
FE_COLUMNS = ["omraade", "tema", "undertema", "dato", "niveau"]
YDELSE_COLUMNS = ["ydelse_id", "paragraf", "ydelse", "startdato", "slutdato", "tilbud_id", "tilbud",
                  "timer_pr_uge", "maanedlig_udgift"]
SB_COLUMNS = ["dato", "stoettebehov", "tema"]


def _text(*cols: str) -> list[pl.Expr]:
    """Enum columns as plain text (JSON, sorting by label)."""
    return [pl.col(c).cast(pl.String) for c in cols]


def borger_goals(ds: Dataset, borger_id: str, paa: dt.date) -> pl.LazyFrame:
    """The contract's indsatsmål rows of one borger (GOAL_COLUMNS) plus ansvarlig, relaterede_undertemaer,
    vurderbar, udgangsniveau_dato, seneste_niveau_dato, maalt_niveau, maalt_dato, status_paa_indsats (UI)."""
    g = goal_status(
        ds.indsatsmaal.filter(pl.col("borger_id") == borger_id),
        ds.funktionsevne.filter(pl.col("borger_id") == borger_id),
        paa,
        ds.opfoelgninger,
    )
    return g.select(
        "maal_id", *_text("undertema", "maaltype"), "udgangsniveau", "forventet_niveau", "startdato",
        "opfoelgningsdato", "seneste_niveau", "status", "vurdering", "vurderingsdato", "ansvarlig",
        "relaterede_undertemaer", "vurderbar", "udgangsniveau_dato", "seneste_niveau_dato", "maalt_niveau",
        "maalt_dato", "status_paa_indsats",
    )


def borger_niveauer(ds: Dataset, borger_id: str, paa: dt.date) -> pl.LazyFrame:
    """undertema, niveau, niveau_dato: the borger's niveau on each assessed undertema on `paa`
    (workbench.regler.niveau, the same function Udforsk and Kort use), sorted by undertema."""
    return niveau.niveau_paa(ds.funktionsevne.filter(pl.col("borger_id") == borger_id), paa).select(
        "undertema", "niveau", "niveau_dato").sort("undertema")


def borger_funktionsevne(ds: Dataset, borger_id: str, paa: dt.date) -> pl.LazyFrame:
    """omraade, tema, undertema, dato, niveau (null = Ikke vurderet), sorted by undertema, dato."""
    return (
        ds.funktionsevne.filter((pl.col("borger_id") == borger_id) & (pl.col("dato") <= paa))
        .select(*_text("omraade", "tema", "undertema"), "dato", "niveau")
        .sort(["undertema", "dato", "omraade", "tema", "niveau"], nulls_last=True)
    )


def borger_ydelser(ds: Dataset, borger_id: str, paa: dt.date) -> pl.LazyFrame:
    """Ydelser started on or before the reference date, with the tilbud name; sorted by startdato, ydelse_id."""
    tilbud = ds.tilbud.select("tilbud_id", pl.col("navn").alias("tilbud")).unique(subset="tilbud_id", keep="first")
    return (
        ds.ydelser.filter((pl.col("borger_id") == borger_id) & (pl.col("startdato") <= paa))
        .join(tilbud, on="tilbud_id", how="left")
        .select(
            "ydelse_id", *_text("paragraf"), "ydelse", "startdato", "slutdato", "tilbud_id", "tilbud",
            "timer_pr_uge", "maanedlig_udgift",
        )
        .sort(["startdato", "ydelse_id"])
    )


def borger_stoettebehov(ds: Dataset, borger_id: str, paa: dt.date) -> pl.LazyFrame:
    """dato, stoettebehov, tema (null = overall), sorted by dato then tema (overall first)."""
    return (
        ds.stoettebehov.filter((pl.col("borger_id") == borger_id) & (pl.col("dato") <= paa))
        .select("dato", *_text("stoettebehov", "tema"))
        .sort(["dato", "tema"], nulls_last=False)
    )


def borger_exists(ds: Dataset, borger_id: str) -> bool:
    return ds.borgere.filter(pl.col("borger_id") == borger_id).select(pl.len()).collect().item() > 0


def forloeb(ds: Dataset, borger_id: str, paa: dt.date) -> dict[str, Any]:
    """The `forloeb` JSON object (dates as datetime.date; output.to_json_text writes them ISO).

    Raises ValueError for a borger that is not in the (scoped) dataset.
    """
    if not borger_exists(ds, borger_id):
        raise ValueError(f"ukendt borger: {borger_id}")
    fe, goals, yd, sb = pl.collect_all([
        borger_funktionsevne(ds, borger_id, paa),
        borger_goals(ds, borger_id, paa).select(GOAL_COLUMNS),
        borger_ydelser(ds, borger_id, paa),
        borger_stoettebehov(ds, borger_id, paa),
    ])
    return {
        "borger_id": borger_id,
        "paa": paa,
        "funktionsevne": fe.to_dicts(),
        "indsatsmaal": goals.to_dicts(),
        "ydelser": yd.to_dicts(),
        "stoettebehov": sb.to_dicts(),
    }


# --- the borger page ------------------------------------------------------------------------------

def borger_header(ds: Dataset, borger_id: str, paa: dt.date) -> dict[str, Any]:
    """Stamdata for the header: alder, koen, handlekommune, sagsbehandler, team, cpr (as scoped:
    masked), maalgrupper (list of {maalgruppe, primaer, dato}, primary first, as of paa)."""
    b = (
        ds.borgere.filter(pl.col("borger_id") == borger_id)
        .select(
            "borger_id", "cpr", "foedselsdato", pl.col("koen").cast(pl.String), "handlekommune", "sagsbehandler",
            "team", age_on(pl.col("foedselsdato"), paa).alias("alder"),
        )
        .head(1)
    )
    mg = (
        ds.maalgrupper.filter((pl.col("borger_id") == borger_id) & (pl.col("dato") <= paa))
        .select(pl.col("maalgruppe").cast(pl.String), "primaer", "dato")
        .sort(["dato"])
        .unique(subset="maalgruppe", keep="last")
        .sort(["primaer", "dato", "maalgruppe"], descending=[True, False, False])
    )
    bdf, mdf = pl.collect_all([b, mg])
    if bdf.height == 0:
        raise ValueError(f"ukendt borger: {borger_id}")
    out = bdf.row(0, named=True)
    out["maalgrupper"] = mdf.to_dicts()
    return out


@dataclass(frozen=True)
class BorgerSide:
    """What the borger page shows for one borger on a date (workbench.ui.borger_view renders it)."""
    data: Dataset  # the borger's rows only, collected (the review form reads them too)
    header: dict[str, Any]
    funktionsevne: pl.DataFrame
    goals: pl.DataFrame
    ydelser: pl.DataFrame
    stoettebehov: pl.DataFrame
    niveauer: pl.DataFrame
    overlap: pl.DataFrame  # the borger's potentielle overlappende ydelser (workbench.regler.overlap)
    findings: pl.DataFrame  # regel, alvor, tabel, noegle, besked (workbench.regler.kvalitet)


def borger_side(ds: Dataset, borger_id: str, paa: dt.date) -> BorgerSide:
    """The borger page's data: the borger's rows taken out of the (scoped) dataset once, then every
    section from them in one collect (the same functions as the CLI, Kvalitet and Udforsk)."""
    from workbench.regler import kvalitet, overlap

    mine = ds.only_borger(borger_id).collected()
    header = borger_header(mine, borger_id, paa)
    of_borger = pl.col("borger_id") == borger_id
    fe, goals, yd, sb, niveauer, ov, found = pl.collect_all([
        borger_funktionsevne(mine, borger_id, paa),
        borger_goals(mine, borger_id, paa),
        borger_ydelser(mine, borger_id, paa),
        borger_stoettebehov(mine, borger_id, paa),
        borger_niveauer(mine, borger_id, paa),
        overlap.overlap_report(mine.ydelser, paa).filter(of_borger),
        kvalitet.findings(mine, paa).filter(of_borger).select("regel", "alvor", "tabel", "noegle", "besked"),
    ])
    return BorgerSide(mine, header, fe, goals, yd, sb, niveauer, ov, found)


def niveau_segments(funktionsevne: pl.DataFrame | pl.LazyFrame, paa: dt.date) -> pl.DataFrame:
    """Step-chart segments of one undertema's rows (dato, niveau; null = Ikke vurderet).

    Each row holds from its date to the next row's date (the last one to `paa`). Ikke vurderet rows
    give no segment: the chart shows a gap there, never a 0. Columns: fra, til, niveau, and
    `fald_fra` (the previous segment's niveau when the step joins it, for the vertical connector).
    """
    lf = funktionsevne.lazy() if isinstance(funktionsevne, pl.DataFrame) else funktionsevne
    rows = (
        lf.filter(pl.col("dato") <= paa)
        .group_by("dato")
        # Same-day rows: the worst assessed niveau counts; a day with only Ikke vurderet stays null.
        .agg(pl.col("niveau").max())
        .sort("dato")
        .with_columns(pl.col("dato").shift(-1).fill_null(pl.lit(paa, pl.Date)).alias("til"))
        .with_columns(pl.col("niveau").shift(1).alias("fald_fra"))
        .rename({"dato": "fra"})
        .filter(pl.col("niveau").is_not_null())
        .select("fra", "til", "niveau", "fald_fra")
        .collect()
    )
    return rows


def stoettebehov_segments(stoettebehov: pl.DataFrame | pl.LazyFrame, paa: dt.date,
                          codes: CodeLists | None = None) -> pl.DataFrame:
    """Step segments of the overall støttebehov (tema null) and per tema: serie, fra, til, stoettebehov,
    rang (null for Ikke vurderet -> gap)."""
    codes = codes or load_codes()
    rang = {k: v for k, v in codes.stoettebehov_rang.items()}
    lf = stoettebehov.lazy() if isinstance(stoettebehov, pl.DataFrame) else stoettebehov
    return (
        lf.filter(pl.col("dato") <= paa)
        .with_columns(
            pl.col("tema").cast(pl.String).fill_null("Samlet").alias("serie"),
            pl.col("stoettebehov").cast(pl.String),
        )
        .with_columns(pl.col("stoettebehov").replace_strict(rang, default=None, return_dtype=pl.Int64).alias("rang"))
        .sort(["serie", "dato"])
        .with_columns(pl.col("dato").shift(-1).over("serie").fill_null(pl.lit(paa, pl.Date)).alias("til"))
        .rename({"dato": "fra"})
        .select("serie", "fra", "til", "stoettebehov", "rang")
        .collect()
    )


def chart_undertemaer(fe: pl.DataFrame, goals: pl.DataFrame) -> list[str]:
    """The undertemaer that get a step chart: every one with an indsatsmål, and every Aktivitet og
    deltagelse undertema with a row (an assessment or Ikke vurderet). Goals first, then by name."""
    with_goal = list(dict.fromkeys(goals["undertema"].to_list())) if goals.height else []
    assessed = (
        fe.filter(pl.col("omraade") == "Aktivitet og deltagelse")["undertema"].unique().sort().to_list()
        if fe.height else []
    )
    return with_goal + [u for u in assessed if u not in with_goal]


_CPR_DIGITS = re.compile(r"^\d{6}-?\d{4}$")
_CPR_PREFIX = re.compile(r"^\d{6}-?$")


def cpr_digits(query: str) -> str | None:
    """The 10 digits of a full CPR number typed as ddmmåå-xxxx or ddmmååxxxx, else None."""
    q = query.strip()
    return q.replace("-", "") if _CPR_DIGITS.match(q) else None


def search_borgere(borgere: pl.LazyFrame, query: str, raw_borgere: pl.LazyFrame | None = None,
                   limit: int = 25) -> pl.LazyFrame:
    """Search the (scoped) borgere by borger_id (case-insensitive, part of it) or by CPR.

    * A full CPR (ddmmåå-xxxx or 10 digits) is matched exactly against `raw_borgere` (the unmasked
      table; only its borger_id leaves this function) and narrowed to the scoped borgere.
    * Six digits (ddmmåå) match the birth-date part, which the masked CPR keeps.
    Result: borger_id, cpr (as in `borgere`: masked), foedselsdato, handlekommune; sorted by borger_id.
    """
    q = query.strip()
    cols = ["borger_id", "cpr", "foedselsdato", "handlekommune"]
    if not q:
        return borgere.select(cols).head(0)
    digits = cpr_digits(q)
    if digits is not None:
        if raw_borgere is None:
            return borgere.select(cols).head(0)
        ids = raw_borgere.filter(pl.col("cpr").str.replace_all(r"\D", "") == digits).select("borger_id")
        hit = borgere.join(ids, on="borger_id", how="semi")
    elif _CPR_PREFIX.match(q):
        hit = borgere.filter(pl.col("cpr").str.replace_all(r"\D", "").str.starts_with(q.rstrip("-"))
                             | (pl.col("borger_id").str.to_lowercase() == q.lower()))
    else:
        hit = borgere.filter(pl.col("borger_id").str.to_lowercase().str.contains(q.lower(), literal=True))
    exact_first = (pl.col("borger_id").str.to_lowercase() != q.lower())
    return hit.select(cols).sort([exact_first, pl.col("borger_id")]).head(limit)


def review_snapshot(ds: Dataset, borger_id: str, paa: dt.date) -> dict[str, Any]:
    """What a fælles sagsgennemgang stores about the case: the forløb plus a header without CPR or
    birth date (age only)."""
    header = borger_header(ds, borger_id, paa)
    snap = forloeb(ds, borger_id, paa)
    snap["header"] = {k: header[k] for k in ("alder", "koen", "handlekommune", "sagsbehandler", "team",
                                             "maalgrupper")}
    return snap
