"""workbench.sider.tilbud / workbench.regler.udvikling / workbench.sider.resultater and the `tilbud` / `resultater`
commands on a small hand-built dataset (every number worked out by hand below), plus consistency
with the borger page's goal statuses on the kommune demo."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from pathlib import Path

import polars as pl
import pytest

from workbench.regler import access, udvikling
from workbench.regler import maalstatus
from workbench.sider import forloeb, resultater, tilbud
from workbench.data.dataset import open_dataset

D = dt.date.fromisoformat
PAA = D("2025-06-30")
UT = "Varetage egen sundhed"  # tema Egenomsorg
UT2 = "Varetage økonomi"  # tema Samfundsliv
BOTILBUD = "Almindeligt længerevarende botilbud til voksne"

# (borger, paragraf, start, slut, tilbud)
YDELSER = [
    ("A", "SEL §108", "2024-01-01", "", "P1"),
    ("B", "SEL §108", "2024-01-01", "", "P1"),
    ("C", "SEL §108", "2024-01-01", "", "P1"),
    ("D", "SEL §108", "2024-06-01", "", "P1"),
    ("E", "SEL §108", "2024-06-01", "", "P1"),
    ("F", "SEL §108", "2024-06-01", "", "P1"),
    ("G", "SEL §108", "2023-01-01", "2023-12-31", "P1"),  # left ...
    ("G", "SEL §108", "2025-01-01", "", "P1"),  # ... and returned
    ("H", "SEL §107", "2024-03-01", "2024-08-31", "P1"),  # handover D -> D+1: one stay
    ("H", "SEL §108", "2024-09-01", "", "P1"),
    ("I", "SEL §108", "2024-01-01", "2025-03-31", "P1"),  # left before the reference date
    ("J", "SEL §107", "2025-03-10", "2025-03-20", "P1"),  # a stay inside one month
    ("K", "SEL §108", "2024-01-01", "", "P2"),  # a peer tilbud of the same type
    ("A", "SEL §85", "2024-01-01", "", "P3"),  # another tilbud of A's (not P1's business)
]
# (borger, dato, undertema, niveau or None = Ikke vurderet)
FE = [
    ("A", "2023-12-01", UT, 3), ("A", "2025-03-01", UT, 1),  # 3 at arrival -> 1: Forbedret
    ("B", "2024-02-01", UT, 2), ("B", "2025-01-01", UT, 2), ("B", "2025-05-01", UT, None),  # Uændret
    ("C", "2024-01-01", UT, 1), ("C", "2025-02-01", UT, 3),  # Forværret
    ("D", "2024-07-01", UT, 2),  # Én vurdering
    ("E", "2024-07-01", UT, None),  # only Ikke vurderet
    # G: niveau 2 while away, 3 after returning: Forværret since the (second) arrival; measured from
    # the first arrival (4) it would wrongly read Forbedret
    ("G", "2023-06-01", UT, 4), ("G", "2024-12-15", UT, 2), ("G", "2025-05-01", UT, 3),
    ("A", "2024-02-01", UT2, 2), ("A", "2025-02-01", UT2, 3),  # A also worse on UT2
]
# (maal_id, borger, maaltype, forventet, start, opfølgning)
GOALS = [
    ("GA1", "A", "Udvikle funktionsevne", 2, "2024-02-01", "2025-03-15"),  # Opnået (recorded Ikke opnået)
    ("GB1", "B", "Udvikle funktionsevne", 1, "2024-03-01", "2025-06-30"),  # follow-up on PAA: Afventer
    ("GC1", "C", "Fastholde funktionsevne", None, "2024-03-01", "2025-07-30"),  # PAA + 30: in the window
    ("GD1", "D", "Udvikle funktionsevne", 1, "2024-06-15", "2025-07-31"),  # PAA + 31: outside
    ("GE1", "E", "Udvikle funktionsevne", 1, "2024-07-01", "2025-06-29"),  # no assessment: overskredet
    ("GI1", "I", "Udvikle funktionsevne", 1, "2024-02-01", "2023-12-01"),  # follow-up before arrival
]


def write(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)

    def put(name: str, header: list[str], rows: list) -> None:
        with open(directory / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(["" if v is None else v for v in r] for r in rows)

    ids = sorted({y[0] for y in YDELSER})
    put("borgere", ["borger_id", "foedselsdato", "koen", "handlekommune", "sagsbehandler", "team"],
        [[b, "1980-01-01", "M", "0250", "SB1" if b < "F" else "SB2", "T1"] for b in ids])
    put("maalgrupper", ["borger_id", "maalgruppe", "primaer", "dato"],
        [[b, "Udviklingshæmning" if b < "F" else "Anden psykisk vanskelighed", "true", "2023-01-01"] for b in ids])
    tema = {UT: "Egenomsorg", UT2: "Samfundsliv"}
    put("funktionsevne", ["borger_id", "dato", "omraade", "tema", "undertema", "niveau"],
        [[b, d, "Aktivitet og deltagelse", tema[u], u, n] for b, d, u, n in FE])
    put("stoettebehov", ["borger_id", "dato", "stoettebehov"], [[b, "2024-01-01", "Moderat støttebehov"] for b in ids])
    put("indsatsmaal", ["maal_id", "borger_id", "undertema", "maaltype", "forventet_niveau", "startdato",
                        "opfoelgningsdato"], [[m, b, UT, t, f, s, o] for m, b, t, f, s, o in GOALS])
    put("opfoelgninger", ["maal_id", "dato", "vurdering"], [["GA1", "2025-03-15", "Ikke opnået"]])
    put("ydelser", ["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato", "slutdato", "tilbud_id"],
        [[f"Y{i:02d}", b, p, "Længerevarende ophold" if p == "SEL §108" else (
            "Midlertidigt ophold" if p == "SEL §107" else "Socialpædagogisk støtte"), s, e, t]
         for i, (b, p, s, e, t) in enumerate(YDELSER)])
    put("tilbud", ["tilbud_id", "navn", "tilbudstype", "driftsform", "pladser"],
        [["P1", "Bocentret", BOTILBUD, "Kommunal", 10], ["P2", "Bostedet", BOTILBUD, "Kommunal", 5],
         ["P3", "Bostøtten", "Mobilt tilbud", "Kommunal", 30]])
    return directory


@pytest.fixture
def ds_dir(tmp_path) -> Path:
    return write(tmp_path / "tilbud_case")


@pytest.fixture
def ds(ds_dir):
    return open_dataset(ds_dir)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    from workbench.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


# --- borgere nu, arrival, left and returned --------------------------------------------------------

def test_borgere_nu_arrival_and_handover(ds):
    b = tilbud.borgere_nu(ds, "P1", PAA).collect()
    assert b["borger_id"].to_list() == ["A", "B", "C", "D", "E", "F", "G", "H"]  # not I (left), not J
    row = {r["borger_id"]: r for r in b.iter_rows(named=True)}
    assert row["G"]["startdato"] == D("2025-01-01") and row["G"]["dage_i_tilbud"] == 181  # returned
    assert row["H"]["startdato"] == D("2024-03-01")  # §107 -> §108 handover is one stay
    assert row["H"]["paragraf"] == "SEL §108"
    assert row["A"]["paragraf"] == "SEL §108"  # A's §85 is at P3
    assert row["A"]["primaer_maalgruppe"] == "Udviklingshæmning"
    assert row["A"]["stoettebehov"] == "Moderat støttebehov"
    # A: better on UT, worse on UT2 -> netted: →
    assert [row[x]["udvikling"] for x in "ABCDEFG"] == ["→", "→", "↓", None, None, None, "↓"]
    assert [row[x]["udvikling_kategori"] for x in "DEF"] == [udvikling.EN_VURDERING, udvikling.IKKE_VURDERET,
                                                            udvikling.IKKE_VURDERET]
    assert row["B"]["naeste_opfoelgning"] == PAA


def test_improved_same_worse_per_undertema(ds):
    u = tilbud.udvikling(ds, "P1", PAA, "undertema").collect()
    ut = u.filter(pl.col("undertema") == UT).row(0, named=True)
    # A improved; B same (a later Ikke vurderet does not erase); C and G worse; D one assessment;
    # E (Ikke vurderet row) and F and H (no rows) not assessed
    assert (ut["borgere"], ut["forbedret"], ut["uaendret"], ut["forvaerret"], ut["en_vurdering"],
            ut["ikke_vurderet"]) == (8, 1, 1, 2, 1, 3)
    assert ut["andel_forbedret"] == pytest.approx(1 / 4)
    ut2 = u.filter(pl.col("undertema") == UT2).row(0, named=True)
    assert (ut2["forbedret"], ut2["forvaerret"], ut2["ikke_vurderet"]) == (0, 1, 7)


def test_rolled_up_per_tema_and_omraade(ds):
    tema = {r["tema"]: r for r in tilbud.udvikling(ds, "P1", PAA, "tema").collect().iter_rows(named=True)}
    assert (tema["Egenomsorg"]["forbedret"], tema["Egenomsorg"]["forvaerret"]) == (1, 2)
    assert (tema["Samfundsliv"]["forvaerret"], tema["Samfundsliv"]["ikke_vurderet"]) == (1, 7)
    om = tilbud.udvikling(ds, "P1", PAA, "omraade").collect().row(0, named=True)
    # per borger over all undertemaer: A 1 up 1 down = same; B same; C, G worse; D one; E, F, H none
    assert (om["borgere"], om["forbedret"], om["uaendret"], om["forvaerret"], om["en_vurdering"],
            om["ikke_vurderet"]) == (8, 0, 2, 2, 1, 3)


def test_start_is_first_assessment_after_arrival(ds):
    rows = tilbud.udvikling_rows(ds, PAA, ["P1"]).filter(pl.col("borger_id") == "B").collect()
    r = rows.row(0, named=True)
    assert (r["start_niveau"], r["start_dato"], r["slut_niveau"], r["slut_dato"]) == (2, D("2024-02-01"), 2,
                                                                                  D("2025-01-01"))


# --- belægning -------------------------------------------------------------------------------------

def test_belaegning_stay_inside_one_month(ds):
    b = {r["maaned"]: r for r in tilbud.belaegning(ds, "P1", D("2025-02-01"), D("2025-04-01"), PAA, 10)
         .collect().iter_rows(named=True)}
    # March: A-I (9 borgere all month) + J 10..20 March
    assert b["2025-03"]["borgere"] == 10
    assert b["2025-03"]["helaarspersoner"] == pytest.approx(9 + 11 / 31)
    assert (b["2025-03"]["tilgang"], b["2025-03"]["afgang"]) == (1, 0)
    assert (b["2025-04"]["borgere"], b["2025-04"]["tilgang"], b["2025-04"]["afgang"]) == (8, 0, 2)  # I and J left
    assert b["2025-04"]["belaegningsgrad"] == pytest.approx(8 / 10)
    assert not b["2025-04"]["over_kapacitet"]
    assert b["2025-03"]["pladser"] == 10


def test_belaegningsgrad_over_capacity_and_named_apart_from_borgere_pr_plads(ds):
    """Issue 20 item 8: belægningsgrad = helårspersoner ÷ pladser (over 100 % flagged); the peer
    comparison's borgere på datoen ÷ pladser is a different figure with its own name."""
    b = {r["maaned"]: r for r in tilbud.belaegning(ds, "P1", D("2025-03-01"), D("2025-03-01"), PAA, 8)
         .collect().iter_rows(named=True)}
    assert b["2025-03"]["belaegningsgrad"] == pytest.approx((9 + 11 / 31) / 8)
    assert b["2025-03"]["over_kapacitet"]
    cols = tilbud.noegletal(ds, PAA, ["P1"]).collect_schema().names()
    assert "borgere_pr_plads" in cols and "belaegning" not in cols and "belaegningsgrad" not in cols
    assert [k for k, _ in tilbud.NOEGLETAL if "plads" in k] == ["borgere_pr_plads"]


