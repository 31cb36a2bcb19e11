"""The demo generator's ground: constants, config/demo.yaml (validated), the model (Yd, Goal, Borger),
dates, geo helpers, progress bar and table schemas (workbench.vaerktoej.synth)."""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from workbench.data.config import CodeLists, ConfigError, load_config, load_yaml
from workbench.data.paths import GEO_DIR, config_dir
from workbench.regler.periods import add_months

UDTRAEK_DATO = dt.date(2026, 10, 31)  # fixed extraction date: the data end here
HISTORIK_FRA = dt.date(2023, 11, 1)  # three years of history up to UDTRAEK_DATO
SKALAER = ("kommune", "region", "national")
MANIFEST = "demo_manifest.json"
CONFIG_FILE = "demo.yaml"

OVERLAP_KINDS = ("SEL85_ABL105", "SEL85_SEL107", "SEL85_SEL108", "SEL107_SEL108", "DOBBELT", "BOTILBUD_ABL105")
QUALITY_KINDS = ("ugyldig_ydelse", "under_18", "slut_foer_start", "mangler_tilbud", "opfoelgning_overskredet",
                 "betaling_uden_ydelse", "ydelse_uden_betaling", "forkert_paragraf", "beloeb_afviger",
                 "betaling_uden_for_periode")
# planted on the betalinger table (Generator.betalinger), not on a borger's case
PAYMENT_KINDS = ("betaling_uden_ydelse", "ydelse_uden_betaling", "forkert_paragraf", "beloeb_afviger",
                 "betaling_uden_for_periode")
# Goal-level cases the product handles (issue 20): a follow-up made late, a recorded vurdering that
# disagrees with the measured status (both ways), a goal that asks for nothing.
GOAL_KINDS = ("sen_opfoelgning", "vurdering_afviger_maaling", "maal_uden_forventet_aendring")
DEFECT_KINDS = OVERLAP_KINDS + QUALITY_KINDS + GOAL_KINDS
PROFILES = ("stoette85", "abl105", "botilbud108", "botilbud107", "dag104", "dag103", "hale")

P85, ABL, P103, P104, P107, P108 = "SEL §85", "ABL §105/SEL §85", "SEL §103", "SEL §104", "SEL §107", "SEL §108"
# The paragraf-pair overlap rules of config/overlap_rules.yaml as (id, paragraf a, paragraf b).
RULES = (("SEL85_ABL105", P85, ABL), ("SEL85_SEL107", P85, P107), ("SEL85_SEL108", P85, P108),
         ("SEL107_SEL108", P107, P108), ("BOTILBUD_ABL105", P107, ABL), ("BOTILBUD_ABL105", P108, ABL))
DAGTILBUD = (P103, P104)

PARQUET = dict(compression="zstd", compression_level=3, statistics=True, row_group_size=512 * 1024)
EPOCH = dt.date(1970, 1, 1).toordinal()
DAY = dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class DemoConfig:
    raw: dict
    skalaer: dict[str, dict[str, int]]
    defekter: dict[str, float]
    databrud_maaned: str
    databrud_andel: float


class _Bad(Exception):
    """A problem in demo.yaml; load_demo_config turns it into a ConfigError naming the file."""


def _err(msg: str) -> _Bad:
    return _Bad(msg)


def _weights(data: dict, key: str, allowed: tuple[str, ...] | set[str] | None) -> dict[str, float]:
    w = data.get(key)
    if not isinstance(w, dict) or not w:
        raise _err(f"nøglen '{key}' mangler eller er tom")
    for k, v in w.items():
        if allowed is not None and k not in allowed:
            raise _err(f"ukendt kode '{k}' under '{key}'")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise _err(f"'{key}.{k}' skal være et tal >= 0")
    return {str(k): float(v) for k, v in w.items()}


def _range(data: Any, key: str, ints: bool = True) -> tuple:
    if not (isinstance(data, (list, tuple)) and len(data) == 2 and all(isinstance(x, (int, float)) for x in data)
            and data[0] <= data[1]):
        raise _err(f"'{key}' skal være et interval [fra, til]")
    return (int(data[0]), int(data[1])) if ints else (float(data[0]), float(data[1]))


def load_demo_config(codes: CodeLists | None = None, directory: Path | None = None) -> DemoConfig:
    """config/demo.yaml, validated: every error names the file and the key."""
    codes = codes or load_config(directory).codes
    data = load_yaml(CONFIG_FILE, directory)
    try:
        return _check_demo_config(data, codes)
    except _Bad as exc:
        raise ConfigError(f"{(directory or config_dir()) / CONFIG_FILE}: {exc}") from None
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise ConfigError(f"{(directory or config_dir()) / CONFIG_FILE}: uventet struktur ({exc})") from None


