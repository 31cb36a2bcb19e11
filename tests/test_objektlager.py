"""A data directory in object storage (issue 24, item 4): `FFB_WORKBENCH_DATA=s3://bucket/prefix` opens
the current version straight from the bucket (checksums verified from the manifest, a version whose
CURRENT was not written never read), and `import SRC --til s3://bucket/prefix` writes one (version
first, CURRENT last). Against a real S3 API server (moto's, started by the test: conftest s3_server).
The tests shared with the local path are parametrized over both (fixture data_location): the import
tests in test_import.py, a tampered stored file in test_manifest.py::test_tampered_stored_version_refused,
CURRENT in test_dataset.py::test_resolve_dir_follows_current."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.data import importer, manifest, objektlager
from workbench.data.dataset import DatasetError, open_dataset, peek_version

T0 = dt.datetime(2026, 11, 23, 12, 0, 0)
ROOT = Path(__file__).resolve().parents[1]


def _bucket_prefix(url: str) -> tuple[str, str]:
    _, bucket, prefix = objektlager.split(url)
    return bucket, prefix


def test_import_to_s3_then_open_gives_the_local_copy(demo_kommune, tmp_path, s3_bucket):
    """The same source imported into a local folder and into a bucket: the same typed tables, the
    same rejected rows, the same reference date; the bucket holds the local layout."""
    local = tmp_path / "data"
    importer.import_dataset(demo_kommune, local, now=T0)
    result = importer.import_dataset(demo_kommune, s3_bucket, now=T0)
    assert result.version == "v0001-20261123T120000" and result.data_dir == s3_bucket
    assert result.version_dir == f"{s3_bucket}/versions/{result.version}"
    assert objektlager.current_version(s3_bucket) == result.version
    assert [h["version"] for h in objektlager.read_history(s3_bucket)] == [result.version]
    keys = set(objektlager.list_keys(s3_bucket, f"versions/{result.version}"))
    local_files = {p.relative_to(local / "versions" / result.version).as_posix()
                   for p in (local / "versions" / result.version).rglob("*") if p.is_file()}
    assert keys == local_files
    a, b = open_dataset(local), open_dataset(s3_bucket)
    assert b.rejected_rows is not None  # opened from the verified typed files, not re-validated
    for name in a.tables:
        assert a.tables[name].collect().equals(b.tables[name].collect()), name
    assert a.rejected_counts() == b.rejected_counts()
    assert peek_version(s3_bucket) == b.version


def test_optaelling_on_s3_equals_the_local_copy(demo_kommune, tmp_path, s3_bucket, capsys):
    """`import --til s3://…` then `optaelling s3://…`: byte for byte the output of the local copy."""
    local = tmp_path / "data"
    assert main(["import", str(demo_kommune), "--til", str(local), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["import", str(demo_kommune), "--til", s3_bucket, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["data_dir"] == s3_bucket and out["version_dir"].startswith(s3_bucket + "/versions/")
    args = ["--fra", "2024-01", "--til", "2024-12", "--format", "csv"]
    assert main(["optaelling", str(local), *args]) == 0
    want = capsys.readouterr().out
    assert main(["optaelling", s3_bucket, *args]) == 0
    got = capsys.readouterr()
    assert got.out == want and want.count("\n") > 2
    assert "hemmelig" not in got.out + got.err  # the secret key is never printed


def test_tampered_cached_copy_is_refused(demo_kommune, s3_bucket):
    """The local cache is verified as a local version is: a changed cached typed file is refused."""
    importer.import_dataset(demo_kommune, s3_bucket, now=T0)
    ds = open_dataset(s3_bucket)
    f = ds.path / manifest.TYPED / "ydelser.parquet"
    data = f.read_bytes()
    f.write_bytes(data[:-10] + bytes(10))
    with pytest.raises(DatasetError, match="ydelser.parquet"):
        open_dataset(s3_bucket)


def test_version_without_current_is_never_read(borger_x_dir, s3_bucket, s3_client):
    """An import killed after uploading its version but before CURRENT: the bucket keeps serving the
    previous version; with no CURRENT at all nothing is read."""
    first = importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    with (borger_x_dir / "ydelser.csv").open("a", encoding="utf-8") as fh:
        fh.write("Y4,X,SEL 108,Længerevarende ophold,2023-07-01,,,,,,,\n")
    real = objektlager.write_current

    def killed(location, version):
        raise KeyboardInterrupt("dræbt før CURRENT")

    objektlager.write_current = killed
    try:
        with pytest.raises(KeyboardInterrupt):
            importer.import_dataset(borger_x_dir, s3_bucket, now=T0 + dt.timedelta(hours=1))
    finally:
        objektlager.write_current = real
    assert objektlager.list_version_ids(s3_bucket) == [first.version, "v0002-20261123T130000"]
    ds = open_dataset(s3_bucket)
    assert ds.path.name.startswith(first.version) and ds.ydelser.collect().height == 1
    # the next import takes a fresh id (the half-written one is never reused or read)
    third = importer.import_dataset(borger_x_dir, s3_bucket, now=T0 + dt.timedelta(hours=2))
    assert third.version.startswith("v0003-") and open_dataset(s3_bucket).ydelser.collect().height == 2
    # no CURRENT at all: refused, not guessed
    bucket, prefix = _bucket_prefix(s3_bucket)
    s3_client.delete_object(Bucket=bucket, Key=f"{prefix}/CURRENT")
    with pytest.raises(DatasetError, match="ingen CURRENT"):
        open_dataset(s3_bucket)


def test_current_naming_a_missing_version_is_refused(borger_x_dir, s3_bucket):
    importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    objektlager.write_current(s3_bucket, "v0009-20260101T000000")
    with pytest.raises(DatasetError, match="CURRENT peger"):
        open_dataset(s3_bucket)


def test_cache_is_keyed_on_the_version(borger_x_dir, s3_bucket):
    """A new version is a new cache entry (and a new version key for the app's caches); the same
    version is copied once."""
    importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    a = open_dataset(s3_bucket)
    mtime = (a.path / manifest.MANIFEST).stat().st_mtime_ns
    assert open_dataset(s3_bucket).path == a.path
    assert (a.path / manifest.MANIFEST).stat().st_mtime_ns == mtime  # not copied again
    importer.import_dataset(borger_x_dir, s3_bucket, now=T0 + dt.timedelta(hours=1))
    b = open_dataset(s3_bucket)
    assert b.path != a.path and b.version != a.version and peek_version(s3_bucket) == b.version
    assert a.path.parent == b.path.parent == objektlager.cache_root(s3_bucket)


def test_two_writers_of_one_version_id(borger_x_dir, s3_bucket):
    """Replicas on two hosts picking the same version id: the second upload is refused before it
    writes anything (create-only put of import.json), CURRENT stays the first's."""
    first = importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    real = objektlager.list_version_ids
    objektlager.list_version_ids = lambda location: []  # the other host listed before the first landed
    try:
        with pytest.raises(DatasetError, match="findes allerede"):
            importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    finally:
        objektlager.list_version_ids = real
    assert objektlager.current_version(s3_bucket) == first.version
    assert len(objektlager.read_history(s3_bucket)) == 1


def test_credentials_never_in_the_url(s3_bucket):
    _, bucket, prefix = objektlager.split(s3_bucket)
    for bad in (f"s3://noegle:hemmelig@{bucket}/{prefix}", f"s3://{bucket}/{prefix}?secret=x",
                f"s3://{bucket}:9000/{prefix}"):
        with pytest.raises(DatasetError, match="miljøet") as e:
            open_dataset(bad)
        assert "hemmelig" not in str(e.value)


def test_plain_http_only_for_a_loopback_endpoint(monkeypatch):
    monkeypatch.delenv("AWS_ALLOW_HTTP", raising=False)
    for endpoint, allowed in (("http://127.0.0.1:9000", True), ("http://localhost:9000", True),
                              ("http://[::1]:9000", True), ("http://minio.kommune.dk:9000", False),
                              ("http://10.0.0.5:9000", False)):
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        assert objektlager._allow_http() is allowed, endpoint
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    assert objektlager._allow_http()


def test_state_of_an_s3_location_is_local(s3_bucket, tmp_path, monkeypatch):
    """The SQLite state (users, access log) of an s3:// location lives under FFB_WORKBENCH_HOME, never
    in a folder named 's3:' in the working directory."""
    from data_model.paths import database_url, state_dir

    d = state_dir(s3_bucket)
    assert d.is_relative_to(tmp_path / "home") and d == state_dir(s3_bucket.replace("s3://", "s3:/"))
    monkeypatch.delenv("DATABASE_URL")
    assert database_url(s3_bucket).startswith(f"sqlite:///{tmp_path / 'home'}")
    assert not (tmp_path / "s3:").exists()


def test_versioner_and_rul_tilbage_on_s3(borger_x_dir, s3_bucket, capsys):
    """The version commands work on a bucket as on a folder: list, roll back (CURRENT rewritten,
    history appended), and the rolled-back version is what opens."""
    first = importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    with (borger_x_dir / "ydelser.csv").open("a", encoding="utf-8") as fh:
        fh.write("Y4,X,SEL 108,Længerevarende ophold,2023-07-01,,,,,,,\n")
    second = importer.import_dataset(borger_x_dir, s3_bucket, now=T0 + dt.timedelta(hours=1))
    assert open_dataset(s3_bucket).ydelser.collect().height == 2
    capsys.readouterr()
    assert main(["versioner", s3_bucket, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["version"], r["aktuel"]) for r in rows] == [(second.version, True), (first.version, False)]
    assert main(["rul-tilbage", s3_bucket, first.version]) == 0
    assert objektlager.current_version(s3_bucket) == first.version
    assert [h.get("handling") for h in objektlager.read_history(s3_bucket)] == ["import", "import", "rul_tilbage"]
    assert open_dataset(s3_bucket).ydelser.collect().height == 1
    assert main(["rul-tilbage", s3_bucket, "v0009-20260101T000000"]) == 2


def test_app_reads_s3_as_the_local_copy(demo_kommune, tmp_path, s3_bucket, monkeypatch):
    """The app's data loader (workbench.ui.data) on FFB_WORKBENCH_DATA=s3://…: the Overblik page shows
    the same numbers as on the local copy of the same import."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from workbench.ui import data

    local = tmp_path / "data"
    importer.import_dataset(demo_kommune, local, now=T0)
    importer.import_dataset(demo_kommune, s3_bucket, now=T0)

    def overblik(location: str) -> dict[str, str]:
        monkeypatch.setenv("FFB_WORKBENCH_DATA", location)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
        assert not at.exception, [e.value for e in at.exception]
        return {m.label: m.value for m in at.metric}

    monkeypatch.setenv("FFB_WORKBENCH_DATA", s3_bucket)
    assert data.data_path() == s3_bucket  # kept as text: Path would fold 's3://'
    want = overblik(str(local))
    got = overblik(s3_bucket)
    assert got == want and len(want) >= 3
    assert data.dataset_version() == peek_version(s3_bucket)


def test_import_page_on_s3(borger_x_dir, s3_bucket, monkeypatch):
    """The Import page with FFB_WORKBENCH_DATA=s3://…: import lands a version in the bucket (CURRENT
    last), the version list comes from the bucket, and a rollback rewrites CURRENT there."""
    from tests.test_import_page import page, rerun, texts

    first = importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    monkeypatch.setenv("FFB_WORKBENCH_DATA", s3_bucket)
    files = [(f.name, f.read_bytes().replace(b"Y1,", b"Y9,") if f.name == "ydelser.csv" else f.read_bytes())
             for f in sorted(borger_x_dir.glob("*.csv"))]
    at = page(files)
    assert s3_bucket in texts(at) and not at.button(key="imp_koer").disabled
    at.button(key="imp_koer").click()
    rerun(at)
    second = objektlager.current_version(s3_bucket)
    assert second != first.version and second in objektlager.complete_version_ids(s3_bucket)
    assert open_dataset(s3_bucket).ydelser.collect()["ydelse_id"].to_list() == ["Y9"]
    assert at.selectbox(key="imp_rul_version").options == [first.version]
    at.button(key="imp_rul").click()
    rerun(at)
    assert objektlager.current_version(s3_bucket) == first.version
    assert open_dataset(s3_bucket).ydelser.collect()["ydelse_id"].to_list() == ["Y1"]


def test_unreachable_endpoint_is_one_line_without_the_secret(monkeypatch, capsys):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ffbtestnoegle")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "ffb-hemmelig-testnoegle")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    assert main(["overlap", "s3://ffb-ingen/kommune"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "s3://ffb-ingen/kommune" in err
    assert "hemmelig" not in err and "ffbtestnoegle" not in err


def test_odd_keys_never_leave_the_cached_copy(borger_x_dir, s3_bucket, s3_client, tmp_path):
    """Keys under a version that would land outside (or hidden inside) the local copy are not written."""
    result = importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    bucket, prefix = _bucket_prefix(s3_bucket)
    for odd in (".skjult", "a/.skjult", "karantaene/.x"):
        s3_client.put_object(Bucket=bucket, Key=f"{prefix}/versions/{result.version}/{odd}", Body=b"x")
    ds = open_dataset(s3_bucket)
    assert not [p for p in ds.path.rglob(".*") if p.name != ".komplet"]
    for rel, ok in (("ydelser.parquet", True), ("_typet/afvist/ydelser.parquet", True), ("/etc/passwd", False),
                    ("a/../../x", False), ("..", False), ("a//b", False), ("a\\..\\b", False), ("", False)):
        assert objektlager.safe_rel(rel) is ok, rel


def test_current_is_reused_for_a_second_then_asked_again(borger_x_dir, s3_bucket, s3_client, monkeypatch):
    """One page run asks for the current version several times: the answer is reused within
    FFB_WORKBENCH_S3_TTL seconds (a clock is stepped, nothing is timed); a CURRENT written by this
    process is seen at once, one written elsewhere after the window."""
    import time

    monkeypatch.setenv("FFB_WORKBENCH_S3_TTL", "1")
    objektlager._lookups.clear()
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    first = importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    calls = []
    real = objektlager.current_version
    monkeypatch.setattr(objektlager, "current_version", lambda loc: calls.append(loc) or real(loc))
    a = open_dataset(s3_bucket)
    for _ in range(5):
        assert peek_version(s3_bucket) == a.version
    assert len(calls) == 1
    second = importer.import_dataset(borger_x_dir, s3_bucket, now=T0 + dt.timedelta(hours=1))  # this process
    assert open_dataset(s3_bucket).path.name.startswith(second.version)
    bucket, prefix = _bucket_prefix(s3_bucket)
    s3_client.put_object(Bucket=bucket, Key=f"{prefix}/CURRENT", Body=(first.version + "\n").encode())  # another host
    assert open_dataset(s3_bucket).path.name.startswith(second.version)  # within the window
    now[0] += 1.5
    assert open_dataset(s3_bucket).path.name.startswith(first.version)
    objektlager._lookups.clear()


def test_import_killed_after_current_gets_its_history_line_next_time(borger_x_dir, s3_bucket, monkeypatch):
    """As on disk (importer._clean_debris): CURRENT written, history line not; the next import adds it."""
    first = importer.import_dataset(borger_x_dir, s3_bucket, now=T0)
    real = objektlager.append_history

    def killed(location, record):
        raise KeyboardInterrupt("dræbt efter CURRENT")

    monkeypatch.setattr(objektlager, "append_history", killed)
    with pytest.raises(KeyboardInterrupt):
        importer.import_dataset(borger_x_dir, s3_bucket, now=T0 + dt.timedelta(hours=1))
    monkeypatch.setattr(objektlager, "append_history", real)
    second = objektlager.current_version(s3_bucket)
    assert [h["version"] for h in objektlager.read_history(s3_bucket)] == [first.version]
    third = importer.import_dataset(borger_x_dir, s3_bucket, now=T0 + dt.timedelta(hours=2))
    assert [h["version"] for h in objektlager.read_history(s3_bucket)] == [first.version, second, third.version]


def test_refused_cli_read_on_s3_is_logged(tmp_path, s3_bucket, monkeypatch):
    """A refused CLI read on an s3:// location lands in the access log like one on a folder."""
    import polars as pl

    from data_model.db import engine_for
    from test_access import write_dataset
    from workbench.lager import accesslog, users

    importer.import_dataset(write_dataset(tmp_path / "kilde"), s3_bucket)
    eng = engine_for(s3_bucket)
    users.bootstrap(eng, s3_bucket)
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "0")
    assert main(["tilbud", s3_bucket, "FINDES-IKKE", "--bruger", "analytiker"]) == 2
    log = accesslog.entries(eng, handling=accesslog.ADGANG_NAEGTET)
    assert log.filter((pl.col("bruger") == "analytiker") & pl.col("detalje").str.contains("tilbud")).height == 1
