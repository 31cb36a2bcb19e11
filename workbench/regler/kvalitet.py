"""Data-quality findings (opmærkninger) for `ffb-workbench kvalitet` and the Kvalitet page.

Rules, severities and the Danish messages live in config/quality_rules.yaml; the checks are here,
each a pure function over the dataset's LazyFrames returning one row per finding. `findings()` gives
the full frame (regel, alvor, tabel, noegle, borger_id, besked); REPORT_COLUMNS are the contract
columns `regel, tabel, noegle, besked`. The 8-talskontrol and databrud findings come from
workbench/regler/reconcile.py and are part of the same output.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl

from workbench.data.config import CodeLists, ConfigError, load_config, load_yaml, require
from workbench.data.dataset import ERR, ROW, Dataset
from workbench.data.paths import config_dir
from workbench.regler import maalstatus
from workbench.regler.periods import age_on
from workbench.format.dansk import DATO, tal

RULES_FILE = "quality_rules.yaml"
ALVOR = ("fejl", "advarsel", "info")
REPORT_COLUMNS = ["regel", "tabel", "noegle", "besked"]
FULL_COLUMNS = ["regel", "alvor", "tabel", "noegle", "borger_id", "besked", "kroner"]
AD = "Aktivitet og deltagelse"

# Rule id -> the {names} its message may use (the values each check provides).
PLACEHOLDERS: dict[str, set[str]] = {
    "ugyldig_ydelse": {"ydelse_id", "borger_id", "paragraf", "ydelse", "hoerer_til"},
    "under_18": {"ydelse_id", "borger_id", "paragraf", "alder", "startdato", "foedselsdato"},
    "slut_foer_start": {"ydelse_id", "borger_id", "paragraf", "startdato", "slutdato"},
    "mangler_tilbud": {"ydelse_id", "borger_id", "paragraf", "ydelse"},
    "ukendt_tilbud": {"ydelse_id", "borger_id", "paragraf", "tilbud_id"},
    "opfoelgning_overskredet": {"maal_id", "borger_id", "undertema", "opfoelgningsdato", "startdato"},
    "opfoelgning_mangler": {"maal_id", "borger_id", "undertema"},
    "niveau_uden_for_skala": {"tabel", "borger_id", "undertema", "niveau", "omraade", "detalje"},
    "primaer_maalgruppe": {"borger_id", "antal", "dato"},
    "dublet": {"tabel", "noegle", "antal"},
    "sen_registrering": {"ydelse_id", "borger_id", "paragraf", "dage", "startdato", "registreringsdato", "graense"},
    "betaling_uden_ydelse": {"borger_id", "paragraf", "maaned", "kroner"},
    "ydelse_uden_betaling": {"borger_id", "paragraf", "maaned", "kroner"},
    "forkert_paragraf": {"borger_id", "paragraf", "maaned", "kroner", "betalt_paragraf"},
    "beloeb_afviger": {"borger_id", "paragraf", "maaned", "kroner", "forventet", "betalt"},
    "betaling_uden_for_periode": {"borger_id", "paragraf", "maaned", "kroner"},
    "databrud": {"maaned", "antal", "forventet", "efterfoelgende"},
    "afvist_raekke": {"tabel", "raekke", "fejl", "borger_id"},
    "vurdering_afviger_maaling": {"maal_id", "borger_id", "undertema", "vurdering", "vurderingsdato", "status",
                                  "maalt_niveau", "maalt_dato", "forventet_niveau", "opfoelgningsdato"},
    "maal_uden_forventet_aendring": {"maal_id", "borger_id", "undertema", "maaltype", "udgangsniveau",
                                     "forventet_niveau", "startdato"},
    "urimeligt_beloeb": {"tabel", "noegle", "borger_id", "felt", "beloeb", "graense"},
    "ansoegning_efter_bevilling": {"ydelse_id", "borger_id", "paragraf", "ansoegningsdato", "bevillingsdato"},
}
RULE_IDS = tuple(PLACEHOLDERS)
# Rule id -> the variants (findings of another severity under the same rule) its check can give.
VARIANTS: dict[str, tuple[str, ...]] = {"ugyldig_ydelse": ("anden_paragraf", "ydelsesgruppe"),
                                         "urimeligt_beloeb": ("timer",)}

# Identity of a row in the tables without a single key column (for `dublet` and the noegle).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "borgere": ("borger_id",),
    "maalgrupper": ("borger_id", "maalgruppe", "dato"),
    "funktionsevne": ("borger_id", "dato", "undertema"),
    "stoettebehov": ("borger_id", "dato", "tema"),
    "indsatsmaal": ("maal_id",),
    "opfoelgninger": ("maal_id", "dato"),
    "ydelser": ("ydelse_id",),
    "tilbud": ("tilbud_id",),
    # Two payments in one month can be genuine: only identical rows are duplicates.
    "betalinger": ("borger_id", "paragraf", "maaned", "beloeb"),
}


@dataclass(frozen=True)
class QualityRule:
    id: str
    alvor: str
    titel: str
    tekst: str
    besked: str
    aktiv: bool = True
    # Findings of another kind under the same rule (the check's column `variant` names it):
    # variant -> (alvor, titel, besked). E.g. ugyldig_ydelse 'anden_paragraf' (a valid FFB ydelse under
    # another paragraf than its own) is an advarsel, an unknown ydelse a fejl.
    varianter: tuple[tuple[str, str, str, str], ...] = ()


@dataclass(frozen=True)
class Databrud:
    vindue: int = 7
    graense_z: float = 3.5
    min_afvigelse: float = 0.5
    min_maaneder: int = 6


@dataclass(frozen=True)
class QualityConfig:
    rules: dict[str, QualityRule]
    sen_registrering_dage: int
    databrud: Databrud
    # 8-talskontrol beloeb_afviger: amounts apart by more than this share AND this many kroner
    ottetal_tolerance: tuple[float, float] = (0.10, 500.0)

    def active(self, rule_id: str) -> bool:
        return self.rules[rule_id].aktiv


def _alvor_besked(row: dict, rid: str, f, where: str) -> tuple[str, str]:
    """A rule's (or variant's) severity and message, validated: a known alvor, only the rule's fields."""
    alvor = require(row, "alvor", f, where)
    if alvor not in ALVOR:
        raise ConfigError(f"{f}: ukendt kode '{alvor}' under '{where}alvor'")
    besked = str(require(row, "besked", f, where)).strip()
    for name in re.findall(r"\{(\w+)\}", besked):
        if name not in PLACEHOLDERS[rid]:
            raise ConfigError(f"{f}: ukendt felt '{{{name}}}' under '{where}besked'")
    return alvor, besked


