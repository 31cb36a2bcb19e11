"""Sagsoverblik (issue 22 item 1; spec/DATA_CONTRACT.md `sagsoverblik`): every task kind on hand-made
data with hand-computed frist, the command's columns and scope, and the page (AppTest)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest

from data_model.db import engine_for
from tests import helpers
from tests.test_kvalitet import base_rows, make_dir, ydelse
from workbench.data.dataset import open_dataset
from workbench.lager import users
from workbench.regler import access
from workbench.sider import sagsoverblik as so

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "sidefiler" / "sagsoverblik.py")
D = dt.date
PAA = D(2024, 1, 1)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    from workbench.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def maal(mid, borger, start, opf, forventet="1"):
    return {"maal_id": mid, "borger_id": borger, "undertema": "Varetage økonomi", "maaltype": "Udvikle funktionsevne",
            "forventet_niveau": forventet, "startdato": start, "opfoelgningsdato": opf, "ansvarlig": "Myndighed",
            "sagsafgoerelse_id": "S1"}


@pytest.fixture
def ds_dir(tmp_path) -> Path:
    """X (sagsbehandler Z, team Voksen 1) and Y (W, Voksen 2), reference date 01-01-2024:
    X: M1 follow-up 15-01-2024 not yet due (forfalder), M3 follow-up 01-03-2024 (outside 30 days),
       Y1 ends 20-01-2024 (udloeber); assessed 01-06-2023 (VUM fresh).
    Y: M2 follow-up 01-10-2023 never assessed (overskredet), only assessment 15-11-2022 (VUM stale,
       frist 15-11-2023), Y3 ends before it starts (fejl slut_foer_start)."""
    borgere = base_rows("borgere")
    borgere.append({**borgere[0], "borger_id": "Y", "cpr": "0202901234", "foedselsdato": "1990-02-02",
                    "sagsbehandler": "W", "team": "Voksen 2"})
    # X's 01-06-2023 assessment at niveau 2 (fixture: 0), so a goal of niveau 1 asks for a change
    fe = [{**r, "niveau": "2"} if r["dato"] == "2023-06-01" and r["niveau"] else r
          for r in base_rows("funktionsevne")] + [
        {"borger_id": "Y", "dato": "2022-11-15", "omraade": "Aktivitet og deltagelse", "tema": "Samfundsliv",
         "undertema": "Varetage økonomi", "niveau": "3", "sagsafgoerelse_id": "S1"}]
    mg = base_rows("maalgrupper")
    mg.append({**mg[0], "borger_id": "Y"})
    return make_dir(
        tmp_path, borgere=borgere, funktionsevne=fe, opfoelgninger=[], maalgrupper=mg,
        indsatsmaal=[maal("M1", "X", "2023-06-15", "2024-01-15"), maal("M3", "X", "2023-06-15", "2024-03-01"),
                     maal("M2", "Y", "2023-01-01", "2023-10-01", "2")],
        ydelser=[ydelse("Y1", "X", start="2023-06-01", slut="2024-01-20"),
                 ydelse("Y2", "Y", start="2023-01-01", slut=""),
                 ydelse("Y3", "Y", start="2023-05-01", slut="2023-04-01")],
    )


def rows(res: so.Sagsoverblik) -> list[tuple]:
    return [(r["sagsbehandler"], r["borger_id"], r["opgave"], r["frist"], r["noegle"])
            for r in res.opgaver.iter_rows(named=True)]


def test_every_task_kind_hand_computed(ds_dir):
    res = so.sagsoverblik(open_dataset(ds_dir), PAA)
    assert res.opgaver.columns[:5] == ["sagsbehandler", "borger_id", "opgave", "frist", "noegle"]
    assert rows(res) == [
        ("W", "Y", "opfoelgning_overskredet", D(2023, 10, 1), "M2"),
        ("W", "Y", "vum_foraeldet", D(2023, 11, 15), None),
        ("W", "Y", "fund_slut_foer_start", PAA, "Y3"),
        ("Z", "X", "opfoelgning_forfalder", D(2024, 1, 15), "M1"),
        ("Z", "X", "bevilling_udloeber", D(2024, 1, 20), "Y1"),
    ]
    assert res.opgaver["team"].to_list() == ["Voksen 2"] * 3 + ["Voksen 1"] * 2


def test_dage_and_filters(ds_dir):
    ds = open_dataset(ds_dir)
    # 90 days: M3 (01-03-2024) is due too; 10 days: neither M1 (15-01) nor Y1 (20-01)
    assert ("Z", "X", "opfoelgning_forfalder", D(2024, 3, 1), "M3") in rows(so.sagsoverblik(ds, PAA, 90))
    kinds = {r[2] for r in rows(so.sagsoverblik(ds, PAA, 10))}
    assert "opfoelgning_forfalder" not in kinds and "bevilling_udloeber" not in kinds
    assert {r[1] for r in rows(so.sagsoverblik(ds, PAA, sagsbehandler="Z"))} == {"X"}
    assert {r[1] for r in rows(so.sagsoverblik(ds, PAA, team="Voksen 2"))} == {"Y"}
    # the follow-up date itself is not passed: on 15-01-2024 M1 is still due, not overdue
    on = {(r[2], r[4]) for r in rows(so.sagsoverblik(ds, D(2024, 1, 15)))}
    assert ("opfoelgning_forfalder", "M1") in on and ("opfoelgning_overskredet", "M1") not in on


def test_fordeling(ds_dir):
    ds = open_dataset(ds_dir)
    res = so.sagsoverblik(ds, PAA)
    f = so.fordeling(ds, res)
    assert f.columns == so.FORDELING_COLUMNS
    assert f.rows() == [("Z", "Voksen 1", 1, 2, 0), ("W", "Voksen 2", 1, 3, 2)]


def test_command_csv_columns_and_bad_input(ds_dir):
    code, out, err = run_cli(["sagsoverblik", str(ds_dir), "--paa", "2024-01-01"])
    assert code == 0, err
    got = list(csv.DictReader(io.StringIO(out)))
    assert list(got[0])[:5] == ["sagsbehandler", "borger_id", "opgave", "frist", "noegle"]
    assert [(r["opgave"], r["frist"], r["noegle"]) for r in got][:2] == [
        ("opfoelgning_overskredet", "2023-10-01", "M2"), ("vum_foraeldet", "2023-11-15", "")]
    code, out, _ = run_cli(["sagsoverblik", str(ds_dir), "--paa", "2024-01-01", "--sagsbehandler", "Z"])
    assert code == 0 and {r["borger_id"] for r in csv.DictReader(io.StringIO(out))} == {"X"}
    code, out, _ = run_cli(["sagsoverblik", str(ds_dir), "--paa", "2024-01-01", "--fordeling"])
    assert code == 0 and out.splitlines()[0].startswith("sagsbehandler,team,aktive_sager,opgaver,overskredne")
    for bad in (["--dage", "0"], ["--paa", "i går"], ["--sagsbehandler", "Z", "--team", "T"]):
        code, out, err = run_cli(["sagsoverblik", str(ds_dir), *bad])
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (bad, err)


def test_sagsbehandler_sees_only_her_own_borgere(demo_kommune):
    users.bootstrap(engine_for(demo_kommune), demo_kommune)
    sb = users.principal_for(engine_for(demo_kommune), "sagsbehandler")
    mine = set(access.scope(open_dataset(demo_kommune), sb).borgere.collect()["borger_id"].to_list())
    b = open_dataset(demo_kommune).borgere.collect()
    others = set(b.filter(~pl.col("borger_id").is_in(list(mine)))["borger_id"].to_list())
    assert mine and others
    code, out, err = run_cli(["sagsoverblik", str(demo_kommune), "--bruger", "sagsbehandler"])
    assert code == 0, err
    shown = {r["borger_id"] for r in csv.DictReader(io.StringIO(out))}
    assert shown and shown <= mine and not shown & others
    # asking for another sagsbehandler's list gives nothing outside the scope
    other_sb = b.filter(pl.col("borger_id").is_in(list(others)))["sagsbehandler"].drop_nulls()[0]
    code, out, _ = run_cli(["sagsoverblik", str(demo_kommune), "--bruger", "sagsbehandler",
                            "--sagsbehandler", str(other_sb)])
    assert code == 0 and not ({r["borger_id"] for r in csv.DictReader(io.StringIO(out))} & others)
    # and the leader's full list has more
    code, out, _ = run_cli(["sagsoverblik", str(demo_kommune)])
    assert {r["borger_id"] for r in csv.DictReader(io.StringIO(out))} - mine


def test_page_renders_for_demo_sagsbehandler(demo_env, monkeypatch):
    users.bootstrap(engine_for(demo_env), demo_env)
    monkeypatch.setenv("FFB_WORKBENCH_USER", "sagsbehandler")
    sb = users.principal_for(engine_for(demo_env), "sagsbehandler")
    mine = set(access.scope(open_dataset(demo_env), sb).borgere.collect()["borger_id"].to_list())
    at = helpers.run_page(PAGE)
    assert [t.value for t in at.title] == ["Sagsoverblik"]
    tables = [df.value for df in at.dataframe if "Borger" in df.value.columns]
    assert tables, "no task table"
    links = list(tables[0]["Borger"])
    assert links and all(str(x).startswith("borger?borger=") for x in links)
    assert {str(x).split("=")[-1] for x in links} <= mine
    assert all(len(str(x)) == 10 and str(x)[2] == "-" for x in tables[0]["Frist"])  # dd-mm-åååå
    assert not [s for s in at.subheader if s.value.startswith("Fordeling")]  # leaders only


def test_page_leader_sees_fordeling(demo_env, monkeypatch):
    users.bootstrap(engine_for(demo_env), demo_env)
    monkeypatch.setenv("FFB_WORKBENCH_USER", "leder_myndighed")
    at = helpers.run_page(PAGE)
    assert [s.value for s in at.subheader if s.value.startswith("Fordeling")]
    assert [df.value for df in at.dataframe if "Aktive sager" in df.value.columns]


def test_app_lands_sagsbehandler_on_sagsoverblik(demo_env, monkeypatch):
    from streamlit.testing.v1 import AppTest

    users.bootstrap(engine_for(demo_env), demo_env)
    monkeypatch.setenv("FFB_WORKBENCH_USER", "sagsbehandler")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    assert [t.value for t in at.title][:1] == ["Sagsoverblik"]


def test_page_refused_for_udfoerer(demo_env, monkeypatch):
    from streamlit.testing.v1 import AppTest

    users.bootstrap(engine_for(demo_env), demo_env)
    monkeypatch.setenv("FFB_WORKBENCH_USER", "udfoerer")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.dataframe


def _config_with_vum(tmp_path: Path, maaneder) -> Path:
    import shutil

    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    f = target / "app.yaml"
    text = f.read_text(encoding="utf-8")
    assert "vum_maaneder: 12" in text
    f.write_text(text.replace("vum_maaneder: 12", f"vum_maaneder: {maaneder}"), encoding="utf-8")
    return target


def test_vum_window_comes_from_config(ds_dir, tmp_path, monkeypatch):
    """Issue 22 item 4: the 'VUM not updated' window is config/app.yaml sagsoverblik.vum_maaneder.
    X was last assessed 01-06-2023: fresh at 12 months on 01-01-2024, stale at 6 (frist 01-12-2023);
    Y's only assessment 15-11-2022 is stale at both (frist moves with the window). Through the
    function's default and the command alike."""
    ds = open_dataset(ds_dir)
    vum12 = [r for r in rows(so.sagsoverblik(ds, PAA)) if r[2] == "vum_foraeldet"]
    assert vum12 == [("W", "Y", "vum_foraeldet", D(2023, 11, 15), None)]
    monkeypatch.setenv("FFB_WORKBENCH_CONFIG", str(_config_with_vum(tmp_path, 6)))
    assert so.vum_vindue() == 6
    vum6 = [r for r in rows(so.sagsoverblik(ds, PAA)) if r[2] == "vum_foraeldet"]
    assert vum6 == [("W", "Y", "vum_foraeldet", D(2023, 5, 15), None),
                    ("Z", "X", "vum_foraeldet", D(2023, 12, 1), None)]
    code, out, err = run_cli(["sagsoverblik", str(ds_dir), "--paa", "2024-01-01"])
    assert code == 0, err
    assert sorted((r["borger_id"], r["frist"]) for r in csv.DictReader(io.StringIO(out))
                  if r["opgave"] == "vum_foraeldet") == [("X", "2023-12-01"), ("Y", "2023-05-15")]


@pytest.mark.parametrize("bad", ["0", "-3", "tolv", "2.5", "true", "121"])
def test_vum_window_validated_at_load(tmp_path, bad):
    from workbench.data.config import ConfigError, load_config

    with pytest.raises(ConfigError) as exc:
        load_config(_config_with_vum(tmp_path, bad))
    assert "sagsoverblik.vum_maaneder" in str(exc.value) and "app.yaml" in str(exc.value)


def test_tasks_with_the_kvalitet_pages_findings_equal_the_live_tasks(demo_kommune):
    """Issue 24 item 1: the page hands the Kvalitet page's cached findings (same scope, same date) to the
    task list instead of computing them again; the tasks are the same either way."""
    from workbench.data.dataset import open_dataset, udtraeksdato
    from workbench.regler import access, kvalitet
    from workbench.sider import sagsoverblik as so

    ds = access.scope(open_dataset(demo_kommune), access.ADMIN)
    paa = udtraeksdato(ds)
    live = so.sagsoverblik(ds, paa).opgaver
    reused = so.sagsoverblik(ds, paa, fund=kvalitet.findings(ds, paa).collect().lazy()).opgaver
    assert live.height > 0 and reused.equals(live)
