"""Validate once, trust after (issue 17): typed Parquet + manifest.json written by demo/import; a
matching manifest is scanned without re-validation and gives exactly what the validating loader
gives; a tampered or truncated typed file is refused with one line; anything else is validated."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.regler import access
from workbench.data.dataset import validate_and_write_manifest
from workbench.data import manifest
from workbench.cli import main
from workbench.data.dataset import DatasetError, open_dataset, udtraeksdato
from workbench.data.importer import import_dataset


def _bad_rows(directory) -> None:
    """Two rows the loader rejects (niveau outside 0-4, an unknown paragraf)."""
    with (directory / "funktionsevne.csv").open("a", encoding="utf-8") as fh:
        fh.write("X,2024-01-05,Aktivitet og deltagelse,Egenomsorg,Personlig hygiejne,7,\n")
    with (directory / "ydelser.csv").open("a", encoding="utf-8") as fh:
        fh.write("YX,X,SEL §999,Socialpædagogisk støtte,2024-01-01,,,,,,,\n")


def _same(a, b) -> None:
    for name in b.tables:
        x, y = a.tables[name].collect(), b.tables[name].collect()
        assert x.schema == y.schema, name
        assert x.equals(y), name
        assert a.rejected[name].collect().equals(b.rejected[name].collect()), name
    assert a.rejected_counts() == b.rejected_counts()
    assert udtraeksdato(a) == udtraeksdato(b)
    assert (a.version, a.files) == (b.version, b.files)


@pytest.fixture
def bad_dir(borger_x_dir):
    _bad_rows(borger_x_dir)
    return borger_x_dir


def test_manifest_path_equals_validating_path_rejected_rows_included(bad_dir):
    written = validate_and_write_manifest(bad_dir)
    trusted, checked = open_dataset(bad_dir), open_dataset(bad_dir, trust_manifest=False)
    assert trusted.rejected_rows is not None and checked.rejected_rows is None  # two different paths
    _same(trusted, checked)
    assert trusted.rejected_counts() == {"funktionsevne": 1, "ydelser": 1}
    # the manifest: schema version, config hash, checksums and row counts of every typed file
    m = json.loads((bad_dir / manifest.MANIFEST).read_text(encoding="utf-8"))
    assert m == written and m["skema_version"] == manifest.SCHEMA_VERSION and len(m["config_hash"]) == 64
    for rel, entry in m["filer"].items():
        assert entry["sha256"] == manifest.sha256_file(bad_dir / rel)
        assert entry["raekker"] == pl.read_parquet(bad_dir / rel).height
    assert m["filer"]["_typet/afvist/funktionsevne.parquet"]["raekker"] == 1
    assert m["udtraeksdato"] == udtraeksdato(checked, today=dt.date.max).isoformat()


def test_demo_writes_manifest_and_opens_without_validation(demo_kommune):
    assert (demo_kommune / manifest.MANIFEST).is_file()
    trusted = open_dataset(demo_kommune)
    assert trusted.rejected_rows is not None
    _same(trusted, open_dataset(demo_kommune, trust_manifest=False))


def test_trusted_scan_pushes_the_borger_filter_to_the_file(demo_kommune):
    """forloeb for one borger must not read every funktionsevne row: the filter reaches the scan
    through the access scope (the validating path's row index would stop it)."""
    ds = open_dataset(demo_kommune)
    borger = ds.borgere.select("borger_id").head(1).collect().item()
    scoped = access.scope(ds.only_borger(borger), access.ADMIN)
    plan = scoped.funktionsevne.explain()
    scan = plan[plan.index("funktionsevne.parquet"):]
    assert 'SELECTION: col("borger_id") ==' in scan.split("SCAN")[0]
    # and the narrowed dataset still gives that borger's rows, the full default reference date
    assert scoped.funktionsevne.select(pl.col("borger_id").unique()).collect()["borger_id"].to_list() == [borger]
    assert udtraeksdato(scoped) == udtraeksdato(ds)


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_tampered_typed_file_refused_with_one_line(demo_kommune, tmp_path, capsys, damage):
    d = tmp_path / "demo"
    shutil.copytree(demo_kommune, d)
    f = d / manifest.TYPED / "ydelser.parquet"
    data = f.read_bytes()
    if damage == "truncate":
        f.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        i = len(data) // 2
        f.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    else:
        f.unlink()
    with pytest.raises(DatasetError, match="ydelser.parquet"):
        open_dataset(d)
    capsys.readouterr()
    assert main(["overlap", str(d)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("fejl: _typet/ydelser.parquet") and "manifest.json" in err


def _tamper(location: str, rel: str, damage: str) -> None:
    """Damage one stored file of a data directory: a local file, or an object in the bucket."""
    from workbench.data import objektlager

    if objektlager.is_url(location):
        data = objektlager.get(location, rel)
        if damage == "delete":
            import obstore

            _, bucket, prefix = objektlager.split(location)
            obstore.delete(objektlager._store(bucket), f"{prefix}/{rel}")
            return
        write = lambda b: objektlager.put(location, rel, b)  # noqa: E731
    else:
        f = Path(location) / rel
        data = f.read_bytes()
        if damage == "delete":
            f.unlink()
            return
        write = f.write_bytes
    i = len(data) // 2
    write(data[:i] if damage == "truncate" else data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_tampered_stored_version_refused(demo_kommune, data_location, capsys, damage):
    """An imported version (local folder or s3://, data_location) whose typed file changed after the
    import is refused with one line, by open_dataset and by a CLI command alike."""
    from workbench.data import objektlager

    result = import_dataset(demo_kommune, data_location)
    _tamper(data_location, f"versions/{result.version}/{manifest.TYPED}/ydelser.parquet", damage)
    with pytest.raises(DatasetError, match="ydelser.parquet"):
        open_dataset(data_location)
    if objektlager.is_url(data_location):  # nothing half-verified is left in the cache to open later
        root = objektlager.cache_root(data_location)
        assert not root.exists() or not list(root.iterdir())
    capsys.readouterr()
    assert main(["overlap", data_location]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "_typet/ydelser.parquet" in err and "manifest.json" in err


def test_changed_source_file_goes_through_the_validating_loader(bad_dir):
    validate_and_write_manifest(bad_dir)
    with (bad_dir / "ydelser.csv").open("a", encoding="utf-8") as fh:
        fh.write("YNY,X,SEL §85,Socialpædagogisk støtte,2024-02-01,,,,,,,\n")
    ds = open_dataset(bad_dir)
    assert ds.rejected_rows is None  # validated, not trusted
    assert "YNY" in ds.ydelser.select("ydelse_id").collect()["ydelse_id"].to_list()
    _same(ds, open_dataset(bad_dir, trust_manifest=False))


def test_touched_but_equal_source_is_still_trusted(bad_dir):
    validate_and_write_manifest(bad_dir)
    f = bad_dir / "ydelser.csv"
    f.write_bytes(f.read_bytes())  # new mtime, same bytes: the checksum decides
    assert open_dataset(bad_dir).rejected_rows is not None


def test_other_config_hash_or_schema_version_is_validated(bad_dir):
    validate_and_write_manifest(bad_dir)
    m = json.loads((bad_dir / manifest.MANIFEST).read_text(encoding="utf-8"))
    for key, value in (("config_hash", "0" * 64), ("skema_version", 999)):
        (bad_dir / manifest.MANIFEST).write_text(json.dumps({**m, key: value}), encoding="utf-8")
        ds = open_dataset(bad_dir)
        assert ds.rejected_rows is None
        _same(ds, open_dataset(bad_dir, trust_manifest=False))


def test_import_writes_manifest_for_the_new_version(bad_dir, data_location):
    data_dir = data_location
    result = import_dataset(bad_dir, data_dir)
    trusted = open_dataset(data_dir)
    vdir = trusted.path  # in object storage: the verified local copy of the version
    assert (vdir / manifest.MANIFEST).is_file() and vdir.name.startswith(result.version)
    if not data_dir.startswith("s3://"):
        assert vdir == Path(data_dir) / "versions" / result.version
    assert trusted.rejected_rows is not None
    # the same as validating the stored version (whose rejected rows stay in karantaene/)
    _same(trusted, open_dataset(data_dir, trust_manifest=False))
    assert trusted.rejected_counts() == {}


def test_datasaet_yaml_udtraeksdato_goes_into_the_manifest(bad_dir):
    (bad_dir / "datasaet.yaml").write_text("udtraeksdato: 2024-03-31\n", encoding="utf-8")
    m = validate_and_write_manifest(bad_dir)
    assert m["udtraeksdato"] == "2024-03-31" and m["udtraeksdato_kilde"] == "fil"
    assert udtraeksdato(open_dataset(bad_dir)) == dt.date(2024, 3, 31)
    # changing datasaet.yaml makes the manifest stale: the new date is read, never the stored one
    (bad_dir / "datasaet.yaml").write_text("udtraeksdato: 2024-04-30\n", encoding="utf-8")
    assert udtraeksdato(open_dataset(bad_dir)) == dt.date(2024, 4, 30)


def test_warn_rejected_uses_the_manifest_counts(bad_dir, monkeypatch, capsys):
    validate_and_write_manifest(bad_dir)
    ds = open_dataset(bad_dir)
    monkeypatch.setattr(pl, "collect_all", lambda *a, **k: pytest.fail("re-counted rejected rows"))
    from workbench.commands.common import warn_rejected

    warn_rejected(ds, ("ydelser", "borgere"))
    assert "1 række(r) afvist" in capsys.readouterr().err


def _flip_middle(f: Path) -> bool:
    """Same size, one byte changed in the data of the first column chunk, so the footer still reads;
    False for a file without rows (nothing to change but its footer)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(f).metadata
    if meta.num_row_groups == 0 or meta.num_rows == 0:
        return False
    col = meta.row_group(0).column(0)
    i = col.data_page_offset + col.total_compressed_size - 1
    data = f.read_bytes()
    f.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    return True


def test_a_file_outside_reads_is_checked_when_its_rows_are_read(demo_kommune, tmp_path):
    """open_dataset(reads=...) hashes the named tables' files on open; any other typed file is still
    checked against the manifest before a single row of it is used, through scope and collect_all too."""
    d = tmp_path / "demo"
    shutil.copytree(demo_kommune, d)
    _flip_middle(d / manifest.TYPED / "betalinger.parquet")
    with pytest.raises(DatasetError, match="betalinger.parquet"):
        open_dataset(d)  # every file on open (the app)
    ds = open_dataset(d, reads=("borgere", "ydelser"))
    scoped = access.scope(ds, access.ADMIN)
    assert scoped.ydelser.select(pl.len()).collect().item() > 0
    assert "beloeb" in scoped.betalinger.collect_schema().names()  # a plan needs no rows
    for read in (lambda: scoped.betalinger.collect(), lambda: ds.betalinger.head(1).collect(),
                 lambda: pl.collect_all([scoped.ydelser.head(1), scoped.betalinger.select(pl.len())])):
        with pytest.raises(DatasetError, match="_typet/betalinger.parquet matcher ikke manifest.json"):
            read()
    # a damaged footer gives the checksum error too, not the Parquet reader's (on open: the plan needs it)
    f = d / manifest.TYPED / "tilbud.parquet"
    data = f.read_bytes()
    f.write_bytes(data[:-12] + b"\x00" * 12)
    with pytest.raises(DatasetError, match="_typet/tilbud.parquet matcher ikke manifest.json"):
        open_dataset(d, reads=("borgere", "ydelser"))
    # an untouched file read the same way gives exactly the scanned rows
    ok = open_dataset(demo_kommune, reads=("borgere",))
    assert ok.ydelser.filter(pl.col("paragraf") == "SEL §85").select("ydelse_id", "startdato").collect().equals(
        open_dataset(demo_kommune).ydelser.filter(pl.col("paragraf") == "SEL §85").select("ydelse_id", "startdato")
        .collect())


def test_command_reading_a_file_it_did_not_name_refuses_it_with_one_line(demo_kommune, tmp_path, capsys, monkeypatch):
    d = tmp_path / "demo"
    shutil.copytree(demo_kommune, d)
    _flip_middle(d / manifest.TYPED / "ydelser.parquet")
    from workbench.commands import common

    real = common.open_dataset
    monkeypatch.setattr(common, "open_dataset", lambda path, reads=None: real(path, reads=("borgere",)))
    capsys.readouterr()
    assert main(["overlap", str(d)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("fejl: _typet/ydelser.parquet matcher ikke manifest.json")


@pytest.mark.parametrize("argv", [("overlap",), ("optaelling", "--fra", "2024-01", "--til", "2024-06"),
                                  ("stikproeve", "--pr", "tilbud", "--antal", "3", "--seed", "1"),
                                  ("forloeb", "BORGER")])
def test_short_commands_read_only_the_tables_they_name(demo_kommune, tmp_path, capsys, argv):
    """overlap, optaelling, stikproeve and forloeb check only the files of the tables they name (issue
    24: the national demo's 28 MB hashed on every run was ~40 ms CPU), and they name every table they
    read: with every other typed file damaged they print exactly what they print on intact data."""
    d = tmp_path / "demo"
    shutil.copytree(demo_kommune, d, ignore=shutil.ignore_patterns("workbench.sqlite*", "*.json.lock"))
    borger = open_dataset(d).indsatsmaal.select("borger_id").head(1).collect().item()
    args = [a.replace("BORGER", borger) for a in argv]
    capsys.readouterr()
    assert main([args[0], str(d), *args[1:]]) == 0
    want = capsys.readouterr().out
    named = {"overlap": ("borgere", "ydelser"), "optaelling": ("borgere", "ydelser"),
             "stikproeve": ("borgere", "ydelser", "tilbud"),
             "forloeb": ("borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal", "opfoelgninger",
                         "ydelser", "tilbud")}[args[0]]
    m = json.loads((d / manifest.MANIFEST).read_text(encoding="utf-8"))
    others = [rel for rel in m["filer"] if rel not in {m["tabeller"][t] for t in named}]
    assert any("betalinger" in rel for rel in others)
    assert sum(_flip_middle(d / rel) for rel in others) >= 3
    with pytest.raises(DatasetError):
        open_dataset(d)
    assert main([args[0], str(d), *args[1:]]) == 0
    assert capsys.readouterr().out == want and len(want) > 50


def test_sha256_file_is_the_sha256_of_the_bytes(tmp_path):
    import hashlib

    for size in (0, 1, 65_536, 1_000_003):
        f = tmp_path / f"f{size}"
        f.write_bytes(bytes(i % 251 for i in range(size)))
        assert manifest.sha256_file(f) == hashlib.sha256(f.read_bytes()).hexdigest()
