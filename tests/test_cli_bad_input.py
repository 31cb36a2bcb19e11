"""Bad input files through every CLI command that reads data (issue 23, item 7).

A systematic probe: bad inputs (malformed CSV rows, wrong types, bad dates, truncated Parquet, wrong
column names, empty files, extra columns, bad encodings, ...) x the commands that read a dataset. On
every run: no traceback and no English library message on stderr; a failure is exit 2 with exactly
ONE line that names the file. Runs in-process through workbench.cli.main with stderr captured at the
file-descriptor level too (a Rust-side print would show), so the whole grid stays fast.

`python -m tests.test_cli_bad_input` prints the counts (runs with English / with more than one line).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Callable

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "borger_x"

# Words and phrases of Polars, pyarrow, fastexcel, Python and argparse messages; none is Danish.
ENGLISH = re.compile(
    r"Traceback|\b(found|could not|cannot|can't|expected|invalid|error|failed|unable|the|column|file|"
    r"schema|dtype|conversion|not supported|out of spec|buffer|offset|EOF|magic|footer|unexpected|"
    r"consider|setting|empty CSV|no data|did not|does not|must be|unknown|value|parse|decode|codec|"
    r"byte|bytes|position|Exception|panicked|called|utf-8 stream|length|metadata|Schema|while|parsing|"
    r"sequence|scanner|character|line|end of stream|found)\b|"
    r"[A-Z][a-z]+Error\b",
    re.IGNORECASE,
)
# Danish words that ENGLISH would otherwise flag ('value' never, but 'fil'/'kolonne' are fine)
ALLOWED = re.compile(r"ffb-workbench|\.parquet|\.csv|\.xlsx|\.yaml|utf-8|UTF-8|cp1252")


def english(text: str) -> list[str]:
    """The English words in a stderr text (file names and encoding names taken out first)."""
    return [m.group(0) for m in ENGLISH.finditer(ALLOWED.sub(" ", text))]


# --- bad inputs: each mutates a copy of Borger X and names the file the message must name ----------

def _csv(d: Path, table: str) -> Path:
    return d / f"{table}.csv"


def _lines(d: Path, table: str) -> list[str]:
    return _csv(d, table).read_text(encoding="utf-8").splitlines()


def _write_lines(d: Path, table: str, lines: list[str]) -> None:
    _csv(d, table).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _to_parquet(d: Path, table: str, frame: Callable[[pl.DataFrame], pl.DataFrame] = lambda f: f) -> Path:
    src = _csv(d, table)
    df = pl.read_csv(src, infer_schema=False)
    src.unlink()
    target = d / f"{table}.parquet"
    frame(df).write_parquet(target)
    return target


def extra_field(d):  # one row with a field more than the header
    lines = _lines(d, "ydelser")
    _write_lines(d, "ydelser", lines + [lines[1] + ",overskud"])
    return "ydelser.csv"


def open_quote(d):
    lines = _lines(d, "ydelser")
    _write_lines(d, "ydelser", lines + ['Y2,X,"SEL §85,Støtte,2023-01-01,,,,,,,'])
    return "ydelser.csv"


def empty_file(d):
    _csv(d, "ydelser").write_bytes(b"")
    return "ydelser.csv"


def blank_lines_only(d):
    _csv(d, "borgere").write_bytes(b"\n\n\n")
    return "borgere.csv"


def header_only(d):
    _write_lines(d, "opfoelgninger", _lines(d, "opfoelgninger")[:1])
    return None


def missing_column(d):
    lines = _lines(d, "ydelser")
    _write_lines(d, "ydelser", [lines[0].replace("paragraf", "paragraf_tekst")] + lines[1:])
    return "ydelser"


def duplicate_column(d):
    lines = _lines(d, "borgere")
    _write_lines(d, "borgere", [lines[0] + ",team"] + [ln + ",Voksen 2" for ln in lines[1:]])
    return "borgere.csv"


def extra_columns(d):
    lines = _lines(d, "ydelser")
    _write_lines(d, "ydelser", [lines[0] + ",ekstra,Endnu En"] + [ln + ",1,2" for ln in lines[1:]])
    return None


def bad_dates(d):
    lines = _lines(d, "ydelser")
    _write_lines(d, "ydelser", lines + [lines[1].replace("Y1", "Y9").replace("2023-01-01", "31-02-2023")])
    return None


def wrong_types(d):
    lines = _lines(d, "funktionsevne")
    _write_lines(d, "funktionsevne", lines + [lines[1].replace(",,S1", ",høj,S1")])
    return None


def utf16(d):  # Excel's 'Unicode text': read by its BOM
    text = _csv(d, "ydelser").read_text(encoding="utf-8")
    _csv(d, "ydelser").write_bytes(text.encode("utf-16"))
    return None


def cp1252(d):
    text = _csv(d, "ydelser").read_text(encoding="utf-8")
    _csv(d, "ydelser").write_bytes(text.encode("cp1252"))
    return None


def stray_byte(d):
    data = _csv(d, "funktionsevne").read_bytes()
    _csv(d, "funktionsevne").write_bytes(data.replace(b"Mentale", b"Ment\xe6le", 1))
    return None


def nul_bytes(d):
    _csv(d, "ydelser").write_bytes(_csv(d, "ydelser").read_bytes().replace(b"Y1", b"Y\x001"))
    return "ydelser.csv"


def binary_csv(d):
    _csv(d, "ydelser").write_bytes(bytes(range(256)) * 8)
    return "ydelser.csv"


def garbage_parquet(d):
    _csv(d, "ydelser").unlink()
    (d / "ydelser.parquet").write_bytes(bytes(range(256)) * 16)
    return "ydelser.parquet"


def truncated_parquet(d):
    f = _to_parquet(d, "ydelser")
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    return "ydelser.parquet"


def corrupt_parquet_pages(d):  # header and footer intact, the data pages overwritten
    f = _to_parquet(d, "ydelser", lambda f: pl.concat([f] * 200))
    data = bytearray(f.read_bytes())
    for i in range(8, len(data) // 2):
        data[i] = 0xFF
    f.write_bytes(bytes(data))
    return "ydelser.parquet"


def parquet_missing_column(d):
    _to_parquet(d, "ydelser", lambda f: f.drop("paragraf"))
    return "ydelser"


def empty_parquet(d):
    _csv(d, "ydelser").unlink()
    (d / "ydelser.parquet").write_bytes(b"")
    return "ydelser.parquet"


def parquet_list_column(d):  # a text column stored as a list: no cast to the contract type
    _to_parquet(d, "ydelser", lambda f: f.with_columns(pl.col("ydelse").map_elements(lambda v: [v, v],
                                                                                      return_dtype=pl.List(pl.String))))
    return "ydelser.parquet"


def parquet_struct_dates(d):
    _to_parquet(d, "ydelser", lambda f: f.with_columns(pl.struct(pl.col("startdato").alias("d")).alias("startdato")))
    return "ydelser.parquet"


def parquet_int_dates(d):
    _to_parquet(d, "ydelser", lambda f: f.with_columns(pl.lit(20230101, pl.Int64).alias("startdato")))
    return None


def garbage_xlsx(d):
    _csv(d, "tilbud").unlink()
    (d / "tilbud.xlsx").write_bytes(b"PK\x03\x04 not really a zip file" * 10)
    return "tilbud.xlsx"


def borger_rejected(d):  # Borger X's row is rejected (bad koen): forloeb X warns, then refuses
    lines = _lines(d, "borgere")
    _write_lines(d, "borgere", [lines[0], lines[1].replace(",K,", ",Q,")])
    return "X"


def bad_yaml(d):
    (d / "datasaet.yaml").write_text("udtraeksdato: [2023-06-01\n", encoding="utf-8")
    return "datasaet.yaml"


CASES = {f.__name__: f for f in (
    extra_field, open_quote, empty_file, blank_lines_only, header_only, missing_column, duplicate_column,
    extra_columns, bad_dates, wrong_types, utf16, cp1252, stray_byte, nul_bytes, binary_csv, garbage_parquet,
    truncated_parquet, corrupt_parquet_pages, parquet_missing_column, empty_parquet, parquet_list_column, parquet_struct_dates, parquet_int_dates,
    garbage_xlsx, borger_rejected, bad_yaml)}

COMMANDS = {
    "optaelling": ["--fra", "2023-01", "--til", "2023-06"],
    "overlap": [],
    "kvalitet": [],
    "forloeb": ["X", "--paa", "2023-06-02"],
    "stikproeve": ["--pr", "sagsbehandler", "--antal", "1", "--seed", "1", "--paa", "2023-03-01"],
    "tilbud": ["1000000001", "--paa", "2023-06-01"],
    "resultater": ["--pr", "paragraf", "--til", "2023-06-01"],
    "oekonomi": ["--periode", "2023-Q1"],
    "sagsoverblik": [],
    "servicemaal": ["--periode", "2023"],
    "rapport": ["--periode", "2023-01", "--niveau", "drift", "--out", "{tmp}/r.html"],
    "import": ["--til", "{tmp}/data", "--accepter-afvisninger"],
}


def run_case(command: str, case: str, root: Path) -> tuple[int, str, str | None]:
    """(exit code, everything written to stderr, the file the message must name) of one run."""
    from workbench.cli import main

    work = Path(tempfile.mkdtemp(dir=root))
    d = work / "ds"
    shutil.copytree(FIXTURE, d)
    names = CASES[case](d)
    argv = [command, str(d), *[a.replace("{tmp}", str(work)) for a in COMMANDS[command]]]
    err = io.StringIO()
    with tempfile.TemporaryFile() as fd_err, contextlib.ExitStack() as stack:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(fd_err.fileno(), 2)
        try:
            stack.enter_context(contextlib.redirect_stderr(err))
            stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("default")
            warnings.showwarning = lambda m, c, f, n, file=None, line=None: print(
                warnings.formatwarning(m, c, f, n, line), file=sys.stderr, end="")
            code = main(argv)
        finally:
            stack.close()
            os.dup2(saved, 2)
            os.close(saved)
        fd_err.seek(0)
        text = err.getvalue() + fd_err.read().decode("utf-8", errors="replace")
    return code, text, names


# Inputs a command reads with rows rejected or as they are (exit 0): their stderr must still be Danish.
ACCEPTED = {"header_only", "extra_columns", "bad_dates", "wrong_types", "utf16", "cp1252", "stray_byte",
            "parquet_int_dates", "borger_rejected"}
# ... except on these commands, which refuse it (after a warning about the rejected rows: still one line)
REFUSED = {("forloeb", "borger_rejected")}
# Commands that take seconds on a readable dataset: the refusals (which stop at the loader) run on them,
# the accepted inputs only on the others (their warnings come from the same loader and commands/common).
SLOW = {"resultater", "rapport", "tilbud", "overlap"}
GRID = [(c, k) for c in COMMANDS for k in CASES if k not in ACCEPTED or c not in SLOW or (c, k) in REFUSED]


def accepted(command: str, case: str) -> bool:
    return case in ACCEPTED and (command, case) not in REFUSED


def problems(command: str, case: str, code: int, err: str, names: str | None) -> list[str]:
    """What is wrong with one run (empty: fine)."""
    out = []
    if "Traceback" in err:
        out.append("traceback")
    if english(err):
        out.append(f"English {english(err)}")
    if (code == 0) != accepted(command, case) or code not in (0, 2):
        out.append(f"exit {code}")
    lines = err.strip().splitlines()
    if code != 0 and len(lines) != 1:
        out.append(f"{len(lines)} lines")
    if code != 0 and names and not (lines and names in lines[-1]):
        out.append(f"does not name {names}")
    return [f"{command} {case}: {p}: {err.strip()[:200]!r}" for p in out]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_input_is_one_danish_line(command, tmp_path):
    """Every bad input on one command (one test per command: the grid's runs are cheap, a test is not)."""
    found, ran = [], 0
    for cmd, case in GRID:
        if cmd == command:
            code, err, names = run_case(command, case, tmp_path)
            found += problems(command, case, code, err, names)
            ran += 1
    assert ran >= len(CASES) - len(ACCEPTED)
    assert not found, "\n".join(found)


MAPPINGS = {
    "yaml": b"tabeller: [ydelser\n",
    "latin1": "tabeller:\n  ydelser:\n    kolonner: {Støtte: ydelse}\n".encode("cp1252"),
    "unknown_key": b"tabeller:\n  ydelser:\n    omdoeb: {a: b}\n",
    "binary": bytes(range(256)),
    "directory": None,
}


@pytest.mark.parametrize("kind", list(MAPPINGS))
def test_bad_mapping_file_is_one_danish_line(kind, tmp_path):
    """The import's other input file, --mapping: the same rule."""
    from workbench.cli import main

    mapping = tmp_path / "mapping.yaml"
    if MAPPINGS[kind] is None:
        mapping.mkdir()
    else:
        mapping.write_bytes(MAPPINGS[kind])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["import", str(FIXTURE), "--til", str(tmp_path / "data"), "--mapping", str(mapping)])
    lines = err.getvalue().strip().splitlines()
    assert code == 2 and len(lines) == 1, err.getvalue()
    assert "mapping.yaml" in lines[0] and not english(lines[0]), lines[0]
    assert not (tmp_path / "data").exists()


def tally() -> None:
    """Counts over the grid: runs, exit codes, runs with English on stderr, failing runs with more than one
    line, runs with any problem (as the test judges them)."""
    english_runs, multi, bad, codes = [], [], [], {}
    with tempfile.TemporaryDirectory() as root:
        for command, case in GRID:
            code, err, names = run_case(command, case, Path(root))
            codes[code] = codes.get(code, 0) + 1
            if english(err):
                english_runs.append((command, case, err.strip().splitlines()[-1][:160] if err.strip() else ""))
            if code != 0 and len(err.strip().splitlines()) != 1:
                multi.append((command, case, err.strip()[:200]))
            bad += problems(command, case, code, err, names)[:1]
    print(f"runs {len(GRID)}  exit codes {codes}  english {len(english_runs)}  multi-line {len(multi)}  "
          f"with a problem {len(bad)}")
    for row in english_runs:
        print("EN", *row)
    for row in multi:
        print("ML", *row)
    for row in bad:
        print("PB", row)


if __name__ == "__main__":
    os.environ.setdefault("FFB_WORKBENCH_HOME", tempfile.mkdtemp())
    tally()