def load_quality_config(directory: Path | str | None = None) -> QualityConfig:
    """config/quality_rules.yaml validated; ConfigError names the file and key."""
    d = Path(directory) if directory else config_dir()
    f = RULES_FILE
    data = load_yaml(f, d)
    items = require(data, "regler", f)
    if not isinstance(items, list):
        raise ConfigError(f"{f}: 'regler' skal være en liste")
    rules: dict[str, QualityRule] = {}
    for n, row in enumerate(items):
        where = f"regler[{n}]."
        rid = require(row, "id", f, where)
        if rid not in PLACEHOLDERS:
            raise ConfigError(f"{f}: ukendt kode '{rid}' under '{where}id'")
        if rid in rules:
            raise ConfigError(f"{f}: regel-id '{rid}' står to gange under '{where}id'")
        alvor, besked = _alvor_besked(row, rid, f, where)
        aktiv = row.get("aktiv", True)
        if not isinstance(aktiv, bool):
            raise ConfigError(f"{f}: '{where}aktiv' skal være true eller false")
        varianter = []
        for vname, v in (row.get("varianter") or {}).items():
            vwhere = f"{where}varianter.{vname}."
            if vname not in VARIANTS.get(rid, ()):
                raise ConfigError(f"{f}: ukendt kode '{vname}' under '{where}varianter'")
            valvor, vbesked = _alvor_besked(v, rid, f, vwhere)
            varianter.append((vname, valvor, str(require(v, "titel", f, vwhere)).strip(), vbesked))
        rules[rid] = QualityRule(rid, alvor, str(require(row, "titel", f, where)).strip(),
                                 str(require(row, "tekst", f, where)).strip(), besked, aktiv, tuple(varianter))
    missing = [r for r in RULE_IDS if r not in rules]
    if missing:
        raise ConfigError(f"{f}: reglen '{missing[0]}' mangler under 'regler'")
    ind = require(data, "indstillinger", f)
    n_days = require(ind, "sen_registrering_dage", f, "indstillinger.")
    if not isinstance(n_days, int) or isinstance(n_days, bool) or n_days < 0:
        raise ConfigError(f"{f}: 'indstillinger.sen_registrering_dage' skal være et heltal >= 0")
    db = require(ind, "databrud", f, "indstillinger.")
    values = {}
    for key, typ, low in (("vindue", int, 3), ("graense_z", (int, float), 0), ("min_afvigelse", (int, float), 0),
                          ("min_maaneder", int, 1)):
        v = require(db, key, f, "indstillinger.databrud.")
        if isinstance(v, bool) or not isinstance(v, typ) or v < low:
            raise ConfigError(f"{f}: 'indstillinger.databrud.{key}' skal være et tal >= {low}")
        values[key] = v
    ot = ind.get("ottetal") or {}
    tol = []
    for key, default in (("tolerance_andel", 0.10), ("tolerance_kr", 500.0)):
        v = ot.get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise ConfigError(f"{f}: 'indstillinger.ottetal.{key}' skal være et tal >= 0")
        tol.append(float(v))
    return QualityConfig(rules, n_days, Databrud(**values), (tol[0], tol[1]))


# --- message building ------------------------------------------------------------------------------

def message(template: str) -> pl.Expr:
    """The template with each {name} replaced by the row's column `name` (null shown as '(tom)')."""
    parts = re.split(r"\{(\w+)\}", template)
    exprs: list[pl.Expr] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            if part:
                exprs.append(pl.lit(part))
        else:
            exprs.append(pl.col(part).cast(pl.String).fill_null("(tom)"))
    return pl.concat_str(exprs) if exprs else pl.lit("")