def _check_demo_config(data: Any, codes: CodeLists) -> DemoConfig:
    if not isinstance(data, dict):
        raise _err("forventede en YAML-mapping øverst")
    sk = data.get("skalaer")
    if not isinstance(sk, dict) or set(sk) != set(SKALAER):
        raise _err(f"'skalaer' skal have netop {', '.join(SKALAER)}")
    for name, s in sk.items():
        for k in ("kommuner", "borgere"):
            if not isinstance(s, dict) or not isinstance(s.get(k), int) or s[k] < 1:
                raise _err(f"'skalaer.{name}.{k}' skal være et positivt heltal")
    if str(data.get("hjemkommune", "")) == "" or not str(data["hjemkommune"]).isdigit():
        raise _err("'hjemkommune' skal være en kommunekode (fx \"0250\")")
    prof = _weights(data, "profiler", PROFILES)
    if sum(prof.values()) <= 0:
        raise _err("'profiler' skal have mindst én vægt > 0")
    _weights(data, "dagtilbud_tillaeg", PROFILES)
    _weights(data, "hale_paragraffer", codes.paragraffer)
    mu = data.get("maanedlig_udgift")
    if not isinstance(mu, dict):
        raise _err("nøglen 'maanedlig_udgift' mangler")
    for p in codes.paragraffer:
        if p not in mu:
            raise _err(f"'maanedlig_udgift' mangler paragraffen '{p}'")
        _range(mu[p], f"maanedlig_udgift.{p}")
    for p in mu:
        if p not in codes.paragraffer:
            raise _err(f"ukendt kode '{p}' under 'maanedlig_udgift'")
    mg = data.get("maalgrupper")
    if not isinstance(mg, dict):
        raise _err("nøglen 'maalgrupper' mangler")
    for p in PROFILES:
        if p not in mg:
            raise _err(f"'maalgrupper' mangler profilen '{p}'")
        _weights(mg, p, codes.maalgrupper)
    _weights(data, "oevrige_maalgrupper", codes.maalgrupper)
    for key in ("vurdering_interval_dage", "undertemaer_pr_borger", "indsatsmaal_pr_vurdering"):
        _range(data.get(key), key)
    if data["vurdering_interval_dage"][0] < 60:
        raise _err("'vurdering_interval_dage' skal starte ved mindst 60")
    for key in ("andel_anden_betalingskommune", "andel_bestand", "andel_kvinder", "andel_oevrige_maalgrupper",
                "andel_ikke_vurderet", "andel_opfoelgning_registreret"):
        v = data.get(key)
        if not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise _err(f"'{key}' skal være en andel mellem 0 og 1")
    try:
        dt.date.fromisoformat(str(data.get("bestand_fra")))
    except ValueError:
        raise _err("'bestand_fra' skal være en dato ÅÅÅÅ-MM-DD") from None
    teams = data.get("teams")
    if not isinstance(teams, list) or not teams:
        raise _err("'teams' skal være en liste")
    for key in ("tilbud_pr_800_borgere", "sagsbehandlere_pr_800_borgere"):
        if not isinstance(data.get(key), int) or data[key] < 1:
            raise _err(f"'{key}' skal være et positivt heltal")
    db = data.get("databrud")
    if not isinstance(db, dict):
        raise _err("nøglen 'databrud' mangler")
    maaned = str(db.get("maaned", ""))
    try:
        first = dt.datetime.strptime(maaned, "%Y-%m").date()
    except ValueError:
        raise _err(f"'databrud.maaned' skal være ÅÅÅÅ-MM, ikke '{maaned}'") from None
    if not (HISTORIK_FRA < first and add_months(first, 1) <= UDTRAEK_DATO.replace(day=1)):
        raise _err(f"'databrud.maaned' skal ligge inde i perioden {HISTORIK_FRA:%Y-%m}..{UDTRAEK_DATO:%Y-%m}")
    andel = db.get("andel")
    if not isinstance(andel, (int, float)) or not 0 <= andel < 1:
        raise _err("'databrud.andel' skal være en andel mellem 0 og 1")
    defekter = _weights(data, "defekter", None)
    for k in DEFECT_KINDS:
        if k not in defekter:
            raise _err(f"'defekter' mangler '{k}'")
    for k in defekter:
        if k not in DEFECT_KINDS:
            raise _err(f"ukendt defekt '{k}' under 'defekter' (kendte: {', '.join(DEFECT_KINDS)})")
    bud = data.get("budget")
    if not isinstance(bud, dict) or not isinstance(bud.get("overskredet"), dict):
        raise _err("nøglen 'budget' (med 'forbrug_andel' og 'overskredet') mangler")
    _range(bud.get("forbrug_andel"), "budget.forbrug_andel", ints=False)
    _range(bud["overskredet"].get("forbrug_andel"), "budget.overskredet.forbrug_andel", ints=False)
    if bud["overskredet"].get("paragraf") not in codes.paragraffer:
        raise _err(f"ukendt paragraf '{bud['overskredet'].get('paragraf')}' under 'budget.overskredet.paragraf'")
    names = data.get("ugyldige_ydelsesnavne")
    if not isinstance(names, list) or not names:
        raise _err("'ugyldige_ydelsesnavne' skal være en liste")
    for n in names:
        if any(n in codes.ydelser_per_paragraf[p] for p in (P85, ABL, P104, P103, P108, P107)):
            raise _err(f"'ugyldige_ydelsesnavne': '{n}' er et gyldigt ydelsesnavn")
    skalaer = {k: {"kommuner": int(v["kommuner"]), "borgere": int(v["borgere"])} for k, v in sk.items()}
    return DemoConfig(data, skalaer, defekter, maaned, float(andel))