def test_liggetid(ds):
    lt = tilbud.liggetid(ds, "P1", D("2024-07-01"), PAA, PAA)
    # ended in the period: I (2024-01-01..2025-03-31 = 456 days) and J (11 days)
    assert (lt.afsluttede, lt.median_dage_afsluttede) == (2, (456 + 11) / 2)
    assert lt.igangvaerende == 8


# --- opfølgninger and målopfyldelse -----------------------------------------------------------------

def test_follow_up_window_boundary_days(ds):
    kommende, over = (x.collect() for x in tilbud.opfoelgninger(ds, "P1", PAA))
    assert kommende["maal_id"].to_list() == ["GB1", "GC1"]  # PAA and PAA+30 in, PAA+31 out
    assert kommende["dage_til"].to_list() == [0, 30]
    assert over["maal_id"].to_list() == ["GE1"]
    assert over["status"].to_list() == [maalstatus.OVERSKREDET]
    # the day after, GB1's follow-up has passed: not in the window any more
    k2, _ = (x.collect() for x in tilbud.opfoelgninger(ds, "P1", PAA + dt.timedelta(days=1)))
    assert "GB1" not in k2["maal_id"].to_list() and "GD1" in k2["maal_id"].to_list()


def test_maalopfyldelse_measured_and_recorded(ds):
    m = {r["maaltype"]: r for r in tilbud.maalopfyldelse(ds, "P1", D("2024-07-01"), PAA, PAA).collect()
         .iter_rows(named=True)}
    u = m["Udvikle funktionsevne"]
    assert (u["maal"], u["opnaaet"], u["afventer"], u["overskredet"], u["ikke_opnaaet"]) == (3, 1, 1, 1, 0)
    assert (u["vurdering_ikke_opnaaet"], u["uden_vurdering"], u["uenighed"]) == (1, 2, 1)
    assert m["I alt"]["maal"] == 3 and "Fastholde funktionsevne" not in m


