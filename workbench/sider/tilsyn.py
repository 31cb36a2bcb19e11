"""Ledelsestilsyn: the checklist (config/tilsyn_tjekliste.yaml), the prefill rules that suggest an
answer from the data, and the report over stored answers. Pure Polars; no Streamlit, no database
(storage is workbench/lager/tilsyn_store.py).

Prefill rules use the owners of each concept and never re-derive them:

* niveau on a date and its assessment date: `workbench.regler.niveau.niveau_paa`;
* goal status, recorded vurdering: `workbench.sider.maalstatus.goal_status(..., opfoelgninger)`;
* primary målgruppe, ydelse vs paragraf and other findings: `workbench.regler.kvalitet.findings`;
* overdue follow-up and recorded vs measured: `kvalitet.opfoelgning_overskredet`,
  `kvalitet.vurdering_afviger_maaling`;
* overlapping ydelser: `workbench.regler.overlap.overlap_pairs`.

Every rule returns one row per borger it can judge: `borger_id`, `forslag` (Ja/Nej/Delvist/Ikke
relevant, or null when the data cannot answer) and `grundlag` (Danish text: the data behind the
suggestion). `prefill` runs the checklist's rules for a set of borgere and returns every
borger × question with the suggestion (null for questions without a rule).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import polars as pl

from workbench.data.config import ConfigError, load_yaml
from workbench.data.dataset import Dataset
from workbench.regler.periods import active_on
from workbench.regler import maalgruppe as maalgruppe_regel
from workbench.regler.stoettebehov import seneste_stoettebehov
from workbench.format.dansk import DATO, dato

CHECKLIST_FILE = "tilsyn_tjekliste.yaml"
JA, NEJ, DELVIST, IKKE_RELEVANT = "Ja", "Nej", "Delvist", "Ikke relevant"
ANSWERS = (JA, NEJ, DELVIST, IKKE_RELEVANT)
SVARTYPER = {"ja_nej_delvist": ANSWERS}
ID = re.compile(r"^[a-z0-9_]{2,64}$")
MONTHS_CURRENT = 12  # a funktionsevnevurdering is current when made within this many months
PREFILL_COLUMNS = ("borger_id", "spoergsmaal_id", "forslag", "grundlag")


# --- checklist ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    id: str
    tekst: str
    svartype: str
    regel: str | None

    @property
    def svar(self) -> tuple[str, ...]:
        return SVARTYPER[self.svartype]


@dataclass(frozen=True)
class Checklist:
    path: Path
    questions: tuple[Question, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def question(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    @property
    def tekster(self) -> dict[str, str]:
        return {q.id: q.tekst for q in self.questions}


def parse_checklist(data: object, path: Path) -> Checklist:
    """Validate the parsed YAML; every error names the file and the key."""
    if not isinstance(data, dict) or not isinstance(data.get("spoergsmaal"), list) or not data["spoergsmaal"]:
        raise ConfigError(f"{path}: 'spoergsmaal' mangler eller er ikke en ikke-tom liste")
    out: list[Question] = []
    seen: set[str] = set()
    for n, q in enumerate(data["spoergsmaal"]):
        where = f"spoergsmaal[{n}]"
        if not isinstance(q, dict):
            raise ConfigError(f"{path}: '{where}' skal være en mapping")
        unknown = set(q) - {"id", "tekst", "svartype", "regel"}
        if unknown:
            raise ConfigError(f"{path}: ukendt nøgle '{sorted(unknown)[0]}' under '{where}'")
        qid = q.get("id")
        if not isinstance(qid, str) or not ID.fullmatch(qid):
            raise ConfigError(f"{path}: '{where}.id' skal være tekst af a-z, 0-9 og _")
        if qid in seen:
            raise ConfigError(f"{path}: id '{qid}' står to gange under 'spoergsmaal'")
        seen.add(qid)
        tekst = q.get("tekst")
        if not isinstance(tekst, str) or not tekst.strip():
            raise ConfigError(f"{path}: '{where}.tekst' mangler")
        svartype = q.get("svartype")
        if svartype not in SVARTYPER:
            raise ConfigError(f"{path}: ukendt svartype '{svartype}' under '{where}.svartype' "
                              f"(tilladt: {', '.join(SVARTYPER)})")
        regel = q.get("regel")
        if regel is not None and regel not in RULES:
            raise ConfigError(f"{path}: ukendt regel '{regel}' under '{where}.regel' "
                              f"(kendte regler: {', '.join(sorted(RULES))})")
        out.append(Question(qid, tekst.strip(), svartype, regel))
    return Checklist(path, tuple(out))


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> Checklist:
    p = Path(path)
    return parse_checklist(load_yaml(p.name, p.parent), p)


def load_checklist(directory: str | Path | None = None) -> Checklist:
    from workbench.data.paths import config_dir

    path = Path(directory or config_dir()) / CHECKLIST_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ConfigError(f"{path}: filen findes ikke") from None
    return _load(str(path.resolve()), mtime)


# --- helpers -----------------------------------------------------------------------------------------

def _d(col: str | pl.Expr) -> pl.Expr:
    e = pl.col(col) if isinstance(col, str) else col
    return e.dt.strftime(DATO)


def months_before(d: dt.date, n: int) -> dt.date:
    """The same day n months earlier (clamped to the month's last day: 31-03 -> 28/29-02)."""
    k = d.year * 12 + (d.month - 1) - n
    y, m = k // 12, k % 12 + 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(d.day, last))


def _ids(ds: Dataset) -> pl.LazyFrame:
    return ds.borgere.select(pl.col("borger_id").cast(pl.String)).unique()


def _ja_nej_delvist(ok: str, total: str) -> pl.Expr:
    """Ja when every item is ok, Nej when none is, Delvist in between (null when there are none)."""
    return (pl.when(pl.col(total) == 0).then(None)
            .when(pl.col(ok) == pl.col(total)).then(pl.lit(JA))
            .when(pl.col(ok) == 0).then(pl.lit(NEJ))
            .otherwise(pl.lit(DELVIST)))


def _findings(ds: Dataset, paa: dt.date, rules: list[str], alvor: tuple[str, ...] | None = None) -> pl.LazyFrame:
    """kvalitet.findings of the given rules (of the given severities): borger_id, regel, besked
    (findings without a borger dropped)."""
    from workbench.regler import kvalitet

    found = kvalitet.findings(ds, paa, rules=rules).filter(pl.col("borger_id").is_not_null())
    if alvor is not None:
        found = found.filter(pl.col("alvor").is_in(list(alvor)))
    return found.select("borger_id", "regel", "besked")


def _from_findings(ds: Dataset, paa: dt.date, rules: list[str], ok_text: pl.Expr,
                   population: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Nej with the findings' messages for borgere with a finding of `rules`, Ja with `ok_text` for the
    others in `population` (default: every borger)."""
    found = (_findings(ds, paa, rules).sort("borger_id", "regel", "besked")
             .group_by("borger_id").agg(pl.col("besked").str.join(" · ").alias("grundlag")))
    base = population if population is not None else _ids(ds).with_columns(ok_text.alias("_ok"))
    return (base.join(found, on="borger_id", how="left")
            .select("borger_id",
                    pl.when(pl.col("grundlag").is_not_null()).then(pl.lit(NEJ)).otherwise(pl.lit(JA)).alias("forslag"),
                    pl.coalesce("grundlag", "_ok").alias("grundlag")))


def _goals(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    from workbench.regler.maalstatus import goal_status

    opf = ds.opfoelgninger if "opfoelgninger" in ds.tables else None
    return goal_status(ds.indsatsmaal, ds.funktionsevne, paa, opf).with_columns(
        pl.col("borger_id").cast(pl.String))


# --- prefill rules (borger_id, forslag, grundlag) ----------------------------------------------------

# Akuttilbud (§ 109 krisecenter, § 110 forsorgshjem) are taken up without a visitation: a borger whose
# ydelser active on the reference date are all of these gets "Ikke relevant" on the bevilling and VUM
# questions instead of a Nej the sagsbehandler could not have avoided.
UDEN_VISITATION = ("SEL §109", "SEL §110")


def _kun_uden_visitation(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """borger_id, _akut (True when every ydelse active on `paa` is under UDEN_VISITATION)."""
    return (ds.ydelser.filter(active_on(paa)).group_by(pl.col("borger_id").cast(pl.String))
            .agg(pl.col("paragraf").cast(pl.String).is_in(list(UDEN_VISITATION)).all().alias("_akut"),
                 pl.col("paragraf").cast(pl.String).unique().sort().str.join(", ").alias("_akut_par")))


def _ikke_relevant_for_akut(ds: Dataset, paa: dt.date, answer: pl.LazyFrame) -> pl.LazyFrame:
    """`answer` (borger_id, forslag, grundlag) with Ikke relevant for borgere with only § 109/110."""
    return answer.join(_kun_uden_visitation(ds, paa), on="borger_id", how="left").select(
        "borger_id",
        pl.when(pl.col("_akut").fill_null(False)).then(pl.lit(IKKE_RELEVANT)).otherwise(pl.col("forslag"))
        .alias("forslag"),
        pl.when(pl.col("_akut").fill_null(False))
        .then(pl.format("Kun {} (akuttilbud uden visitation): spørgsmålet er ikke relevant.", pl.col("_akut_par")))
        .otherwise(pl.col("grundlag")).alias("grundlag"),
    )

def funktionsevnevurdering_12_mdr(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Ja when the borger's latest assessed niveau (workbench.regler.niveau) is dated within 12 months
    before `paa`, Nej when it is older or there is none."""
    from workbench.regler.niveau import niveau_paa

    grense = months_before(paa, MONTHS_CURRENT)
    # the undertemaer scored (niveau 0-4) on the latest assessment date, not every one ever scored
    latest = (niveau_paa(ds.funktionsevne, paa).with_columns(pl.col("borger_id").cast(pl.String))
              .filter(pl.col("niveau_dato") == pl.col("niveau_dato").max().over("borger_id"))
              .group_by("borger_id").agg(pl.col("niveau_dato").max().alias("_dato"),
                                         pl.col("undertema").n_unique().alias("_n")))
    answer = _ids(ds).join(latest, on="borger_id", how="left").select(
        "borger_id",
        pl.when(pl.col("_dato") >= grense).then(pl.lit(JA)).otherwise(pl.lit(NEJ)).alias("forslag"),
        pl.when(pl.col("_dato").is_null()).then(pl.lit("Ingen funktionsevnevurdering med niveau registreret."))
        .otherwise(pl.format("Seneste funktionsevnevurdering {} ({} undertemaer vurderet den dag); grænse {}.",
                             _d("_dato"), pl.col("_n"), pl.lit(dato(grense)))).alias("grundlag"),
    )
    return _ikke_relevant_for_akut(ds, paa, answer)


def maal_maaltype_forventet_niveau(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Goals started on or before `paa` (goal_status): Ja when all have måltype and forventet niveau,
    Nej when none, Delvist in between; no goals: no suggestion."""
    g = _goals(ds, paa).with_columns(
        (pl.col("maaltype").is_not_null() & pl.col("forventet_niveau").is_not_null()).alias("_ok"))
    per = g.group_by("borger_id").agg(
        pl.len().alias("_n"), pl.col("_ok").sum().alias("_ok_n"),
        pl.col("maal_id").filter(~pl.col("_ok")).cast(pl.String).sort().str.join(", ").alias("_mangler"))
    answer = _ids(ds).join(per, on="borger_id", how="left").with_columns(pl.col("_n").fill_null(0)).select(
        "borger_id", _ja_nej_delvist("_ok_n", "_n").alias("forslag"),
        pl.when(pl.col("_n") == 0).then(pl.lit("Ingen indsatsmål registreret."))
        .when(pl.col("_ok_n") == pl.col("_n")).then(pl.format("{} indsatsmål, alle med måltype og forventet niveau.",
                                                              pl.col("_n")))
        .otherwise(pl.format("{} af {} indsatsmål mangler måltype eller forventet niveau: {}.",
                             pl.col("_n") - pl.col("_ok_n"), pl.col("_n"), pl.col("_mangler"))).alias("grundlag"),
    )
    return _ikke_relevant_for_akut(ds, paa, answer)


def opfoelgning_overholdt(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Goals whose follow-up date has passed (goal_status): Ja when none is overdue by the owner of
    overdue follow-up (kvalitet.opfoelgning_overskredet: open cases, goal not closed by a recorded
    afslutning), Nej when all are, Delvist in between. No goal with a passed follow-up date: no
    suggestion (nothing to keep yet)."""
    from workbench.regler import kvalitet

    overdue = (kvalitet.opfoelgning_overskredet(ds, paa)
               .select(pl.col("maal_id").cast(pl.String), pl.lit(True).alias("_over")))
    # A follow-up made after its date (goal status judged on the first assessment after it) is not
    # kept either: it is late, by the days between the date and the assessment.
    due = (_goals(ds, paa).filter(pl.col("opfoelgningsdato").is_not_null() & (pl.col("opfoelgningsdato") < paa))
           .with_columns(pl.col("maal_id").cast(pl.String))
           .join(overdue, on="maal_id", how="left")
           .with_columns(pl.col("_over").fill_null(False),
                         ((pl.col("maalt_dato") - pl.col("opfoelgningsdato")).dt.total_days()).alias("_sen"))
           .with_columns((pl.col("_sen") > 0).fill_null(False).alias("_for_sent")))
    bad = pl.col("_over") | pl.col("_for_sent")
    per = due.group_by("borger_id").agg(
        pl.len().alias("_n"), (~bad).sum().alias("_ok_n"),
        pl.when(pl.col("_over"))
        .then(pl.format("mål {} {} ({}): overskredet", pl.col("maal_id"), pl.col("undertema").cast(pl.String),
                        _d("opfoelgningsdato")))
        .otherwise(pl.format("mål {} {} ({}): fulgt op {} dage for sent ({})", pl.col("maal_id"),
                             pl.col("undertema").cast(pl.String), _d("opfoelgningsdato"), pl.col("_sen"),
                             _d("maalt_dato")))
        .filter(bad).sort().str.join(", ").alias("_over"))
    return _ids(ds).join(per, on="borger_id", how="left").with_columns(pl.col("_n").fill_null(0)).select(
        "borger_id", _ja_nej_delvist("_ok_n", "_n").alias("forslag"),
        pl.when(pl.col("_n") == 0).then(pl.lit("Ingen indsatsmål med passeret opfølgningsdato."))
        .when(pl.col("_ok_n") == pl.col("_n")).then(pl.format("{} opfølgningsdatoer passeret, alle fulgt op til tiden.",
                                                              pl.col("_n")))
        .otherwise(pl.format("{} af {} opfølgninger ikke overholdt: {}.", pl.col("_n") - pl.col("_ok_n"),
                             pl.col("_n"), pl.col("_over"))).alias("grundlag"),
    )


def vurdering_stemmer_med_maaling(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Goals with a recorded vurdering (goal_status with opfoelgninger): Nej when any is a finding of
    the owner kvalitet.vurdering_afviger_maaling (recorded Opnået but measured Ikke opnået, or the
    reverse), Ja otherwise. No recorded vurdering: no suggestion."""
    from workbench.regler import kvalitet

    g = _goals(ds, paa)
    if "vurdering" not in g.collect_schema().names():
        return _ids(ds).select("borger_id", pl.lit(None, pl.String).alias("forslag"),
                               pl.lit("Ingen opfølgninger i datasættet.").alias("grundlag"))
    afv = (kvalitet.vurdering_afviger_maaling(ds, paa)
           .select(pl.col("maal_id").cast(pl.String), pl.lit(True).alias("_afviger")))
    rec = (g.filter(pl.col("vurdering").is_not_null()).with_columns(pl.col("maal_id").cast(pl.String))
           .join(afv, on="maal_id", how="left").with_columns(pl.col("_afviger").fill_null(False)))
    per = rec.group_by("borger_id").agg(
        pl.len().alias("_n"), pl.col("_afviger").sum().alias("_afv"),
        pl.format("{}: registreret {}, målt {}", pl.col("undertema").cast(pl.String), pl.col("vurdering"),
                  pl.col("status")).filter(pl.col("_afviger")).sort().str.join("; ").alias("_tekst"))
    return _ids(ds).join(per, on="borger_id", how="left").with_columns(pl.col("_n").fill_null(0)).select(
        "borger_id",
        pl.when(pl.col("_n") == 0).then(None).when(pl.col("_afv") > 0).then(pl.lit(NEJ)).otherwise(pl.lit(JA))
        .alias("forslag"),
        pl.when(pl.col("_n") == 0).then(pl.lit("Ingen registreret vurdering af indsatsmålene."))
        .when(pl.col("_afv") > 0).then(pl.format("Afviger: {}.", pl.col("_tekst")))
        .otherwise(pl.format("{} registrerede vurderinger stemmer med den målte funktionsevne.", pl.col("_n")))
        .alias("grundlag"),
    )


def primaer_maalgruppe(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """kvalitet's rule primaer_maalgruppe: a finding -> Nej (its message), none -> Ja."""
    primary = maalgruppe_regel.primaer_maalgruppe(ds.maalgrupper, paa).select(
        pl.col("borger_id").cast(pl.String),
        pl.format("Primær målgruppe: {} ({}).", pl.col("maalgruppe"), _d("dato")).alias("_ok"))
    pop = _ids(ds).join(primary, on="borger_id", how="left")
    return _from_findings(ds, paa, ["primaer_maalgruppe"], pl.lit(""), pop)


def ydelse_matcher_paragraf(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """kvalitet's rule ugyldig_ydelse on the borger's ydelser: a finding -> Nej, none -> Ja; a borger
    without ydelser started by `paa`: no suggestion."""
    y = ds.ydelser.filter(pl.col("startdato") <= paa).group_by(pl.col("borger_id").cast(pl.String)).agg(
        pl.format("{} ydelser, alle gyldige FFB-ydelser for paragraffen.", pl.len()).alias("_ok"))
    out = _from_findings(ds, paa, ["ugyldig_ydelse"], pl.lit(""), y)
    return _ids(ds).join(out, on="borger_id", how="left").select(
        "borger_id", "forslag", pl.col("grundlag").fill_null("Ingen ydelser registreret."))


# kvalitet rules about one borger's case (not the dataset-wide databrud or rejected rows)
CASE_RULES = ["ugyldig_ydelse", "under_18", "slut_foer_start", "mangler_tilbud", "ukendt_tilbud",
              "opfoelgning_overskredet", "opfoelgning_mangler", "niveau_uden_for_skala", "primaer_maalgruppe",
              "dublet", "sen_registrering", "betaling_uden_ydelse", "ydelse_uden_betaling", "vurdering_afviger_maaling"]


def ingen_aabne_fund(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Nej when the borger has a potential overlap still running on `paa` (overlap.overlap_pairs) or a
    kvalitet finding of a case rule; Ja otherwise."""
    from workbench.regler.overlap import overlap_pairs

    ov = (overlap_pairs(ds.ydelser, paa).filter(pl.col("overlap_slut") >= paa)
          .select(pl.col("borger_id").cast(pl.String), pl.lit("overlap").alias("regel"),
                  pl.format("Overlap {} ({} og {}) siden {}", pl.col("regel"), pl.col("paragraf_a").cast(pl.String),
                            pl.col("paragraf_b").cast(pl.String), _d("overlap_start")).alias("besked")))
    # open = of severity fejl or advarsel: info findings (e.g. a ydelse registered late years ago)
    # are history the case cannot correct, not an open finding
    found = pl.concat([ov, _findings(ds, paa, CASE_RULES, alvor=("fejl", "advarsel")).filter(pl.col("regel") != "dublet")
                       .select("borger_id", "regel", "besked")])
    per = found.sort("borger_id", "regel", "besked").group_by("borger_id").agg(
        pl.len().alias("_n"), pl.col("besked").head(5).str.join(" · ").alias("_tekst"))
    return _ids(ds).join(per, on="borger_id", how="left").select(
        "borger_id",
        pl.when(pl.col("_n").is_null()).then(pl.lit(JA)).otherwise(pl.lit(NEJ)).alias("forslag"),
        pl.when(pl.col("_n").is_null()).then(pl.lit("Ingen åbne overlap eller datakvalitetsfund (fejl/advarsel)."))
        .otherwise(pl.format("{} fund: {}", pl.col("_n"), pl.col("_tekst"))).alias("grundlag"),
    )


def stoettebehov_vurderet(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """The latest overall støttebehov (tema empty) on or before `paa`: Ja when it is assessed, Nej
    when it is 'Ikke vurderet' or there is none."""
    sb = seneste_stoettebehov(ds.stoettebehov, paa).select(
        pl.col("borger_id").cast(pl.String), pl.col("stoettebehov").alias("_sb"), pl.col("dato").alias("_dato"))
    answer = _ids(ds).join(sb, on="borger_id", how="left").select(
        "borger_id",
        pl.when(pl.col("_sb").is_null() | (pl.col("_sb") == "Ikke vurderet")).then(pl.lit(NEJ)).otherwise(pl.lit(JA))
        .alias("forslag"),
        pl.when(pl.col("_sb").is_null()).then(pl.lit("Intet samlet støttebehov registreret."))
        .otherwise(pl.format("Samlet støttebehov: {} ({}).", pl.col("_sb"), _d("_dato"))).alias("grundlag"),
    )
    return _ikke_relevant_for_akut(ds, paa, answer)


def bevilling_foer_start(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Ydelser active on `paa`: Nej when any has bevillingsdato after startdato; Ja when every one has
    a bevillingsdato on or before its start; no suggestion when some lack a bevillingsdato (and none
    is late) or there is no active ydelse."""
    y = ds.ydelser.filter(active_on(paa)).with_columns(pl.col("borger_id").cast(pl.String))
    per = y.group_by("borger_id").agg(
        pl.len().alias("_n"),
        (pl.col("bevillingsdato") > pl.col("startdato")).sum().alias("_sen"),
        pl.col("bevillingsdato").is_null().sum().alias("_ukendt"),
        pl.format("{} bevilget {}, start {}", pl.col("paragraf").cast(pl.String), _d("bevillingsdato"),
                  _d("startdato")).filter(pl.col("bevillingsdato") > pl.col("startdato")).sort().str.join("; ")
        .alias("_tekst"))
    answer = _ids(ds).join(per, on="borger_id", how="left").with_columns(pl.col("_n").fill_null(0)).select(
        "borger_id",
        pl.when(pl.col("_n") == 0).then(None).when(pl.col("_sen") > 0).then(pl.lit(NEJ))
        .when(pl.col("_ukendt") == 0).then(pl.lit(JA)).otherwise(None).alias("forslag"),
        pl.when(pl.col("_n") == 0).then(pl.lit("Ingen aktive ydelser."))
        .when(pl.col("_sen") > 0).then(pl.format("Bevilget efter start: {}.", pl.col("_tekst")))
        .when(pl.col("_ukendt") == 0).then(pl.format("{} aktive ydelser, alle bevilget senest på startdatoen.",
                                                     pl.col("_n")))
        .otherwise(pl.format("{} af {} aktive ydelser har ingen bevillingsdato.", pl.col("_ukendt"), pl.col("_n")))
        .alias("grundlag"),
    )
    return _ikke_relevant_for_akut(ds, paa, answer)


RULES: dict[str, Callable[[Dataset, dt.date], pl.LazyFrame]] = {
    "funktionsevnevurdering_12_mdr": funktionsevnevurdering_12_mdr,
    "maal_maaltype_forventet_niveau": maal_maaltype_forventet_niveau,
    "opfoelgning_overholdt": opfoelgning_overholdt,
    "vurdering_stemmer_med_maaling": vurdering_stemmer_med_maaling,
    "primaer_maalgruppe": primaer_maalgruppe,
    "ydelse_matcher_paragraf": ydelse_matcher_paragraf,
    "ingen_aabne_fund": ingen_aabne_fund,
    "stoettebehov_vurderet": stoettebehov_vurderet,
    "bevilling_foer_start": bevilling_foer_start,
}


def restrict(ds: Dataset, borger_ids: Iterable[str]) -> Dataset:
    """The dataset narrowed to the given borgere (tables with borger_id by semi-join, opfoelgninger
    through their indsatsmål); the prefill of a sample reads only its cases."""
    ids = pl.LazyFrame({"borger_id": sorted({str(b) for b in borger_ids})}, schema={"borger_id": pl.String})
    tables = {}
    for name, lf in ds.tables.items():
        if "borger_id" in lf.collect_schema().names():
            tables[name] = lf.join(ids, left_on=pl.col("borger_id").cast(pl.String), right_on="borger_id",
                                   how="semi")
        else:
            tables[name] = lf
    if "opfoelgninger" in tables and "indsatsmaal" in tables:
        tables["opfoelgninger"] = tables["opfoelgninger"].join(tables["indsatsmaal"].select("maal_id"),
                                                               on="maal_id", how="semi")
    return ds.derive(tables)


def prefill(ds: Dataset, borger_ids: Iterable[str], paa: dt.date, checklist: Checklist | None = None) -> pl.DataFrame:
    """Every borger × question of the checklist: borger_id, spoergsmaal_id, forslag (null where the
    data cannot answer or the question has no rule), grundlag; sorted by borger_id, checklist order."""
    checklist = checklist or load_checklist()
    ids = sorted({str(b) for b in borger_ids})
    sub = restrict(ds, ids)
    base = pl.LazyFrame({"borger_id": ids}, schema={"borger_id": pl.String})
    parts = []
    for q in checklist.questions:
        if q.regel is None:
            part = base.select("borger_id", pl.lit(None, pl.String).alias("forslag"), pl.lit("").alias("grundlag"))
        else:
            got = RULES[q.regel](sub, paa).select("borger_id", pl.col("forslag").cast(pl.String),
                                                  pl.col("grundlag").cast(pl.String))
            part = base.join(got, on="borger_id", how="left").select(
                "borger_id", "forslag", pl.col("grundlag").fill_null("Borgeren findes ikke i datasættet."))
        parts.append(part.with_columns(pl.lit(q.id).alias("spoergsmaal_id")))
    order = {qid: n for n, qid in enumerate(checklist.ids)}
    frames = pl.collect_all(parts)
    out = pl.concat(frames).select(PREFILL_COLUMNS)
    return out.sort(pl.col("borger_id"), pl.col("spoergsmaal_id").replace_strict(order, return_dtype=pl.Int64))


def prefilled_count(pre: pl.DataFrame) -> int:
    """How many checklist answers the data suggests (forslag not null)."""
    return int(pre.get_column("forslag").is_not_null().sum())


# --- report ------------------------------------------------------------------------------------------

def andel_ja(svar: pl.DataFrame, by: str, checklist: Checklist | None = None) -> pl.DataFrame:
    """Per `by` (sagsbehandler or team) and question: besvaret (answers other than Ikke relevant), ja
    and andel_ja (ja / besvaret, null when none). `svar`: the current answers joined with the cases
    (columns by, spoergsmaal_id, svar)."""
    checklist = checklist or load_checklist()
    answered = svar.filter(pl.col("svar").is_not_null() & (pl.col("svar") != IKKE_RELEVANT))
    out = answered.group_by(by, "spoergsmaal_id").agg(
        pl.len().cast(pl.Int64).alias("besvaret"), (pl.col("svar") == JA).sum().cast(pl.Int64).alias("ja"))
    order = {qid: n for n, qid in enumerate(checklist.ids)}
    return (out.with_columns((pl.col("ja") / pl.col("besvaret")).alias("andel_ja"),
                             pl.col("spoergsmaal_id").replace_strict(checklist.tekster, default=pl.col("spoergsmaal_id"),
                                                                     return_dtype=pl.String).alias("spoergsmaal"))
            .sort(pl.col(by), pl.col("spoergsmaal_id").replace_strict(order, default=999, return_dtype=pl.Int64),
                  nulls_last=True)
            .select(by, "spoergsmaal_id", "spoergsmaal", "besvaret", "ja", "andel_ja"))


def fund(svar: pl.DataFrame, checklist: Checklist | None = None) -> pl.DataFrame:
    """The findings: answers Nej or Delvist, with the case, question and comment."""
    checklist = checklist or load_checklist()
    cols = [c for c in ("audit_id", "titel", "borger_id", "sagsbehandler", "team") if c in svar.columns]
    return (svar.filter(pl.col("svar").is_in([NEJ, DELVIST]))
            .with_columns(pl.col("spoergsmaal_id").replace_strict(checklist.tekster, default=pl.col("spoergsmaal_id"),
                                                                  return_dtype=pl.String).alias("spoergsmaal"))
            .select(*cols, "spoergsmaal_id", "spoergsmaal", "svar", "kommentar")
            .sort(*cols, "spoergsmaal_id"))


def kvartal(col: str) -> pl.Expr:
    """'2026-K4' from a date/datetime column."""
    return pl.format("{}-K{}", pl.col(col).dt.year(), pl.col(col).dt.quarter())


def tendens(svar: pl.DataFrame, checklist: Checklist | None = None) -> pl.DataFrame:
    """Share of Ja per question and quarter (of the audit's creation), across audits: kvartal,
    spoergsmaal_id, spoergsmaal, tilsyn (audits), besvaret, ja, andel_ja. `svar` needs `oprettet`."""
    with_q = svar.with_columns(kvartal("oprettet").alias("kvartal"))
    per = andel_ja(with_q, "kvartal", checklist)
    n_audits = with_q.group_by("kvartal").agg(pl.col("audit_id").n_unique().cast(pl.Int64).alias("tilsyn"))
    return per.join(n_audits, on="kvartal", how="left").select(
        "kvartal", "spoergsmaal_id", "spoergsmaal", "tilsyn", "besvaret", "ja", "andel_ja").sort(
        "kvartal", maintain_order=True)


@dataclass(frozen=True)
class Rapport:
    """The tilsyn report: one owner for the page, the Excel export and the A4 print."""
    pr_sagsbehandler: pl.DataFrame
    pr_team: pl.DataFrame
    fund: pl.DataFrame
    tendens: pl.DataFrame
    sager: int
    svar: int


def rapport(svar: pl.DataFrame, checklist: Checklist | None = None) -> Rapport:
    """The report over `svar` (workbench.lager.tilsyn_store.report_frame: the current answers with case and
    audit columns)."""
    checklist = checklist or load_checklist()
    cases = svar.select("audit_id", "borger_id").unique().height
    answered = int(svar.get_column("svar").is_not_null().sum())
    return Rapport(andel_ja(svar, "sagsbehandler", checklist), andel_ja(svar, "team", checklist),
                   fund(svar, checklist), tendens(svar, checklist), cases, answered)


RAPPORT_HEADERS = {"sagsbehandler": "Sagsbehandler", "team": "Team", "kvartal": "Kvartal",
                   "spoergsmaal_id": "Spørgsmål-id", "spoergsmaal": "Spørgsmål", "besvaret": "Besvaret",
                   "ja": "Ja", "andel_ja": "Andel ja", "tilsyn": "Tilsyn", "audit_id": "Tilsyn-id",
                   "titel": "Tilsyn", "borger_id": "Borger", "svar": "Svar", "kommentar": "Kommentar"}


def rapport_sheets(r: Rapport) -> dict[str, pl.DataFrame]:
    """The report's tables with Danish headers (Excel sheets; andel ja in percent, one decimal)."""
    def pct(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns((pl.col("andel_ja") * 100).round(1)) if "andel_ja" in df.columns else df

    def dk(df: pl.DataFrame) -> pl.DataFrame:
        return pct(df).rename({c: RAPPORT_HEADERS.get(c, c) for c in df.columns}).rename(
            {"Andel ja": "Andel ja (%)"}, strict=False)

    return {"Pr. sagsbehandler": dk(r.pr_sagsbehandler), "Pr. team": dk(r.pr_team), "Fund": dk(r.fund),
            "Udvikling pr. kvartal": dk(r.tendens)}


def rapport_html(r: Rapport, title: str, meta: Iterable[tuple[str, str]] = ()) -> str:
    """The report as a printable A4 page (the sagsgennemgang's print shell, workbench.format.udskrift)."""
    from workbench.format import udskrift

    def table(df: pl.DataFrame, empty: str) -> str:
        if df.height == 0:
            return f"<p>{udskrift.e(empty)}</p>"
        head = "".join(f"<th>{udskrift.e(c)}</th>" for c in df.columns)
        rows = []
        for row in df.iter_rows():
            cells = []
            for v in row:
                if isinstance(v, float):
                    cells.append(f"<td class='tal'>{v:.1f}".replace(".", ",") + "</td>")
                elif isinstance(v, int):
                    cells.append(f"<td class='tal'>{v}</td>")
                else:
                    cells.append(f"<td>{udskrift.e(v)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table><tr>{head}</tr>{''.join(rows)}</table>"

    sheets = rapport_sheets(r)
    drop = ["Spørgsmål-id"]
    meta_rows = "".join(f"<tr><td>{udskrift.e(k)}</td><td>{udskrift.e(v)}</td></tr>" for k, v in meta)
    body = f"""<h1>{udskrift.e(title)}</h1>
<table class="meta">{meta_rows}<tr><td>Sager</td><td>{r.sager}</td></tr><tr><td>Svar</td><td>{r.svar}</td></tr></table>
<h2>Andel ja pr. sagsbehandler</h2>
{table(sheets["Pr. sagsbehandler"].drop(drop, strict=False), "Ingen svar endnu.")}
<h2>Andel ja pr. team</h2>
{table(sheets["Pr. team"].drop(drop, strict=False), "Ingen svar endnu.")}
<h2>Fund (svar Nej eller Delvist)</h2>
{table(sheets["Fund"].drop(drop + ["Tilsyn-id"], strict=False), "Ingen fund.")}
<h2>Udvikling pr. kvartal</h2>
{table(sheets["Udvikling pr. kvartal"].drop(drop, strict=False), "Ingen tilsyn endnu.")}
<p class="fodnote">Andel ja = svar Ja / svar bortset fra Ikke relevant.</p>"""
    return udskrift.page(title, body)


# --- the page's view (sidefiler/tilsyn.py lays it out) ----------------------------------------------------

UDEN_FOR_ADGANG = "(uden for adgang)"


def oversigt(rows: Iterable[dict]) -> pl.DataFrame:
    """The audits overview table, one row per audit as the page built it (Titel, Oprettet, …)."""
    return pl.DataFrame(list(rows))


def besvarede_sager(answers: pl.DataFrame, question_ids: Iterable[str]) -> set[str]:
    """The borger_ids of an audit whose every checklist question has an answer (stored answers:
    borger_id, spoergsmaal_id, svar)."""
    n = len(tuple(question_ids))
    answered = (answers.filter(pl.col("svar").is_not_null()).group_by("borger_id")
                .agg(pl.col("spoergsmaal_id").n_unique().alias("n")))
    return set(answered.filter(pl.col("n") == n)["borger_id"].to_list())


def pr_spoergsmaal(df: pl.DataFrame, borger_id: str) -> dict[str, dict]:
    """One borger's rows of a prefill or answers frame, keyed by spoergsmaal_id."""
    return {r["spoergsmaal_id"]: r for r in df.filter(pl.col("borger_id") == borger_id).to_dicts()}


def skjul_uden_for_adgang(frame: pl.DataFrame, synlige: Iterable[str]) -> pl.DataFrame:
    """The report frame with every borger_id outside `synlige` (the viewer's scope) read UDEN_FOR_ADGANG."""
    return frame.with_columns(pl.when(pl.col("borger_id").is_in(list(synlige))).then(pl.col("borger_id"))
                              .otherwise(pl.lit(UDEN_FOR_ADGANG)).alias("borger_id"))
