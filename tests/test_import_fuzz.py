"""Property-based fuzzing of the import path (issue 12, hypothesis).

Profiles (FFB_FUZZ_PROFIL): `ci` (default, bounded: 1 100 cases in all, well under a minute) and `lang`
(10x the cases, for local runs: FFB_FUZZ_PROFIL=lang pytest tests/test_import_fuzz.py). Run with
`--hypothesis-show-statistics` to see the case counts.

Invariants on every case: never a traceback (only DatasetError, one line, CPR masked), never a partial
version (a refused import leaves the data directory byte for byte as it was; a landed one is complete
and current), never a row lost (read = accepted + rejected per table), never a formula exported
unescaped (stored quarantine CSV and the CSV/Excel downloads).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_model.contract import TABLES
from workbench.data import importer
from workbench.data.dataset import DatasetError
from workbench.format.export import FORMULA_PATTERN, NUMBER_PATTERN

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "borger_x"
BASE = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
settings.register_profile("ci", max_examples=1, **BASE)
settings.register_profile("lang", max_examples=10, **BASE)
PROFILE = os.environ.get("FFB_FUZZ_PROFIL", "ci")
SCALE = 10 if PROFILE == "lang" else 1
# cases per test in the ci profile (sum 1 030); the lang profile multiplies by 10
CASES = {"bytes": 350, "cells": 350, "full": 120, "truncated": 80, "wide": 30, "encodings": 100}
UNMASKED_CPR = re.compile(r"(?<!\d)\d{10}(?!\d)|(?<!\d)\d{6}-\d{4}(?!\d)")
FORMULA = re.compile(FORMULA_PATTERN)
NUMBER = re.compile(NUMBER_PATTERN)
CODES = importer.load_codes()
SETTINGS = importer.import_settings()
pytestmark = pytest.mark.slow  # 1 030 hypothesis cases: about 30 s of CPU


def cases(name: str):
    return settings(max_examples=CASES[name] * SCALE, **BASE)


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(directory.rglob("*")) if p.name != importer.LOCK_FILE}


def assert_no_formula(cells) -> None:
    for c in cells:
        if isinstance(c, str) and FORMULA.match(c):
            assert NUMBER.match(c), f"formula exported unescaped: {c[:40]!r}"


def assert_message(exc: DatasetError) -> None:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text
    assert not UNMASKED_CPR.search(text), text


def csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    df = pl.read_csv(io.BytesIO(text.encode()), separator=";", infer_schema=False) if text.strip() else pl.DataFrame()
    return [v for col in df.columns for v in df[col].to_list()] + df.columns


def check_table_invariants(table: str, path: Path) -> None:
    """Read + type one file: DatasetError or a clean partition; exports escaped."""
    try:
        df, dialect = importer.read_source(path)
        acc, rej, blank, _ = importer.check_table(table, df, importer.TableMapping(), path.name, CODES, dialect)
    except DatasetError as exc:
        assert_message(exc)
        return
    assert df.height - blank == acc.height + rej.height
    if rej.height:
        assert not rej[importer.ERR].str.contains(r"(?:^|\D)\d{10}(?:\D|$)").any()
        assert_no_formula(csv_cells(importer.quarantine_csv({table: rej}, mask_cpr=False)))


def check_import(src: Path, data: Path, accept: bool = True) -> None:
    """A whole import: refused without a trace, or landed complete and current."""
    before = snapshot(data)
    versions_before = importer.list_versions(data)
    try:
        r = importer.import_dataset(src, data, accepter_afvisninger=accept)
    except DatasetError as exc:
        assert_message(exc)
        assert snapshot(data) == before
        return
    assert importer.current_version(data) == r.version
    assert importer.list_versions(data) == versions_before + [r.version]
    vdir = data / "versions" / r.version
    assert (vdir / importer.REPORT).is_file()
    for t in r.tabeller:
        assert t.laest == t.accepteret + t.afvist
        assert pl.read_parquet(vdir / f"{t.tabel}.parquet").height == t.accepteret
        if t.afvist:
            q = pl.read_csv(vdir / "karantaene" / f"{t.tabel}.csv", infer_schema=False)
            assert q.height == t.afvist
            assert_no_formula([v for c in q.columns for v in q[c].to_list()] + q.columns)
    assert not [p for p in (data / "versions").iterdir() if p.name.startswith(".")]


def fresh_src(root: Path) -> Path:
    src = Path(tempfile.mkdtemp(dir=root))
    for f in FIXTURE.glob("*.csv"):
        shutil.copyfile(f, src / f.name)
    return src


@pytest.fixture(scope="module")
def root():
    d = Path(tempfile.mkdtemp(prefix="ffb-fuzz-"))
    importer.import_dataset(FIXTURE, d / "skabelon")  # a data directory with one version
    yield d
    shutil.rmtree(d, ignore_errors=True)


def fresh_data(root: Path) -> Path:
    """A copy of the one-version data directory (each case starts from a known previous version)."""
    target = Path(tempfile.mkdtemp(dir=root)) / "data"
    shutil.copytree(root / "skabelon", target)
    return target


# --- strategies ------------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x\",\"klik\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=1+1", "\t=1",
            "\r=2", "-5", "=cmd|'/c calc'!A1"]
HUGE = st.integers(1_000, 200_000).map(lambda n: "x" * n)
CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(FORMULAS),
    st.sampled_from(["", " ", "31-02-2023", "2023-13-01", "01.01.1900", "9999-12-31", "§85", "SEL §999", "Ja", "nej",
                     "1,5", "1.234,50", "NaN", "inf", "-0", "0101901234", "010190-1234", "Y1", "X", "\"", "a;b", "a,b",
                     "Let", "Udvikle", "K", "mand", "0250", "12345", "æøå", "Ã¦Ã¸", "\x00"]),
    HUGE,
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
)


def csv_bytes(header: list[str], rows: list[list[str]], sep: str, encoding: str) -> bytes:
    buf = io.StringIO()
    pl.DataFrame({f"c{i}": [r[i] if i < len(r) else "" for r in rows] for i in range(len(header))},
                 schema={f"c{i}": pl.String for i in range(len(header))}).rename(
        {f"c{i}": h for i, h in enumerate(header)}, strict=False).write_csv(buf, separator=sep) if len(
        set(header)) == len(header) else buf.write(sep.join(header) + "\n")
    return buf.getvalue().encode(encoding, errors="replace")


@st.composite
def table_files(draw):
    table = draw(st.sampled_from(list(TABLES)))
    cols = [c.name for c in TABLES[table].columns]
    header = draw(st.lists(st.sampled_from(cols + ["ekstra", "raekke", "fejl", "Borger ID"]), min_size=1,
                           max_size=len(cols) + 3, unique=True))
    if draw(st.booleans()):
        header = [c.name for c in TABLES[table].columns if c.required] + [h for h in header if h not in cols]
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=12))
    # duplicate ids: repeat some rows verbatim
    if rows and draw(st.booleans()):
        rows = rows + rows[: draw(st.integers(1, len(rows)))]
    sep = draw(st.sampled_from([",", ";"]))
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    rows = [[c.replace("\x00", "") if enc != "utf-8" else c for c in r] for r in rows]
    return table, csv_bytes(header, rows, sep, enc)


# --- properties ----------------------------------------------------------------------------------

@cases("bytes")
@given(table=st.sampled_from(list(TABLES)), data=st.binary(max_size=3000))
def test_random_bytes_never_crash(root, table, data):
    f = Path(tempfile.mkdtemp(dir=root)) / f"{table}.csv"
    f.write_bytes(data)
    check_table_invariants(table, f)
    xl = f.with_suffix(".xlsx")
    xl.write_bytes(b"PK\x03\x04" + data)
    check_table_invariants(table, xl)
    pq = f.with_suffix(".parquet")
    pq.write_bytes(b"PAR1" + data)
    check_table_invariants(table, pq)


@cases("cells")
@given(tf=table_files())
def test_wrong_types_formulas_huge_fields_duplicates(root, tf):
    table, data = tf
    f = Path(tempfile.mkdtemp(dir=root)) / f"{table}.csv"
    f.write_bytes(data)
    check_table_invariants(table, f)


@cases("full")
@given(tf=table_files(), accept=st.booleans())
def test_full_import_lands_whole_or_not_at_all(root, tf, accept):
    table, data = tf
    src = fresh_src(root)
    for old in src.glob(f"{table}.*"):
        old.unlink()
    (src / f"{table}.csv").write_bytes(data)
    check_import(src, fresh_data(root), accept)


@cases("truncated")
@given(table=st.sampled_from(["borgere", "ydelser", "funktionsevne", "indsatsmaal"]), cut=st.integers(0, 2000),
       fmt=st.sampled_from(["csv", "parquet", "xlsx"]))
def test_truncated_files(root, table, cut, fmt):
    src = fresh_src(root)
    raw = pl.read_csv(src / f"{table}.csv", infer_schema=False)
    (src / f"{table}.csv").unlink()
    target = src / f"{table}.{fmt}"
    if fmt == "csv":
        data = raw.write_csv().encode()
    elif fmt == "parquet":
        buf = io.BytesIO()
        raw.write_parquet(buf)
        data = buf.getvalue()
    else:
        buf = io.BytesIO()
        raw.write_excel(buf)
        data = buf.getvalue()
    target.write_bytes(data[: cut % (len(data) + 1)])
    check_import(src, fresh_data(root))


@cases("wide")
@given(n=st.integers(1, 2_000), rows=st.integers(0, 3))
def test_very_many_empty_columns(root, n, rows):
    header = ["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato"] + [f"tom{i}" for i in range(n)]
    body = ["Y1,X,§85,Støtte,2023-01-01" + "," * n for _ in range(rows)]
    src = fresh_src(root)
    (src / "ydelser.csv").write_text("\n".join([",".join(header), *body]) + "\n", encoding="utf-8")
    check_import(src, fresh_data(root))


@cases("encodings")
@given(lines=st.lists(st.tuples(st.sampled_from(["utf-8", "cp1252"]), st.sampled_from(
    ["Støtte til administration", "Længerevarende ophold", "Socialpædagogisk støtte", "Aflastning"])),
    min_size=1, max_size=60))
def test_mixed_encodings_inside_one_file(root, lines):
    src = fresh_src(root)
    out = [b"ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato"]
    for i, (enc, name) in enumerate(lines):
        out.append(f"Y{i},X,§85,{name},2023-01-01,".encode(enc))
    (src / "ydelser.csv").write_bytes(b"\n".join(out) + b"\n")
    df, dialect = importer.read_source(src / "ydelser.csv")
    acc, rej, _, _ = importer.check_table("ydelser", df, importer.TableMapping(), "ydelser.csv", CODES, dialect)
    assert acc.height + rej.height == len(lines)
    # whatever encoding wins, no accepted row carries a replacement character or mojibake
    assert not acc["ydelse"].cast(pl.String).str.contains("\ufffd|Ã").any()
    if dialect.encoding == "utf-8":
        assert acc.height == sum(1 for enc, _ in lines if enc == "utf-8")
    assert_no_formula(csv_cells(importer.quarantine_csv({"ydelser": rej}))) if rej.height else None


def test_a_million_empty_columns_is_refused_fast(root):
    src = fresh_src(root)
    (src / "ydelser.csv").write_bytes(b"ydelse_id" + b"," * 1_000_000 + b"\n")
    data = root / "wide"
    with pytest.raises(DatasetError, match="max_kolonner"):
        importer.import_dataset(src, data)
    assert not data.exists()
