"""The synthetic demo generator (workbench/vaerktoej/synth/) and `ffb-workbench demo`.

The checks below recompute every planted defect kind from the written files with plain Polars
(independently of the generator) and require exactly the manifest's set: planted defects are found,
and nothing else is.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from workbench.vaerktoej import synth
from workbench.data.config import ConfigError, load_config
from workbench.data.dataset import open_dataset

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_X = ROOT / "tests" / "fixtures" / "borger_x"
TABLES = ("borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal", "opfoelgninger", "ydelser",
          "tilbud", "betalinger", "klager")
UD = synth.UDTRAEK_DATO


@pytest.fixture(scope="module")
def demo(demo_kommune):
    """(typed dataset, raw Parquet frames, manifest) of the session's kommune demo (seed 1)."""
    ds = open_dataset(demo_kommune)
    raw = {t: pl.read_parquet(demo_kommune / f"{t}.parquet") for t in TABLES}
    manifest = json.loads((demo_kommune / synth.MANIFEST).read_text(encoding="utf-8"))
    return ds, raw, manifest


def _ids(records: list[dict], *keys: str) -> set[tuple]:
    return {tuple(r[k] for k in keys) for r in records}


# ----------------------------------------------------------------------------------------- files
def test_writes_every_table_as_parquet_with_string_codes_and_dates(demo_kommune, demo):
    _, raw, _ = demo
    for t in TABLES:
        assert (demo_kommune / f"{t}.parquet").is_file()
    assert (demo_kommune / synth.MANIFEST).is_file()
    y = raw["ydelser"].schema
    assert y["paragraf"] == pl.String and y["ydelse"] == pl.String
    assert y["startdato"] == pl.Date and y["slutdato"] == pl.Date
    assert raw["funktionsevne"].schema["undertema"] == pl.String
    assert raw["funktionsevne"].schema["niveau"] == pl.Int64
    assert raw["maalgrupper"].schema["primaer"] == pl.Boolean
    # the contract's columns, in contract order
    from data_model.contract import TABLES as CONTRACT
    for t in TABLES:
        assert raw[t].columns == [c.name for c in CONTRACT[t].columns], t


def test_loads_with_zero_rejected_rows(demo):
    ds, raw, manifest = demo
    assert ds.rejected_counts() == {}
    for t in TABLES:
        assert getattr(ds, t).select(pl.len()).collect().item() == raw[t].height == manifest["rows"][t]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, demo_kommune):
    a, b = tmp_path / "a", tmp_path / "b"
    synth.write_demo(a, "kommune", 1)
    synth.write_demo(b, "kommune", 2)
    for name in [f"{t}.parquet" for t in TABLES] + [synth.MANIFEST]:
        assert (a / name).read_bytes() == (demo_kommune / name).read_bytes(), name
    assert (a / "ydelser.parquet").read_bytes() != (b / "ydelser.parquet").read_bytes()
    assert (a / "borgere.parquet").read_bytes() != (b / "borgere.parquet").read_bytes()


def test_scale_and_extraction_date(demo):
    _, raw, manifest = demo
    assert 780 <= raw["borgere"].height <= 820
    assert 30 <= raw["tilbud"].height <= 50
    assert manifest["udtraek_dato"] == "2026-10-31" == synth.UDTRAEK_DATO.isoformat()
    y = raw["ydelser"]
    assert y["startdato"].max() <= UD
    assert y["slutdato"].max() <= UD
    assert y["slutdato"].null_count() > 100  # open ydelser
    assert raw["funktionsevne"]["dato"].max() <= UD
    assert raw["betalinger"]["maaned"].max() == "2026-10"
    # three years of history
    assert y.filter(pl.col("startdato") >= synth.HISTORIK_FRA)["startdato"].dt.strftime("%Y-%m").n_unique() == 36
    b = raw["borgere"]
    assert (b["handlekommune"] == "0250").all()
    assert 0 < (b["betalingskommune"] != b["handlekommune"]).sum() < 0.15 * b.height


# ----------------------------------------------------------------------------------------- Borger X
@pytest.mark.parametrize("table", ["borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal",
                                   "opfoelgninger", "ydelser", "tilbud"])
