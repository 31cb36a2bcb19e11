"""Sagsoverblik (spec/DATA_CONTRACT.md, `sagsoverblik`; issue 22 item 1): what myndighed must do next.

Pure Polars; the page and the `ffb-workbench sagsoverblik` command both call `sagsoverblik()` and
`fordeling()` (one owner per number). Owners used, never re-implemented: goal status via
workbench.regler.maalstatus.goal_status, overdue follow-ups via workbench.regler.kvalitet.opfoelgning_overskredet,
findings via workbench.regler.kvalitet.findings, assessments via workbench.regler.niveau.

One row per borger x task (columns OPGAVE_COLUMNS), sorted by frist:

* `opfoelgning_forfalder`: a goal with status `Afventer opfølgning` whose follow-up date is from the
  reference date through `dage` days after it (both included); frist = the follow-up date.
* `opfoelgning_overskredet`: kvalitet.opfoelgning_overskredet (the owner); frist = the follow-up date.
* `vum_foraeldet`: a borger with a ydelse active on the reference date and no funktionsevne assessment
  with a niveau within the last `vum_maaneder` months (niveau.vurderet_siden); frist = latest
  assessment + `vum_maaneder` months (the reference date when never assessed); noegle empty. The
  window is config (config/app.yaml `sagsoverblik.vum_maaneder`, validated at load; vum_vindue()).
* `bevilling_udloeber`: a ydelse active on the reference date whose slutdato is from the reference
  date through `dage` days after it; frist = slutdato, noegle = ydelse_id.
* `fund_<regel>`: each open kvalitet finding of severity `fejl` on the borger; frist = the reference
  date, noegle = the finding's noegle.

sagsbehandler and team come from the borgere table. A task is *overdue* when its frist is before the
reference date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.data.config import load_config
from workbench.data.dataset import Dataset
from workbench.regler import kvalitet, maalstatus, niveau
from workbench.regler.periods import active_on, valid_period
from workbench.format.dansk import DATO, TOM, borger_link

DAGE = 30
OPGAVE_COLUMNS = ["sagsbehandler", "borger_id", "opgave", "frist", "noegle", "team", "beskrivelse"]
FORDELING_COLUMNS = ["sagsbehandler", "team", "aktive_sager", "opgaver", "overskredne"]
OPGAVE_TITLER = {
    "opfoelgning_forfalder": "Opfølgning forfalder",
    "opfoelgning_overskredet": "Opfølgning overskredet",
    "vum_foraeldet": "VUM ikke opdateret",
    "bevilling_udloeber": "Bevilling udløber",
}


def vum_vindue() -> int:
    """The vum_foraeldet window in months: config/app.yaml `sagsoverblik.vum_maaneder` (default 12)."""
    return load_config().settings.vum_maaneder


@dataclass(frozen=True)
class Sagsoverblik:
    paa: dt.date
    dage: int
    opgaver: pl.DataFrame  # OPGAVE_COLUMNS, sorted by frist


def _rows(lf: pl.LazyFrame, opgave: str, frist: pl.Expr, noegle: pl.Expr, beskrivelse: pl.Expr) -> pl.LazyFrame:
    return lf.select(pl.col("borger_id").cast(pl.String), pl.lit(opgave).alias("opgave"),
                     frist.cast(pl.Date).alias("frist"), noegle.cast(pl.String).alias("noegle"),
                     beskrivelse.cast(pl.String).alias("beskrivelse"))


def _aktive_ydelser(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    return ds.ydelser.filter(active_on(paa) & valid_period())


def _borgere(ds: Dataset) -> pl.LazyFrame:
    """borger_id, sagsbehandler, team (text; null when the optional columns are missing)."""
    b = ds.borgere
    names = b.collect_schema().names()
    return b.select(
        pl.col("borger_id").cast(pl.String),
        *[(pl.col(c).cast(pl.String) if c in names else pl.lit(None, pl.String)).alias(c)
          for c in ("sagsbehandler", "team")],
    ).unique("borger_id", keep="first")


def opgaver(ds: Dataset, paa: dt.date, dage: int = DAGE, vum_maaneder: int | None = None,
            cfg: kvalitet.QualityConfig | None = None, fund: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Every task on the (scoped) dataset: OPGAVE_COLUMNS, unsorted. `fund`: kvalitet.findings, when
    a caller already has them; vum_maaneder None: the configured window (vum_vindue())."""
    if vum_maaneder is None:
        vum_maaneder = vum_vindue()
    slut = paa + dt.timedelta(days=dage)
    goals = maalstatus.goal_status(ds.indsatsmaal, ds.funktionsevne, paa, ds.opfoelgninger).with_columns(
        pl.col("maal_id").cast(pl.String), pl.col("borger_id").cast(pl.String)).collect().lazy()
    forfalder = _rows(
        goals.filter((pl.col("status") == maalstatus.AFVENTER) & pl.col("opfoelgningsdato").is_between(paa, slut)),
        "opfoelgning_forfalder", pl.col("opfoelgningsdato"), pl.col("maal_id"),
        pl.lit("Opfølgning på indsatsmål forfalder"))
    over_ids = kvalitet.opfoelgning_overskredet(ds, paa, goals).select("maal_id")
    overskredet = _rows(
        goals.join(over_ids, on="maal_id", how="semi"), "opfoelgning_overskredet", pl.col("opfoelgningsdato"),
        pl.col("maal_id"), pl.lit("Opfølgningsdatoen er overskredet"))

    aktive = _aktive_ydelser(ds, paa)
    aktive_borgere = aktive.select(pl.col("borger_id").cast(pl.String)).unique()
    seneste = (niveau.assessments(ds.funktionsevne, paa)
               .group_by(pl.col("borger_id").cast(pl.String)).agg(pl.col("dato").max().alias("seneste")))
    vum = _rows(
        aktive_borgere.join(seneste, on="borger_id", how="left")
        .filter(pl.col("seneste").is_null() | (pl.col("seneste") < niveau.vurderet_siden(paa, vum_maaneder))),
        "vum_foraeldet",
        pl.when(pl.col("seneste").is_null()).then(pl.lit(paa, pl.Date))
        .otherwise(pl.col("seneste").dt.offset_by(f"{int(vum_maaneder)}mo")),
        pl.lit(None, pl.String),
        pl.when(pl.col("seneste").is_null()).then(pl.lit("Ingen vurdering af funktionsevne med niveau"))
        .otherwise(pl.lit(f"Funktionsevnen er ikke vurderet i {int(vum_maaneder)} måneder")))
    udloeber = _rows(
        aktive.filter(pl.col("slutdato").is_between(paa, slut)), "bevilling_udloeber", pl.col("slutdato"),
        pl.col("ydelse_id"), pl.lit("Bevillingen udløber"))

    found = fund if fund is not None else kvalitet.findings(ds, paa, cfg)
    fejl = (found.filter((pl.col("alvor") == "fejl") & pl.col("borger_id").is_not_null())
            .select(pl.col("borger_id").cast(pl.String), pl.concat_str(pl.lit("fund_"), pl.col("regel")).alias("opgave"),
                    pl.lit(paa, pl.Date).alias("frist"), pl.col("noegle").cast(pl.String),
                    pl.col("besked").cast(pl.String).alias("beskrivelse")))
    return (
        pl.concat([forfalder, overskredet, vum, udloeber, fejl], how="vertical_relaxed")
        .join(_borgere(ds), on="borger_id", how="left")
        .select(OPGAVE_COLUMNS)
    )