def test_maalopfyldelse_equals_borger_page_statuses(ds):
    goals = tilbud.maal_i_periode(ds, "P1", D("2024-01-01"), D("2025-12-31"), PAA).collect()
    assert goals.height >= 4
    for b in goals["borger_id"].unique().to_list():
        page = forloeb.borger_goals(ds, b, PAA).collect()
        mine = goals.filter(pl.col("borger_id") == b)
        expect = page.filter(pl.col("maal_id").is_in(mine["maal_id"].to_list())).sort("maal_id")
        assert mine.sort("maal_id")["status"].to_list() == expect["status"].to_list()
        assert mine.sort("maal_id")["vurdering"].to_list() == expect["vurdering"].to_list()


def test_maalopfyldelse_equals_borger_page_on_demo(demo_kommune):
    ds = open_dataset(demo_kommune)
    paa = D("2026-10-31")
    busiest = tilbud.liste(ds, paa).sort("borgere", descending=True).collect()["tilbud_id"][0]
    fra = paa - dt.timedelta(days=364)
    goals = tilbud.maal_i_periode(ds, busiest, fra, paa, paa).collect()
    assert goals.height > 20
    pages = pl.concat([forloeb.borger_goals(ds, b, paa).collect().with_columns(pl.lit(b).alias("borger_id"))
                       for b in goals["borger_id"].unique().sort().to_list()])
    joined = goals.join(pages.select("maal_id", pl.col("status").alias("side_status")), on="maal_id", how="left")
    assert joined.filter(pl.col("status") != pl.col("side_status")).height == 0
    counts = tilbud.maalopfyldelse(ds, busiest, fra, paa, paa).collect().filter(pl.col("maaltype") == "I alt")
    side = pages.filter(pl.col("maal_id").is_in(goals["maal_id"].to_list()))
    assert counts["maal"][0] == side.height
    assert counts["opnaaet"][0] == side.filter(pl.col("status") == maalstatus.OPNAAET).height
    assert counts["ikke_opnaaet"][0] == side.filter(pl.col("status") == maalstatus.IKKE_OPNAAET).height


