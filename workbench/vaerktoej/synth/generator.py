"""The demo generator: tilbud, borgere, their ydelser, assessments and goals; planting and the tables
come from its mixins (plant.py, tabeller.py)."""

from __future__ import annotations

import datetime as dt
import math
import random

import polars as pl

from workbench.data.config import ConfigError, load_config
from workbench.data.paths import config_dir
from workbench.vaerktoej.synth.grundlag import ABL, Borger, CONFIG_FILE, DAY, EPOCH, Goal, HISTORIK_FRA, P103, P104, P107, P108, P85, SKALAER, UDTRAEK_DATO, Yd, _Progress, _add_years, _dist, _end, _geo, _pick, _postnumre_per_kommune, _rand_date, load_demo_config, rule_pairs
from workbench.vaerktoej.synth.plant import _Planter
from workbench.vaerktoej.synth.tabeller import _Tabeller

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


class _Generator(_Planter, _Tabeller):
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