def test_borger_x_exactly_as_fixture(demo, table):
    ds, _, _ = demo
    fixture = getattr(open_dataset(FIXTURE_X), table).collect()
    got = getattr(ds, table).collect()
    key = {"opfoelgninger": ("maal_id", ["M1"]), "tilbud": ("tilbud_id", ["1000000001"])}.get(table, ("borger_id", ["X"]))
    got = got.filter(pl.col(key[0]).is_in(key[1]))
    cols = fixture.columns
    order = [c for c in cols if c not in ("niveau", "tema", "note")]
    assert got.select(cols).sort(order).equals(fixture.sort(order)), table


def test_borger_x_ids_do_not_collide(demo):
    _, raw, _ = demo
    assert raw["ydelser"].filter(pl.col("ydelse_id") == "Y1").height == 1
    assert raw["indsatsmaal"].filter(pl.col("maal_id") == "M1").height == 1
    assert raw["tilbud"].filter(pl.col("tilbud_id") == "1000000001").height == 1
    for t, k in (("ydelser", "ydelse_id"), ("indsatsmaal", "maal_id"), ("tilbud", "tilbud_id"), ("borgere", "borger_id")):
        assert raw[t][k].is_unique().all(), t


# ----------------------------------------------------------------------------------------- manifest
def test_planted_counts_follow_configured_rates(demo):
    _, _, manifest = demo
    cfg = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text(encoding="utf-8"))
    n = cfg["skalaer"]["kommune"]["borgere"]
    assert manifest["borgere_genereret"] == n
    for kind in synth.DEFECT_KINDS:
        rate = cfg["defekter"][kind]
        assert manifest["rates"][kind] == rate
        expected = max(1, round(rate * n / 1000))
        assert manifest["counts"][kind] == expected == len(manifest["planted"][kind]), kind
    assert manifest["counts"]["databrud"] == 1
    assert len(manifest["overlaps"]) == sum(manifest["counts"][k] for k in synth.OVERLAP_KINDS)


def test_planted_defects_each_on_their_own_borger(demo):
    _, _, manifest = demo
    seen = []
    for kind in synth.DEFECT_KINDS:
        seen += [r["borger_id"] for r in manifest["planted"][kind]]
    assert len(seen) == len(set(seen))
    assert "X" not in seen


def test_planned_count_rounding():
    assert synth.planned_count(0, 800) == 0
    assert synth.planned_count(0.1, 800) == 1
    assert synth.planned_count(8, 800) == 6
    assert synth.planned_count(5, 100_000) == 500


# ----------------------------------------------------------------------------------------- overlaps
def _rule_overlaps(ydelser: pl.DataFrame) -> set[tuple]:
    """All overlapping pairs under config/overlap_rules.yaml, recomputed with Polars."""
    rules = yaml.safe_load((ROOT / "config" / "overlap_rules.yaml").read_text(encoding="utf-8"))["regler"]
    paragraffer = list(load_config().codes.paragraffer)
    y = ydelser.filter(pl.col("slutdato").is_null() | (pl.col("slutdato") >= pl.col("startdato"))).select(
        "borger_id", "ydelse_id", "paragraf", "ydelse", "startdato",
        pl.coalesce("slutdato", pl.lit(UD)).alias("slut"))
    pairs = y.join(y, on="borger_id", suffix="_b").filter(
        (pl.col("ydelse_id") < pl.col("ydelse_id_b"))
        & (pl.col("startdato") <= pl.col("slut_b")) & (pl.col("startdato_b") <= pl.col("slut")))
    out = set()
    for r in pairs.iter_rows(named=True):
        for rule in rules:
            pa = paragraffer if rule["paragraffer_a"] == "alle" else rule["paragraffer_a"]
            pb = paragraffer if rule["paragraffer_b"] == "alle" else rule["paragraffer_b"]
            hit = (r["paragraf"] in pa and r["paragraf_b"] in pb) or (r["paragraf"] in pb and r["paragraf_b"] in pa)
            if rule.get("samme_paragraf") and r["paragraf"] != r["paragraf_b"]:
                hit = False
            if rule.get("samme_ydelse") and r["ydelse"] != r["ydelse_b"]:
                hit = False
            if hit:
                out.add((rule["id"], r["borger_id"], r["ydelse_id"], r["ydelse_id_b"]))
    return out