def ddmmyyyy(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime(DATO).alias(col)


def finish(lf: pl.LazyFrame, rule: QualityRule, tabel: str) -> pl.LazyFrame:
    """A check's rows (noegle, borger_id and the rule's placeholders) as findings."""
    cols = lf.collect_schema().names()
    alvor, besked = pl.lit(rule.alvor), message(rule.besked)
    if rule.varianter and "variant" in cols:
        for vname, valvor, _, vbesked in rule.varianter:
            hit = pl.col("variant") == vname
            alvor = pl.when(hit).then(pl.lit(valvor)).otherwise(alvor)
            besked = pl.when(hit).then(message(vbesked)).otherwise(besked)
    return lf.select(
        pl.lit(rule.id).alias("regel"),
        alvor.alias("alvor"),
        (pl.col("tabel") if "tabel" in cols else pl.lit(tabel)).cast(pl.String).alias("tabel"),
        pl.col("noegle").cast(pl.String),
        (pl.col("borger_id") if "borger_id" in cols else pl.lit(None)).cast(pl.String).alias("borger_id"),
        besked.alias("besked"),
        # kroner at stake as a number (the 8-talskontrol rules: reconcile.mismatches); null for the others
        (pl.col("kroner_beloeb") if "kroner_beloeb" in cols else pl.lit(None)).cast(pl.Float64).alias("kroner"),
    )


def empty_findings() -> pl.LazyFrame:
    return pl.LazyFrame(schema={c: (pl.Float64 if c == "kroner" else pl.String) for c in FULL_COLUMNS})


# --- the checks ------------------------------------------------------------------------------------

def _ydelser(ds: Dataset) -> pl.LazyFrame:
    return ds.ydelser.with_columns(
        pl.col("ydelse_id").cast(pl.String), pl.col("borger_id").cast(pl.String),
        pl.col("paragraf").cast(pl.String), pl.col("tilbud_id").cast(pl.String),
    ).with_columns(pl.col("ydelse_id").alias("noegle"))


def ugyldig_ydelse(ds: Dataset, codes: CodeLists) -> pl.LazyFrame:
    """Ydelser whose name is not an FFB ydelse of their paragraf. `variant` null: the name is unknown
    to every FFB list (fejl); 'anden_paragraf': a valid FFB ydelse of another paragraf (advarsel;
    `hoerer_til` names the paragraf(fer) it belongs to)."""
    own = [(p, y) for p in codes.paragraffer for y in codes.ydelser_per_paragraf.get(p, ())]
    allowed = pl.LazyFrame(own, schema={"paragraf": pl.String, "ydelse_norm": pl.String}, orient="row")
    belongs: dict[str, list[str]] = {}
    for p, y in own:
        belongs.setdefault(y, []).append(p)
    home = pl.LazyFrame({"ydelse_norm": list(belongs), "hoerer_til": [", ".join(v) for v in belongs.values()]},
                        schema={"ydelse_norm": pl.String, "hoerer_til": pl.String})
    # A ydelse may be given as its FFB UUID code (either case) instead of the label.
    uuid = {k.lower(): v for k, v in codes.uuid_label.items()}
    name = pl.col("ydelse").cast(pl.String).str.strip_chars()
    norm = name.str.to_lowercase().replace_strict(uuid, default=name, return_dtype=pl.String)
    # An FFB ydelsesgruppe (e.g. 'Socialpædagogisk støtte') is a grouping level, not a reportable
    # ydelse: the finding names that, and the paragraffer whose ydelser the group holds.
    groups: dict[str, list[str]] = {}
    for g, members in codes.ydelsesgrupper.items():
        groups[g] = sorted({p for y in members for p in belongs.get(y, ())}, key=list(codes.paragraffer).index)
    group_home = pl.LazyFrame({"ydelse_norm": list(groups), "gruppe_til": [", ".join(v) or "ingen paragraf"
                                                                           for v in groups.values()]},
                              schema={"ydelse_norm": pl.String, "gruppe_til": pl.String})
    return (
        _ydelser(ds).with_columns(norm.alias("ydelse_norm"))
        .join(allowed, on=["paragraf", "ydelse_norm"], how="anti")
        .join(home, on="ydelse_norm", how="left")
        .join(group_home, on="ydelse_norm", how="left")
        .with_columns(
            pl.when(pl.col("hoerer_til").is_not_null()).then(pl.lit("anden_paragraf"))
            .when(pl.col("gruppe_til").is_not_null()).then(pl.lit("ydelsesgruppe")).alias("variant"),
            pl.coalesce("hoerer_til", "gruppe_til").alias("hoerer_til"),
        )
        .drop("gruppe_til")
    )


def under_18(ds: Dataset, voksen_alder: int) -> pl.LazyFrame:
    born = ds.borgere.select(pl.col("borger_id").cast(pl.String), "foedselsdato").unique("borger_id", keep="first")
    return (
        _ydelser(ds).join(born, on="borger_id", how="inner")
        .with_columns(age_on(pl.col("foedselsdato"), pl.col("startdato")).alias("alder"))
        .filter(pl.col("alder") < voksen_alder)
        .with_columns(ddmmyyyy("startdato"), ddmmyyyy("foedselsdato"))
    )


def slut_foer_start(ds: Dataset) -> pl.LazyFrame:
    return _ydelser(ds).filter(pl.col("slutdato") < pl.col("startdato")).with_columns(
        ddmmyyyy("startdato"), ddmmyyyy("slutdato")
    )


def mangler_tilbud(ds: Dataset, codes: CodeLists) -> pl.LazyFrame:
    needs = [p for p, info in codes.paragraf_info.items() if info.get("kraever_tilbud")]
    return _ydelser(ds).filter(
        pl.col("paragraf").is_in(needs) & (pl.col("tilbud_id").is_null() | (pl.col("tilbud_id").str.strip_chars() == ""))
    )


def ukendt_tilbud(ds: Dataset) -> pl.LazyFrame:
    known = ds.tilbud.select(pl.col("tilbud_id").cast(pl.String)).unique()
    return _ydelser(ds).filter(
        pl.col("tilbud_id").is_not_null() & (pl.col("tilbud_id").str.strip_chars() != "")
    ).join(known, on="tilbud_id", how="anti")


def _maal(ds: Dataset) -> pl.LazyFrame:
    return ds.indsatsmaal.with_columns(
        pl.col("maal_id").cast(pl.String), pl.col("borger_id").cast(pl.String), pl.col("undertema").cast(pl.String)
    ).with_columns(pl.col("maal_id").alias("noegle"))


AFSLUTNING = "Træf afgørelse om afslutning"


def _goals(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """maalstatus.goal_status of every goal (the one owner of goal status), ids as text."""
    return maalstatus.goal_status(ds.indsatsmaal, ds.funktionsevne, paa, ds.opfoelgninger).with_columns(
        pl.col("maal_id").cast(pl.String), pl.col("borger_id").cast(pl.String), pl.col("undertema").cast(pl.String)
    ).with_columns(pl.col("maal_id").alias("noegle"))


def opfoelgning_overskredet(ds: Dataset, paa: dt.date, goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Goals whose status (maalstatus.goal_status, each goal judged at its own follow-up date) is
    'Opfølgning overskredet' on the reference date, and which are still open: the borger has a ydelse
    active on the reference date, and the goal is not closed by a recorded follow-up 'Træf afgørelse
    om afslutning af indsats …' (its latest recorded follow-up on or before the reference date)."""
    from workbench.regler.periods import active_on

    active = ds.ydelser.filter(
        active_on(paa) & (pl.col("slutdato").is_null() | (pl.col("slutdato") >= pl.col("startdato")))
    ).select(pl.col("borger_id").cast(pl.String)).unique()
    closed = pl.col("status_paa_indsats").fill_null("").str.starts_with(AFSLUTNING)
    return (
        (goals if goals is not None else _goals(ds, paa)).filter(pl.col("opfoelgning_forfalden") & ~closed)
        .join(active, on="borger_id", how="semi")
        .with_columns(ddmmyyyy("opfoelgningsdato"), ddmmyyyy("startdato"))
    )


def vurdering_afviger_maaling(ds: Dataset, paa: dt.date, goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Goals whose recorded follow-up (opfoelgninger `vurdering`, latest on or before paa) says Opnået
    while the status measured on funktionsevne is Ikke opnået, or the reverse."""
    v, m = pl.col("vurdering"), pl.col("status")
    return (
        (goals if goals is not None else _goals(ds, paa))
        .filter(((v == maalstatus.OPNAAET) & (m == maalstatus.IKKE_OPNAAET)) | ((v == maalstatus.IKKE_OPNAAET) & (m == maalstatus.OPNAAET)))
        .with_columns(ddmmyyyy("vurderingsdato"), ddmmyyyy("maalt_dato"), ddmmyyyy("opfoelgningsdato"))
    )


def maal_uden_forventet_aendring(ds: Dataset, paa: dt.date, goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Goals with status 'Opnået ved start' (maalstatus.asks_nothing: Udvikle with forventet niveau at or
    above the niveau on startdato, Begrænse tab with forventet niveau 4): they ask for no change the
    scale can show, so they are kept out of every attainment share and reported here."""
    return (
        (goals if goals is not None else _goals(ds, paa))
        .filter(pl.col("status") == maalstatus.OPNAAET_VED_START)
        .with_columns(pl.col("maaltype").cast(pl.String), ddmmyyyy("startdato"))
    )


def opfoelgning_mangler(ds: Dataset) -> pl.LazyFrame:
    return _maal(ds).filter(pl.col("opfoelgningsdato").is_null())


def _rejected(ds: Dataset, table: str) -> pl.LazyFrame | None:
    lf = getattr(ds, "rejected", {}).get(table)
    return lf


def _text(cols: list[str], name: str) -> pl.Expr:
    return (pl.col(name).cast(pl.String) if name in cols else pl.lit(None, pl.String)).alias(name)


def niveau_uden_for_skala(ds: Dataset) -> pl.LazyFrame:
    """Niveau outside 0-4 (typed rows, and rows the loader rejected for it) or on a non-A&D row."""
    fe = ds.funktionsevne.with_columns(
        pl.col("borger_id").cast(pl.String), pl.col("undertema").cast(pl.String), pl.col("omraade").cast(pl.String)
    )
    typed_fe = fe.filter(
        pl.col("niveau").is_not_null() & (~pl.col("niveau").is_between(0, 4) | (pl.col("omraade") != AD))
    ).select(
        pl.lit("funktionsevne").alias("tabel"),
        pl.concat_str([pl.col("borger_id"), pl.col("dato").dt.strftime("%Y-%m-%d"), pl.col("undertema")],
                      separator="|").alias("noegle"),
        "borger_id", "undertema", pl.col("niveau").cast(pl.String), "omraade",
        pl.when(pl.col("niveau").is_between(0, 4))
        .then(pl.format("Der står et funktionsevneniveau på et undertema under {}", pl.col("omraade")))
        .otherwise(pl.lit("Funktionsevneniveauet ligger uden for skalaen 0-4")).alias("detalje"),
    )
    typed_maal = _maal(ds).filter(
        pl.col("forventet_niveau").is_not_null() & ~pl.col("forventet_niveau").is_between(0, 4)
    ).select(
        pl.lit("indsatsmaal").alias("tabel"), "noegle", "borger_id", "undertema",
        pl.col("forventet_niveau").cast(pl.String).alias("niveau"), pl.lit(AD).alias("omraade"),
        pl.lit("Indsatsmålets forventede niveau ligger uden for skalaen 0-4").alias("detalje"),
    )
    parts = [typed_fe, typed_maal]
    rej = _rejected(ds, "funktionsevne")
    if rej is not None:
        cols = rej.collect_schema().names()
        if "niveau" in cols and ERR in cols:
            parts.append(rej.filter(pl.col(ERR).str.contains(r"(^|; )niveau: ugyldig")).select(
                pl.lit("funktionsevne").alias("tabel"),
                pl.concat_str([_text(cols, "borger_id"), _text(cols, "dato"), _text(cols, "undertema")],
                              separator="|", ignore_nulls=True).alias("noegle"),
                _text(cols, "borger_id"), _text(cols, "undertema"), _text(cols, "niveau"), _text(cols, "omraade"),
                pl.format("Række {} i funktionsevne er afvist ved indlæsning: niveauet ligger uden for skalaen 0-4",
                          pl.col(ROW)).alias("detalje"),
            ))
    rej = _rejected(ds, "indsatsmaal")
    if rej is not None:
        cols = rej.collect_schema().names()
        if "forventet_niveau" in cols and ERR in cols:
            parts.append(rej.filter(pl.col(ERR).str.contains(r"(^|; )forventet_niveau: ugyldig")).select(
                pl.lit("indsatsmaal").alias("tabel"),
                _text(cols, "maal_id").alias("noegle"),
                _text(cols, "borger_id"), _text(cols, "undertema"),
                _text(cols, "forventet_niveau").alias("niveau"), pl.lit(AD).alias("omraade"),
                pl.format("Række {} i indsatsmål er afvist ved indlæsning: forventet niveau ligger uden for skalaen 0-4",
                          pl.col(ROW)).alias("detalje"),
            ))
    return pl.concat(parts, how="vertical_relaxed")


# Rejections that niveau_uden_for_skala already reports under its own rule.
NIVEAU_ONLY = r"^(forventet_)?niveau: ugyldig[^;]*$"


def afvist_raekke(ds: Dataset) -> pl.LazyFrame:
    """Rows the loader rejected (type or code list), with row number and reason: never silently lost."""
    from data_model.contract import TABLES

    parts = []
    for name, rej in getattr(ds, "rejected", {}).items():
        cols = rej.collect_schema().names()
        if ERR not in cols or ROW not in cols:
            continue
        key = next((k for k in TABLES[name].key if k in cols), None) if name in TABLES else None
        row_text = pl.format("række {}", pl.col(ROW))
        noegle = pl.coalesce(pl.col(key).cast(pl.String), row_text) if key else row_text
        lf = rej
        if name in ("funktionsevne", "indsatsmaal"):
            lf = lf.filter(~pl.col(ERR).str.contains(NIVEAU_ONLY))
        parts.append(lf.select(
            pl.lit(name).alias("tabel"), noegle.alias("noegle"), _text(cols, "borger_id"),
            pl.col(ROW).cast(pl.String).alias("raekke"), pl.col(ERR).alias("fejl"),
        ))
    if not parts:
        return pl.LazyFrame(schema={c: pl.String for c in ("tabel", "noegle", "borger_id", "raekke", "fejl")})
    return pl.concat(parts, how="vertical_relaxed")


def primaer_maalgruppe(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """Borgere without exactly one primary målgruppe at their latest date (on or before the reference
    date). A later registration that only adds other målgrupper does not replace the primary one,
    so the latest date is that of the latest primary registration; borgere with målgrupper but no
    primary one, or with no målgruppe at all, count as zero."""
    mg = ds.maalgrupper.select(pl.col("borger_id").cast(pl.String), pl.col("primaer").fill_null(False), "dato")
    known = mg.filter(pl.col("dato") <= paa)
    primary = known.filter(pl.col("primaer"))
    latest = primary.group_by("borger_id").agg(pl.col("dato").max())
    on_latest = (
        primary.join(latest, on=["borger_id", "dato"], how="inner")
        .group_by("borger_id", "dato").agg(pl.len().cast(pl.Int64).alias("antal"))
        .filter(pl.col("antal") != 1)
        .select("borger_id", pl.col("antal").cast(pl.String),
                pl.format("på den seneste registrering af primær målgruppe {}",
                          pl.col("dato").dt.strftime(DATO)).alias("dato"))
    )
    no_primary = known.select("borger_id").unique().join(primary.select("borger_id").unique(), on="borger_id",
                                                         how="anti").select(
        "borger_id", pl.lit("0").alias("antal"), pl.lit("(kun andre målgrupper er registreret)").alias("dato"))
    none = ds.borgere.select(pl.col("borger_id").cast(pl.String)).unique().join(
        mg.select("borger_id").unique(), on="borger_id", how="anti"
    ).select("borger_id", pl.lit("0").alias("antal"), pl.lit("(der er ingen målgruppe registreret)").alias("dato"))
    return pl.concat([on_latest, no_primary, none]).with_columns(pl.col("borger_id").alias("noegle"))


def dublet(ds: Dataset) -> pl.LazyFrame:
    parts = []
    for table, key in NATURAL_KEYS.items():
        if table not in ds.tables:  # an absent optional table is an empty frame: no duplicates
            continue
        lf = ds.tables[table]
        cols = lf.collect_schema().names()
        key = [k for k in key if k in cols]
        if not key:
            continue
        text = [
            pl.col(k).dt.strftime("%Y-%m-%d") if lf.collect_schema()[k] == pl.Date() else pl.col(k).cast(pl.String)
            for k in key
        ]
        parts.append(
            lf.group_by(key).agg(pl.len().alias("antal"))
            .filter(pl.col("antal") > 1)
            .select(
                pl.lit(table).alias("tabel"),
                pl.concat_str([t.fill_null("") for t in text], separator="|").alias("noegle"),
                (pl.col("borger_id").cast(pl.String) if "borger_id" in key else pl.lit(None, pl.String)).alias("borger_id"),
                pl.col("antal").cast(pl.String),
            )
        )
    if not parts:
        return pl.LazyFrame(schema={"tabel": pl.String, "noegle": pl.String, "borger_id": pl.String, "antal": pl.String})
    return pl.concat(parts)


def sen_registrering(ds: Dataset, days: int) -> pl.LazyFrame:
    return (
        _ydelser(ds)
        .with_columns((pl.col("registreringsdato") - pl.col("startdato")).dt.total_days().alias("dage"))
        .filter(pl.col("dage") > days)
        .with_columns(pl.lit(days).alias("graense"), ddmmyyyy("startdato"), ddmmyyyy("registreringsdato"))
    )


def ansoegning_efter_bevilling(ds: Dataset) -> pl.LazyFrame:
    """Ydelser whose ansoegningsdato (optional column) lies after their bevillingsdato: no
    sagsbehandlingstid (workbench.regler.servicemaal leaves them out of every figure; this reports them)."""
    cols = ds.ydelser.collect_schema().names()
    if "ansoegningsdato" not in cols or "bevillingsdato" not in cols:
        return _ydelser(ds).head(0).with_columns(pl.lit(None, pl.String).alias("ansoegningsdato"),
                                                 pl.lit(None, pl.String).alias("bevillingsdato"))
    return (
        _ydelser(ds)
        .filter(pl.col("ansoegningsdato") > pl.col("bevillingsdato"))
        .with_columns(ddmmyyyy("ansoegningsdato"), ddmmyyyy("bevillingsdato"))
    )


# Amounts above this (kr per month or per payment) are absurd for one borger's ydelse.
URIMELIGT_BELOEB_GRAENSE = 10_000_000.0
TIMER_PR_UGE_GRAENSE = 168.0  # hours in a week


def urimeligt_beloeb(ds: Dataset, graense: float = URIMELIGT_BELOEB_GRAENSE) -> pl.LazyFrame:
    """Negative, non-finite (inf, NaN: '1e400' parses as inf) or absurdly large amounts:
    ydelser.maanedlig_udgift and betalinger.beloeb."""
    parts = []
    # timer_pr_uge is bounded by the hours of a week (variant 'timer': the message speaks of hours).
    for table, col, key, limit, variant in (
            ("ydelser", "maanedlig_udgift", ("ydelse_id",), graense, None),
            ("betalinger", "beloeb", ("borger_id", "paragraf", "maaned"), graense, None),
            ("ydelser", "timer_pr_uge", ("ydelse_id",), TIMER_PR_UGE_GRAENSE, "timer")):
        if table not in ds.tables:
            continue
        lf = ds.tables[table]
        names = lf.collect_schema().names()
        if col not in names or not all(k in names for k in key):
            continue
        v = pl.col(col).cast(pl.Float64)
        bad = v.is_not_null() & (v.is_nan() | v.is_infinite() | (v < 0) | (v > limit))
        parts.append(lf.filter(bad).select(
            pl.lit(table).alias("tabel"),
            pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in key], separator="|").alias("noegle"),
            pl.col("borger_id").cast(pl.String),
            pl.lit(col).alias("felt"),
            v.cast(pl.String).alias("beloeb"),
            pl.lit(tal(limit)).alias("graense"),
            pl.lit(variant, dtype=pl.String).alias("variant"),
        ))
    if not parts:
        return pl.LazyFrame(schema={c: pl.String for c in ("tabel", "noegle", "borger_id", "felt", "beloeb", "graense",
                                                           "variant")})
    return pl.concat(parts)


# --- all together ----------------------------------------------------------------------------------

def findings(ds: Dataset, paa: dt.date, cfg: QualityConfig | None = None, codes: CodeLists | None = None,
             rules: list[str] | None = None, cmp: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Every finding: regel, alvor, tabel, noegle, borger_id, besked, kroner (sorted by regel, tabel,
    noegle; kroner: the 8-talskontrol findings' kroner at stake as a number, null for other rules).
    `cmp`: reconcile.compared(ds, paa), collected by a caller that also shows the 8-talskontrol."""
    from workbench.regler import reconcile

    cfg = cfg or load_quality_config()
    conf = load_config()
    codes = codes or conf.codes
    wanted = [r for r in ("betaling_uden_ydelse", "ydelse_uden_betaling")
              if cfg.active(r) and (rules is None or r in rules)]
    if cmp is None and len(wanted) == 2:
        # One comparison for both 8-talskontrol rules: the two branches of the plan below would
        # otherwise each run it (1.8 s apiece on the national demo).
        got = reconcile.compared(ds, paa)
        cmp = got.collect().rechunk().lazy() if got is not None else None  # rechunk: see reconcile.compared
    paid = reconcile.mismatches(ds, paa, cmp, cfg.ottetal_tolerance)
    memo: dict[str, pl.LazyFrame] = {}

    def goals() -> pl.LazyFrame:
        """maalstatus.goal_status once for both goal rules (collected: two lazy copies cost 2-3x)."""
        if "g" not in memo:
            memo["g"] = _goals(ds, paa).collect().lazy()
        return memo["g"]

    checks: dict[str, tuple[str, Callable[[], pl.LazyFrame]]] = {
        "ugyldig_ydelse": ("ydelser", lambda: ugyldig_ydelse(ds, codes)),
        "under_18": ("ydelser", lambda: under_18(ds, conf.settings.voksen_alder)),
        "slut_foer_start": ("ydelser", lambda: slut_foer_start(ds)),
        "mangler_tilbud": ("ydelser", lambda: mangler_tilbud(ds, codes)),
        "ukendt_tilbud": ("ydelser", lambda: ukendt_tilbud(ds)),
        "opfoelgning_overskredet": ("indsatsmaal", lambda: opfoelgning_overskredet(ds, paa, goals())),
        "opfoelgning_mangler": ("indsatsmaal", lambda: opfoelgning_mangler(ds)),
        "vurdering_afviger_maaling": ("opfoelgninger", lambda: vurdering_afviger_maaling(ds, paa, goals())),
        "maal_uden_forventet_aendring": ("indsatsmaal", lambda: maal_uden_forventet_aendring(ds, paa, goals())),
        "niveau_uden_for_skala": ("funktionsevne", lambda: niveau_uden_for_skala(ds)),
        "primaer_maalgruppe": ("maalgrupper", lambda: primaer_maalgruppe(ds, paa)),
        "dublet": ("", lambda: dublet(ds)),
        "sen_registrering": ("ydelser", lambda: sen_registrering(ds, cfg.sen_registrering_dage)),
        "betaling_uden_ydelse": ("betalinger", lambda: reconcile.finding("betaling_uden_ydelse", ds, paa, paid)),
        "ydelse_uden_betaling": ("ydelser", lambda: reconcile.finding("ydelse_uden_betaling", ds, paa, paid)),
        "forkert_paragraf": ("betalinger", lambda: reconcile.finding("forkert_paragraf", ds, paa, paid)),
        "beloeb_afviger": ("betalinger", lambda: reconcile.finding("beloeb_afviger", ds, paa, paid)),
        "betaling_uden_for_periode": ("betalinger",
                                      lambda: reconcile.finding("betaling_uden_for_periode", ds, paa, paid)),
        "databrud": ("ydelser", lambda: reconcile.databrud_findings(ds, paa, cfg.databrud)),
        "afvist_raekke": ("", lambda: afvist_raekke(ds)),
        "urimeligt_beloeb": ("", lambda: urimeligt_beloeb(ds)),
        "ansoegning_efter_bevilling": ("ydelser", lambda: ansoegning_efter_bevilling(ds)),
    }
    parts = []
    for rid, (tabel, check) in checks.items():
        if rules is not None and rid not in rules:
            continue
        if not cfg.active(rid):
            continue
        parts.append(finish(check(), cfg.rules[rid], tabel))
    if not parts:
        return empty_findings()
    return pl.concat(parts).unique().sort(["regel", "tabel", "noegle", "besked"])


def materialise(ds: Dataset, rejected: tuple[str, ...] | None = None) -> Dataset:
    """The dataset with every table (and the rejected rows the rules read) collected once, in parallel,
    as LazyFrames over in-memory frames: the rules read the same tables many times, and re-parsing
    the files for each would dominate (the CLI's boundary; the app's cached dataset is already
    collected)."""
    names = list(ds.tables)
    have = getattr(ds, "rejected", {})
    rej = [n for n in (rejected if rejected is not None else have) if n in have]
    frames = pl.collect_all([ds.tables[n] for n in names] + [ds.rejected[n] for n in rej])
    tables = {n: f.lazy() for n, f in zip(names, frames)}
    rejected_frames = {n: f.lazy() for n, f in zip(rej, frames[len(names):])}
    return ds.derive(tables, rejected_frames)


def counts_by_rule(found: pl.LazyFrame, cfg: QualityConfig | None = None) -> pl.LazyFrame:
    """Per rule (and per variant of another severity, e.g. ugyldig_ydelse's advarsel 'anden_paragraf'):
    regel, alvor, titel, tekst, fund, borgere (rules with none included, as 0)."""
    cfg = cfg or load_quality_config()
    rows = []
    for n, r in enumerate(cfg.rules.values()):
        if r.aktiv:
            rows.append((r.id, r.alvor, r.titel, r.tekst, ALVOR.index(r.alvor), n))
            # a variant of another severity gets its own row (same rule id, its own alvor and title)
            rows += [(r.id, va, vt, r.tekst, ALVOR.index(va), n) for _, va, vt, _ in r.varianter if va != r.alvor]
    meta = pl.LazyFrame(
        rows,
        schema={"regel": pl.String, "alvor": pl.String, "titel": pl.String, "tekst": pl.String,
                "alvor_orden": pl.Int64, "orden": pl.Int64}, orient="row",
    )
    n = found.group_by("regel", "alvor").agg(pl.len().alias("fund"),
                                             pl.col("borger_id").drop_nulls().n_unique().alias("borgere"))
    return (
        meta.join(n, on=["regel", "alvor"], how="left")
        .with_columns(pl.col("fund").fill_null(0).cast(pl.Int64), pl.col("borgere").fill_null(0).cast(pl.Int64))
        .sort("alvor_orden", "orden").drop("alvor_orden", "orden")
    )


def per_rule_with_total(found: pl.DataFrame, cfg: QualityConfig | None = None) -> tuple[pl.DataFrame, dict]:
    """counts_by_rule (regel, alvor, titel, fund, borgere) and its total row ('I alt': all findings,
    distinct borgere), for suppression.suppress_rows: what a role without the borger list gets."""
    per_rule = counts_by_rule(found.lazy(), cfg).collect().select("regel", "alvor", "titel", "fund", "borgere")
    total = {"regel": "I alt", "alvor": "", "titel": "", "fund": found.height,
             "borgere": found["borger_id"].drop_nulls().n_unique()}
    return per_rule, total


# --- findings in a period ---------------------------------------------------------------------------

def med_haendelsesdato(ds: Dataset, found: pl.LazyFrame) -> pl.LazyFrame:
    """`found` with `dato`, the day of the finding's event (contract "A period": registration, follow-up
    date, payment month): a noegle ending in YYYY-MM -> that month's first day; a ydelse -> its
    startdato (sen_registrering: its registreringsdato); an indsatsmål -> its opfoelgningsdato, else its
    startdato. Null for findings about the data as it stands (dublet, rejected rows, a målgruppe's
    registrations): they belong to the reference date."""
    y = ds.ydelser.select(pl.col("ydelse_id").cast(pl.String).alias("noegle"), pl.col("startdato").alias("_ys"),
                          pl.col("registreringsdato").alias("_yr"))
    m = ds.indsatsmaal.select(pl.col("maal_id").cast(pl.String).alias("noegle"),
                              pl.coalesce("opfoelgningsdato", "startdato").alias("_md"))
    month = pl.col("noegle").str.extract(r"(\d{4}-\d{2})$", 1)
    return (
        found.join(y.unique("noegle"), on="noegle", how="left").join(m.unique("noegle"), on="noegle", how="left")
        .with_columns(pl.coalesce(
            pl.when(month.is_not_null()).then(pl.concat_str([month, pl.lit("-01")]).str.to_date(strict=False)),
            pl.when(pl.col("regel") == "sen_registrering").then(pl.col("_yr")).otherwise(pl.col("_ys")),
            pl.col("_md"),
        ).alias("dato"))
        .drop("_ys", "_yr", "_md")
    )


def i_perioden(ds: Dataset, found: pl.LazyFrame, fra: dt.date, til: dt.date, paa: dt.date) -> pl.LazyFrame:
    """The findings of a period (contract "A period"): those whose event falls in its counted days
    fra..min(til, paa) (a payment month when it overlaps them); those without an event date when the
    reference date is in the period."""
    end = min(til, paa)
    d = pl.col("dato")
    month_hit = (d.dt.month_end() >= fra) & (d <= end)
    is_month = pl.col("noegle").str.contains(r"\d{4}-\d{2}$")
    keep = pl.when(d.is_null()).then(pl.lit(fra <= paa <= til)).when(is_month).then(month_hit) \
        .otherwise(d.is_between(fra, end))
    return med_haendelsesdato(ds, found).filter(keep).drop("dato")