# --- peers -----------------------------------------------------------------------------------------

def test_peers_with_too_few_borgere_hide_the_statistics(ds):
    s = tilbud.sammenligning(ds, "P1", PAA)
    assert s.tilbudstype == BOTILBUD and s.tilbud_i_alt == 2
    borgere = next(t for t in s.tal if t.noegletal == "borgere")
    # P2 has 1 borger (< 5): it takes no part, and one tilbud is too few for quartiles
    assert borgere.egen == 8 and borgere.skjult and borgere.median is None and borgere.tilbud == 1


def test_peer_quartiles_on_demo(demo_kommune):
    ds = open_dataset(demo_kommune)
    paa = D("2026-10-31")
    lst = tilbud.liste(ds, paa).collect()
    typ = lst.group_by("tilbudstype").len().sort("len", descending=True)["tilbudstype"][0]
    peers = lst.filter(pl.col("tilbudstype") == typ)["tilbud_id"].to_list()
    own = peers[0]
    s = tilbud.sammenligning(ds, own, paa, graense=5)
    table = tilbud.noegletal(ds, paa, peers).collect()
    usable = table.filter((pl.col("borgere") >= 5) | (pl.col("tilbud_id") == own))
    t = next(x for x in s.tal if x.noegletal == "borgere")
    assert t.tilbud == usable.height >= 3
    assert t.median == pytest.approx(float(usable["borgere"].median()))
    assert t.egen == table.filter(pl.col("tilbud_id") == own)["borgere"][0]