def test_overlaps_are_exactly_the_planted_ones(demo):
    _, raw, manifest = demo
    found = _rule_overlaps(raw["ydelser"])
    planted = _ids(manifest["overlaps"], "regel", "borger_id", "ydelse_id_a", "ydelse_id_b")
    assert found == planted
    assert {r[0] for r in planted} == set(synth.OVERLAP_KINDS)
    for r in manifest["overlaps"]:
        assert r["ydelse_id_a"] < r["ydelse_id_b"]


def test_legitimate_pairs_and_handovers_exist_and_do_not_count(demo):
    _, raw, manifest = demo
    leg = manifest["legitime"]
    assert leg["samtidige"] and leg["overdragelser"]
    y = {r["ydelse_id"]: r for r in raw["ydelser"].iter_rows(named=True)}
    for r in leg["overdragelser"]:
        a, b = sorted((y[r["ydelse_id_a"]], y[r["ydelse_id_b"]]), key=lambda v: v["startdato"])
        assert b["startdato"] == a["slutdato"] + dt.timedelta(days=1)
    found = {(r[1], r[2], r[3]) for r in _rule_overlaps(raw["ydelser"])}
    for r in leg["samtidige"] + leg["overdragelser"]:
        assert (r["borger_id"], r["ydelse_id_a"], r["ydelse_id_b"]) not in found


def test_concurrent_same_paragraf_only_with_different_names(demo):
    _, raw, manifest = demo
    y = raw["ydelser"].filter(pl.col("paragraf") == "SEL §85")
    pairs = y.join(y, on="borger_id", suffix="_b").filter(
        (pl.col("ydelse_id") < pl.col("ydelse_id_b"))
        & (pl.col("startdato") <= pl.coalesce("slutdato_b", pl.lit(UD)))
        & (pl.col("startdato_b") <= pl.coalesce("slutdato", pl.lit(UD))))
    assert pairs.filter(pl.col("ydelse") != pl.col("ydelse_b")).height > 0  # concurrent §85 exists
    same = pairs.filter(pl.col("ydelse") == pl.col("ydelse_b")).select("borger_id", "ydelse_id", "ydelse_id_b")
    assert set(same.iter_rows()) <= _ids(manifest["planted"]["DOBBELT"], "borger_id", "ydelse_id_a", "ydelse_id_b")


# ----------------------------------------------------------------------------------------- quality
def test_invalid_ydelse_names_only_where_planted(demo):
    _, raw, manifest = demo
    ypp = load_config().codes.ydelser_per_paragraf
    y = raw["ydelser"].filter(pl.col("borger_id") != "X")
    bad = {(r["borger_id"], r["ydelse_id"]) for r in y.iter_rows(named=True) if r["ydelse"] not in ypp[r["paragraf"]]}
    assert bad == _ids(manifest["planted"]["ugyldig_ydelse"], "borger_id", "ydelse_id")


def test_under_18_only_where_planted(demo):
    ds, _, manifest = demo
    from workbench.regler.periods import age_on
    young = (ds.ydelser.join(ds.borgere, on="borger_id")
             .filter(age_on(pl.col("foedselsdato"), pl.col("startdato")) < 18)
             .select("borger_id", "ydelse_id").collect())
    assert set(young.iter_rows()) == _ids(manifest["planted"]["under_18"], "borger_id", "ydelse_id")


def test_slut_foer_start_only_where_planted(demo):
    _, raw, manifest = demo
    bad = raw["ydelser"].filter(pl.col("slutdato") < pl.col("startdato")).select("borger_id", "ydelse_id")
    assert set(bad.iter_rows()) == _ids(manifest["planted"]["slut_foer_start"], "borger_id", "ydelse_id")


