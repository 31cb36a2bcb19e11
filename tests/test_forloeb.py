"""`forloeb` / workbench.sider.forloeb: udgangsniveau, seneste_niveau and the four statuses
(spec/DATA_CONTRACT.md), the edge cases decided in workbench/sider/forloeb.py, and Borger X (seed 003)
end to end through the command line."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from workbench import cli
from workbench.data.dataset import open_dataset
from workbench.regler.maalstatus import AFVENTER, IKKE_OPNAAET, OPNAAET, OVERSKREDET
from workbench.sider.forloeb import forloeb, niveau_segments, search_borgere

ROOT = Path(__file__).resolve().parents[1]
D = dt.date.fromisoformat
UT = "Varetage økonomi"
UT2 = "Drikke"  # another Aktivitet og deltagelse undertema (tema Egenomsorg)
START, OPF = "2023-01-10", "2023-06-01"


def write_case(directory: Path, fe: list[tuple], goals: list[dict]) -> Path:
    """A minimal contract dataset for borger 'T'. fe: (dato, niveau or None[, undertema])."""
    directory.mkdir(parents=True, exist_ok=True)

    def put(name: str, header: list[str], rows: list[list]) -> None:
        with open(directory / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(["" if v is None else v for v in r] for r in rows)

    put("borgere", ["borger_id", "cpr", "foedselsdato", "koen", "handlekommune"],
        [["T", "0202801234", "1980-02-02", "M", "0250"]])
    put("maalgrupper", ["borger_id", "maalgruppe", "primaer", "dato"],
        [["T", "Anden psykisk vanskelighed", "true", "2023-01-01"]])
    tema = {UT: "Samfundsliv", UT2: "Egenomsorg"}
    put("funktionsevne", ["borger_id", "dato", "omraade", "tema", "undertema", "niveau"],
        [["T", r[0], "Aktivitet og deltagelse", tema[r[2] if len(r) > 2 else UT], r[2] if len(r) > 2 else UT, r[1]]
         for r in fe])
    put("stoettebehov", ["borger_id", "dato", "stoettebehov"], [["T", "2023-01-01", "Let støttebehov"]])
    cols = ["maal_id", "borger_id", "undertema", "maaltype", "forventet_niveau", "startdato", "opfoelgningsdato"]
    put("indsatsmaal", cols, [[g.get("maal_id", "G1"), "T", g.get("undertema", UT), g["maaltype"],
                               g.get("forventet_niveau"), g.get("startdato", START),
                               g.get("opfoelgningsdato", OPF)] for g in goals])
    put("ydelser", ["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato", "slutdato", "tilbud_id"],
        [["Y1", "T", "SEL §85", "Støtte til administration", "2023-01-01", "", "T1"]])
    put("tilbud", ["tilbud_id", "navn", "tilbudstype"], [["T1", "Bostøtten", "Mobilt tilbud"]])
    return directory


def goals_of(directory: Path, paa: str) -> dict[str, dict]:
    result = forloeb(open_dataset(directory), "T", D(paa))
    return {g["maal_id"]: g for g in result["indsatsmaal"]}


# --- each måltype × status -----------------------------------------------------------------------
# Baseline niveau 2 before start. (maaltype, forventet, a niveau that meets it, one that does not).
# Fastholde gets forventet 4 so that comparing against forventet instead of udgangsniveau would fail.
MAALTYPER = [
    ("Udvikle funktionsevne", 1, 1, 2),
    ("Begrænse tab af funktionsevne", 3, 3, 4),
    ("Fastholde funktionsevne", 4, 2, 3),
]
# (case, niveau after start: 'met' | 'unmet' | None, reference date, expected status)
SCENARIOS = [
    ("opnaaet_foer_opfoelgning", "met", "2023-04-01", OPNAAET),
    ("opnaaet_efter_opfoelgning", "met", "2023-09-01", OPNAAET),
    ("afventer_uden_vurdering", None, "2023-05-01", AFVENTER),
    ("afventer_ikke_naaet", "unmet", "2023-05-01", AFVENTER),
    ("ikke_opnaaet", "unmet", "2023-06-02", IKKE_OPNAAET),
    ("overskredet", None, "2023-06-02", OVERSKREDET),
]


@pytest.mark.parametrize("maaltype,forventet,met,unmet", MAALTYPER, ids=[m[0].split()[0] for m in MAALTYPER])
@pytest.mark.parametrize("case,after,paa,expected", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_maaltype_status(tmp_path, maaltype, forventet, met, unmet, case, after, paa, expected):
    fe = [("2023-01-05", 2)]
    if after is not None:
        fe.append(("2023-03-01", met if after == "met" else unmet))
    d = write_case(tmp_path / "ds", fe, [{"maaltype": maaltype, "forventet_niveau": forventet}])
    g = goals_of(d, paa)["G1"]
    assert g["status"] == expected
    assert g["udgangsniveau"] == 2
    assert g["seneste_niveau"] == (2 if after is None else (met if after == "met" else unmet))
    assert g["forventet_niveau"] == forventet
    assert g["maaltype"] == maaltype


# --- Ikke vurderet ---------------------------------------------------------------------------------

def test_ikke_vurderet_as_latest_is_skipped_not_zero(tmp_path):
    # Latest row is Ikke vurderet: seneste_niveau is the latest *assessed* niveau (1), not null or 0.
    d = write_case(tmp_path / "ds", [("2023-01-05", 2), ("2023-03-01", 1), ("2023-04-01", None)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    g = goals_of(d, "2023-05-01")["G1"]
    assert (g["udgangsniveau"], g["seneste_niveau"], g["status"]) == (2, 1, OPNAAET)


def test_only_ikke_vurderet_after_start_is_no_assessment(tmp_path):
    # forventet 0: if Ikke vurderet were read as 0 the goal would look met.
    d = write_case(tmp_path / "ds", [("2023-01-05", 2), ("2023-03-01", None)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 0}])
    before, after = goals_of(d, "2023-05-01")["G1"], goals_of(d, "2023-06-02")["G1"]
    assert (before["seneste_niveau"], before["status"]) == (2, AFVENTER)
    assert (after["seneste_niveau"], after["status"]) == (2, OVERSKREDET)


def test_ikke_vurderet_on_startdato_takes_earlier_baseline(tmp_path):
    d = write_case(tmp_path / "ds", [("2022-12-01", 3), (START, None), ("2023-03-01", 2)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 2}])
    g = goals_of(d, "2023-04-01")["G1"]
    assert (g["udgangsniveau"], g["seneste_niveau"], g["status"]) == (3, 2, OPNAAET)


def test_no_assessment_at_all(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-01-05", None)],
                   [{"maaltype": "Fastholde funktionsevne", "forventet_niveau": 2}])
    g = goals_of(d, "2023-07-01")["G1"]
    assert g["udgangsniveau"] is None and g["seneste_niveau"] is None
    assert g["status"] == OVERSKREDET


def test_ikke_vurderet_is_a_gap_in_the_step_chart():
    rows = pl.DataFrame({"dato": [D("2023-01-01"), D("2023-02-01"), D("2023-03-01")], "niveau": [2, None, 1]})
    seg = niveau_segments(rows, D("2023-04-01"))
    assert seg.select("fra", "til", "niveau").rows() == [
        (D("2023-01-01"), D("2023-02-01"), 2),
        (D("2023-03-01"), D("2023-04-01"), 1),
    ]
    assert 0 not in seg["niveau"].to_list()
    assert seg["fald_fra"].to_list() == [None, None]  # no connector across the gap


# --- dates around the start ------------------------------------------------------------------------

def test_assessment_exactly_on_startdato_is_baseline_not_followup(tmp_path):
    # The startdato assessment (2) is the baseline and does not count as a follow-up assessment.
    # (Had it already met forventet, the goal would ask for nothing: Opnået ved start.)
    d = write_case(tmp_path / "ds", [("2022-12-01", 3), (START, 2)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    g = goals_of(d, "2023-05-01")["G1"]
    assert (g["udgangsniveau"], g["seneste_niveau"], g["status"]) == (2, 2, AFVENTER)
    assert goals_of(d, "2023-06-02")["G1"]["status"] == OVERSKREDET


def test_assessment_the_day_after_start_counts(tmp_path):
    d = write_case(tmp_path / "ds", [("2022-12-01", 3), ("2023-01-11", 1)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    g = goals_of(d, "2023-01-11")["G1"]
    assert (g["udgangsniveau"], g["seneste_niveau"], g["status"]) == (3, 1, OPNAAET)


def test_no_assessment_after_startdato(tmp_path):
    d = write_case(tmp_path / "ds", [("2022-12-01", 3), ("2023-01-05", 2)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    # nothing was assessed after start: still waiting.
    g = goals_of(d, "2023-03-01")["G1"]
    assert (g["udgangsniveau"], g["seneste_niveau"], g["status"]) == (2, 2, AFVENTER)


def test_followup_date_equal_to_reference_date_is_not_passed(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-01-05", 2)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    assert goals_of(d, OPF)["G1"]["status"] == AFVENTER
    assert goals_of(d, "2023-06-02")["G1"]["status"] == OVERSKREDET
    d2 = write_case(tmp_path / "ds2", [("2023-01-05", 2), ("2023-03-01", 2)],
                    [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    assert goals_of(d2, OPF)["G1"]["status"] == AFVENTER
    assert goals_of(d2, "2023-06-02")["G1"]["status"] == IKKE_OPNAAET


def test_followup_on_udtraeksdato_through_cli(tmp_path, capsys):
    # Without --paa the reference date is the dataset's udtraeksdato (here from datasaet.yaml), not
    # today; a follow-up on that day is not passed.
    d = write_case(tmp_path / "ds", [("2020-01-05", 2)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1, "startdato": "2020-01-10",
                     "opfoelgningsdato": "2020-01-10"}])
    (d / "datasaet.yaml").write_text("udtraeksdato: 2020-01-10\n", encoding="utf-8")
    assert cli.main(["forloeb", str(d), "T", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["paa"] == "2020-01-10"
    assert out["indsatsmaal"][0]["status"] == AFVENTER


def test_several_goals_on_one_undertema(tmp_path):
    # G1 from 10 Jan (baseline 3), assessed 2 on 1 Mar; G2 starts 1 Mar on that assessment (baseline 2),
    # G3 Fastholde from 1 Apr. On 1 Jul: niveau 2 still the latest.
    d = write_case(
        tmp_path / "ds", [("2023-01-05", 3), ("2023-03-01", 2), ("2023-04-15", 2, UT2)],
        [
            {"maal_id": "G1", "maaltype": "Udvikle funktionsevne", "forventet_niveau": 2},
            {"maal_id": "G2", "maaltype": "Udvikle funktionsevne", "forventet_niveau": 1, "startdato": "2023-03-01",
             "opfoelgningsdato": "2023-09-01"},
            {"maal_id": "G3", "maaltype": "Fastholde funktionsevne", "forventet_niveau": 2,
             "startdato": "2023-04-01", "opfoelgningsdato": "2023-06-30"},
        ],
    )
    goals = goals_of(d, "2023-07-01")
    assert [goals[k]["udgangsniveau"] for k in ("G1", "G2", "G3")] == [3, 2, 2]
    assert [goals[k]["seneste_niveau"] for k in ("G1", "G2", "G3")] == [2, 2, 2]
    # G3: the 15 Apr assessment is on another undertema and does not count for it.
    assert [goals[k]["status"] for k in ("G1", "G2", "G3")] == [OPNAAET, AFVENTER, OVERSKREDET]


# --- edge cases decided in workbench/sider/forloeb.py ------------------------------------------------

def test_forventet_null_is_never_opnaaet(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-01-05", 2), ("2023-03-01", 0)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": None}])
    assert goals_of(d, "2023-05-01")["G1"]["status"] == AFVENTER
    assert goals_of(d, "2023-06-02")["G1"]["status"] == IKKE_OPNAAET
    ds = open_dataset(d)
    from workbench.sider.forloeb import borger_goals
    assert borger_goals(ds, "T", D("2023-05-01")).collect()["vurderbar"].to_list() == [False]


def test_fastholde_without_baseline_is_never_opnaaet(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-03-01", 0)],
                   [{"maaltype": "Fastholde funktionsevne", "forventet_niveau": 2}])
    g = goals_of(d, "2023-06-02")["G1"]
    assert (g["udgangsniveau"], g["seneste_niveau"], g["status"]) == (None, 0, IKKE_OPNAAET)


def test_no_opfoelgningsdato_never_overdue(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-01-05", 2), ("2023-03-01", 2)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1, "opfoelgningsdato": None},
                    {"maal_id": "G2", "maaltype": "Udvikle funktionsevne", "forventet_niveau": 1,
                     "startdato": "2023-04-01", "opfoelgningsdato": None}])
    goals = goals_of(d, "2030-01-01")
    assert goals["G1"]["opfoelgningsdato"] is None
    assert (goals["G1"]["status"], goals["G2"]["status"]) == (AFVENTER, AFVENTER)


def test_reference_date_hides_later_rows(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-01-05", 2), ("2023-03-01", 1)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1},
                    {"maal_id": "G2", "maaltype": "Fastholde funktionsevne", "startdato": "2023-08-01"}])
    result = forloeb(open_dataset(d), "T", D("2023-02-01"))
    assert [g["maal_id"] for g in result["indsatsmaal"]] == ["G1"]  # G2 not started yet
    assert result["indsatsmaal"][0]["seneste_niveau"] == 2
    assert result["indsatsmaal"][0]["status"] == AFVENTER
    assert [r["dato"] for r in result["funktionsevne"]] == [D("2023-01-05")]


def test_same_day_assessments_take_the_worst(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-01-05", 2), ("2023-03-01", 1), ("2023-03-01", 3)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    g = goals_of(d, "2023-04-01")["G1"]
    assert (g["seneste_niveau"], g["status"]) == (3, AFVENTER)


def test_funktionsevne_sorted_by_undertema_then_dato(tmp_path):
    d = write_case(tmp_path / "ds", [("2023-03-01", 1), ("2023-01-05", None, UT2), ("2023-01-05", 2)],
                   [{"maaltype": "Udvikle funktionsevne", "forventet_niveau": 1}])
    rows = forloeb(open_dataset(d), "T", D("2023-04-01"))["funktionsevne"]
    assert [(r["undertema"], r["dato"].isoformat(), r["niveau"]) for r in rows] == [
        (UT2, "2023-01-05", None), (UT, "2023-01-05", 2), (UT, "2023-03-01", 1)]


# --- Borger X (seed 003) end to end ---------------------------------------------------------------

def _expected_x() -> dict:
    data = json.loads((ROOT / "tests/fixtures/borger_x/expected_forloeb.json").read_text(encoding="utf-8"))
    data.pop("_about")
    return data


def _check_x(out: dict) -> None:
    expected = _expected_x()
    assert out["borger_id"] == expected["borger_id"]
    assert len(out["indsatsmaal"]) == len(expected["indsatsmaal"])
    for got, want in zip(out["indsatsmaal"], expected["indsatsmaal"]):
        assert {k: got[k] for k in want} == want
    assert set(out) >= {"borger_id", "funktionsevne", "indsatsmaal", "ydelser", "stoettebehov"}
    oekonomi = [r for r in out["funktionsevne"] if r["undertema"] == "Varetage økonomi"]
    assert [(r["dato"], r["niveau"]) for r in oekonomi] == [("2023-01-21", 2), ("2023-06-01", 0)]
    assert [r["stoettebehov"] for r in out["stoettebehov"]] == ["Let støttebehov", "Intet støttebehov"]
    assert [(y["paragraf"], y["slutdato"]) for y in out["ydelser"]] == [("SEL §85", "2023-06-01")]


def test_borger_x_subprocess(borger_x_dir):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "forloeb", str(borger_x_dir), "X", "--paa", "2023-06-02",
         "--format", "json"],
        capture_output=True, text=True, cwd=ROOT, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    _check_x(json.loads(proc.stdout))


def test_borger_x_cli_main(borger_x_dir, capsys):
    assert cli.main(["forloeb", str(borger_x_dir), "X", "--paa", "2023-06-02", "--format", "json"]) == 0
    _check_x(json.loads(capsys.readouterr().out))


def test_borger_x_before_followup(borger_x_dir, capsys):
    # 1 May 2023: only the baseline exists -> waiting; seneste = udgangsniveau = 2.
    assert cli.main(["forloeb", str(borger_x_dir), "X", "--paa", "2023-05-01"]) == 0
    g = json.loads(capsys.readouterr().out)["indsatsmaal"][0]
    assert (g["udgangsniveau"], g["seneste_niveau"], g["status"]) == (2, 2, AFVENTER)


def test_table_format(borger_x_dir, capsys):
    assert cli.main(["forloeb", str(borger_x_dir), "X", "--paa", "2023-06-02", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "Indsatsmål (1)" in out and "Opnået" in out and "Varetage økonomi" in out


def test_unknown_borger_exit_2(borger_x_dir, capsys):
    assert cli.main(["forloeb", str(borger_x_dir), "NOPE", "--paa", "2023-06-02"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    # the derived-udtraeksdato warning for --paa the day after the latest event is not the error line
    lines = [x for x in captured.err.strip().splitlines() if "udtræksdatoen er ikke angivet" not in x]
    assert len(lines) == 1 and "NOPE" in lines[0] and "Traceback" not in captured.err


def test_unknown_borger_subprocess_no_traceback(borger_x_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "forloeb", str(borger_x_dir), "NOPE"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_bad_date_exit_2(borger_x_dir, capsys):
    assert cli.main(["forloeb", str(borger_x_dir), "X", "--paa", "31-31-2023"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# --- search ----------------------------------------------------------------------------------------

def test_search_by_full_cpr_returns_masked(borger_x_dir):
    from workbench.regler import access
    ds = open_dataset(borger_x_dir)
    scoped = access.scope(ds, access.ADMIN)
    for q in ("010190-1234", "0101901234"):
        hit = search_borgere(scoped.borgere, q, raw_borgere=ds.borgere).collect()
        assert hit["borger_id"].to_list() == ["X"]
        assert hit["cpr"].to_list() == ["010190-xxxx"]
    assert search_borgere(scoped.borgere, "010190-9999", raw_borgere=ds.borgere).collect().height == 0
    assert search_borgere(scoped.borgere, "010190", raw_borgere=ds.borgere).collect()["borger_id"].to_list() == ["X"]
    assert search_borgere(scoped.borgere, "x").collect()["borger_id"].to_list() == ["X"]


def test_out_of_scope_borger_is_unknown_and_view_is_logged(borger_x_dir, capsys):
    from data_model.db import engine_for
    from workbench.lager import accesslog, users

    eng = engine_for(borger_x_dir)
    users.create_user(eng, "u2", "udfoerer", None, tilbud_ids=["999"])
    users.create_user(eng, "u1", "udfoerer", None, tilbud_ids=["1000000001"])
    assert cli.main(["forloeb", str(borger_x_dir), "X", "--paa", "2023-06-02", "--bruger", "u2"]) == 2
    assert "ukendt borger: X" in capsys.readouterr().err
    assert cli.main(["forloeb", str(borger_x_dir), "X", "--paa", "2023-06-02", "--bruger", "u1"]) == 0
    assert json.loads(capsys.readouterr().out)["indsatsmaal"][0]["status"] == OPNAAET
    log = accesslog.entries(eng, handling="vis_borger")
    assert log.height == 1 and log["bruger"][0] == "u1" and log["kilde"][0] == "cli"


def test_demo_dataset_borger_x(demo_kommune, capsys):
    assert cli.main(["forloeb", str(demo_kommune), "X", "--paa", "2023-06-02", "--format", "json"]) == 0
    _check_x(json.loads(capsys.readouterr().out))


def test_borger_x_contract_command_prints_only_json_on_both_streams(tmp_path):
    """The contract's Borger X check reads stdout and stderr together: `forloeb … --paa 2023-06-02
    --format json` on a dataset without datasaet.yaml (derived udtræksdato 01-06-2023) prints the JSON
    and nothing else, and it holds the expected values (the derived-date warning is for table/csv)."""
    import json
    import shutil
    import subprocess
    import sys

    d = tmp_path / "bx"
    shutil.copytree(ROOT / "tests" / "fixtures" / "borger_x", d)
    got = subprocess.run([sys.executable, "-m", "workbench", "forloeb", str(d), "X", "--paa", "2023-06-02",
                          "--format", "json"], cwd=ROOT, capture_output=True, text=True)
    assert got.returncode == 0 and got.stderr == ""
    out = json.loads(got.stdout)
    expected = json.loads((d / "expected_forloeb.json").read_text(encoding="utf-8"))
    for key, value in expected.items():
        if not key.startswith("_"):
            assert out[key] == value, key
    # the human-readable table still carries the warning
    tab = subprocess.run([sys.executable, "-m", "workbench", "forloeb", str(d), "X", "--paa", "2023-06-02",
                          "--format", "table"], cwd=ROOT, capture_output=True, text=True)
    assert tab.returncode == 0 and "udtræksdatoen er ikke angivet" in tab.stderr


def test_only_borger_keeps_exactly_the_follow_ups_of_the_borgers_goals(demo_kommune):
    """only_borger narrows opfoelgninger by the borger's goal ids as values (a filter the Parquet reader
    can use) instead of a semi join: the same rows, for a borger with goals and follow-ups, one with
    goals only, and one without goals."""
    ds = open_dataset(demo_kommune)
    goals = ds.indsatsmaal.select("borger_id", "maal_id").collect()
    followed = ds.opfoelgninger.select("maal_id").unique().collect()
    with_fu = goals.join(followed, on="maal_id", how="semi")["borger_id"].sort()[0]
    without_fu = goals.join(followed, on="maal_id", how="anti")["borger_id"].sort()
    no_goals = ds.borgere.join(ds.indsatsmaal, on="borger_id", how="anti").select("borger_id").collect()["borger_id"]
    cases = [with_fu, *without_fu[:1], *no_goals[:1]]
    assert with_fu and len(cases) >= 2
    for b in cases:
        mine = ds.indsatsmaal.filter(pl.col("borger_id") == b).select("maal_id")
        want = ds.opfoelgninger.join(mine, on="maal_id", how="semi").collect().sort(pl.all())
        got = ds.only_borger(b).opfoelgninger.collect().sort(pl.all())
        assert got.equals(want), b
    assert ds.only_borger(with_fu).opfoelgninger.collect().height > 0