# --- resultater ------------------------------------------------------------------------------------

def test_resultater_per_paragraf_and_quarter(ds):
    r = {x["gruppe"]: x for x in resultater.resultater(ds, "paragraf", D("2025-01-01"), PAA, [UT]).collect()
         .iter_rows(named=True)}
    # SEL §108 in the period: A-I and K; on UT from 1 Jan to 30 Jun, only where the borger has a goal
    # on UT (contract: judged by the goal's måltype): A 3->1 up (Udvikle), C 1->3 worse (Fastholde);
    # G 2->3 has no goal on UT and is left out; B (assessed on 1 Jan itself) and D one assessment;
    # E, F, G, H, I, K not counted
    s = r["SEL §108"]
    assert (s["borgere"], s["forbedret"], s["uaendret"], s["forvaerret"], s["en_vurdering"],
            s["ikke_vurderet"]) == (10, 1, 0, 1, 2, 6)
    assert r["SEL §107"]["borgere"] == 1  # J
    assert s["maal"] == 3  # GA1, GB1, GE1 followed up in the period
    q = resultater.trend(ds, "paragraf", D("2025-01-01"), PAA, [UT]).collect()
    assert sorted(set(q["kvartal"].to_list())) == ["2025-K1", "2025-K2"]
    # C worsens in K1 (Fastholde goal on UT); G's worsening in May (K2) has no goal on UT: not counted
    assert q.filter((pl.col("kvartal") == "2025-K1") & (pl.col("gruppe") == "SEL §108"))["forvaerret"][0] == 1
    assert q.filter((pl.col("kvartal") == "2025-K2") & (pl.col("gruppe") == "SEL §108"))["forvaerret"][0] == 0


def test_resultater_groups(ds):
    for pr in resultater.GRUPPER:
        df = resultater.resultater(ds, pr, D("2025-01-01"), PAA).collect()
        assert df.height >= 1 and df["borgere"].sum() >= 1, pr
    t = resultater.resultater(ds, "team", D("2025-01-01"), PAA).collect()
    assert t["gruppe"].to_list() == ["T1"] and t["borgere"][0] == 11
    with pytest.raises(ValueError):
        resultater.undertemaer_for(["Ikke et tema"])
    assert UT in resultater.undertemaer_for(["Egenomsorg"])


# --- the command line -------------------------------------------------------------------------------

def test_cli_tilbud_json(ds_dir):
    code, out, err = run_cli(["tilbud", str(ds_dir), "P1", "--paa", PAA.isoformat()])
    assert code == 0, err
    got = json.loads(out)
    assert (got["tilbud_id"], got["navn"], got["tilbudstype"], got["pladser"]) == ("P1", "Bocentret", BOTILBUD, 10)
    assert [b["borger_id"] for b in got["borgere"]] == ["A", "B", "C", "D", "E", "F", "G", "H"]
    assert got["borgere"][6]["startdato"] == "2025-01-01" and got["borgere"][0]["paragraf"] == "SEL §108"
    assert [g["maal_id"] for g in got["opfoelgninger"]["kommende"]] == ["GB1", "GC1"]
    assert got["udvikling"]["omraade"][0]["forvaerret"] == 2
    assert got["sammenligning"]["tilbud_i_alt"] == 2
    code, out, err = run_cli(["tilbud", str(ds_dir), "P1", "--paa", PAA.isoformat(), "--format", "table"])
    assert code == 0 and "Borgere nu (8)" in out