def test_missing_tilbud_only_where_planted(demo):
    _, raw, manifest = demo
    info = load_config().codes.paragraf_info
    kraever = [p for p, i in info.items() if i.get("kraever_tilbud")]
    bad = raw["ydelser"].filter(pl.col("paragraf").is_in(kraever) & pl.col("tilbud_id").is_null())
    assert set(bad.select("borger_id", "ydelse_id").iter_rows()) == _ids(
        manifest["planted"]["mangler_tilbud"], "borger_id", "ydelse_id")
    # every tilbud_id points at a tilbud of a type matching the paragraf
    codes = load_config().codes
    typ = dict(raw["tilbud"].select("tilbud_id", "tilbudstype").iter_rows())
    for r in raw["ydelser"].filter(pl.col("tilbud_id").is_not_null()).iter_rows(named=True):
        t = typ[r["tilbud_id"]]
        p = codes.tilbudstype_paragraf.get(t)
        if p is None:
            assert t == "Socialt akuttilbud" and r["paragraf"] in ("SEL §109", "SEL §110")
        elif r["paragraf"] == "ABL §105/SEL §85":
            assert p.startswith("ABL §105")
        else:
            assert p.split(",")[0] == r["paragraf"], (r["ydelse_id"], t)


def test_overdue_follow_ups_only_where_planted(demo):
    _, raw, manifest = demo
    fe = raw["funktionsevne"].filter(pl.col("niveau").is_not_null()).select("borger_id", "undertema", "dato")
    im = raw["indsatsmaal"].filter(pl.col("opfoelgningsdato") < UD)
    assessed = (im.join(fe, on=["borger_id", "undertema"])
                .filter((pl.col("dato") > pl.col("startdato")) & (pl.col("dato") <= UD))
                .select("maal_id").unique())
    overdue = im.join(assessed, on="maal_id", how="anti").select("borger_id", "maal_id")
    assert set(overdue.iter_rows()) == _ids(manifest["planted"]["opfoelgning_overskredet"], "borger_id", "maal_id")
    # every other goal is either followed up or due after the extraction date (with a margin)
    future = raw["indsatsmaal"].filter(pl.col("opfoelgningsdato") >= UD)
    assert future.height > 0
    assert future["opfoelgningsdato"].min() > UD + dt.timedelta(days=60)


def _goal_status(ds):
    from workbench.regler import maalstatus

    return maalstatus.goal_status(ds.indsatsmaal, ds.funktionsevne, UD, ds.opfoelgninger).with_columns(
        pl.col("borger_id").cast(pl.String), pl.col("maal_id").cast(pl.String)).collect()


def test_late_follow_ups_only_where_planted(demo):
    """Issue 20: the demo has follow-ups made after their date (judged on the first assessment after it,
    recorded on that day), and only where planted."""
    ds, _, manifest = demo
    g = _goal_status(ds)
    late = g.filter(pl.col("maalt_dato") > pl.col("opfoelgningsdato"))
    planted = manifest["planted"]["sen_opfoelgning"]
    assert planted and set(late.select("borger_id", "maal_id").iter_rows()) == _ids(planted, "borger_id", "maal_id")
    by_id = {r["maal_id"]: r for r in late.iter_rows(named=True)}
    for r in planted:
        assert by_id[r["maal_id"]]["maalt_dato"].isoformat() == r["fulgt_op"]
        rec = by_id[r["maal_id"]]["vurderingsdato"]  # recorded on the day it was made (when recorded)
        assert rec is None or rec.isoformat() == r["fulgt_op"]


def test_recorded_vs_measured_disagreement_only_where_planted_both_ways(demo):
    """Issue 20: kvalitet's vurdering_afviger_maaling finds exactly the planted goals, both ways."""
    ds, _, manifest = demo
    from workbench.regler import kvalitet

    found = kvalitet.findings(ds, UD, rules=["vurdering_afviger_maaling"]).collect()
    planted = manifest["planted"]["vurdering_afviger_maaling"]
    assert set(found["noegle"]) == {r["maal_id"] for r in planted}
    assert {r["registreret"] for r in planted} == {"Opnået", "Ikke opnået"}