def sagsoverblik(ds: Dataset, paa: dt.date, dage: int = DAGE, sagsbehandler: str | None = None,
                 team: str | None = None, vum_maaneder: int | None = None,
                 cfg: kvalitet.QualityConfig | None = None, fund: pl.LazyFrame | None = None) -> Sagsoverblik:
    """The task list on the (scoped) dataset, optionally for one sagsbehandler or team, sorted by
    frist (then sagsbehandler, borger_id, opgave, noegle). `fund`: kvalitet.findings(ds, paa) already
    computed on the same scoped dataset (the Kvalitet page's cache), else computed here."""
    lf = opgaver(ds, paa, dage, vum_maaneder, cfg, fund)
    if sagsbehandler is not None:
        lf = lf.filter(pl.col("sagsbehandler") == sagsbehandler)
    if team is not None:
        lf = lf.filter(pl.col("team") == team)
    df = lf.sort(["frist", "sagsbehandler", "borger_id", "opgave", "noegle"], nulls_last=True).collect()
    return Sagsoverblik(paa, dage, df)


def fordeling(ds: Dataset, overblik: Sagsoverblik, sagsbehandler: str | None = None,
              team: str | None = None) -> pl.DataFrame:
    """Per sagsbehandler and team: aktive_sager (borgere with a ydelse active on the reference date),
    opgaver (tasks in `overblik`), overskredne (tasks with frist before the reference date); every
    sagsbehandler with an active case or a task, sorted by team, sagsbehandler."""
    paa = overblik.paa
    keys = ["sagsbehandler", "team"]
    b = _borgere(ds)
    if sagsbehandler is not None:
        b = b.filter(pl.col("sagsbehandler") == sagsbehandler)
    if team is not None:
        b = b.filter(pl.col("team") == team)
    aktive = (_aktive_ydelser(ds, paa).select(pl.col("borger_id").cast(pl.String)).unique()
              .join(b, on="borger_id", how="inner")
              .group_by(keys).agg(pl.len().cast(pl.Int64).alias("aktive_sager")))
    tasks = (overblik.opgaver.lazy().group_by(keys)
             .agg(pl.len().cast(pl.Int64).alias("opgaver"),
                  (pl.col("frist") < paa).sum().cast(pl.Int64).alias("overskredne")))
    return (
        aktive.join(tasks, on=keys, how="full", coalesce=True, nulls_equal=True)
        .with_columns(pl.col("aktive_sager", "opgaver", "overskredne").fill_null(0))
        .select(FORDELING_COLUMNS)
        .sort(["team", "sagsbehandler"], nulls_last=True)
        .collect()
    )


