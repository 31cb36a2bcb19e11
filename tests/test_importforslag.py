"""Import suggestions (workbench.data.importforslag): uploads/zip, table, column and value suggestions,
the mapping YAML round trip and saved mappings."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from workbench.data import importer
from workbench.data import importforslag as f
from workbench.data.dataset import DatasetError


def test_unpack_uploads_zip_is_safe(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../etc/borgere.csv", "a\n1\n")
        zf.writestr("mappe/ydelser.csv", "b\n2\n")
        zf.writestr("__MACOSX/._ydelser.csv", "x")
        zf.writestr("noter.txt", "hej")
    paths, notes = f.unpack_uploads([("eksport.zip", buf.getvalue()), ("tilbud.xlsx", b"x")], tmp_path / "u", 10_000)
    assert sorted(p.name for p in paths) == ["borgere.csv", "tilbud.xlsx", "ydelser.csv"]
    assert all(p.parent == tmp_path / "u" for p in paths)
    assert notes == ["noter.txt: springes over (kun .csv, .xlsx og .parquet)"]
    with pytest.raises(DatasetError, match="grænsen"):
        f.unpack_uploads([("stor.csv", b"x" * 101)], tmp_path / "v", 100)
    with pytest.raises(DatasetError, match="ikke en gyldig zip-fil"):
        f.unpack_uploads([("x.zip", b"PK\x03\x04garbage")], tmp_path / "w", 100)


def test_suggest_table_from_name_then_columns():
    assert f.suggest_table("Nexus_ydelser_okt.csv", []) == ("ydelser", "filnavn")
    assert f.suggest_table("udtraek.csv", ["maal_id", "borger_id", "undertema", "maaltype", "startdato"]) == (
        "indsatsmaal", "kolonner")
    assert f.suggest_table("noget.csv", ["a", "b"]) == (None, "ingen")


def test_suggest_columns_exact_alias_fuzzy_unmatched():
    got = {s.kilde: (s.kontrakt, s.hvordan) for s in f.suggest_columns(
        "ydelser", ["ydelse_id", "lovgrundlag", "start_dato", "maanedlig_udgift_kr", "bevilget", "borgerid"])}
    assert got == {"ydelse_id": ("ydelse_id", "eksakt"), "lovgrundlag": ("paragraf", "alias"),
                   "start_dato": ("startdato", "alias"), "maanedlig_udgift_kr": ("maanedlig_udgift", "fuzzy"),
                   "bevilget": (None, "ingen"), "borgerid": ("borger_id", "alias")}


@pytest.mark.parametrize("table,column,value,expect", [
    ("ydelser", "paragraf", "§85", ("SEL §85", "alias")),
    ("ydelser", "paragraf", "§§ 105/85", ("ABL §105/SEL §85", "alias")),
    ("ydelser", "paragraf", "SEL §85", ("SEL §85", "eksakt")),
    ("ydelser", "paragraf", "§999", (None, "ingen")),
    ("maalgrupper", "primaer", "Ja", ("true", "alias")),
    ("maalgrupper", "primaer", "Nej", ("false", "alias")),
    ("stoettebehov", "stoettebehov", "Let", ("Let støttebehov", "alias")),
    ("indsatsmaal", "maaltype", "Begrænse tab", ("Begrænse tab af funktionsevne", "alias")),
    ("borgere", "koen", "kvinde", ("K", "alias")),
    ("opfoelgninger", "vurdering", "delvist opnået", ("Delvist opnået", "alias")),
])
def test_suggest_value(table, column, value, expect):
    assert f.suggest_value(table, column, value, importer.load_codes()) == expect


def test_mapping_yaml_round_trip_and_saved_mapping(tmp_path):
    tables = {"ydelser": importer.TableMapping({"lovgrundlag": "paragraf", "bevilget": "bevillingsdato"},
                                               {"paragraf": {"Servicelov 85": "SEL §85"}}),
              "maalgrupper": importer.TableMapping({}, {"primaer": {"Ja": "true"}})}
    text = importer.mapping_yaml(tables)
    p = tmp_path / "m.yaml"
    p.write_text(text, encoding="utf-8")
    assert importer.load_mapping(p).tables == tables  # what `import --mapping` reads is what the page built
    eng = create_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    import data_model.tables  # noqa: F401
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(eng)
    f.save_mapping(eng, "Nexus månedlig", text, "anna")
    f.save_mapping(eng, "Nexus månedlig", text, "bo")  # replace by name
    assert f.saved_mappings(eng) == ["Nexus månedlig"]
    assert importer.mapping_from_yaml(f.saved_mapping(eng, "Nexus månedlig"), Path("x.yaml")).tables == tables
    with pytest.raises(DatasetError, match="ukendt kode"):
        f.save_mapping(eng, "dårlig", "vaerdier: {maalgruppe: {x: Findes ikke}}\n")
