"""One CSV decoder for every read path (issue 23, item 6).

A CSV directory written from the demo, with one stray byte (a single 0xE6 in an otherwise UTF-8 file)
and one genuine Windows-1252 file, gives the same rows through every read path: the direct loader
(open_dataset, what every command reads), the importer, the Import page's preview, and each command
run on the CSV directory and on the data directory the importer wrote.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from data_model.contract import TABLES
from workbench.cli import main
from workbench.data import importer
from workbench.data.dataset import ENCODING_REASON, ERR, ROW, decode_csv, open_dataset

STRAY = "ydelser"      # UTF-8 with one stray cp1252 byte (an 'ø' written as 0xF8 -> here a lone 0xE6)
CP1252 = "funktionsevne"  # the whole file in Windows-1252


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory, demo_kommune) -> Path:
    out = tmp_path_factory.mktemp("csv") / "kommune_csv"
    out.mkdir()
    for f in sorted(demo_kommune.glob("*.parquet")):
        pl.read_parquet(f).write_csv(out / f"{f.stem}.csv", date_format="%Y-%m-%d")
    if (demo_kommune / "datasaet.yaml").is_file():
        shutil.copyfile(demo_kommune / "datasaet.yaml", out / "datasaet.yaml")
    data = (out / f"{STRAY}.csv").read_bytes()
    assert "ø".encode() in data
    (out / f"{STRAY}.csv").write_bytes(data.replace("ø".encode(), b"\xe6", 1))
    text = (out / f"{CP1252}.csv").read_text(encoding="utf-8")
    assert any(c in text for c in "æøå")
    (out / f"{CP1252}.csv").write_bytes(text.encode("cp1252"))
    return out


@pytest.fixture(scope="module")
def imported(csv_dir, tmp_path_factory) -> tuple[Path, importer.ImportResult]:
    data = tmp_path_factory.mktemp("data") / "data"
    return data, importer.import_dataset(csv_dir, data, accepter_afvisninger=True)


def _rows(df: pl.DataFrame) -> list[tuple]:
    """Rows as text, order-free (the loader keeps Enums, a stored version strings)."""
    return sorted(df.select(pl.all().cast(pl.String)).rows(), key=lambda r: tuple("" if v is None else v for v in r))


def test_the_decoder_decides_per_file_on_evidence(csv_dir):
    _, enc, replaced = decode_csv((csv_dir / f"{STRAY}.csv").read_bytes())
    assert (enc, replaced) == ("utf-8", True)
    text, enc, replaced = decode_csv((csv_dir / f"{CP1252}.csv").read_bytes())
    assert (enc, replaced) == ("cp1252", False)
    assert "ø" in text or "æ" in text or "å" in text


def test_loader_importer_and_preview_give_the_same_rows(csv_dir, imported, demo_kommune):
    data, result = imported
    loaded = open_dataset(csv_dir, trust_manifest=False)
    stored = open_dataset(data)
    for name in TABLES:
        if not loaded.has(name):
            continue
        acc, rej = pl.collect_all([loaded.tables[name], loaded.rejected[name]])
        # the importer (phase 1) and the stored version it wrote
        assert _rows(acc) == _rows(result.accepterede[name]), name
        assert _rows(acc) == _rows(stored.tables[name].collect().select(acc.columns)), name
        imp_rej = result.afviste.get(name, pl.DataFrame(schema={ROW: pl.UInt32, ERR: pl.String}))
        assert _rows(rej.select(ROW, ERR)) == _rows(imp_rej.select(ROW, ERR)), name
        # the Import page's preview reads the file the same way (importer.read_source + check_table)
        df, dialect = importer.read_source(loaded.files[name])
        p_acc, p_rej, _, _ = importer.check_table(name, df, importer.TableMapping(), name, importer.load_codes(), dialect)
        assert _rows(p_acc) == _rows(result.accepterede[name]), name
        assert p_rej.height == rej.height, name
    # the stray byte costs exactly its own row; the cp1252 file loses nothing
    stray = loaded.rejected[STRAY].collect()
    assert stray.height == 1 and ENCODING_REASON in stray[ERR][0]
    assert loaded.rejected[CP1252].collect().height == 0
    assert loaded.tables[CP1252].collect().height == pl.read_parquet(demo_kommune / f"{CP1252}.parquet").height


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue()


COMMANDS = {
    "optaelling": ["--fra", "2023-01", "--til", "2023-12"],
    "overlap": [],
    "kvalitet": [],
    "stikproeve": ["--pr", "sagsbehandler", "--antal", "2", "--seed", "1"],
    "oekonomi": ["--periode", "2023"],
    "sagsoverblik": [],
    "resultater": ["--pr", "paragraf"],
    "servicemaal": ["--periode", "2023"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_reads_the_csv_directory_as_the_import_does(command, csv_dir, imported):
    data, result = imported
    code_csv, out_csv = _run([command, str(csv_dir), *COMMANDS[command]])
    code_imp, out_imp = _run([command, str(data), *COMMANDS[command]])
    assert code_csv == code_imp == 0
    # A data directory keeps its rejected rows in karantaene/, not as findings (kvalitet, sagsoverblik):
    # on the CSV directory they are findings, and exactly the importer's.
    rejected = [ln for ln in out_csv.splitlines() if "afvist_raekke," in ln]
    if command in ("kvalitet", "sagsoverblik"):
        assert len(rejected) == result.afvist == 1
        assert ENCODING_REASON in rejected[0]
    out_csv = "".join(ln + "\n" for ln in out_csv.splitlines() if ln not in rejected)
    # the same rows; floats compared to rounding (a sum's order may differ between the two sources)
    for a, b in zip(out_csv.split("\n\n"), out_imp.split("\n\n"), strict=True):  # servicemaal: two tables
        assert_frame_equal(pl.read_csv(io.StringIO(a)), pl.read_csv(io.StringIO(b)), check_exact=False)
    if command == "optaelling":  # every paragraph of the data, not only those without 'æøå§'
        df = pl.read_csv(io.StringIO(out_csv), infer_schema=False)
        assert df["paragraf"].n_unique() > 2, out_csv[:300]


def test_one_decoder_in_the_product():
    """Only laesning.decode_csv (re-exported by dataset) turns a source file's bytes into text: no second cp1252/UTF-8 fallback."""
    import re

    root = Path(__file__).resolve().parents[1] / "workbench"
    pattern = re.compile(r"""\.decode\(\s*["'](cp1252|windows-1252|utf-8-sig|utf-16)["']""")
    owners = {str(p.relative_to(root)) for p in root.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))}
    assert owners == {"data/laesning.py"}, owners
