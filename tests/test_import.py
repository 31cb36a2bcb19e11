"""`import`: a validated dataset becomes a new version; refusals change nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from workbench.data import importer
from workbench.cli import main
from workbench.data.dataset import DatasetError, open_dataset, resolve_dir
from tests.helpers import location_read, location_snapshot

T0 = dt.datetime(2026, 11, 23, 12, 0, 0)


def add_bad_rows(src: Path) -> None:
    with (src / "ydelser.csv").open("a", encoding="utf-8") as fh:
        fh.write("Y2,X,SEL §999,Støtte til administration,2023-01-01,,,,,,,\n")  # row 3
        fh.write("Y3,X,§85,Støtte til administration,31-02-2023,,,,,,,\n")  # row 4
        fh.write("Y4,X,SEL 108,Længerevarende ophold,2023-07-01,,,,,,,\n")  # row 5, fine


def test_import_lands_a_version(borger_x_dir, data_location):
    """Local folder or s3://bucket/prefix (data_location): the same version, CURRENT, history."""
    data = data_location
    result = importer.import_dataset(borger_x_dir, data, now=T0)
    assert result.version == "v0001-20261123T120000"
    assert result.version_dir == f"{data}/versions/{result.version}"
    assert importer.current_version(data) == result.version
    vdir = resolve_dir(data)  # in object storage: the verified local copy of the version
    read = {k: v for k, v in location_snapshot(str(vdir)).items() if k != ".komplet"}  # the cache's own marker
    assert read == location_snapshot(data, f"versions/{result.version}")  # what is read = what was stored
    if not data.startswith("s3://"):
        assert vdir == Path(data) / "versions" / result.version
    assert sorted(p.name for p in vdir.glob("*.parquet")) == sorted(
        f"{t}.parquet" for t in ("borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal",
                                 "opfoelgninger", "ydelser", "tilbud"))
    assert not (vdir / "karantaene").exists()
    # the stored version reads back to the same typed tables
    src, stored = open_dataset(borger_x_dir), open_dataset(data)
    assert stored.rejected_counts() == {}
    for name in src.files:
        assert stored.tables[name].collect().equals(src.tables[name].collect()), name
    # code lists stored as plain strings, dates as dates
    schema = pl.read_parquet_schema(vdir / "ydelser.parquet")
    assert schema["paragraf"] == pl.String and schema["startdato"] == pl.Date
    assert all(t.laest == t.accepteret + t.afvist for t in result.tabeller)
    history = importer.read_history(data)
    assert len(history) == 1 and history[0]["version"] == result.version
    assert history[0]["filer"]["ydelser"]["sha256"]
    assert json.loads((vdir / "import.json").read_text())["version"] == result.version


def test_rejected_rows_go_to_quarantine(borger_x_dir, data_location):
    add_bad_rows(borger_x_dir)
    data = data_location
    result = importer.import_dataset(borger_x_dir, data, now=T0)
    y = next(t for t in result.tabeller if t.tabel == "ydelser")
    assert (y.laest, y.accepteret, y.afvist) == (4, 2, 2)
    assert y.karantaene == f"{data}/versions/{result.version}/karantaene/ydelser.csv"
    qdf = pl.read_csv(location_read(y.karantaene), infer_schema=False)
    assert qdf["raekke"].to_list() == ["3", "4"]
    assert qdf["paragraf"].to_list() == ["SEL §999", "§85"]  # as it came
    assert qdf["fejl"][0].startswith("paragraf:") and qdf["fejl"][1].startswith("startdato:")
    stored = open_dataset(data).ydelser.collect()
    assert stored["ydelse_id"].to_list() == ["Y1", "Y4"]
    assert stored["paragraf"].cast(pl.String).to_list() == ["SEL §85", "SEL §108"]
    assert result.afvist == 2 and result.karantaene_dir == f"{data}/versions/{result.version}/karantaene"


def test_extra_columns_are_kept(borger_x_dir, tmp_path):
    text = (borger_x_dir / "tilbud.csv").read_text().splitlines()
    (borger_x_dir / "tilbud.csv").write_text(f"{text[0]},Leder\n{text[1]},Hanne\n")
    importer.import_dataset(borger_x_dir, tmp_path / "data", now=T0)
    assert open_dataset(tmp_path / "data").tilbud.collect()["leder"].to_list() == ["Hanne"]


