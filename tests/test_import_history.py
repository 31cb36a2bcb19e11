"""Import (issue 12): dialects, encoding on strong evidence, dry run, rejection threshold,
udtraeksdato, versions/rollback (CLI), lock against concurrent imports, kill -9, CPR masking."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from workbench.data import importer
from workbench.cli import main
from workbench.data.dataset import DatasetError, open_dataset, peek_version, resolve_dir, udtraeksdato

T0 = dt.datetime(2026, 11, 23, 12, 0, 0)
ROOT = Path(__file__).resolve().parents[1]


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(directory.rglob("*")) if p.name != importer.LOCK_FILE}


def many_ydelser(src: Path, n: int, bad: int, encoding: str = "utf-8", sep: str = ",") -> None:
    lines = [sep.join(["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato", "slutdato"])]
    for i in range(n):
        start = "31-02-2023" if i < bad else "01-02-2023"
        lines.append(sep.join([f"Y{i}", "X", "§85", "Støtte til administration", start, ""]))
    (src / "ydelser.csv").write_bytes(("\n".join(lines) + "\n").encode(encoding))


# --- dialects and encoding ------------------------------------------------------------------------

def test_dialect_detected_per_file(tmp_path):
    f = tmp_path / "ydelser.csv"
    f.write_bytes("ydelse_id;beløb;dato\nY1;12,5;01-02-2023\nY2;3,25;15-03-2024\n".encode("cp1252"))
    df, d = importer.read_source(f)
    assert (d.encoding, d.separator, d.decimal, d.date_format, d.replaced) == ("cp1252", ";", ",", "DD-MM-YYYY", False)
    assert df.columns == ["ydelse_id", "beloeb", "dato"]
    f.write_bytes("\ufeffydelse_id,x,dato\nY1,1.5,2023-02-01\n".encode("utf-8"))
    _, d = importer.read_source(f)
    assert (d.encoding, d.separator, d.decimal, d.date_format) == ("utf-8 (BOM)", ",", ".", "YYYY-MM-DD")


def test_a_few_invalid_utf8_bytes_reject_those_rows_not_the_whole_file(borger_x_dir, tmp_path):
    lines = ["ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato"]
    lines += [f"Y{i},X,SEL §85,Støtte til administration,2023-01-01," for i in range(40)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # two rows get a stray Windows-1252 byte (ø in cp1252) inside an otherwise UTF-8 file
    data = data.replace(b"Y7,X", b"Y7\xf8,X").replace(b"Y20,X", b"Y20\xf8,X")
    (borger_x_dir / "ydelser.csv").write_bytes(data)
    _, d = importer.read_source(borger_x_dir / "ydelser.csv")
    assert d.encoding == "utf-8" and d.replaced
    r = importer.import_dataset(borger_x_dir, tmp_path / "data", now=T0)
    y = next(t for t in r.tabeller if t.tabel == "ydelser")
    assert (y.laest, y.accepteret, y.afvist) == (40, 38, 2)
    q = pl.read_csv(y.karantaene, infer_schema=False)
    assert q["raekke"].to_list() == ["9", "22"]
    assert all(importer.ENCODING_REASON in f for f in q["fejl"].to_list())
    stored = open_dataset(tmp_path / "data").ydelser.collect()
    assert stored["ydelse"].to_list() == ["Støtte til administration"] * 38  # not mojibake


def test_a_cp1252_file_is_read_as_cp1252(borger_x_dir, tmp_path):
    many_ydelser(borger_x_dir, 10, 0, encoding="cp1252", sep=";")
    r = importer.import_dataset(borger_x_dir, tmp_path / "data", now=T0)
    assert next(t for t in r.tabeller if t.tabel == "ydelser").accepteret == 10
    assert open_dataset(tmp_path / "data").ydelser.collect()["ydelse"][0] == "Støtte til administration"


# --- dry run and rejection threshold ----------------------------------------------------------------

def test_dry_run_writes_nothing(borger_x_dir, tmp_path):
    data = tmp_path / "data"
    importer.import_dataset(borger_x_dir, data, now=T0)
    before = snapshot(data)
    many_ydelser(borger_x_dir, 100, 30)
    r = importer.import_dataset(borger_x_dir, data, toerkoersel=True, now=T0 + dt.timedelta(hours=1))
    assert r.toerkoersel and r.version is None and r.over_graense == ["ydelser (30,0 %)"]
    assert r.afviste["ydelser"].height == 30
    assert snapshot(data) == before
    assert not (tmp_path / "tom").exists()
    importer.import_dataset(borger_x_dir, tmp_path / "tom", toerkoersel=True)
    assert not (tmp_path / "tom").exists()


def test_rejection_rate_over_threshold_refuses_whole_unless_accepted(borger_x_dir, tmp_path, capsys):
    data = tmp_path / "data"
    importer.import_dataset(borger_x_dir, data, now=T0)
    before = snapshot(data)
    many_ydelser(borger_x_dir, 100, 6)  # 6 % > 5 %
    assert main(["import", str(borger_x_dir), "--til", str(data)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "ydelser (6,0 %)" in err and "--accepter-afvisninger" in err
    assert snapshot(data) == before
    assert main(["import", str(borger_x_dir), "--til", str(data), "--accepter-afvisninger"]) == 0
    assert len(importer.list_versions(data)) == 2
    many_ydelser(borger_x_dir, 100, 5)  # exactly 5 %: allowed
    assert main(["import", str(borger_x_dir), "--til", str(data)]) == 0


def test_threshold_is_configured(tmp_path):
    s = importer.import_settings()
    assert s.afvisningsgraense_pct == 5 and s.afvisningsgraense_min_raekker == 50
    (tmp_path / "import.yaml").write_text("afvisningsgraense_pct: 120\n")
    from workbench.data.config import ConfigError

    with pytest.raises(ConfigError, match="afvisningsgraense_pct"):
        importer.import_settings(tmp_path)


def test_settings_kept_per_text_equal_a_fresh_parse_and_an_edit_is_seen(tmp_path):
    """import_settings keeps the parsed file per (file, text): the kept object equals a fresh parse of
    the same text, an edited file (same size, same second) is parsed again, a broken one still raises."""
    from workbench.data.config import ConfigError
    from workbench.data.importer import settings as mod
    from workbench.data.paths import config_dir

    real = config_dir() / "import.yaml"
    assert importer.import_settings() is importer.import_settings()  # kept
    assert importer.import_settings() == mod._parse(real, real.read_text(encoding="utf-8"))
    f = tmp_path / "import.yaml"
    f.write_text(real.read_text(encoding="utf-8").replace("max_kolonner: 1000", "max_kolonner: 1001"),
                 encoding="utf-8")
    assert importer.import_settings(tmp_path).max_kolonner == 1001
    f.write_text(f.read_text(encoding="utf-8").replace("max_kolonner: 1001", "max_kolonner: 1002"),
                 encoding="utf-8")
    assert importer.import_settings(tmp_path).max_kolonner == 1002
    with pytest.raises(TypeError):
        importer.import_settings().kolonne_aliaser["borger_id"] = ("x",)  # shared: read-only
    f.write_text("max_kolonner: 0\n", encoding="utf-8")
    for _ in range(2):  # an error is not kept
        with pytest.raises(ConfigError, match="max_kolonner"):
            importer.import_settings(tmp_path)


def test_cpr_masked_in_error_messages(borger_x_dir, tmp_path):
    (borger_x_dir / "borgere.csv").write_text("borger_id,cpr,foedselsdato,handlekommune\n"
                                              "X,0101901234x,1990-01-01,0250\n")
    r = importer.import_dataset(borger_x_dir, tmp_path / "data", now=T0)
    q = r.afviste["borgere"]
    assert "0101901234" not in q["fejl"][0] and "010190-xxxx" in q["fejl"][0]
    xlsx = importer.quarantine_csv(r.afviste, mask_cpr=True).decode("utf-8-sig")
    assert "0101901234" not in xlsx
    assert importer.mask_cpr_text("fejl i 010190-1234 og 0101901234") == "fejl i 010190-xxxx og 010190-xxxx"
    masked = pl.select(importer.mask_cpr_expr(pl.lit("0101901234,0202902345;010190-1234"))).item()
    assert masked == "010190-xxxx,020290-xxxx;010190-xxxx"


def test_quarantine_export_escapes_formulas(borger_x_dir, tmp_path):
    (borger_x_dir / "ydelser.csv").write_text(
        "ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato\n"
        'Y1,X,"=HYPERLINK(""http://x"")",Støtte,2023-01-01,\n'
        "Y2,+cmd|' /C calc'!A0,SEL §999,Støtte,2023-01-01,\n", encoding="utf-8")
    r = importer.import_dataset(borger_x_dir, tmp_path / "data", now=T0)
    files = {t.tabel: t.fil for t in r.tabeller}
    csv = importer.quarantine_csv(r.afviste, files).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and ";=" not in csv and "|=" not in csv
    stored = (tmp_path / "data" / "versions" / r.version / "karantaene" / "ydelser.csv").read_text()
    assert "'=HYPERLINK" in stored and "'+cmd" in stored
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(importer.quarantine_xlsx(r.afviste, files)))
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    q = importer.quarantine_frame(r.afviste, files)
    assert q.columns == ["tabel", "kildefil", "raekke", "fejl", "vaerdier"]
    assert q["raekke"].to_list() == [2, 3] and q["kildefil"].to_list() == ["ydelser.csv"] * 2
    assert q["fejl"][1] == "paragraf: ugyldig værdi 'SEL §999'"


# --- udtraeksdato ---------------------------------------------------------------------------------

def test_udtraeksdato_is_stored_with_the_version(borger_x_dir, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["import", str(borger_x_dir), "--til", str(data), "--udtraeksdato", "30-09-2026"]) == 0
    vdir = resolve_dir(data)
    assert (vdir / "datasaet.yaml").read_text() == "udtraeksdato: 2026-09-30\n"
    assert udtraeksdato(open_dataset(data), today=dt.date(2026, 11, 25)) == dt.date(2026, 9, 30)
    capsys.readouterr()
    assert main(["versioner", str(data), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["udtraeksdato"] == "2026-09-30"
    # a datasaet.yaml in the source is carried over
    (borger_x_dir / "datasaet.yaml").write_text("udtraeksdato: 2026-08-31\n")
    importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(days=1))
    assert udtraeksdato(open_dataset(data), today=dt.date(2026, 11, 25)) == dt.date(2026, 8, 31)


# --- versions and rollback ------------------------------------------------------------------------

def test_versioner_and_rul_tilbage(borger_x_dir, tmp_path, capsys):
    data = tmp_path / "data"
    v1 = importer.import_dataset(borger_x_dir, data, now=T0, bruger="anna").version
    (borger_x_dir / "ydelser.csv").open("a").write("Y9,X,SEL §85,Støtte til administration,2023-01-01,,,,,,,\n")
    v2 = importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=1)).version
    key2 = peek_version(data)
    assert open_dataset(data).ydelser.collect().height == 2
    capsys.readouterr()
    assert main(["versioner", str(data), "--format", "csv"]) == 0
    df = pl.read_csv(capsys.readouterr().out.encode(), infer_schema=False)
    assert df.columns[:3] == ["version", "oprettet", "aktuel"]
    assert df["version"].to_list() == [v2, v1] and df["aktuel"].to_list() == ["true", "false"]
    assert df["oprettet"].to_list() == ["2026-11-23T13:00:00", "2026-11-23T12:00:00"]
    assert df["bruger"][1] == "anna" and "ydelser.csv:" in df["filer"][0]
    assert main(["rul-tilbage", str(data), v1]) == 0
    assert importer.current_version(data) == v1
    assert open_dataset(data).ydelser.collect().height == 1
    assert peek_version(data) != key2  # the app's cache key changes: sessions pick it up on next rerun
    history = importer.read_history(data)
    assert history[-1]["handling"] == "rul_tilbage" and history[-1]["forrige_version"] == v2
    from data_model.db import engine_for
    from workbench.lager import accesslog

    log = accesslog.entries(engine_for(data))
    assert log["handling"].to_list()[:1] == ["rul_tilbage"]
    capsys.readouterr()
    before = snapshot(data)
    assert main(["rul-tilbage", str(data), "v0099-20260101T000000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ukendt version 'v0099-20260101T000000'" in err
    assert snapshot(data) == before


def test_import_is_written_to_access_log_and_history_table(borger_x_dir, tmp_path):
    data = tmp_path / "data"
    assert main(["import", str(borger_x_dir), "--til", str(data)]) == 0
    from sqlalchemy import select

    from data_model.db import engine_for
    from data_model.import_tables import ImportHistorik
    from workbench.lager import accesslog

    eng = engine_for(data)
    assert accesslog.entries(eng)["handling"].to_list() == ["import"]
    with eng.connect() as conn:
        rows = conn.execute(select(ImportHistorik.version, ImportHistorik.handling, ImportHistorik.laest)).all()
    assert rows == [(importer.current_version(data), "import", 15)]


def test_history_in_postgres(borger_x_dir, tmp_path):
    from sqlalchemy import create_engine, select

    from data_model.import_tables import ImportHistorik
    from sqlmodel import SQLModel
    from tests.helpers import postgres_schema

    with postgres_schema("imp") as url:
        eng = create_engine(url)
        import data_model.tables  # noqa: F401

        SQLModel.metadata.create_all(eng)
        data = tmp_path / "data"
        r = importer.import_dataset(borger_x_dir, data, engine=eng, bruger="anna")
        importer.rul_tilbage(data, r.version, bruger="anna", engine=eng)
        with eng.connect() as conn:
            rows = conn.execute(select(ImportHistorik.handling, ImportHistorik.version, ImportHistorik.bruger)
                                .order_by(ImportHistorik.id)).all()
        eng.dispose()
    assert rows == [("import", r.version, "anna"), ("rul_tilbage", r.version, "anna")]


# --- concurrency and crashes ----------------------------------------------------------------------

def test_second_import_waits_then_is_refused_with_a_clear_message(borger_x_dir, tmp_path):
    data = tmp_path / "data"
    importer.import_dataset(borger_x_dir, data, now=T0)
    before = snapshot(data)
    held = threading.Event()
    release = threading.Event()

    def holder():
        with importer.data_dir_lock(data, wait=0):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        start = time.monotonic()
        with pytest.raises(DatasetError, match="en anden import eller tilbagerulning er i gang"):
            importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=1),
                                    settings=importer.ImportSettings(laas_vent_sekunder=0.5))
        assert time.monotonic() - start >= 0.5  # it waited before giving up
        assert snapshot(data) == before
    finally:
        release.set()
        t.join()
    # once the first is done, the second goes through
    importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=1))
    assert len(importer.list_versions(data)) == 2


def test_two_processes_import_at_once(borger_x_dir, tmp_path):
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "workbench", "import", str(borger_x_dir), "--til", str(data), "--format", "json"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    assert all(c in (0, 2) for c in codes), outs
    ok = codes.count(0)
    versions = importer.list_versions(data)
    assert len(versions) == ok >= 1
    assert importer.current_version(data) in versions
    for c, (out, err) in zip(codes, outs):
        assert "Traceback" not in err
        if c == 2:
            assert "en anden import" in err
    assert not [p for p in (data / "versions").iterdir() if p.name.startswith(".")]


def test_kill_9_mid_import_leaves_previous_version_current(borger_x_dir, tmp_path):
    data = tmp_path / "data"
    first = importer.import_dataset(borger_x_dir, data, now=T0).version
    ready = tmp_path / "skriver"
    script = textwrap.dedent(f"""
        import time, pathlib, polars as pl
        from workbench.data import importer
        real = pl.DataFrame.write_parquet
        def slow(self, *a, **k):
            real(self, *a, **k)
            pathlib.Path({str(ready)!r}).touch()
            time.sleep(60)
        pl.DataFrame.write_parquet = slow
        importer.import_dataset({str(borger_x_dir)!r}, {str(data)!r})
    """)
    p = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        for _ in range(600):
            if ready.exists():
                break
            time.sleep(0.1)
        assert ready.exists()
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
    assert importer.current_version(data) == first
    assert open_dataset(data).ydelser.collect().height == 1
    debris = [x for x in (data / "versions").iterdir() if x.name.startswith(".")]
    assert debris  # the killed import left its hidden temp dir ...
    second = importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=2))
    assert importer.current_version(data) == second.version  # ... which never breaks the next import
    assert not [x for x in (data / "versions").iterdir() if x.name.startswith(".")]  # and is cleaned
    assert importer.list_versions(data) == [first, second.version]
