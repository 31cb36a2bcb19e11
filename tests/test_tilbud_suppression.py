"""Issue 23 item 3 (Tilbud part): a role without the borger list (analytiker) sees no exact count 1..g-1
of the Tilbud report, through sider.tilbud.for_principal, which `ffb-workbench tilbud` calls."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.data.dataset import open_dataset
from workbench.regler import access
from workbench.sider import tilbud

ROOT = Path(__file__).resolve().parents[1]
PAA = dt.date(2024, 6, 30)


@pytest.fixture
def ds_dir(tmp_path) -> Path:
    out = tmp_path / "ds"
    shutil.copytree(ROOT / "tests" / "fixtures" / "borger_x", out)
    with open(out / "ydelser.csv", "a", encoding="utf-8") as fh:  # X is in the tilbud on PAA: one borger
        fh.write("Y2,X,SEL §85,Støtte til administration,2023-06-02,,2023-06-02,2023-06-02,1000000001,S2,2,4800\n")
    return out


def test_analytiker_sees_no_count_of_one(ds_dir):
    r = tilbud.rapport(open_dataset(ds_dir), "1000000001", PAA)
    assert r.belaegning["borgere"].max() == 1 and r.liggetid.igangvaerende == 1  # exact: one borger
    a = tilbud.for_principal(r, access.Principal("a", "analytiker"))
    assert set(a.belaegning["borgere"].to_list()) == {"<5"}
    # helårspersoner and belægningsgrad rest on that one borger: hidden
    assert set(a.belaegning["helaarspersoner"].to_list()) == {"x"}
    assert a.liggetid.igangvaerende == "<5" and a.liggetid.median_dage_igangvaerende is None
    assert a.borgere.height == 0  # no per-borger rows
    # a role with the borger list sees the report unchanged
    assert tilbud.for_principal(r, access.Principal("s", "sagsbehandler")) is r


def test_cli_tilbud_as_analytiker_is_suppressed(ds_dir, capsys):
    assert main(["tilbud", str(ds_dir), "1000000001", "--paa", PAA.isoformat(), "--bruger", "analytiker"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {m["borgere"] for m in out["belaegning"]["maaneder"]} <= {"<5", "0"}
    assert out["belaegning"]["liggetid"]["igangvaerende"] == "<5"
    assert out["borgere"] == []


def test_resultater_table_for_analytiker():
    import polars as pl

    from workbench.sider import resultater

    df = pl.DataFrame({"gruppe": ["A", "B"], "borgere": [2, 12], "forbedret": [1, 6], "andel_forbedret": [0.5, 0.5],
                       "maal": [7, 3], "opnaaet": [3, 3], "andel_opnaaet": [3 / 7, 1.0]})
    got = resultater.for_principal(df, access.Principal("a", "analytiker"))
    # Danish text (workbench.format.dansk.tal_expr): shares with up to two decimals
    assert got.rows() == [("A", "<5", "<5", "x", "7", "<5", "0,43"),
                          ("B", "12", "6", "0,5", "<5", "<5", "x")]
    assert resultater.for_principal(df, access.Principal("s", "sagsbehandler")) is df


def test_cli_resultater_pr_tilbud_as_analytiker(ds_dir, capsys):
    assert main(["resultater", str(ds_dir), "--pr", "tilbud", "--paa", PAA.isoformat(), "--bruger", "analytiker",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["borgere"] == "<5" for r in rows)