def planned_count(rate: float, borgere: int) -> int:
    """Planted defects of one kind: rate per 1000 generated borgere, at least 1 when rate > 0."""
    if rate <= 0:
        return 0
    return max(1, int(math.floor(rate * borgere / 1000 + 0.5)))


# ---------------------------------------------------------------------------------------- dates
def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + years, day=28)


def _rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return dt.date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))


def _end(d: dt.date | None) -> dt.date:
    return UDTRAEK_DATO if d is None else d


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


# ----------------------------------------------------------------------------------------- model
@dataclass
class Yd:
    paragraf: str
    ydelse: str
    start: dt.date
    slut: dt.date | None
    tilbud_id: str | None
    udgift: float
    timer: float | None = None
    reg: dt.date | None = None
    bev: dt.date | None = None
    sag: str | None = None
    ydelse_id: str = ""

    def valid(self) -> bool:
        return self.slut is None or self.slut >= self.start


@dataclass
class Goal:
    maal_id: str
    undertema: str
    maaltype: str
    forventet: int
    start: dt.date
    opf: dt.date
    ansvarlig: str
    relaterede: str
    sag: str


@dataclass
class Borger:
    idx: int
    borger_id: str
    kommune: str
    profile: str
    rng: random.Random
    koen: str = "M"
    foedselsdato: dt.date = dt.date(1980, 1, 1)
    cpr: str = ""
    betalingskommune: str = ""
    sagsbehandler: str = ""
    team: str = ""
    ydelser: list[Yd] = field(default_factory=list)
    vurderinger: list[dt.date] = field(default_factory=list)
    sager: list[str] = field(default_factory=list)
    fe: list[tuple[int, str, int | None]] = field(default_factory=list)  # (dato ordinal, undertema, niveau)
    goals: list[Goal] = field(default_factory=list)
    opf: list[tuple[str, dt.date, str, str, str | None]] = field(default_factory=list)
    sb: list[tuple[dt.date, str, str | None, str]] = field(default_factory=list)
    mg: list[tuple[str, bool, dt.date, str]] = field(default_factory=list)


def rule_pairs(ydelser: list[Yd], paa: dt.date = UDTRAEK_DATO) -> list[tuple[str, Yd, Yd]]:
    """Overlapping pairs of one borger's ydelser under the overlap rules (slut < start never overlaps)."""
    valid = [y for y in ydelser if y.valid()]
    out = []
    for i, a in enumerate(valid):
        a_end = a.slut or paa
        for b in valid[i + 1:]:
            if not (a.start <= (b.slut or paa) and b.start <= a_end):
                continue
            if a.paragraf == b.paragraf and a.ydelse == b.ydelse:
                out.append(("DOBBELT", a, b))
            for rid, pa, pb in RULES:
                if (a.paragraf == pa and b.paragraf == pb) or (a.paragraf == pb and b.paragraf == pa):
                    out.append((rid, a, b))
    return out


# ------------------------------------------------------------------------------------------- geo
def _geo() -> tuple[pl.DataFrame, pl.DataFrame]:
    kom = pl.read_csv(GEO_DIR / "kommuner.csv", schema_overrides={"kommunekode": pl.String, "regionskode": pl.String})
    post = pl.read_csv(GEO_DIR / "postnumre.csv", schema_overrides={"postnr": pl.String})
    return kom.sort("kommunekode"), post.sort("postnr")