def test_second_import_is_a_new_version(borger_x_dir, data_location):
    data = data_location
    first = importer.import_dataset(borger_x_dir, data, now=T0)
    first_files = location_snapshot(data, f"versions/{first.version}")
    add_bad_rows(borger_x_dir)
    second = importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=1))
    assert second.version == "v0002-20261123T130000" and second.forrige_version == first.version
    assert importer.list_versions(data) == [first.version, second.version]
    assert importer.current_version(data) == second.version
    assert [h["version"] for h in importer.read_history(data)] == [first.version, second.version]
    assert open_dataset(data).ydelser.collect().height == 2
    # the first version is untouched
    assert location_snapshot(data, f"versions/{first.version}") == first_files
    if not data.startswith("s3://"):
        assert open_dataset(Path(data) / "versions" / first.version).ydelser.collect().height == 1


@pytest.mark.parametrize("breakage", ["missing_column", "garbage", "missing_table"])
def test_refused_import_changes_nothing(borger_x_dir, data_location, breakage):
    data = data_location
    importer.import_dataset(borger_x_dir, data, now=T0)
    if breakage == "missing_column":
        (borger_x_dir / "ydelser.csv").write_text("ydelse_id,borger_id,ydelse,startdato\nY1,X,a,2023-01-01\n")
    elif breakage == "garbage":
        (borger_x_dir / "ydelser.csv").unlink()
        (borger_x_dir / "ydelser.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 8)
    else:
        (borger_x_dir / "tilbud.csv").unlink()
    before = location_snapshot(data)
    with pytest.raises(DatasetError):
        importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=1))
    assert location_snapshot(data) == before


def test_refused_import_does_not_create_data_dir(borger_x_dir, data_location):
    (borger_x_dir / "borgere.csv").write_text("cpr,foedselsdato\n0101901234,1990-01-01\n")
    with pytest.raises(DatasetError, match="borger_id"):
        importer.import_dataset(borger_x_dir, data_location, now=T0)
    assert location_snapshot(data_location) == {}
    assert data_location.startswith("s3://") or not Path(data_location).exists()


def test_failure_while_writing_leaves_no_partial_version(borger_x_dir, data_location, monkeypatch):
    data = data_location
    importer.import_dataset(borger_x_dir, data, now=T0)
    before = location_snapshot(data)
    calls = {"n": 0}
    real = pl.DataFrame.write_parquet

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disken er fuld")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", flaky)
    with pytest.raises(OSError):
        importer.import_dataset(borger_x_dir, data, now=T0 + dt.timedelta(hours=1))
    assert calls["n"] == 3
    assert location_snapshot(data) == before


# --- mapping -------------------------------------------------------------------------------------

def test_mapping_renames_columns_and_maps_values(borger_x_dir, tmp_path):
    (borger_x_dir / "ydelser.csv").write_text(
        "Ydelse ID,borger_id,Paragraf tekst,ydelse,Start,slutdato\n"
        "Y1,X,Servicelovens paragraf 85,Støtte til administration,2023-01-01,\n"
        "Y2,X,Ukendt lov,Støtte til administration,2023-01-01,\n", encoding="utf-8")
    (borger_x_dir / "maalgrupper.csv").write_text(
        "borger_id,maalgruppe,primaer,dato\nX,Psykisk sårbar,true,2023-01-01\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "tabeller:\n"
        "  ydelser:\n"
        "    kolonner: {Ydelse ID: ydelse_id, Paragraf tekst: paragraf, Start: startdato, Findes ikke: x}\n"
        "    vaerdier:\n"
        "      paragraf: {Servicelovens paragraf 85: '§85'}\n"
        "vaerdier:\n"
        "  maalgruppe: {Psykisk sårbar: Anden psykisk vanskelighed}\n", encoding="utf-8")
    result = importer.import_dataset(borger_x_dir, tmp_path / "data", mapping=mapping, now=T0)
    ds = open_dataset(tmp_path / "data")
    y = ds.ydelser.collect()
    assert y["ydelse_id"].to_list() == ["Y1"] and y["paragraf"].cast(pl.String).to_list() == ["SEL §85"]
    assert ds.maalgrupper.collect()["maalgruppe"].cast(pl.String).to_list() == ["Anden psykisk vanskelighed"]
    assert next(t for t in result.tabeller if t.tabel == "ydelser").afvist == 1
    assert result.mapping == str(mapping)
    assert any("findes_ikke" in n for n in result.noter)