def test_goals_asking_for_nothing_only_where_planted(demo):
    """Issue 20: 'Opnået ved start' (and kvalitet's maal_uden_forventet_aendring) only where planted: the
    generator's own goals all ask for a change the scale can show."""
    ds, _, manifest = demo
    from workbench.regler import kvalitet, maalstatus

    g = _goal_status(ds).filter(pl.col("status") == maalstatus.OPNAAET_VED_START)
    planted = _ids(manifest["planted"]["maal_uden_forventet_aendring"], "borger_id", "maal_id")
    assert planted and set(g.select("borger_id", "maal_id").iter_rows()) == planted
    found = kvalitet.findings(ds, UD, rules=["maal_uden_forventet_aendring"]).collect()
    assert set(found["noegle"]) == {m for _, m in planted}


def test_eight_figure_check_mismatches_only_where_planted(demo):
    _, raw, manifest = demo
    y = raw["ydelser"].filter(pl.col("slutdato").is_null() | (pl.col("slutdato") >= pl.col("startdato")))
    months = (y.with_columns(pl.date_ranges(pl.col("startdato").dt.month_start(),
                                            pl.coalesce("slutdato", pl.lit(UD)).dt.month_start(), "1mo").alias("m"))
              .explode("m").select("borger_id", "paragraf", pl.col("m").dt.strftime("%Y-%m").alias("maaned")).unique())
    bet = raw["betalinger"].select("borger_id", "paragraf", "maaned")
    assert bet.is_duplicated().sum() == 0
    only_bet = set(bet.join(months, on=["borger_id", "paragraf", "maaned"], how="anti").iter_rows())
    only_yd = set(months.join(bet, on=["borger_id", "paragraf", "maaned"], how="anti").iter_rows())
    planted = manifest["planted"]
    forkert = planted["forkert_paragraf"]
    assert forkert and planted["betaling_uden_for_periode"] and planted["beloeb_afviger"]
    assert only_bet == (_ids(planted["betaling_uden_ydelse"], "borger_id", "paragraf", "maaned")
                        | _ids(planted["betaling_uden_for_periode"], "borger_id", "paragraf", "maaned")
                        | _ids(forkert, "borger_id", "betalt_paragraf", "maaned"))
    assert only_yd == (_ids(planted["ydelse_uden_betaling"], "borger_id", "paragraf", "maaned")
                       | _ids(forkert, "borger_id", "paragraf", "maaned"))


