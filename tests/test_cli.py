"""Command line contract: bad input exits 2 with exactly one line on stderr and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
STIK = ["--pr", "sagsbehandler", "--antal", "1", "--seed", "1", "--paa", "2023-03-01"]


def run_module(*argv: str) -> subprocess.CompletedProcess:
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    return subprocess.run([python, "-m", "workbench", *argv], capture_output=True, text=True, cwd=ROOT, timeout=300)


def assert_one_line_exit_2(code: int, err: str, *needles: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0]


def break_ydelser_column(directory: Path) -> None:
    (directory / "ydelser.csv").write_text("ydelse_id,borger_id,ydelse,startdato\nY1,X,a,2023-01-01\n")


def garbage_parquet(directory: Path) -> None:
    (directory / "ydelser.csv").unlink()
    (directory / "ydelser.parquet").write_bytes(bytes(range(256)) * 16)


# --- through a real process ------------------------------------------------------------------------

def test_subprocess_missing_dir(tmp_path):
    proc = run_module("stikproeve", str(tmp_path / "findes-ikke"), *STIK)
    assert_one_line_exit_2(proc.returncode, proc.stderr, "findes ikke")
    assert proc.stdout == ""


def test_subprocess_missing_required_column(borger_x_dir):
    break_ydelser_column(borger_x_dir)
    proc = run_module("stikproeve", str(borger_x_dir), *STIK)
    assert_one_line_exit_2(proc.returncode, proc.stderr, "ydelser", "paragraf")


def test_subprocess_garbage_file_on_import(borger_x_dir, tmp_path):
    garbage_parquet(borger_x_dir)
    proc = run_module("import", str(borger_x_dir), "--til", str(tmp_path / "data"))
    assert_one_line_exit_2(proc.returncode, proc.stderr, "ydelser.parquet")
    assert not (tmp_path / "data").exists()


def test_subprocess_success(borger_x_dir):
    proc = run_module("stikproeve", str(borger_x_dir), *STIK)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("sagsbehandler,nr,borger_id")
    assert ",X," in proc.stdout.splitlines()[1]


# --- through cli.main -----------------------------------------------------------------------------

def test_missing_dir(tmp_path, capsys):
    code = main(["stikproeve", str(tmp_path / "nope"), *STIK])
    assert_one_line_exit_2(code, capsys.readouterr().err, "findes ikke")


def test_missing_required_column(borger_x_dir, capsys):
    break_ydelser_column(borger_x_dir)
    code = main(["stikproeve", str(borger_x_dir), *STIK])
    assert_one_line_exit_2(code, capsys.readouterr().err, "ydelser", "'paragraf'")


def test_missing_required_table(borger_x_dir, capsys):
    (borger_x_dir / "borgere.csv").unlink()
    code = main(["stikproeve", str(borger_x_dir), *STIK])
    assert_one_line_exit_2(code, capsys.readouterr().err, "borgere")


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_garbage_file(borger_x_dir, capsys, suffix):
    (borger_x_dir / "ydelser.csv").unlink()
    (borger_x_dir / f"ydelser{suffix}").write_bytes(bytes((i * 31 + 7) % 256 for i in range(8192)))
    code = main(["stikproeve", str(borger_x_dir), *STIK])
    assert_one_line_exit_2(code, capsys.readouterr().err, "ydelser")


@pytest.mark.parametrize("date", ["2023-13-01", "32-01-2023", "i går", "2023/01/01"])
def test_bad_date_argument(borger_x_dir, capsys, date):
    code = main(["stikproeve", str(borger_x_dir), "--pr", "team", "--antal", "1", "--seed", "1", "--paa", date])
    assert_one_line_exit_2(code, capsys.readouterr().err, "dato")


def test_import_missing_source(tmp_path, capsys):
    code = main(["import", str(tmp_path / "nope"), "--til", str(tmp_path / "data")])
    assert_one_line_exit_2(code, capsys.readouterr().err, "findes ikke")


def test_import_without_til_is_a_usage_error(borger_x_dir, capsys):
    code = main(["import", str(borger_x_dir)])
    assert_one_line_exit_2(code, capsys.readouterr().err, "--til")


@pytest.mark.parametrize("argv", [[], ["ukendt-kommando"], ["stikproeve"], ["bench", "--skala", "galakse"],
                                  ["bench", "--repeats", "0"]])
def test_usage_errors(argv, capsys):
    assert_one_line_exit_2(main(argv), capsys.readouterr().err)


def test_config_error_is_exit_2(borger_x_dir, tmp_path, monkeypatch, capsys):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    for f in (ROOT / "config").iterdir():
        if f.is_file():
            (cfg / f.name).write_bytes(f.read_bytes())
    (cfg / "paragraffer.yaml").write_text("paragraffer: [\n", encoding="utf-8")
    monkeypatch.setenv("FFB_WORKBENCH_CONFIG", str(cfg))
    code = main(["stikproeve", str(borger_x_dir), *STIK])
    assert_one_line_exit_2(code, capsys.readouterr().err, "paragraffer.yaml")


def test_data_dir_written_by_import_is_accepted(borger_x_dir, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["import", str(borger_x_dir), "--til", str(data), "--format", "csv"]) == 0
    capsys.readouterr()
    assert main(["stikproeve", str(data), *STIK, "--format", "json"]) == 0
    assert '"borger_id": "X"' in capsys.readouterr().out