@pytest.mark.parametrize("text,expect", [
    ("tabeller: {ydelserr: {kolonner: {a: b}}}\n", "tabeller.ydelserr"),
    ("tabeller: {ydelser: {vaerdier: {paragraf: {x: 'SEL §999'}}}}\n", "SEL §999"),
    ("vaerdier: {maalgruppe: {x: Findes ikke}}\n", "Findes ikke"),
    ("tabeller: {ydelser: {omdoeb: {a: b}}}\n", "tabeller.ydelser.omdoeb"),
    ("tabeller: {ydelser: {kolonner: {a: paragraf, b: paragraf}}}\n", "paragraf"),
    ("tabeller: {ydelser: {vaerdier: {ukendt_kolonne: {a: b}}}}\n", "ukendt_kolonne"),
    ("tabeller: [ydelser\n", "ugyldig YAML"),
    ("kolonner: {a: b}\n", "'kolonner'"),
])
def test_bad_mapping_is_refused_naming_file_and_key(borger_x_dir, tmp_path, text, expect):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError) as exc:
        importer.import_dataset(borger_x_dir, tmp_path / "data", mapping=mapping, now=T0)
    assert "m.yaml" in str(exc.value) and expect in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "data").exists()


# --- command line --------------------------------------------------------------------------------

def test_cli_import_prints_report(borger_x_dir, tmp_path, capsys):
    add_bad_rows(borger_x_dir)
    data = tmp_path / "data"
    assert main(["import", str(borger_x_dir), "--til", str(data)]) == 0
    out = capsys.readouterr().out
    version = (data / "CURRENT").read_text().strip()
    assert version in out and "karantæne" in out and str(data / "versions" / version / "karantaene") in out
    assert "ydelser" in out and "Læst 18 rækker: 16 accepteret, 2 afvist." in out


def test_cli_import_json(borger_x_dir, data_location, capsys):
    assert main(["import", str(borger_x_dir), "--til", data_location, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == importer.current_version(data_location) and report["data_dir"] == data_location
    assert {t["tabel"]: t["laest"] for t in report["tabeller"]}["funktionsevne"] == 7


def test_cli_import_refused_exit_2(borger_x_dir, data_location, capsys):
    (borger_x_dir / "ydelser.csv").write_text("ydelse_id\nY1\n")
    assert main(["import", str(borger_x_dir), "--til", data_location]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "ydelser" in err and "Traceback" not in err
    assert location_snapshot(data_location) == {}


def test_corrected_quarantine_file_can_be_imported_again(borger_x_dir, tmp_path):
    add_bad_rows(borger_x_dir)
    data = tmp_path / "data"
    first = importer.import_dataset(borger_x_dir, data, now=T0)
    q = pl.read_csv(next(t for t in first.tabeller if t.tabel == "ydelser").karantaene, infer_schema=False)
    fixed = q.with_columns(paragraf=pl.lit("SEL §85"), startdato=pl.lit("2023-02-28"))
    fixed_src = tmp_path / "rettet"
    import shutil

    shutil.copytree(borger_x_dir, fixed_src)
    fixed.write_csv(fixed_src / "ydelser.csv")  # still carries raekke and fejl columns
    second = importer.import_dataset(fixed_src, data, now=T0 + dt.timedelta(hours=1))
    y = next(t for t in second.tabeller if t.tabel == "ydelser")
    assert (y.laest, y.accepteret, y.afvist) == (2, 2, 0)
    stored = open_dataset(data).ydelser.collect()
    assert stored["ydelse_id"].to_list() == ["Y2", "Y3"] and "raekke" not in stored.columns


def test_demo_dataset_imports_whole(demo_kommune, data_location):
    data = data_location
    result = importer.import_dataset(demo_kommune, data, now=T0)
    assert result.afvist == 0 and all(t.laest == t.accepteret for t in result.tabeller)
    src, stored = open_dataset(demo_kommune), open_dataset(data)
    for name in src.files:
        assert stored.tables[name].collect().equals(src.tables[name].collect()), name