def test_databrud_month_has_few_new_registrations(demo):
    _, raw, manifest = demo
    maaned = manifest["databrud"]["maaned"]
    assert maaned == yaml.safe_load((ROOT / "config" / "demo.yaml").read_text(encoding="utf-8"))["databrud"]["maaned"]
    y = raw["ydelser"].filter(pl.col("startdato").is_between(synth.HISTORIK_FRA, UD))
    for col in ("startdato", "registreringsdato"):
        per = y.group_by(pl.col(col).dt.strftime("%Y-%m").alias("m")).len()
        per = per.filter(pl.col("m").is_between(pl.lit("2023-12"), pl.lit("2026-09")))
        counts = dict(per.iter_rows())
        others = sorted(v for k, v in counts.items() if k != maaned)
        median = others[len(others) // 2]
        assert counts[maaned] < 0.45 * median, (col, counts[maaned], median)
        assert min(others) > 0.5 * median  # no other month looks like a break


# ----------------------------------------------------------------------------------------- realism
def test_paragraf_mix_85_most_common(demo):
    _, raw, _ = demo
    y = raw["ydelser"]
    by_borger = y.group_by("paragraf").agg(pl.col("borger_id").n_unique().alias("n")).sort("n", descending=True)
    assert by_borger["paragraf"][0] == "SEL §85"
    assert y["paragraf"].value_counts(sort=True)["paragraf"][0] == "SEL §85"
    present = set(y["paragraf"].unique())
    for p in ("SEL §104", "SEL §103", "SEL §108", "SEL §107", "ABL §105/SEL §85", "SEL §96", "SEL §100", "STU"):
        assert p in present, p


def test_botilbud_stays_last_years(demo):
    _, raw, _ = demo
    d = raw["ydelser"].filter(pl.col("slutdato").is_null() | (pl.col("slutdato") >= pl.col("startdato"))).with_columns(
        ((pl.coalesce("slutdato", pl.lit(UD)) - pl.col("startdato")).dt.total_days()).alias("dage"))
    med = dict(d.group_by("paragraf").agg(pl.col("dage").median()).iter_rows())
    assert med["SEL §108"] > 2 * 365
    assert med["SEL §107"] > 90
    assert med["SEL §108"] > med["SEL §107"]


def test_costs_and_hours_plausible(demo):
    _, raw, _ = demo
    y = raw["ydelser"].filter(pl.col("borger_id") != "X")
    rng = dict(y.group_by("paragraf").agg(pl.col("maanedlig_udgift").min().alias("lo")).iter_rows())
    rhi = dict(y.group_by("paragraf").agg(pl.col("maanedlig_udgift").max().alias("hi")).iter_rows())
    assert 3000 <= rng["SEL §85"] and rhi["SEL §85"] <= 15000
    assert 40000 <= rng["SEL §108"] and rhi["SEL §108"] <= 90000
    t85 = y.filter(pl.col("paragraf") == "SEL §85")["timer_pr_uge"]
    assert t85.null_count() == 0 and t85.min() > 0
    reg = y.filter(pl.col("registreringsdato") < pl.col("startdato"))
    assert reg.height == 0


def test_people_cpr_and_case_workers(demo):
    _, raw, _ = demo
    b = raw["borgere"]
    assert b["cpr"].str.contains(r"^\d{10}$").all()
    assert (b["cpr"].str.slice(0, 6) == b["foedselsdato"].dt.strftime("%d%m%y")).all()
    assert b["cpr"].is_unique().all()
    gen = b.filter(pl.col("borger_id") != "X")
    parity = gen["cpr"].str.slice(9, 1).cast(pl.Int64) % 2
    assert ((parity == 0) == (gen["koen"] == "K")).all()
    assert set(gen["koen"].unique()) == {"K", "M"}
    assert set(gen["team"].unique()) == {"Voksen 1", "Voksen 2", "Voksen 3", "Voksen 4"}
    assert gen["sagsbehandler"].str.contains(r"^SB\d\d$").all()


def test_functional_assessments_and_goals(demo):
    _, raw, _ = demo
    codes = load_config().codes
    fe = raw["funktionsevne"]
    ad = fe.filter(pl.col("omraade") == "Aktivitet og deltagelse")
    assert ad["niveau"].null_count() > 0  # some Ikke vurderet
    assert ad["niveau"].drop_nulls().is_between(0, 4).all()
    assert fe.filter(pl.col("omraade") != "Aktivitet og deltagelse")["niveau"].null_count() == \
        fe.filter(pl.col("omraade") != "Aktivitet og deltagelse").height
    assert set(fe["omraade"].unique()) == set(codes.omraader)
    im = raw["indsatsmaal"]
    assert set(im["maaltype"].unique()) == set(codes.maaltyper)
    assert set(im["undertema"].unique()) <= set(codes.aktivitet_undertemaer())
    gap = (im["opfoelgningsdato"] - im["startdato"]).dt.total_days()
    assert gap.min() > 0
    # Udvikle goals improve more often than Begrænse tab goals (lower niveau is better)
    j = (im.join(ad.select("borger_id", "undertema", pl.col("dato").alias("d0"), pl.col("niveau").alias("n0")),
                 left_on=["borger_id", "undertema", "startdato"], right_on=["borger_id", "undertema", "d0"])
         .join(ad.select("borger_id", "undertema", pl.col("dato").alias("d1"), pl.col("niveau").alias("n1")),
               left_on=["borger_id", "undertema", "opfoelgningsdato"], right_on=["borger_id", "undertema", "d1"]))
    change = dict(j.group_by("maaltype").agg((pl.col("n1") - pl.col("n0")).mean()).iter_rows())
    assert change["Udvikle funktionsevne"] < 0 < change["Begrænse tab af funktionsevne"]
    assert abs(change["Fastholde funktionsevne"]) < 0.3
    assert raw["opfoelgninger"].height > 0.5 * im.filter(pl.col("opfoelgningsdato") <= UD).height


def test_maalgrupper_one_primary_and_reportable(demo):
    _, raw, _ = demo
    mg = raw["maalgrupper"]
    prim = mg.filter(pl.col("primaer")).group_by("borger_id").len()
    assert prim.height == raw["borgere"].height and (prim["len"] == 1).all()
    assert mg.filter(~pl.col("primaer")).height > 0
    leaf = yaml.safe_load((ROOT / "config" / "ffb_code_lists.yaml").read_text(encoding="utf-8"))["maalgrupper"]["items"]
    reportable = set()

    def walk(items):
        for i in items:
            if i.get("indberetbar"):
                reportable.add(i["label"])
            walk(i.get("children") or [])
    walk(leaf)
    assert set(mg["maalgruppe"].unique()) <= reportable


def test_tilbud_in_the_kommune(demo):
    _, raw, _ = demo
    t = raw["tilbud"]
    assert (t["kommunekode"] == "0250").all()
    post = pl.read_csv(ROOT / "geo" / "postnumre.csv", schema_overrides={"postnr": pl.String})
    assert set(t["postnr"].unique()) <= set(post["postnr"])
    assert set(t["postnr"].unique()) & {"3600", "3630"}
    assert t.filter(pl.col("tilbud_id") != "1000000001")["pladser"].min() > 0
    assert set(t["driftsform"].drop_nulls().unique()) <= set(load_config().codes.driftsformer)


# ----------------------------------------------------------------------------------------- config
def _config_copy(tmp_path: Path) -> Path:
    d = tmp_path / "config"
    shutil.copytree(ROOT / "config", d)
    return d


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["defekter"].pop("DOBBELT"), "defekter"),
    (lambda c: c["defekter"].update({"ukendt_fejl": 1}), "ukendt_fejl"),
    (lambda c: c["defekter"].update({"DOBBELT": -1}), "defekter.DOBBELT"),
    (lambda c: c["maalgrupper"]["stoette85"].update({"Ikke en målgruppe": 1}), "Ikke en målgruppe"),
    (lambda c: c["databrud"].update({"maaned": "2019-01"}), "databrud.maaned"),
    (lambda c: c["hale_paragraffer"].update({"SEL §999": 1}), "SEL §999"),
    (lambda c: c.update({"ugyldige_ydelsesnavne": ["Længerevarende ophold"]}), "ugyldige_ydelsesnavne"),
    (lambda c: c.update({"profiler": [1, 2]}), "profiler"),
    (lambda c: c["skalaer"].pop("region"), "skalaer"),
    (lambda c: c.update({"vurdering_interval_dage": [400, 100]}), "vurdering_interval_dage"),
])
def test_demo_config_is_validated(tmp_path, monkeypatch, edit, message):
    d = _config_copy(tmp_path)
    data = yaml.safe_load((d / "demo.yaml").read_text(encoding="utf-8"))
    edit(data)
    (d / "demo.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("FFB_WORKBENCH_CONFIG", str(d))
    with pytest.raises(ConfigError) as exc:
        synth.load_demo_config(load_config(d).codes, d)
    assert "demo.yaml" in str(exc.value) and message in str(exc.value)


def test_shipped_demo_config_is_valid():
    cfg = synth.load_demo_config()
    assert set(cfg.defekter) == set(synth.DEFECT_KINDS)


# ----------------------------------------------------------------------------------------- CLI
def test_cli_demo_writes_files(tmp_path):
    out = tmp_path / "cli demo"
    r = subprocess.run([sys.executable, "-m", "workbench", "demo", "--out", str(out), "--seed", "3"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    for t in TABLES:
        assert (out / f"{t}.parquet").is_file()
    assert "ydelser" in r.stdout and "SEL85_ABL105" in r.stdout and "Tid:" in r.stdout
    assert json.loads((out / synth.MANIFEST).read_text(encoding="utf-8"))["seed"] == 3


def test_cli_demo_bad_input(tmp_path):
    from workbench.cli import main
    blocker = tmp_path / "fil"
    blocker.write_text("x")
    r = subprocess.run([sys.executable, "-m", "workbench", "demo", "--out", str(blocker / "sub")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert main(["demo", "--out", str(tmp_path / "x"), "--skala", "planet"]) == 2
    assert not (tmp_path / "x").exists()


def test_write_demo_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        synth.write_demo(tmp_path / "a", skala="by")
    with pytest.raises(ValueError):
        synth.write_demo(tmp_path / "b", seed="1")  # type: ignore[arg-type]


def test_portable_to_duckdb_and_pandas(demo_kommune):
    duckdb = pytest.importorskip("duckdb")
    pd = pytest.importorskip("pandas")
    path = str(demo_kommune / "ydelser.parquet")
    top = duckdb.sql(f"select paragraf, count(*) n from '{path}' group by 1 order by 2 desc limit 1").fetchall()
    assert top[0][0] == "SEL §85"
    df = pd.read_parquet(demo_kommune / "borgere.parquet")
    assert len(df) == pl.read_parquet(demo_kommune / "borgere.parquet").height
    assert str(df["handlekommune"].iloc[0]) == "0250"


def test_natural_keys_are_unique(demo):
    """No accidental duplicate rows: each table is unique on the identity of its rows."""
    _, raw, _ = demo
    keys = {"borgere": ["borger_id"], "maalgrupper": ["borger_id", "maalgruppe", "dato"],
            "funktionsevne": ["borger_id", "dato", "undertema"], "stoettebehov": ["borger_id", "dato", "tema"],
            "indsatsmaal": ["maal_id"], "opfoelgninger": ["maal_id", "dato"], "ydelser": ["ydelse_id"],
            "tilbud": ["tilbud_id"], "betalinger": ["borger_id", "paragraf", "maaned"]}
    for t, k in keys.items():
        assert raw[t].select(k).is_duplicated().sum() == 0, t
    # every indsatsmaal and opfølgning belongs to a known borger / goal
    assert raw["indsatsmaal"].join(raw["borgere"], on="borger_id", how="anti").height == 0
    assert raw["opfoelgninger"].join(raw["indsatsmaal"], on="maal_id", how="anti").height == 0
    assert raw["indsatsmaal"]["opfoelgningsdato"].null_count() == 0


def test_demo_has_ansoegningsdato_and_klager_for_servicemaal(demo):
    """Issue 22: the demo carries ansoegningsdato (realistic spread, some over the servicemål, the
    manifest's few after the bevillingsdato) and a klager table in the contract's code lists."""
    ds, raw, manifest = demo
    y = raw["ydelser"].filter(pl.col("ansoegningsdato").is_not_null())
    days = (y["bevillingsdato"] - y["ansoegningsdato"]).dt.total_days()
    after = y.filter(pl.col("ansoegningsdato") > pl.col("bevillingsdato"))
    assert set(after["ydelse_id"]) == {r["ydelse_id"] for r in manifest["ansoegning_efter_bevilling"]}
    assert 0 < after.height <= 5
    ok = days.filter(days >= 0)
    assert ok.median() < 42 < ok.max()  # most within weeks, some beyond a servicemål
    k = raw["klager"]
    assert k.height == manifest["klager"]["i_alt"] > 0
    assert ds.rejected_counts() == {}
    assert set(k["resultat"].drop_nulls()) <= {"Stadfæstet", "Ændret", "Ophævet", "Hjemvist", "Afvist",
                                               "Genvurderet af kommunen"}


def test_over_capacity_tilbud_are_exactly_those_the_tilbud_page_flags(demo):
    """Issue 20: the demo has tilbud over capacity (listed in the manifest, worked out by the generator
    on its own), and the Tilbud page's belægningsgrad flags exactly those in that month."""
    import datetime as _dt

    from workbench.sider import tilbud

    ds, raw, manifest = demo
    listed = manifest["over_kapacitet"]
    assert listed
    m = _dt.date.fromisoformat(listed[0]["maaned"] + "-01")
    flagged = set()
    for tid, pladser in raw["tilbud"].filter(pl.col("pladser") > 0).select("tilbud_id", "pladser").iter_rows():
        b = tilbud.belaegning(ds, tid, m, m, UD, pladser).collect()
        if b.height and b["over_kapacitet"][0]:
            flagged.add(tid)
    assert flagged == {r["tilbud_id"] for r in listed}