@dataclass(frozen=True)
class Visning:
    """What the page lays out for one choice of sagsbehandler: the task rows with Danish headings,
    the counts and the borger ids behind them (for the access log and the export)."""
    tabel: pl.DataFrame
    opgaver: pl.DataFrame
    antal: int
    overskredne: int
    borgere: tuple[str, ...]
    sagsbehandlere: tuple[str, ...]


def visning(overblik: Sagsoverblik, sagsbehandler: str | None = None) -> Visning:
    """The page's table (Frist dd-mm-åååå, Opgave in Danish, a borger link, Nøgle, Sagsbehandler, Team,
    Beskrivelse) for all tasks or one sagsbehandler's; overdue = frist before the reference date."""
    alle = overblik.opgaver
    valg = tuple(sorted({str(s) for s in alle["sagsbehandler"].drop_nulls().to_list()}))
    opg = alle if sagsbehandler is None else alle.filter(pl.col("sagsbehandler") == sagsbehandler)
    titel = pl.when(pl.col("opgave").str.starts_with("fund_")).then(
        pl.concat_str(pl.lit("Fejl: "), pl.col("opgave").str.strip_prefix("fund_").str.replace_all("_", " "))
    ).otherwise(pl.col("opgave").replace(OPGAVE_TITLER))
    tabel = opg.select(
        pl.col("frist").dt.strftime(DATO).fill_null(TOM).alias("Frist"),
        titel.alias("Opgave"),
        borger_link("borger_id").alias("Borger"),
        pl.col("noegle").fill_null("").alias("Nøgle"),
        pl.col("sagsbehandler").fill_null(TOM).alias("Sagsbehandler"),
        pl.col("team").fill_null(TOM).alias("Team"),
        pl.col("beskrivelse").fill_null("").alias("Beskrivelse"),
    )
    return Visning(tabel, opg, opg.height, opg.filter(pl.col("frist") < overblik.paa).height,
                   tuple(opg["borger_id"].unique().sort().to_list()), valg)