def _dist(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return math.hypot(lat1 - lat2, (lon1 - lon2) * math.cos(math.radians(56.0)))


def _postnumre_per_kommune(kom: pl.DataFrame, post: pl.DataFrame) -> dict[str, list[tuple[str, str, float, float]]]:
    """Each postnr goes to the kommune with the nearest centroid; a kommune with none gets its nearest postnr."""
    kl = kom.select("kommunekode", "lat", "lon").rows()
    out: dict[str, list] = {k: [] for k, _, _ in kl}
    prow = post.select("postnr", "navn", "lat", "lon").rows()
    for p in prow:
        k = min(kl, key=lambda r: (_dist(p[2], p[3], r[1], r[2]), r[0]))[0]
        out[k].append(p)
    for k, lat, lon in kl:
        if not out[k]:
            out[k].append(min(prow, key=lambda p: (_dist(p[2], p[3], lat, lon), p[0])))
    return out


# --------------------------------------------------------------------------------------- progress
class _Progress:
    def __init__(self, enabled: bool, width: int = 30) -> None:
        self.enabled, self.width, self.last = enabled, width, -1

    def show(self, frac: float, label: str) -> None:
        if not self.enabled:
            return
        pct = int(frac * 100)
        if pct == self.last and frac < 1:
            return
        self.last = pct
        filled = int(frac * self.width)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {pct:3d}% {label:<24}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()



def _frame(rows: list[tuple], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


FE_SCHEMA = {"borger_id": pl.String, "dato": pl.Date, "omraade": pl.String, "tema": pl.String,
             "undertema": pl.String, "niveau": pl.Int64, "sagsafgoerelse_id": pl.String}
IM_SCHEMA = {"maal_id": pl.String, "borger_id": pl.String, "undertema": pl.String, "maaltype": pl.String,
             "forventet_niveau": pl.Int64, "startdato": pl.Date, "opfoelgningsdato": pl.Date, "ansvarlig": pl.String,
             "relaterede_undertemaer": pl.String, "sagsafgoerelse_id": pl.String}
YD_SCHEMA = {"ydelse_id": pl.String, "borger_id": pl.String, "paragraf": pl.String, "ydelse": pl.String,
             "startdato": pl.Date, "slutdato": pl.Date, "registreringsdato": pl.Date, "bevillingsdato": pl.Date,
             "tilbud_id": pl.String, "sagsafgoerelse_id": pl.String, "timer_pr_uge": pl.Float64,
             "maanedlig_udgift": pl.Float64}
TILBUD_SCHEMA = {"tilbud_id": pl.String, "navn": pl.String, "tilbudstype": pl.String, "cvr": pl.String,
                 "adresse": pl.String, "postnr": pl.String, "kommunekode": pl.String, "driftsform": pl.String,
                 "pladser": pl.Int64, "lat": pl.Float64, "lon": pl.Float64}

_D = dt.date
# Borger X (seed 003), row for row as tests/fixtures/borger_x/*.csv.
BORGER_X: dict[str, list[tuple]] = {
    "borgere": [("X", "0101901234", _D(1990, 1, 1), "K", "0250", "0250", "Z", "Voksen 1")],
    "maalgrupper": [("X", "Anden psykisk vanskelighed", True, _D(2023, 1, 1), "S1")],
    "funktionsevne": [
        ("X", _D(2023, 1, 1), "Funktioner og forhold", "Mentale funktioner", "Organisering og planlægning", None, "S1"),
        ("X", _D(2023, 1, 1), "Funktioner og forhold", "Sociale forhold", "Økonomisk situation", None, "S1"),
        ("X", _D(2023, 1, 1), "Omgivelsesfaktorer", "Omgivelser", "Personer i netværk", None, "S1"),
        ("X", _D(2023, 1, 21), "Aktivitet og deltagelse", "Samfundsliv", "Varetage økonomi", 2, "S1"),
        ("X", _D(2023, 6, 1), "Funktioner og forhold", "Mentale funktioner", "Organisering og planlægning", None, "S2"),
        ("X", _D(2023, 6, 1), "Funktioner og forhold", "Sociale forhold", "Økonomisk situation", None, "S2"),
        ("X", _D(2023, 6, 1), "Aktivitet og deltagelse", "Samfundsliv", "Varetage økonomi", 0, "S2"),
    ],
    "stoettebehov": [("X", _D(2023, 1, 1), "Let støttebehov", None, "S1"),
                     ("X", _D(2023, 6, 1), "Intet støttebehov", None, "S2")],
    "indsatsmaal": [("M1", "X", "Varetage økonomi", "Udvikle funktionsevne", 1, _D(2023, 1, 21), _D(2023, 6, 1),
                     "Myndighed", "Organisering og planlægning;Økonomisk situation", "S1")],
    "opfoelgninger": [("M1", _D(2023, 6, 1), "Opnået", "Træf afgørelse om afslutning af indsats",
                       "Støtten har været en succes; støttebehov vurderes til intet.")],
    "ydelser": [("Y1", "X", "SEL §85", "Støtte til administration", _D(2023, 1, 1), _D(2023, 6, 1), _D(2023, 1, 2),
                 _D(2023, 1, 1), "1000000001", "S1", 2.0, 4800.0)],
    "tilbud": [("1000000001", "Bostøtten i Kommune Y", "Mobilt tilbud", None, None, "3600", "0250", "Kommunal",
                None, None, None)],
}