def test_cli_unknown_tilbud_exit_2(ds_dir):
    code, out, err = run_cli(["tilbud", str(ds_dir), "P9"])
    assert code == 2 and out == "" and err.strip().count("\n") == 0 and "ukendt tilbud" in err


def test_cli_resultater_csv_equals_function(ds_dir, ds):
    code, out, err = run_cli(["resultater", str(ds_dir), "--pr", "paragraf", "--fra", "2025-01-01", "--til",
                              PAA.isoformat(), "--tema", UT, "--format", "csv"])
    assert code == 0, err
    cli = pl.read_csv(io.StringIO(out))
    fn = resultater.resultater(ds, "paragraf", D("2025-01-01"), PAA, [UT]).collect()
    assert cli.select("gruppe", "borgere", "forbedret", "forvaerret", "maal").rows() == fn.select(
        "gruppe", "borgere", "forbedret", "forvaerret", "maal").rows()
    code, _, err = run_cli(["resultater", str(ds_dir), "--pr", "kommune"])
    assert code == 2
    code, _, err = run_cli(["resultater", str(ds_dir), "--pr", "team", "--fra", "2025-06-01", "--til", "2025-01-01"])
    assert code == 2 and "--fra" in err


# --- scope -----------------------------------------------------------------------------------------

def test_tilbudsleder_sees_only_her_tilbud(ds):
    leder = access.Principal("tl", "tilbudsleder", tilbud_ids=("P1",))
    mine = access.scope(ds, leder)
    assert tilbud.liste(mine, PAA).collect()["tilbud_id"].to_list() == ["P1"]
    with pytest.raises(ValueError, match="ukendt tilbud"):
        tilbud.rapport(mine, "P2", PAA)
    r = tilbud.rapport(mine, "P1", PAA, ds_alle=ds)
    assert r.borgere["borger_id"].to_list() == ["A", "B", "C", "D", "E", "F", "G", "H"]
    # A's §85 at P3 is not hers: not in her ydelser, not in her paragraf column
    assert mine.ydelser.filter(pl.col("tilbud_id") == "P3").collect().height == 0
    # the peer comparison gives aggregates only: no field carries another tilbud's id or a borger id
    flat = json.dumps([vars(t) for t in r.sammenligning.tal])
    assert "P2" not in flat and "K" not in flat.replace("null", "")
    other = access.Principal("tl2", "tilbudsleder", tilbud_ids=("P2",))
    assert tilbud.rapport(access.scope(ds, other), "P2", PAA).borgere["borger_id"].to_list() == ["K"]


def test_sagsbehandler_scope_on_tilbud_and_resultater(ds):
    sb = access.Principal("sb", "sagsbehandler", sagsbehandler="SB2")
    mine = access.scope(ds, sb)
    assert tilbud.borgere_nu(mine, "P1", PAA).collect()["borger_id"].to_list() == ["F", "G", "H"]
    r = resultater.resultater(mine, "sagsbehandler", D("2025-01-01"), PAA).collect()
    assert r["gruppe"].to_list() == ["SB2"]


def test_cli_access_log_records_borgere(ds_dir):
    from data_model.db import engine_for
    from workbench.lager import accesslog

    code, _, err = run_cli(["tilbud", str(ds_dir), "P1", "--paa", PAA.isoformat()])
    assert code == 0, err
    log = accesslog.entries(engine_for(ds_dir), borger_id="G")
    assert log.height == 1 and log["handling"][0] == accesslog.VIS_BORGER and log["kilde"][0] == "cli"
    assert "CLI tilbud P1" in log["detalje"][0]
