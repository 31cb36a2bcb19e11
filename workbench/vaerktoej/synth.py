"""Deterministic synthetic demo dataset in the data contract (spec/DATA_CONTRACT.md), with planted defects.

`write_demo(out, skala, seed)` writes one Parquet file per contract table plus `demo_manifest.json`
(the planted defects with their ids, counts and the rates used). The case mix, the scales and the
defect rates live in config/demo.yaml; code-list values come from config/ (workbench.data.config).

Determinism: every random draw comes from `random.Random` instances seeded from `seed` (one per
borger, so a borger does not depend on the ones before it), rows are sorted explicitly before
writing, and Parquet is written with fixed settings and no timestamps. Same seed -> same bytes.

Cleanliness: apart from the planted defects the data break none of the overlap rules
(config/overlap_rules.yaml: SEL85_ABL105, SEL85_SEL107, SEL85_SEL108, SEL107_SEL108, BOTILBUD_ABL105,
DOBBELT) and
none of the quality rules the manifest names; the generator checks the overlap part per borger.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import polars as pl

from workbench.data import geo
from workbench.data.config import CodeLists, ConfigError, load_config, load_yaml
from workbench.data.paths import GEO_DIR, config_dir
from workbench.regler.periods import add_months, months, valid_period

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


# -------------------------------------------------------------------------------------- generator
TILBUD_MIX = (  # (tilbudstype, share, pladser range)
    ("Mobilt tilbud", 0.15, (20, 80)),
    ("Almen ældre- og handicapvenlig bolig", 0.13, (8, 30)),
    ("Almindeligt længerevarende botilbud til voksne", 0.13, (6, 40)),
    ("Sikret længerevarende botilbud til voksne", 0.02, (4, 12)),
    ("Midlertidigt botilbud til voksne", 0.10, (6, 24)),
    ("Beskyttet beskæftigelsestilbud", 0.14, (15, 60)),
    ("Aktivitets- og samværstilbud", 0.18, (20, 80)),
    ("Socialt akuttilbud", 0.05, (8, 30)),
)
NAVNE = {
    "Mobilt tilbud": ["Bostøtten", "Støttecentret", "Det Udgående Team", "Bostøtteteamet"],
    "Almen ældre- og handicapvenlig bolig": ["Boligerne ved", "Bofællesskabet", "Botilbuddet", "Kollektivet"],
    "Almindeligt længerevarende botilbud til voksne": ["Bocentret", "Botilbuddet", "Bostedet", "Hjemmet"],
    "Sikret længerevarende botilbud til voksne": ["Det Sikrede Botilbud"],
    "Midlertidigt botilbud til voksne": ["Det Midlertidige Botilbud", "Udslusningen", "Pensionatet"],
    "Beskyttet beskæftigelsestilbud": ["Værkstederne", "Produktionsskolen", "Værkstedet"],
    "Aktivitets- og samværstilbud": ["Aktivitetshuset", "Værestedet", "Samværshuset", "Dagcentret"],
    "Socialt akuttilbud": ["Krisecentret", "Herberget", "Forsorgshjemmet"],
}
STEDNAVNE = ["Egely", "Solbakken", "Lindehøj", "Kastanjegården", "Fjordbo", "Skovly", "Engen", "Bøgely",
             "Havnegården", "Toftegården", "Mosebo", "Lærkereden", "Granly", "Strandhøj", "Kildebo", "Åbo"]
VEJE = ["Skolevej", "Kirkevej", "Stationsvej", "Møllevej", "Engvej", "Bakkevej", "Industrivej", "Havnegade",
        "Nørregade", "Søndergade", "Lindevej", "Parkvej", "Skovvej", "Strandvej", "Ringvejen", "Fabriksvej"]
DRIFTSFORMER = (("Kommunal", 0.6), ("Privat", 0.18), ("Selvejende (med driftsoverenskomst)", 0.14), ("Regional", 0.08))


class _Generator:
    def __init__(self, skala: str, seed: int, progress: bool) -> None:
        if skala not in SKALAER:
            raise ValueError(f"ukendt skala '{skala}' (vælg {', '.join(SKALAER)})")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"seed skal være et heltal, ikke {seed!r}")
        self.skala, self.seed = skala, seed
        self.codes = load_config().codes
        self.cfg = load_demo_config(self.codes)
        self.c = self.cfg.raw
        self.bar = _Progress(progress)
        self.ypp = self.codes.ydelser_per_paragraf
        self.ad = self.codes.aktivitet_undertemaer()
        self.other_ut = [u for u in self.codes.undertemaer if self.codes.undertema_omraade(u) != "Aktivitet og deltagelse"]
        self.kraever = {p for p, i in self.codes.paragraf_info.items() if i.get("kraever_tilbud")}
        self.tilbudstyper_for = self._tilbudstyper_for()
        self.bestand_fra = dt.date.fromisoformat(str(self.c["bestand_fra"]))
        self.cprs: set[str] = set()

    def _tilbudstyper_for(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for label, p in self.codes.tilbudstype_paragraf.items():
            if not p:
                continue
            key = ABL if p.startswith("ABL §105") else p.split(",")[0].strip()
            out.setdefault(key, []).append(label)
        for p in ("SEL §109", "SEL §110"):
            out.setdefault(p, []).append("Socialt akuttilbud")
        for p in self.kraever:
            if p not in out:
                raise ConfigError(f"ingen tilbudstype til paragraffen '{p}' (kraever_tilbud) i ffb_code_lists.yaml")
        return out

    # ---------------------------------------------------------------------------- kommuner, tilbud
    def setup_geo(self) -> None:
        kom, post = _geo()
        self.kom_info = {r[0]: r for r in kom.select("kommunekode", "navn", "regionskode", "lat", "lon").rows()}
        home = str(self.c["hjemkommune"]).zfill(4)
        if home not in self.kom_info:
            raise ConfigError(f"{config_dir() / CONFIG_FILE}: 'hjemkommune' {home} findes ikke i geo/kommuner.csv")
        n_kom = min(self.cfg.skalaer[self.skala]["kommuner"], len(self.kom_info))
        _, _, _, hlat, hlon = self.kom_info[home]
        by_dist = sorted(self.kom_info, key=lambda k: (_dist(hlat, hlon, self.kom_info[k][3], self.kom_info[k][4]), k))
        self.kommuner = sorted(by_dist[:n_kom])
        self.neighbours = {k: sorted((x for x in self.kom_info if x != k),
                                     key=lambda x: (_dist(*self.kom_info[k][3:5], *self.kom_info[x][3:5]), x))[:6]
                           for k in self.kommuner}
        self.postnumre = _postnumre_per_kommune(kom, post)
        total = self.cfg.skalaer[self.skala]["borgere"]
        rng = random.Random(self.seed * 7919 + 11)
        if len(self.kommuner) == 1:
            counts = {self.kommuner[0]: total}
        else:
            w = {k: math.sqrt(len(self.postnumre[k])) * rng.uniform(0.7, 1.3) for k in self.kommuner}
            s = sum(w.values())
            counts = {k: max(50, int(total * w[k] / s)) for k in self.kommuner}
            diff = total - sum(counts.values())
            counts[home if home in counts else self.kommuner[0]] += diff
        self.borgere_pr_kommune = counts
        self._make_tilbud(rng)

    def _make_tilbud(self, rng: random.Random) -> None:
        rows = []
        self.tilbud_by: dict[tuple[str, str], list[tuple[str, int]]] = {}
        n_id = 0
        for k in self.kommuner:
            n_b = self.borgere_pr_kommune[k]
            n_t = max(12, round(self.c["tilbud_pr_800_borgere"] * n_b / 800))
            posts = self.postnumre[k]
            used_names: set[str] = set()
            for ttype, share, (plo, phi) in TILBUD_MIX:
                n = max(1, round(n_t * share)) if not ttype.startswith("Sikret") or n_t >= 40 else 0
                for _ in range(n):
                    n_id += 1
                    tid = str(1001000000 + n_id)
                    pnr, pnavn, plat, plon = posts[rng.randrange(len(posts))]
                    navn = f"{rng.choice(NAVNE[ttype])} {rng.choice(STEDNAVNE)}"
                    if navn in used_names:
                        navn = f"{navn} {pnavn}"
                    while navn in used_names:
                        navn = f"{navn} {rng.randint(2, 9)}"
                    used_names.add(navn)
                    drift = rng.choices([d for d, _ in DRIFTSFORMER], [w for _, w in DRIFTSFORMER])[0]
                    if drift == "Regional" and ttype not in ("Almindeligt længerevarende botilbud til voksne",
                                                            "Sikret længerevarende botilbud til voksne",
                                                            "Midlertidigt botilbud til voksne"):
                        drift = "Kommunal"
                    if drift == "Kommunal":
                        cvr = f"29{k}11"
                    elif drift == "Regional":
                        cvr = f"2919{self.kom_info[k][2][-4:]}"
                    else:
                        cvr = str(rng.randint(30000000, 44999999))
                    pladser = rng.randint(plo, phi)
                    rows.append({
                        "tilbud_id": tid, "navn": navn, "tilbudstype": ttype, "cvr": cvr,
                        "adresse": f"{rng.choice(VEJE)} {rng.randint(1, 120)}", "postnr": pnr, "kommunekode": k,
                        "driftsform": drift, "pladser": pladser,
                        "lat": round(plat + rng.uniform(-0.012, 0.012), 6),
                        "lon": round(plon + rng.uniform(-0.02, 0.02), 6),
                    })
                    self.tilbud_by.setdefault((k, ttype), []).append((tid, pladser))
        self.tilbud_rows = rows

    def tilbud_for(self, rng: random.Random, kommune: str, paragraf: str) -> str | None:
        types = self.tilbudstyper_for.get(paragraf)
        if not types:
            return None
        ttype = types[0]
        if paragraf == P108 and len(types) > 1 and rng.random() < 0.05 and (kommune, types[1]) in self.tilbud_by:
            ttype = types[1]
        options = self.tilbud_by.get((kommune, ttype))
        if not options:  # a kommune without that type uses the nearest one that has it
            for nb in self.neighbours.get(kommune, []):
                if (nb, ttype) in self.tilbud_by:
                    options = self.tilbud_by[(nb, ttype)]
                    break
        if not options:
            options = next(v for (kk, t), v in sorted(self.tilbud_by.items()) if t == ttype)
        return rng.choices([t for t, _ in options], [p for _, p in options])[0]

    # ----------------------------------------------------------------------------------- ydelser
    def udgift(self, rng: random.Random, paragraf: str, timer: float | None = None) -> float:
        lo, hi = self.c["maanedlig_udgift"][paragraf]
        if timer is not None:
            frac = min(1.0, max(0.0, (timer - 1.5) / 8.0 + rng.uniform(-0.05, 0.05)))
            v = lo + frac * (hi - lo)
        else:
            v = rng.uniform(lo, hi)
        return float(round(v / 50) * 50)

    def track(self, b: Borger, paragraf: str, names: list[str], start: dt.date, end: dt.date | None,
              seg: tuple[int, int], tilbud: str | None, timer: tuple[float, float] | None = None) -> list[Yd]:
        """Consecutive ydelser covering start..end (None = ongoing): each next one starts the day after."""
        rng = b.rng
        out: list[Yd] = []
        s = start
        t = None
        if timer is not None:
            t = rng.randint(int(timer[0] * 2), int(timer[1] * 2)) / 2
        while True:
            e = s + dt.timedelta(days=rng.randint(*seg))
            last = e >= _end(end) or e >= UDTRAEK_DATO
            if last:
                e = end if end is not None and end < UDTRAEK_DATO else None
            if t is not None and out:
                t = max(timer[0], min(timer[1], t + rng.choice((-1.0, -0.5, 0, 0, 0.5))))
            out.append(Yd(paragraf, rng.choice(names), s, e, tilbud, self.udgift(rng, paragraf, t), t))
            if last:
                return out
            s = e + DAY

    def case_end(self, rng: random.Random, start: dt.date, lo: int, hi: int) -> dt.date | None:
        e = start + dt.timedelta(days=rng.randint(lo, hi))
        return None if e >= UDTRAEK_DATO else e

    def _dagtilbud(self, b: Borger, lo: dt.date, end: dt.date | None) -> list[Yd]:
        rng = b.rng
        p = P104 if rng.random() < 0.65 else P103
        s = lo + dt.timedelta(days=rng.randint(0, 200))
        if s >= _end(end) - dt.timedelta(days=30) or s > UDTRAEK_DATO - dt.timedelta(days=30):
            return []
        e = self.case_end(rng, s, 180, 2500)
        if end is not None and (e is None or e > end):
            e = end
        return self.track(b, p, list(self.ypp[p]), s, e, (365, 1100), self.tilbud_for(rng, b.kommune, p))

    def gen_ydelser(self, b: Borger, start: dt.date) -> list[Yd]:
        rng, k = b.rng, b.kommune
        prof = b.profile
        out: list[Yd] = []
        add_on = float(self.c["dagtilbud_tillaeg"].get(prof, 0))
        if prof == "stoette85":
            end = self.case_end(rng, start, 120, 1800)
            names = list(self.ypp[P85])
            rng.shuffle(names)
            two = rng.random() < 0.25
            pools = (names[0::2], names[1::2]) if two else (names, [])
            rng.random()  # (kept: the draw that once left a fifth of §85 without tilbud)
            tilbud = self.tilbud_for(rng, k, P85)
            out += self.track(b, P85, pools[0], start, end, (180, 540), tilbud, (1.5, 8))
            if two:
                s2 = start + dt.timedelta(days=rng.randint(0, 200))
                if s2 < _end(end) - dt.timedelta(days=60):
                    out += self.track(b, P85, pools[1], s2, end, (180, 540), tilbud, (1, 4))
        elif prof == "abl105":
            end = self.case_end(rng, start, 700, 4000)
            names = list(self.ypp[ABL])
            rng.shuffle(names)
            two = rng.random() < 0.2
            pools = (names[0::2], names[1::2]) if two else (names, [])
            tilbud = self.tilbud_for(rng, k, ABL)
            out += self.track(b, ABL, pools[0], start, end, (365, 900), tilbud, (3, 15))
            if two:
                s2 = start + dt.timedelta(days=rng.randint(0, 300))
                if s2 < _end(end) - dt.timedelta(days=60):
                    out += self.track(b, ABL, pools[1], s2, end, (365, 900), tilbud, (1, 5))
        elif prof == "botilbud108":
            end = self.case_end(rng, start, 900, 6000)
            s108 = start
            if rng.random() < 0.3:
                d = start + dt.timedelta(days=rng.randint(60, 500))
                if d < _end(end) - dt.timedelta(days=60):
                    out.append(Yd(P107, "Midlertidigt ophold", start, d, self.tilbud_for(rng, k, P107),
                                  self.udgift(rng, P107)))
                    s108 = d + DAY
            out.append(Yd(P108, "Længerevarende ophold", s108, end, self.tilbud_for(rng, k, P108),
                          self.udgift(rng, P108)))
        elif prof == "botilbud107":
            r = rng.random()
            name = "Midlertidigt ophold" if r < 0.7 else ("Akut ophold" if r < 0.85 else "Længerevarende ophold")
            d = self.case_end(rng, start, *((14, 90) if name == "Akut ophold" else (90, 900)))
            out.append(Yd(P107, name, start, d, self.tilbud_for(rng, k, P107), self.udgift(rng, P107)))
            end = d
            if d is not None and rng.random() < 0.45:
                s85 = d + DAY
                end = self.case_end(rng, s85, 180, 900)
                rng.random()  # (kept: the draw that once left a fifth of §85 without tilbud)
                tilbud = self.tilbud_for(rng, k, P85)
                out += self.track(b, P85, list(self.ypp[P85]), s85, end, (180, 540), tilbud, (1.5, 8))
        elif prof in ("dag104", "dag103"):
            p = P104 if prof == "dag104" else P103
            end = self.case_end(rng, start, 180, 2500)
            out += self.track(b, p, list(self.ypp[p]), start, end, (365, 1100), self.tilbud_for(rng, k, p))
        else:  # hale
            p = _pick(rng, self.c["hale_paragraffer"])
            names = list(self.ypp[p])
            tilbud = self.tilbud_for(rng, k, p) if p in self.kraever else None
            if p == "STU":
                out.append(Yd(p, names[0], start, self.case_end(rng, start, 1000, 1100), None, self.udgift(rng, p)))
            elif p in ("SEL §109", "SEL §110", "SEL §82", "SEL §83a"):
                lo, hi = {"SEL §109": (14, 120), "SEL §110": (7, 180), "SEL §82": (30, 180), "SEL §83a": (90, 365)}[p]
                e = self.case_end(rng, start, lo, hi)
                out.append(Yd(p, rng.choice(names), start, e, tilbud, self.udgift(rng, p)))
                if e is not None and p == "SEL §110" and rng.random() < 0.3:  # a second stay after a gap
                    s2 = e + dt.timedelta(days=rng.randint(30, 200))
                    if s2 < UDTRAEK_DATO - dt.timedelta(days=14):
                        out.append(Yd(p, rng.choice(names), s2, self.case_end(rng, s2, lo, hi), tilbud,
                                      self.udgift(rng, p)))
            else:
                end = self.case_end(rng, start, 180, 2500)
                out += self.track(b, p, names, start, end, (365, 1460), tilbud)
            end = None
        if add_on and rng.random() < add_on and out:
            last_end = None if any(y.slut is None for y in out) else max(y.slut for y in out)
            out += self._dagtilbud(b, start, last_end)
        return out

    # ----------------------------------------------------------------------------------- borger
    def gen_borger(self, idx: int, kommune: str, sb: tuple[str, str]) -> Borger:
        rng = random.Random(self.seed * 1_000_003 + idx)
        b = Borger(idx, f"B{idx:06d}", kommune, _pick(rng, self.c["profiler"]), rng)
        bestand = rng.random() < float(self.c["andel_bestand"])
        w_end = UDTRAEK_DATO - dt.timedelta(days=21)
        for attempt in range(20):
            if bestand and attempt < 10:
                start = _rand_date(rng, self.bestand_fra, HISTORIK_FRA - DAY)
            else:
                start = _rand_date(rng, HISTORIK_FRA, w_end)
            yd = self.gen_ydelser(b, start)
            if yd and any(y.slut is None or y.slut >= HISTORIK_FRA for y in yd):
                break
        b.ydelser = yd
        if rule_pairs(yd):  # the profiles never make one; a failure here is a bug in the generator
            raise RuntimeError(f"synth: {b.borger_id} fik et overlap uden at det var plantet")
        first = min(y.start for y in yd)
        # person
        hale_p = yd[0].paragraf
        if hale_p == "SEL §109":
            b.koen = "K"
        else:
            b.koen = "K" if rng.random() < float(self.c["andel_kvinder"]) else "M"
        age_lo, age_hi = {"stoette85": (18, 66), "abl105": (20, 75), "botilbud108": (19, 80),
                          "botilbud107": (18, 70), "dag104": (18, 67), "dag103": (18, 62)}.get(b.profile, (18, 80))
        if hale_p == "STU":
            age_lo, age_hi = 18, 21
        age = int(age_lo + (age_hi - age_lo) * rng.random() ** 1.4)
        b.foedselsdato = _add_years(first, -age) - dt.timedelta(days=rng.randint(1, 360))
        b.cpr = self.make_cpr(rng, b.foedselsdato, b.koen)
        b.betalingskommune = kommune
        if rng.random() < float(self.c["andel_anden_betalingskommune"]):
            b.betalingskommune = rng.choice(self.neighbours[kommune])
        b.sagsbehandler, b.team = sb
        self.gen_assessments(b, first)
        return b

    def make_cpr(self, rng: random.Random, foedt: dt.date, koen: str) -> str:
        century = rng.randint(0, 3) if foedt.year < 2000 else 4
        while True:
            last = rng.choice((0, 2, 4, 6, 8)) if koen == "K" else rng.choice((1, 3, 5, 7, 9))
            cpr = f"{foedt:%d%m%y}{century}{rng.randint(0, 99):02d}{last}"
            if cpr not in self.cprs:
                self.cprs.add(cpr)
                return cpr

    def gen_assessments(self, b: Borger, first: dt.date) -> None:
        rng, c, codes = b.rng, self.c, self.codes
        lo, hi = c["vurdering_interval_dage"]
        ends = [y.slut for y in b.ydelser]
        case_end = None if any(e is None for e in ends) else max(ends)
        if first >= HISTORIK_FRA - dt.timedelta(days=365):
            a0 = max(first - dt.timedelta(days=rng.randint(0, 14)), self.bestand_fra)
        else:
            a0 = HISTORIK_FRA - dt.timedelta(days=rng.randint(0, 365))
        dates = [a0]
        last_iv_end = None
        while True:
            nxt = dates[-1] + dt.timedelta(days=rng.randint(lo, hi))
            if case_end is not None and nxt >= case_end:
                if case_end > dates[-1] + dt.timedelta(days=30):
                    dates.append(case_end)
                break
            if nxt > UDTRAEK_DATO - dt.timedelta(days=10):
                if nxt <= UDTRAEK_DATO + dt.timedelta(days=60):
                    # keep every ongoing follow-up date well after the extraction date
                    extra = UDTRAEK_DATO - dt.timedelta(days=rng.randint(10, 40))
                    if extra > dates[-1] + dt.timedelta(days=120):
                        dates.append(extra)
                        continue
                    nxt = UDTRAEK_DATO + dt.timedelta(days=rng.randint(61, 150))
                last_iv_end = nxt
                break
            dates.append(nxt)
        b.vurderinger = dates
        b.sager = [f"S{b.idx:06d}-{i + 1}" for i in range(len(dates))]
        # undertemaer: the borger's Aktivitet og deltagelse set, goals on some, described F&F/Omg
        n_ut = rng.randint(*c["undertemaer_pr_borger"])
        uts = rng.sample(self.ad, n_ut)
        n_goal = min(n_ut, rng.randint(*c["indsatsmaal_pr_vurdering"]))
        goal_uts = uts[:n_goal]
        others = rng.sample(self.other_ut, rng.randint(2, 4))
        hi_start = b.profile in ("botilbud108", "abl105")
        niveau = {u: min(4, max(0, rng.choice((1, 2, 2, 3, 3, 4) if hi_start else (0, 1, 1, 2, 2, 3)))) for u in uts}
        old = b.profile == "botilbud108" and rng.random() < 0.4
        maaltype = {}
        for u in goal_uts:
            r = rng.random()
            if old:
                maaltype[u] = "Begrænse tab af funktionsevne" if r < 0.5 else "Fastholde funktionsevne"
            else:
                maaltype[u] = ("Udvikle funktionsevne" if r < 0.65 else
                               "Fastholde funktionsevne" if r < 0.9 else "Begrænse tab af funktionsevne")
        ikke_vurderet = float(c["andel_ikke_vurderet"])
        ended = case_end is not None
        n_goals = 0
        for i, d in enumerate(dates):
            if i > 0:  # drift since the previous assessment
                for u in uts:
                    n, r = niveau[u], rng.random()
                    mt = maaltype.get(u)
                    if mt == "Udvikle funktionsevne":
                        n += -1 if r < 0.5 else (1 if r < 0.58 else 0)
                    elif mt == "Fastholde funktionsevne":
                        n += -1 if r < 0.1 else (1 if r < 0.25 else 0)
                    elif mt == "Begrænse tab af funktionsevne":
                        n += 1 if r < 0.35 else 0
                    else:
                        n += -1 if r < 0.15 else (1 if r < 0.3 else 0)
                    niveau[u] = min(4, max(0, n))
            o = d.toordinal() - EPOCH
            for u in uts:
                shown = niveau[u] if (u in maaltype or rng.random() >= ikke_vurderet) else None
                b.fe.append((o, u, shown))
            for u in others:
                if i == 0 or rng.random() < 0.8:
                    b.fe.append((o, u, None))
            vals = [niveau[u] for u in uts]
            mean = sum(vals) / len(vals)
            label = ("Intet støttebehov" if mean < 0.75 else "Let støttebehov" if mean < 1.5 else
                     "Moderat støttebehov" if mean < 2.25 else "Højt støttebehov" if mean < 3.0 else
                     "Fuldstændigt støttebehov")
            if rng.random() < 0.015:
                label = "Ikke vurderet"
            b.sb.append((d, label, None, b.sager[i]))
            if rng.random() < 0.25:
                u = rng.choice(goal_uts)
                b.sb.append((d, self._sb_label(niveau[u]), codes.undertema_tema[u], b.sager[i]))
            # goals set at this assessment; the final assessment of an ended case sets none
            if ended and i == len(dates) - 1:
                continue
            f = dates[i + 1] if i + 1 < len(dates) else last_iv_end
            for u in goal_uts:
                n = niveau[u]
                mt = maaltype[u]
                forv = (max(0, n - 1 - (rng.random() < 0.15)) if mt == "Udvikle funktionsevne" else
                        n if mt == "Fastholde funktionsevne" else min(4, n + 1))
                # A goal asks for a change the scale can show (contract: goals that ask for nothing are
                # planted on purpose, 'maal_uden_forventet_aendring'): at niveau 0 there is nothing to
                # develop and at 4 nothing to limit, so such a goal is Fastholde; Begrænse tab at 3 is 3.
                if (mt == "Udvikle funktionsevne" and n == 0) or (mt == "Begrænse tab af funktionsevne" and n == 4):
                    mt, forv = "Fastholde funktionsevne", n
                elif mt == "Begrænse tab af funktionsevne":
                    forv = min(3, forv)
                n_goals += 1
                rel = ";".join(rng.sample(others, min(len(others), rng.randint(0, 2))))
                b.goals.append(Goal(f"M{b.idx:06d}-{n_goals:02d}", u, mt, forv, d, f,
                                    "Udfører" if rng.random() < 0.6 else "Myndighed", rel or None, b.sager[i]))
        # follow-ups of goals whose date has passed
        level_at = {(o, u): n for o, u, n in b.fe if n is not None}
        last_date = dates[-1]
        for g in b.goals:
            if g.opf > UDTRAEK_DATO or rng.random() >= float(c["andel_opfoelgning_registreret"]):
                continue
            before = level_at.get((g.start.toordinal() - EPOCH, g.undertema))
            after = level_at.get((g.opf.toordinal() - EPOCH, g.undertema))
            if after is None or before is None:
                continue
            met = after <= (before if g.maaltype == "Fastholde funktionsevne" else g.forventet)
            vurd = "Opnået" if met else ("Delvist opnået" if after < before else "Ikke opnået")
            if ended and g.opf == last_date:
                status = self.codes.status_paa_indsats[1] if met or rng.random() < 0.7 else self.codes.status_paa_indsats[2]
            else:
                status = self.codes.status_paa_indsats[0]
            note = None
            if rng.random() < 0.3:
                note = "Målet er nået." if met else "Der arbejdes videre med målet."
            b.opf.append((g.maal_id, g.opf, vurd, status, note))
        # målgrupper: one primary at the first assessment, perhaps more later
        prim = _pick(rng, c["maalgrupper"][b.profile])
        b.mg.append((prim, True, dates[0], b.sager[0]))
        if rng.random() < float(c["andel_oevrige_maalgrupper"]):
            extra = [m for m in c["oevrige_maalgrupper"] if m != prim]
            for m in rng.sample(extra, min(len(extra), rng.choice((1, 1, 2)))):
                j = rng.randrange(len(dates))
                b.mg.append((m, False, dates[j], b.sager[j]))

    @staticmethod
    def _sb_label(n: int) -> str:
        return ("Intet støttebehov", "Let støttebehov", "Moderat støttebehov", "Højt støttebehov",
                "Fuldstændigt støttebehov")[n]

    # --------------------------------------------------------------------------------- defects
    def plant(self, borgere: list[Borger]) -> dict[str, list[dict]]:
        rng = random.Random(self.seed * 104729 + 7)
        n = self.cfg.skalaer[self.skala]["borgere"]
        self.planned = {k: planned_count(self.cfg.defekter[k], n) for k in DEFECT_KINDS}
        self.used: set[int] = set()
        order = list(range(len(borgere)))
        rng.shuffle(order)
        planted: dict[str, list] = {k: [] for k in DEFECT_KINDS}
        self.overlap_objs: list[tuple[str, Borger, Yd, Yd]] = []
        self.quality_objs: dict[str, list] = {k: [] for k in QUALITY_KINDS + GOAL_KINDS}
        for kind in DEFECT_KINDS:
            if kind in PAYMENT_KINDS:
                continue  # planted on the betalinger table later
            need = self.planned[kind]
            fn = getattr(self, f"_plant_{kind.lower()}") if kind not in OVERLAP_KINDS else self._plant_overlap
            got = 0
            for i in order:
                if got >= need:
                    break
                b = borgere[i]
                if b.idx in self.used:
                    continue
                if fn(kind, b, rng):
                    self.used.add(b.idx)
                    got += 1
            if got < need:
                raise RuntimeError(f"synth: kunne kun plante {got} af {need} '{kind}'")
        return planted

    def _inside(self, rng: random.Random, host: Yd, min_len: int = 45) -> tuple[dt.date, dt.date] | None:
        lo = max(host.start, HISTORIK_FRA)
        hi = min(_end(host.slut), UDTRAEK_DATO - DAY)
        if (hi - lo).days < min_len:
            return None
        s = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days - 30))
        e = s + dt.timedelta(days=rng.randint(14, min(240, (hi - s).days)))
        return s, e

    def _host_span(self, rng: random.Random, yd: list[Yd], paragraf: str) -> tuple[Yd, tuple[dt.date, dt.date]] | None:
        """One of the borger's valid ydelser under `paragraf` and a span inside it (the host of a
        planted overlap), or None."""
        hosts = [y for y in yd if y.paragraf == paragraf and y.valid()]
        if not hosts:
            return None
        host = rng.choice(hosts)
        span = self._inside(rng, host)
        return None if span is None else (host, span)

    def _plant_overlap(self, kind: str, b: Borger, rng: random.Random) -> bool:
        yd = b.ydelser
        if kind == "DOBBELT":
            hosts = [y for y in yd if y.valid() and y.paragraf != "STU"]
            if not hosts:
                return False
            host = rng.choice(hosts)
            new = Yd(host.paragraf, host.ydelse, host.start, host.slut, host.tilbud_id, host.udgift, host.timer)
            if (_end(host.slut) - host.start).days > 120 and rng.random() < 0.5:  # a partly repeated period
                new.start = host.start + dt.timedelta(days=rng.randint(10, 60))
        elif kind == "SEL107_SEL108":
            hosts = [y for y in yd if y.paragraf == P108]
            if not hosts:
                return False
            host = hosts[0]
            prev = [y for y in yd if y.paragraf == P107 and y.slut == host.start - DAY]
            if prev and host.start >= HISTORIK_FRA:  # a handover that was registered late
                old = prev[0]
                old.slut = host.start + dt.timedelta(days=rng.randint(5, 60))
                if host.slut is not None and old.slut > host.slut:
                    old.slut = host.slut
                pairs = rule_pairs(yd)
                if len(pairs) == 1 and pairs[0][0] == kind:
                    self.overlap_objs.append((kind, b, old, host))
                    return True
                old.slut = host.start - DAY
                return False
            span = self._inside(rng, host)
            if span is None:
                return False
            new = Yd(P107, "Akut ophold", span[0], span[1], self.tilbud_for(rng, b.kommune, P107),
                     self.udgift(rng, P107))
        elif kind == "BOTILBUD_ABL105":
            # two homes at once: a temporary stay (SEL §107) inside a borger's ABL §105/SEL §85 bolig
            got = self._host_span(rng, yd, ABL)
            if got is None:
                return False
            host, span = got
            new = Yd(P107, rng.choice(("Akut ophold", "Midlertidigt ophold")), span[0], span[1],
                     self.tilbud_for(rng, b.kommune, P107), self.udgift(rng, P107))
        else:
            target = {"SEL85_ABL105": ABL, "SEL85_SEL107": P107, "SEL85_SEL108": P108}[kind]
            got = self._host_span(rng, yd, target)
            if got is None:
                return False
            host, span = got
            t = rng.randint(3, 12) / 2
            name = rng.choice(self.ypp[P85])
            rng.random()  # (kept: the draw that once left §85 without tilbud; §85 requires one now)
            new = Yd(P85, name, span[0], span[1], self.tilbud_for(rng, b.kommune, P85), self.udgift(rng, P85, t), t)
        pairs = rule_pairs(yd + [new])
        if len(pairs) != 1 or pairs[0][0] != kind or new not in pairs[0][1:] or host not in pairs[0][1:]:
            return False
        yd.append(new)
        self.overlap_objs.append((kind, b, host, new))
        return True

    def _plant_ugyldig_ydelse(self, kind: str, b: Borger, rng: random.Random) -> bool:
        names = self.c["ugyldige_ydelsesnavne"]
        hosts = [y for y in b.ydelser if y.valid()]
        if not hosts:
            return False
        y = rng.choice(hosts)
        bad = rng.choice([n for n in names if n not in self.ypp[y.paragraf]] or [None])
        if bad is None:
            return False
        y.ydelse = bad
        self.quality_objs[kind].append((b, y))
        return True

    def _plant_under_18(self, kind: str, b: Borger, rng: random.Random) -> bool:
        starts = sorted(y.start for y in b.ydelser)
        s_min = starts[0]
        if s_min < HISTORIK_FRA or (len(starts) > 1 and starts[1] == s_min):
            return False
        upper = min(starts[1], s_min + dt.timedelta(days=365)) if len(starts) > 1 else s_min + dt.timedelta(days=365)
        b18 = s_min + dt.timedelta(days=rng.randint(1, (upper - s_min).days))
        if b18.month == 2 and b18.day == 29:
            b18 -= DAY
        if b18 <= s_min:
            return False
        b.foedselsdato = _add_years(b18, -18)
        self.cprs.discard(b.cpr)
        b.cpr = self.make_cpr(b.rng, b.foedselsdato, b.koen)
        y = next(y for y in b.ydelser if y.start == s_min)
        self.quality_objs[kind].append((b, y))
        return True

    def _plant_slut_foer_start(self, kind: str, b: Borger, rng: random.Random) -> bool:
        hosts = [y for y in b.ydelser if y.slut is not None and y.slut >= HISTORIK_FRA]
        if not hosts:
            return False
        y = rng.choice(hosts)
        y.slut = y.start - dt.timedelta(days=rng.randint(1, 60))
        self.quality_objs[kind].append((b, y))
        return True

    def _plant_mangler_tilbud(self, kind: str, b: Borger, rng: random.Random) -> bool:
        hosts = [y for y in b.ydelser if y.paragraf in self.kraever and y.tilbud_id and _end(y.slut) >= HISTORIK_FRA]
        if not hosts:
            return False
        y = rng.choice(hosts)
        y.tilbud_id = None
        self.quality_objs[kind].append((b, y))
        return True

    def _plant_opfoelgning_overskredet(self, kind: str, b: Borger, rng: random.Random) -> bool:
        # kvalitet flags only open cases: a ydelse active on the extraction date (and no recorded
        # afslutning of the goal; its recorded follow-ups are removed below)
        if not any(y.valid() and y.start <= UDTRAEK_DATO and (y.slut is None or y.slut >= UDTRAEK_DATO)
                   for y in b.ydelser):
            return False
        due = [g for g in b.goals if g.opf < UDTRAEK_DATO and g.opf >= HISTORIK_FRA]
        if not due:
            return False
        u = rng.choice(sorted({g.undertema for g in due}))
        g = max((g for g in due if g.undertema == u), key=lambda g: g.start)
        after = g.start.toordinal() - EPOCH
        b.fe = [r for r in b.fe if not (r[1] == u and r[0] > after)]
        b.opf = [o for o in b.opf if o[0] != g.maal_id]
        self.quality_objs[kind].append((b, g))
        return True

    def _due_goals(self, b: Borger) -> list[Goal]:
        """The borger's goals whose follow-up date lies in the history before the extraction."""
        return [g for g in b.goals if HISTORIK_FRA <= g.opf < UDTRAEK_DATO - dt.timedelta(days=130)]

    def _plant_sen_opfoelgning(self, kind: str, b: Borger, rng: random.Random) -> bool:
        # The assessment at the follow-up date (and its recorded follow-up) moved 20-120 days later:
        # goal status then judges the first assessment after the date (a late follow-up).
        for g in sorted(self._due_goals(b), key=lambda g: g.maal_id):
            o_opf = g.opf.toordinal() - EPOCH
            rows = [r for r in b.fe if r[1] == g.undertema and r[2] is not None]
            later = [r[0] for r in rows if r[0] > o_opf]
            between = [r for r in rows if g.start.toordinal() - EPOCH < r[0] < o_opf]
            at = [r for r in rows if r[0] == o_opf]
            if between or not at:
                continue
            shift = rng.randint(20, 120)
            if later and min(later) <= o_opf + shift:
                continue
            b.fe = [(r[0] + shift, r[1], r[2]) if r in at else r for r in b.fe]
            new = g.opf + dt.timedelta(days=shift)
            b.opf = [(o[0], new, *o[2:]) if o[0] == g.maal_id else o for o in b.opf]
            self.quality_objs[kind].append((b, g, new))
            return True
        return False

    def _plant_vurdering_afviger_maaling(self, kind: str, b: Borger, rng: random.Random) -> bool:
        # A recorded vurdering that says the opposite of the measurement: alternately recorded Opnået
        # while measured Ikke opnået, and recorded Ikke opnået while measured Opnået.
        want = "Ikke opnået" if len(self.quality_objs[kind]) % 2 == 0 else "Opnået"
        flip = {"Ikke opnået": "Opnået", "Opnået": "Ikke opnået"}
        due = {g.maal_id: g for g in self._due_goals(b)}
        for i, o in enumerate(b.opf):
            if o[0] in due and o[2] == want and o[1] == due[o[0]].opf:
                b.opf[i] = (o[0], o[1], flip[want], *o[3:])
                self.quality_objs[kind].append((b, due[o[0]], flip[want]))
                return True
        return False

    def _plant_maal_uden_forventet_aendring(self, kind: str, b: Borger, rng: random.Random) -> bool:
        # An Udvikle goal whose forventet niveau equals the niveau it starts from: it asks for nothing.
        level = {(r[0], r[1]): r[2] for r in b.fe if r[2] is not None}
        for g in b.goals:
            n = level.get((g.start.toordinal() - EPOCH, g.undertema))
            if g.maaltype == "Udvikle funktionsevne" and n is not None and g.start >= HISTORIK_FRA:
                g.forventet = n
                self.quality_objs[kind].append((b, g, n))
                return True
        return False

    # ------------------------------------------------------------------------------------ databrud
    def databrud(self, borgere: list[Borger]) -> None:
        m0 = dt.datetime.strptime(self.cfg.databrud_maaned, "%Y-%m").date()
        m1 = add_months(m0, 1)
        rng = random.Random(self.seed * 15485863 + 3)
        keep = self.cfg.databrud_andel
        for b in borgere:
            if b.idx in self.used:
                continue
            for y in b.ydelser:
                if m0 <= y.start < m1 and rng.random() >= keep:
                    new = m1 + dt.timedelta(days=rng.randint(0, 9))
                    if y.slut is None or y.slut >= new + dt.timedelta(days=14):
                        y.start = new

    def finalize_ydelser(self, borgere: list[Borger]) -> None:
        m0 = dt.datetime.strptime(self.cfg.databrud_maaned, "%Y-%m").date()
        m1 = add_months(m0, 1)
        keep = self.cfg.databrud_andel
        n = 0
        for b in borgere:
            rng = random.Random(self.seed * 2_000_003 + b.idx)
            b.ydelser.sort(key=lambda y: (y.start, self.codes.paragraffer.index(y.paragraf), y.ydelse))
            for y in b.ydelser:
                n += 1
                y.ydelse_id = f"Y{n:07d}"
                r = rng.random()
                y.reg = min(y.start + dt.timedelta(days=0 if r < 0.3 else rng.randint(1, 10 if r < 0.9 else 40)),
                            UDTRAEK_DATO)
                if m0 <= y.reg < m1 and y.start < m0 and b.idx not in self.used and rng.random() >= keep:
                    y.reg = min(m1 + dt.timedelta(days=rng.randint(0, 9)), UDTRAEK_DATO)
                y.bev = y.start - dt.timedelta(days=rng.randint(0, 21))
                sag = b.sager[0]
                for d, s in zip(b.vurderinger, b.sager):
                    if d <= y.start:
                        sag = s
                y.sag = sag

    # -------------------------------------------------------------------------------------- run
    def run(self) -> tuple[dict[str, pl.DataFrame], dict]:
        self.bar.show(0, "geodata")
        self.setup_geo()
        borgere: list[Borger] = []
        total = sum(self.borgere_pr_kommune.values())
        idx = 0
        teams = list(self.c["teams"])
        for k in self.kommuner:
            n_k = self.borgere_pr_kommune[k]
            n_sb = max(2, round(self.c["sagsbehandlere_pr_800_borgere"] * n_k / 800))
            home = k == str(self.c["hjemkommune"]).zfill(4)
            sbs = [(f"SB{j + 1:02d}" if home else f"SB{k}-{j + 1:02d}", teams[j * len(teams) // n_sb])
                   for j in range(n_sb)]
            sb_rng = random.Random(self.seed * 31 + int(k))
            for _ in range(n_k):
                idx += 1
                borgere.append(self.gen_borger(idx, k, sbs[sb_rng.randrange(n_sb)]))
                if idx % 500 == 0:
                    self.bar.show(0.6 * idx / total, "borgere")
        self.bar.show(0.6, "planter fejl")
        self.plant(borgere)
        self.databrud(borgere)
        self.finalize_ydelser(borgere)
        self.bar.show(0.65, "tabeller")
        tables = self.build_tables(borgere)
        manifest = self.manifest(borgere, tables)
        return tables, manifest

    # ---------------------------------------------------------------------------------- tables
    def ansoegning(self, yd: pl.DataFrame) -> pl.DataFrame:
        """ydelser.ansoegningsdato (contract, optional): sagsbehandlingstid = bevillingsdato minus it.
        Most cases are decided in 1-8 weeks (config servicemaal_dage per paragraf, else 42 days), a share
        `ansoegning.andel_over_servicemaal` over the servicemål, and `ansoegning.efter_bevilling` ydelser
        get an ansoegningsdato after the bevillingsdato (a data error kvalitet reports); Borger X has none."""
        from workbench.regler import servicemaal as sm

        cfg = self.c.get("ansoegning", {}) or {}
        over = float(cfg.get("andel_over_servicemaal", 0.08))
        maal = sm.load_servicemaal()
        rng = random.Random(self.seed * 7919 + 13)
        out, efter = [], []
        n_efter = int(cfg.get("efter_bevilling", 3))
        for yid, bid, par, bev in yd.select("ydelse_id", "borger_id", "paragraf", "bevillingsdato").iter_rows():
            if bev is None or bid == "X":
                out.append(None)
                continue
            grense = int(maal.get(par, 42))
            r = rng.random()
            if len(efter) < n_efter and bev >= HISTORIK_FRA and r < 0.01:
                out.append(bev + dt.timedelta(days=rng.randint(3, 30)))
                efter.append({"borger_id": bid, "ydelse_id": yid, "paragraf": par})
                continue
            days = grense + rng.randint(5, 60) if r < over else max(1, int(rng.triangular(3, grense, grense * 0.5)))
            out.append(bev - dt.timedelta(days=days))
        self.ansoegning_efter_bevilling = efter
        return yd.with_columns(pl.Series("ansoegningsdato", out, dtype=pl.Date))

    def over_kapacitet(self, t: dict[str, pl.DataFrame]) -> list[dict]:
        """The tilbud whose belægningsgrad (covered days ÷ (pladser × days)) is over 100 % in the last
        whole month before the extraction date, worked out here independently of the product (the
        Tilbud page flags them; a test checks the two agree)."""
        m0 = add_months(UDTRAEK_DATO.replace(day=1), -1)
        m1 = add_months(m0, 1) - dt.timedelta(days=1)
        days = (m1 - m0).days + 1
        y = t["ydelser"].filter(pl.col("tilbud_id").is_not_null() & valid_period()).with_columns(
            pl.max_horizontal("startdato", pl.lit(m0)).alias("_s"),
            pl.min_horizontal(pl.coalesce("slutdato", pl.lit(UDTRAEK_DATO)), pl.lit(m1)).alias("_e"),
        ).filter(pl.col("_s") <= pl.col("_e"))
        # a borger's overlapping ydelser at one tilbud count each day once
        per_day = (y.select("tilbud_id", "borger_id", pl.date_ranges("_s", "_e").alias("d")).explode("d")
                   .unique().group_by("tilbud_id").len("dage"))
        pl_ = t["tilbud"].filter(pl.col("pladser") > 0).select("tilbud_id", "pladser")
        over = (per_day.join(pl_, on="tilbud_id").with_columns((pl.col("dage") / days).alias("helaarspersoner"))
                .filter(pl.col("helaarspersoner") > pl.col("pladser")).sort("tilbud_id"))
        return [{"tilbud_id": r["tilbud_id"], "maaned": f"{m0:%Y-%m}", "helaarspersoner": round(r["helaarspersoner"], 2),
                 "pladser": r["pladser"]} for r in over.iter_rows(named=True)]

    def klager(self, yd: pl.DataFrame) -> pl.DataFrame:
        """The optional `klager` table: complaints over a share of the decisions (`klager.andel`), received
        5-40 days after the bevilling; Ankestyrelsen decides 60-200 days later (undecided when that is
        after the extraction date), with results weighted like Ankestyrelsen's published statistics; a
        quarter are the kommune's own genvurdering."""
        cfg = self.c.get("klager", {}) or {}
        andel = float(cfg.get("andel", 0.03))
        weights = cfg.get("resultater", {"Stadfæstet": 60, "Ændret": 10, "Ophævet": 5, "Hjemvist": 15, "Afvist": 10})
        rng = random.Random(self.seed * 104723 + 29)
        rows = []
        for yid, bid, par, bev, sag in yd.select("ydelse_id", "borger_id", "paragraf", "bevillingsdato",
                                                 "sagsafgoerelse_id").iter_rows():
            if bev is None or bid == "X" or bev < HISTORIK_FRA or rng.random() >= andel:
                continue
            modtaget = bev + dt.timedelta(days=rng.randint(5, 40))
            if modtaget > UDTRAEK_DATO:
                continue
            if rng.random() < 0.25:
                instans, resultat = "Kommunen", "Genvurderet af kommunen"
                afgjort = modtaget + dt.timedelta(days=rng.randint(7, 28))
            else:
                instans = "Ankestyrelsen"
                resultat = rng.choices(list(weights), [float(w) for w in weights.values()])[0]
                afgjort = modtaget + dt.timedelta(days=rng.randint(60, 200))
            if afgjort > UDTRAEK_DATO:
                afgjort, resultat = None, None
            rows.append((f"K{len(rows) + 1:05d}", bid, par, modtaget, afgjort, resultat, instans, sag))
        return _frame(rows, {"klage_id": pl.String, "borger_id": pl.String, "paragraf": pl.String,
                             "modtaget": pl.Date, "afgjort": pl.Date, "resultat": pl.String, "instans": pl.String,
                             "sagsafgoerelse_id": pl.String})

    def build_tables(self, borgere: list[Borger]) -> dict[str, pl.DataFrame]:
        def dates(values: list) -> pl.Series:
            return pl.Series(values, dtype=pl.Date)

        bx = BORGER_X
        t: dict[str, pl.DataFrame] = {}
        t["borgere"] = pl.DataFrame({
            "borger_id": [b.borger_id for b in borgere] + [bx["borgere"][0][0]],
            "cpr": [b.cpr for b in borgere] + [bx["borgere"][0][1]],
            "foedselsdato": dates([b.foedselsdato for b in borgere] + [bx["borgere"][0][2]]),
            "koen": [b.koen for b in borgere] + [bx["borgere"][0][3]],
            "handlekommune": [b.kommune for b in borgere] + [bx["borgere"][0][4]],
            "betalingskommune": [b.betalingskommune for b in borgere] + [bx["borgere"][0][5]],
            "sagsbehandler": [b.sagsbehandler for b in borgere] + [bx["borgere"][0][6]],
            "team": [b.team for b in borgere] + [bx["borgere"][0][7]],
        })
        mg = [(b.borger_id, m, p, d, s) for b in borgere for m, p, d, s in b.mg] + bx["maalgrupper"]
        t["maalgrupper"] = pl.DataFrame(mg, schema={"borger_id": pl.String, "maalgruppe": pl.String,
                                                    "primaer": pl.Boolean, "dato": pl.Date,
                                                    "sagsafgoerelse_id": pl.String}, orient="row")
        self.bar.show(0.7, "funktionsevne")
        # funktionsevne: column lists, then vectorised lookups of tema and område
        bid, dato, ut, niv, sag = [], [], [], [], []
        for b in borgere:
            sag_of = {d.toordinal() - EPOCH: s for d, s in zip(b.vurderinger, b.sager)}
            for o, u, n in b.fe:
                bid.append(b.borger_id)
                dato.append(o)
                ut.append(u)
                niv.append(n)
                # a late follow-up (planted) is an assessment off the borger's assessment dates: it
                # belongs to the sag of the latest assessment before it
                sag.append(sag_of[o] if o in sag_of else sag_of[max(k for k in sag_of if k < o)])
        fe = pl.DataFrame({
            "borger_id": pl.Series(bid, dtype=pl.String),
            "dato": pl.Series(dato, dtype=pl.Int32).cast(pl.Date),
            "undertema": pl.Series(ut, dtype=pl.String),
            "niveau": pl.Series(niv, dtype=pl.Int64),
            "sagsafgoerelse_id": pl.Series(sag, dtype=pl.String),
        })
        del bid, dato, ut, niv, sag
        tema = self.codes.undertema_tema
        fe = fe.with_columns(
            pl.col("undertema").replace_strict(tema, return_dtype=pl.String).alias("tema"),
        ).with_columns(
            pl.col("tema").replace_strict(self.codes.tema_omraade, return_dtype=pl.String).alias("omraade"),
        )
        fe = pl.concat([fe.select("borger_id", "dato", "omraade", "tema", "undertema", "niveau", "sagsafgoerelse_id"),
                        _frame(bx["funktionsevne"], FE_SCHEMA)])
        t["funktionsevne"] = fe
        sb = [(b.borger_id, d, lab, tm, s) for b in borgere for d, lab, tm, s in b.sb] + bx["stoettebehov"]
        t["stoettebehov"] = _frame(sb, {"borger_id": pl.String, "dato": pl.Date, "stoettebehov": pl.String,
                                        "tema": pl.String, "sagsafgoerelse_id": pl.String})
        im = [(g.maal_id, b.borger_id, g.undertema, g.maaltype, g.forventet, g.start, g.opf, g.ansvarlig,
               g.relaterede, g.sag) for b in borgere for g in b.goals] + bx["indsatsmaal"]
        t["indsatsmaal"] = _frame(im, IM_SCHEMA)
        op = [o for b in borgere for o in b.opf] + bx["opfoelgninger"]
        t["opfoelgninger"] = _frame(op, {"maal_id": pl.String, "dato": pl.Date, "vurdering": pl.String,
                                         "status_paa_indsats": pl.String, "note": pl.String})
        yd = [(y.ydelse_id, b.borger_id, y.paragraf, y.ydelse, y.start, y.slut, y.reg, y.bev, y.tilbud_id, y.sag,
               y.timer, y.udgift) for b in borgere for y in b.ydelser] + bx["ydelser"]
        t["ydelser"] = self.ansoegning(_frame(yd, YD_SCHEMA))
        t["tilbud"] = pl.concat([pl.DataFrame(self.tilbud_rows, schema=TILBUD_SCHEMA), _frame(bx["tilbud"], TILBUD_SCHEMA)])
        self.bar.show(0.8, "betalinger")
        t["betalinger"] = self.betalinger(t["ydelser"], borgere)
        t["budget"] = self.budget(t["betalinger"], t["borgere"])
        t["klager"] = self.klager(t["ydelser"])
        sort_keys = {
            "borgere": ["borger_id"], "maalgrupper": ["borger_id", "dato", "primaer", "maalgruppe"],
            "funktionsevne": ["borger_id", "dato", "omraade", "tema", "undertema"],
            "stoettebehov": ["borger_id", "dato", "tema"], "indsatsmaal": ["maal_id"],
            "opfoelgninger": ["maal_id", "dato"], "ydelser": ["ydelse_id"], "tilbud": ["tilbud_id"],
            "betalinger": ["borger_id", "paragraf", "maaned"],
            "budget": ["aar", "kommunekode", "paragraf"], "klager": ["klage_id"],
        }
        for name, keys in sort_keys.items():
            desc = [k == "primaer" for k in keys]
            t[name] = t[name].sort(keys, descending=desc, nulls_last=False, maintain_order=True)
        return t

    def betalinger(self, ydelser: pl.DataFrame, borgere: list[Borger]) -> pl.DataFrame:
        """The payment system: one row per borger x paragraf x month a valid ydelse covers (prorated)."""
        udtraek = pl.lit(UDTRAEK_DATO, dtype=pl.Date)
        y = ydelser.filter(valid_period()).select(
            "borger_id", "paragraf", "startdato", pl.coalesce("slutdato", udtraek).alias("slut"), "maanedlig_udgift",
        )
        m = y.with_columns(
            pl.date_ranges(pl.col("startdato").dt.month_start(), pl.col("slut").dt.month_start(), "1mo").alias("m")
        ).explode("m")
        m = m.with_columns(me=pl.col("m").dt.month_end())
        covered = ((pl.min_horizontal("slut", "me") - pl.max_horizontal("startdato", "m")).dt.total_days() + 1)
        m = m.with_columns(
            (pl.col("maanedlig_udgift") * covered / pl.col("me").dt.day()).alias("beloeb"),
            pl.col("m").dt.strftime("%Y-%m").alias("maaned"),
        )
        bet = m.group_by("borger_id", "paragraf", "maaned").agg(pl.col("beloeb").sum().round(2)).sort(
            "borger_id", "paragraf", "maaned")
        # planted 8-talskontrol mismatches, each on its own borger
        rng = random.Random(self.seed * 49979687 + 5)
        order = list(range(len(borgere)))
        rng.shuffle(order)
        fra, til = f"{HISTORIK_FRA:%Y-%m}", f"{UDTRAEK_DATO:%Y-%m}"
        in_window = bet.filter(pl.col("maaned").is_between(pl.lit(fra), pl.lit(til)))
        rows_by_borger: dict[str, list[tuple]] = {}
        for r in in_window.select("borger_id", "paragraf", "maaned").iter_rows():
            rows_by_borger.setdefault(r[0], []).append(r)
        maaneder = [m_.strftime("%Y-%m") for m_ in months(HISTORIK_FRA, UDTRAEK_DATO)]
        drop, add = [], []
        n_drop, n_add = self.planned["ydelse_uden_betaling"], self.planned["betaling_uden_ydelse"]
        for i in order:
            if len(drop) >= n_drop and len(add) >= n_add:
                break
            b = borgere[i]
            if b.idx in self.used or b.borger_id not in rows_by_borger:
                continue
            if len(drop) < n_drop:
                r = rng.choice(rows_by_borger[b.borger_id])
                drop.append(r)
                self.quality_objs["ydelse_uden_betaling"].append((b, r))
            else:
                have = {y_.paragraf for y_ in b.ydelser}
                options = [p for p in ("SEL §100", P104, P85, "SEL §97") if p not in have]
                if not options:
                    continue
                p = rng.choice(options)
                r = (b.borger_id, p, rng.choice(maaneder))
                lo, hi = self.c["maanedlig_udgift"][p]
                add.append((*r, float(round(rng.uniform(lo, hi) / 50) * 50)))
                self.quality_objs["betaling_uden_ydelse"].append((b, r))
            self.used.add(b.idx)
        if len(drop) < n_drop or len(add) < n_add:
            raise RuntimeError("synth: for få borgere til at plante 8-talskontrol-fejl")
        # the amount and kontering cases of the full 8-talskontrol (contract "8-talskontrol")
        amount = {(r[0], r[1], r[2]): r[3] for r in in_window.select("borger_id", "paragraf", "maaned", "beloeb")
                  .with_columns(pl.col("paragraf").cast(pl.String)).iter_rows()}
        covered_months = {(r[0], str(r[1]), r[2]) for r in bet.select("borger_id", "paragraf", "maaned").iter_rows()}
        change: dict[tuple, float] = {}  # (borger, paragraf, maaned) -> new amount
        need = {k: self.planned[k] for k in ("forkert_paragraf", "beloeb_afviger", "betaling_uden_for_periode")}
        for i in order:
            if all(len(self.quality_objs[k]) >= n for k, n in need.items()):
                break
            b = borgere[i]
            if b.idx in self.used or b.borger_id not in rows_by_borger:
                continue
            rows = sorted(r for r in rows_by_borger[b.borger_id] if (r[0], str(r[1]), r[2]) in amount)
            have = {y_.paragraf for y_ in b.ydelser}
            if len(self.quality_objs["forkert_paragraf"]) < need["forkert_paragraf"]:
                options = [p for p in ("SEL §100", P104, "SEL §97") if p not in have]
                if not rows or not options:
                    continue
                r = rng.choice(rows)
                key = (r[0], str(r[1]), r[2])
                change[key] = 0.0
                bp = rng.choice(options)
                add.append((r[0], bp, r[2], amount[key]))
                self.quality_objs["forkert_paragraf"].append((b, (*key, bp)))
            elif len(self.quality_objs["beloeb_afviger"]) < need["beloeb_afviger"]:
                big = [r for r in rows if amount[(r[0], str(r[1]), r[2])] >= 2000]
                if not big:
                    continue
                r = rng.choice(big)
                key = (r[0], str(r[1]), r[2])
                change[key] = round(amount[key] * rng.uniform(1.4, 1.9), 2)
                self.quality_objs["beloeb_afviger"].append((b, key))
            else:
                ended = [y_ for y_ in b.ydelser if y_.valid() and y_.slut is not None
                         and add_months(y_.slut.replace(day=1), 2) <= UDTRAEK_DATO.replace(day=1)]
                if not ended:
                    continue
                y_ = rng.choice(ended)
                m = f"{add_months(y_.slut.replace(day=1), 2):%Y-%m}"
                if (b.borger_id, y_.paragraf, m) in covered_months or m < fra:
                    continue
                add.append((b.borger_id, y_.paragraf, m, float(y_.udgift or 1000.0)))
                self.quality_objs["betaling_uden_for_periode"].append((b, (b.borger_id, y_.paragraf, m)))
            self.used.add(b.idx)
        for k, n in need.items():
            if len(self.quality_objs[k]) < n:
                raise RuntimeError(f"synth: kunne kun plante {len(self.quality_objs[k])} af {n} '{k}'")
        drop_df = pl.DataFrame(drop, schema=["borger_id", "paragraf", "maaned"], orient="row").with_columns(
            pl.col("paragraf").cast(pl.String))
        bet = bet.with_columns(pl.col("paragraf").cast(pl.String)).join(
            drop_df, on=["borger_id", "paragraf", "maaned"], how="anti")
        if change:
            ch = pl.DataFrame([(*k, v) for k, v in sorted(change.items())], orient="row",
                              schema={"borger_id": pl.String, "paragraf": pl.String, "maaned": pl.String, "_ny": pl.Float64})
            bet = (bet.join(ch, on=["borger_id", "paragraf", "maaned"], how="left")
                   .with_columns(pl.coalesce("_ny", "beloeb").alias("beloeb")).drop("_ny")
                   .filter(pl.col("beloeb") != 0))
        add_df = pl.DataFrame(add, schema={"borger_id": pl.String, "paragraf": pl.String, "maaned": pl.String,
                                           "beloeb": pl.Float64}, orient="row")
        # Borger X's ydelse is part of `ydelser`, so its betalinger (SEL §85 Jan-Jun 2023) are already here.
        return pl.concat([bet.select("borger_id", "paragraf", "maaned", "beloeb"), add_df])

    def budget(self, betalinger: pl.DataFrame, borgere: pl.DataFrame) -> pl.DataFrame:
        """The økonomi system's corrected budget per year x betalingskommune x paragraf: the year's
        forbrug (betalinger; the extraction year extrapolated from its months so far) divided by a
        factor drawn from `budget.forbrug_andel`, so forbrug lands there (90-110 %); the planted
        paragraf gets `budget.overskredet.forbrug_andel` (over budget). Rounded to 1000 kr."""
        cfg = self.c["budget"]
        lo, hi = cfg["forbrug_andel"]
        over = cfg["overskredet"]["paragraf"]
        olo, ohi = cfg["overskredet"]["forbrug_andel"]
        months_last = UDTRAEK_DATO.month
        kom = borgere.select("borger_id", geo.betalingskommune().alias("kommunekode"))
        per = (
            betalinger.join(kom, on="borger_id", how="left")
            .with_columns(aar=pl.col("maaned").str.slice(0, 4).cast(pl.Int64))
            .filter(pl.col("aar") >= HISTORIK_FRA.year + 1)
            .group_by("aar", "kommunekode", "paragraf").agg(pl.col("beloeb").sum())
            .with_columns(pl.when(pl.col("aar") == UDTRAEK_DATO.year)
                          .then(pl.col("beloeb") / months_last * 12).otherwise(pl.col("beloeb")).alias("aarsforbrug"))
            .filter(pl.col("aarsforbrug") > 0)
            .sort("aar", "kommunekode", "paragraf")
        )
        rng = random.Random(self.seed * 7919 + 15)
        konto = {p: self.codes.paragraf_info[p].get("konto") for p in self.codes.paragraffer}
        rows = []
        for aar, k, p, _, forbrug in per.iter_rows():
            f = rng.uniform(olo, ohi) if p == over else rng.uniform(lo, hi)
            rows.append((aar, p, float(max(1000, round(forbrug / f / 1000) * 1000)), konto.get(p), k))
        years = sorted({r[0] for r in rows})
        self.budget_info = {"over_budget": [{"paragraf": over, "aar": years,
                                             "forbrug_andel": [olo, ohi]}],
                            "forbrug_andel": [lo, hi],
                            "note": f"{UDTRAEK_DATO.year}: forbrug fremskrevet fra {months_last} måneder"}
        return pl.DataFrame(rows, schema={"aar": pl.Int64, "paragraf": pl.String, "beloeb": pl.Float64,
                                          "konto": pl.String, "kommunekode": pl.String}, orient="row")

    # -------------------------------------------------------------------------------- manifest
    def manifest(self, borgere: list[Borger], t: dict[str, pl.DataFrame]) -> dict:
        planted: dict[str, list[dict]] = {k: [] for k in DEFECT_KINDS}
        overlaps = []
        for kind, b, y1, y2 in self.overlap_objs:
            a, bb = sorted((y1, y2), key=lambda y: y.ydelse_id)
            rec = {"regel": kind, "borger_id": b.borger_id, "ydelse_id_a": a.ydelse_id, "ydelse_id_b": bb.ydelse_id}
            overlaps.append(rec)
            planted[kind].append(rec)
        for kind in ("ugyldig_ydelse", "under_18", "slut_foer_start", "mangler_tilbud"):
            for b, y in self.quality_objs[kind]:
                rec = {"borger_id": b.borger_id, "ydelse_id": y.ydelse_id, "paragraf": y.paragraf}
                if kind == "ugyldig_ydelse":
                    rec["ydelse"] = y.ydelse
                planted[kind].append(rec)
        for b, g in self.quality_objs["opfoelgning_overskredet"]:
            planted["opfoelgning_overskredet"].append({"borger_id": b.borger_id, "maal_id": g.maal_id,
                                                       "undertema": g.undertema,
                                                       "opfoelgningsdato": g.opf.isoformat()})
        for b, g, dato in self.quality_objs["sen_opfoelgning"]:
            planted["sen_opfoelgning"].append({"borger_id": b.borger_id, "maal_id": g.maal_id,
                                               "opfoelgningsdato": g.opf.isoformat(), "fulgt_op": dato.isoformat()})
        for b, g, vurdering in self.quality_objs["vurdering_afviger_maaling"]:
            planted["vurdering_afviger_maaling"].append({"borger_id": b.borger_id, "maal_id": g.maal_id,
                                                         "registreret": vurdering})
        for b, g, n in self.quality_objs["maal_uden_forventet_aendring"]:
            planted["maal_uden_forventet_aendring"].append({"borger_id": b.borger_id, "maal_id": g.maal_id,
                                                            "niveau": n})
        for kind in PAYMENT_KINDS:
            for b, r in self.quality_objs[kind]:
                rec = {"borger_id": r[0], "paragraf": str(r[1]), "maaned": r[2]}
                if kind == "forkert_paragraf":
                    rec["betalt_paragraf"] = r[3]  # where the month's payment was booked
                planted[kind].append(rec)
        for k in planted:
            key = (lambda r: (r["regel"], r["borger_id"], r["ydelse_id_a"], r["ydelse_id_b"])) if k in OVERLAP_KINDS \
                else (lambda r: tuple(str(v) for v in r.values()))
            planted[k].sort(key=key)
        overlaps.sort(key=lambda r: (r["borger_id"], r["regel"], r["ydelse_id_a"], r["ydelse_id_b"]))
        # databrud: new registrations per month in the window
        yd = t["ydelser"]
        per_month = (yd.filter(pl.col("startdato").is_between(HISTORIK_FRA, UDTRAEK_DATO))
                     .group_by(pl.col("startdato").dt.strftime("%Y-%m").alias("maaned")).len().sort("maaned"))
        counts = dict(per_month.iter_rows())
        others = sorted(v for k, v in counts.items() if k != self.cfg.databrud_maaned)
        median = others[len(others) // 2] if others else 0
        databrud = {"maaned": self.cfg.databrud_maaned, "andel": self.cfg.databrud_andel,
                    "nye_ydelser": counts.get(self.cfg.databrud_maaned, 0), "median_andre_maaneder": median}
        legit = self.legitimate(borgere)
        return {
            "generator": "workbench.vaerktoej.synth", "skala": self.skala, "seed": self.seed,
            "udtraek_dato": UDTRAEK_DATO.isoformat(), "historik_fra": HISTORIK_FRA.isoformat(),
            "betalinger_til": f"{UDTRAEK_DATO:%Y-%m}",
            "kommuner": self.kommuner, "hjemkommune": str(self.c["hjemkommune"]).zfill(4),
            "borgere_genereret": len(borgere), "borger_x": "X",
            "rows": {name: df.height for name, df in t.items()},
            "rate_enhed": "pr. 1000 genererede borgere; antal = round(rate * borgere / 1000), mindst 1",
            "rates": {k: self.cfg.defekter[k] for k in DEFECT_KINDS},
            "counts": {k: len(planted[k]) for k in DEFECT_KINDS} | {"databrud": 1},
            "overlaps": overlaps,
            "planted": planted | {"databrud": [databrud]},
            "databrud": databrud,
            "legitime": legit,
            "budget": self.budget_info,
            # servicemål and klager (issue 22): the ydelser whose ansoegningsdato lies after the
            # bevillingsdato (left out of sagsbehandlingstid), and the complaints per instans/resultat
            "ansoegning_efter_bevilling": sorted(self.ansoegning_efter_bevilling, key=lambda r: r["ydelse_id"]),
            "over_kapacitet": self.over_kapacitet(t),
            "klager": {"i_alt": t["klager"].height,
                       "pr_resultat": {str(k): v for k, v in t["klager"].group_by("resultat").len()
                                       .sort("resultat", nulls_last=True).iter_rows()}},
        }

    def legitimate(self, borgere: list[Borger]) -> dict:
        """Examples of pairs the overlap rules must NOT report: dagtilbud next to support, handovers."""
        samtidige, overdragelser = [], []
        for b in borgere:
            if b.idx in self.used:
                continue
            v = [y for y in b.ydelser if y.valid()]
            for a in v:
                for c in v:
                    if a.ydelse_id >= c.ydelse_id:
                        continue
                    ps = {a.paragraf, c.paragraf}
                    if (a.start <= _end(c.slut) and c.start <= _end(a.slut) and ps & set(DAGTILBUD)
                            and ps & {P85, P108, ABL} and len(samtidige) < 25):
                        samtidige.append({"borger_id": b.borger_id, "ydelse_id_a": a.ydelse_id,
                                          "ydelse_id_b": c.ydelse_id, "paragraffer": sorted(ps)})
                    first, second = (a, c) if a.start <= c.start else (c, a)
                    if (first.paragraf == P107 and second.paragraf in (P108, P85) and first.slut is not None
                            and second.start == first.slut + DAY and len(overdragelser) < 25):
                        overdragelser.append({"borger_id": b.borger_id, "ydelse_id_a": a.ydelse_id,
                                              "ydelse_id_b": c.ydelse_id, "paragraffer": [first.paragraf, second.paragraf]})
        return {"samtidige": samtidige, "overdragelser": overdragelser}




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
# ------------------------------------------------------------------------------------------- API
def write_demo(out: Path | str, skala: str = "kommune", seed: int = 1, progress: bool = False) -> dict:
    """Write the demo dataset (one Parquet file per contract table + demo_manifest.json); returns the manifest."""
    from workbench.data.demo_status import check_demo_target

    out = check_demo_target(out)
    gen = _Generator(skala, seed, progress)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".skrivetest"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"kan ikke skrive til {out}: {exc.strerror or exc}") from None
    tables, manifest = gen.run()
    names = list(tables)
    for i, name in enumerate(names):
        gen.bar.show(0.85 + 0.15 * i / len(names), f"skriver {name}")
        tables[name].write_parquet(out / f"{name}.parquet", **PARQUET)
    from workbench.data import demo_status
    from workbench.data.dataset import DATASAET_FILE

    # The demo declares its udtræksdato (contract "A period"): a date after it is bad input.
    (out / DATASAET_FILE).write_text(
        "# Skrevet af ffb-workbench demo: datasættets udtræksdato (dage efter den kan data ikke kende)\n"
        f"udtraeksdato: {manifest['udtraek_dato']}\n", encoding="utf-8")
    # demo status is read from these checksums (workbench.data.demo_status), never from a file name
    manifest = {**manifest, "generator": demo_status.GENERATOR,
                "filer": demo_status.checksums(out, [f"{name}.parquet" for name in names] + [DATASAET_FILE])}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # Validate once, trust after: typed Parquet + manifest.json (workbench.data.manifest).
    gen.bar.show(0.99, "validerer")
    from workbench.data import manifest as typed_manifest

    typed_manifest.write_manifest(out)
    gen.bar.show(1.0, "færdig")
    gen.bar.done()
    return manifest
