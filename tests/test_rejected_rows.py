"""Rows that break the contract are never dropped silently: kvalitet lists them, every command warns."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench import cli
from workbench.data.dataset import open_dataset
from workbench.regler.kvalitet import afvist_raekke, findings

BAD_ROWS = (
    "Y2,X,§99x,Noget,2023-13-01,,,,,,,\n"               # unknown paragraf and impossible date
    "Y3,X,85,Støtte til administration,01-03-2023,01.05.2023,,,1000000001,S1,\"2,5\",4800\n"  # valid
)


@pytest.fixture
def bad_dir(borger_x_dir):
    with open(borger_x_dir / "ydelser.csv", "a", encoding="utf-8") as f:
        f.write(BAD_ROWS)
    return borger_x_dir


def test_afvist_raekke_lists_rejected_rows_with_row_number_and_reason(bad_dir):
    got = afvist_raekke(open_dataset(bad_dir)).collect()
    assert got["noegle"].to_list() == ["Y2"]
    assert got["raekke"].to_list() == ["3"]
    assert "paragraf: ugyldig værdi '§99x'" in got["fejl"][0] and "startdato" in got["fejl"][0]


def test_no_rejected_rows_no_finding(borger_x_dir):
    assert afvist_raekke(open_dataset(borger_x_dir)).collect().height == 0
    found = findings(open_dataset(borger_x_dir), dt.date(2023, 6, 2)).collect()
    assert "afvist_raekke" not in found["regel"].to_list()


def test_kvalitet_cli_reports_and_strict_fails(bad_dir, capsys):
    assert cli.main(["kvalitet", str(bad_dir), "--paa", "2023-06-02", "--format", "csv", "--strict"]) == 1
    out, err = capsys.readouterr()
    err = _uden_udtraek(err)
    assert "afvist_raekke,ydelser,Y2," in out and "Række 3 i ydelser" in out
    assert err.count("\n") == 1 and "1 række(r) afvist" in err


@pytest.mark.parametrize("argv", [
    ["overlap", "{d}", "--paa", "2023-06-02"],
    ["optaelling", "{d}", "--fra", "2023-01", "--til", "2023-02"],
    ["forloeb", "{d}", "X", "--paa", "2023-06-02"],
    ["stikproeve", "{d}", "--pr", "sagsbehandler", "--antal", "1", "--seed", "1", "--paa", "2023-03-01"],
])
def test_every_command_warns_once_on_stderr(bad_dir, capsys, argv):
    assert cli.main([a.format(d=bad_dir) for a in argv]) == 0
    err = _uden_udtraek(capsys.readouterr().err)
    assert err.splitlines() == [f"advarsel: 1 række(r) afvist ved indlæsning (ydelser: 1); se 'ffb-workbench kvalitet {bad_dir}'"]


def test_clean_dataset_no_warning(borger_x_dir, capsys):
    assert cli.main(["overlap", str(borger_x_dir), "--paa", "2023-06-02"]) == 0
    assert _uden_udtraek(capsys.readouterr().err) == ""


def test_warning_covers_the_tables_a_command_reads(borger_x_dir, capsys):
    # A funktionsevne row with an unknown undertema: forloeb reads funktionsevne and warns,
    # overlap reads only borgere and ydelser and stays quiet (its result does not depend on the row).
    with open(borger_x_dir / "funktionsevne.csv", "a", encoding="utf-8") as f:
        f.write("X,2023-03-01,Aktivitet og deltagelse,Samfundsliv,Ukendt undertema,1,S1\n")
    assert cli.main(["forloeb", str(borger_x_dir), "X", "--paa", "2023-06-02"]) == 0
    assert "(funktionsevne: 1)" in capsys.readouterr().err
    assert cli.main(["overlap", str(borger_x_dir), "--paa", "2023-06-02"]) == 0
    assert _uden_udtraek(capsys.readouterr().err) == ""
    assert cli.main(["kvalitet", str(borger_x_dir), "--paa", "2023-06-02"]) == 0
    out, err = capsys.readouterr()
    err = _uden_udtraek(err)
    assert "(funktionsevne: 1)" in err and "afvist_raekke,funktionsevne," in out


def _uden_udtraek(err: str) -> str:
    """stderr without the contract's one-line warning for a --paa after a derived udtraeksdato (these
    fixtures have no datasaet.yaml and use --paa the day after the latest event)."""
    return "".join(line for line in err.splitlines(keepends=True) if "udtræksdatoen er ikke angivet" not in line)
