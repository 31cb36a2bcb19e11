"""Planting the demo's defects (every case the product handles, listed in the manifest): a mixin of
the generator (workbench.vaerktoej.synth.generator)."""

from __future__ import annotations

import datetime as dt
import random


from workbench.regler.periods import add_months
from workbench.vaerktoej.synth.grundlag import ABL, Borger, DAY, DEFECT_KINDS, EPOCH, GOAL_KINDS, Goal, HISTORIK_FRA, OVERLAP_KINDS, P107, P108, P85, PAYMENT_KINDS, QUALITY_KINDS, UDTRAEK_DATO, Yd, _add_years, _end, planned_count, rule_pairs

class _Planter:
    """The defects: overlaps, quality findings, payment differences, late and disagreeing goals."""

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
