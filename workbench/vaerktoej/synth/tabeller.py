"""The demo's tables and manifest from the generated borgere: ydelser, betalinger, budget, ansøgning,
klager, over-capacity and the manifest (a mixin of workbench.vaerktoej.synth.generator)."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl

from workbench.data import geo
from workbench.regler.periods import add_months, months, valid_period
from workbench.vaerktoej.synth.grundlag import ABL, BORGER_X, Borger, DAGTILBUD, DAY, DEFECT_KINDS, EPOCH, FE_SCHEMA, HISTORIK_FRA, IM_SCHEMA, OVERLAP_KINDS, P104, P107, P108, P85, PAYMENT_KINDS, TILBUD_SCHEMA, UDTRAEK_DATO, YD_SCHEMA, _end, _frame

class _Tabeller:
    """Tables, payments, budget and the manifest."""

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
