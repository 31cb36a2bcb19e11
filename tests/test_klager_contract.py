"""Issue 22 item 1: the optional ydelser.ansoegningsdato and the optional klager table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from data_model.contract import TABLES
from workbench.data.config import codes as load_codes
from workbench.data.dataset import open_dataset

KLAGER = (
    "klage_id,borger_id,paragraf,modtaget,afgjort,resultat,instans,sagsafgoerelse_id\n"
    "K1,X,85,2024-01-10,2024-03-01,Stadfæstet,Ankestyrelsen,S1\n"
    "K2,X,107,2024-02-01,2024-02-20,stadfaestet,ankestyrelse,\n"     # export spellings
    "K3,X,85,2024-03-05,2024-05-01,Hjemvisning,Ankestyrelsen,\n"
    "K4,X,85,2024-04-01,,,Kommunen,\n"                               # not decided: empty resultat
    "K5,X,85,2024-04-02,2024-06-01,Delvist medhold,Ankestyrelsen,\n"  # unknown resultat
    "K6,X,85,2024-04-03,2024-06-01,ÆNDRING,Ankestyrelsen,\n"
)


def test_contract_declares_the_optional_additions():
    assert TABLES["klager"].optional
    assert TABLES["klager"].required == ["klage_id", "borger_id", "paragraf", "modtaget"]
    col = TABLES["ydelser"].col("ansoegningsdato")
    assert col is not None and col.kind == "date" and not col.required


def test_code_lists_are_enums_from_config():
    codes = load_codes()
    assert codes.klage_resultater == ("Stadfæstet", "Ændret", "Ophævet", "Hjemvist", "Afvist",
                                      "Genvurderet af kommunen")
    assert codes.klage_instanser == ("Kommunen", "Ankestyrelsen")


def test_klager_loaded_with_aliases_and_unknown_resultat_rejected(borger_x_dir):
    (borger_x_dir / "klager.csv").write_text(KLAGER, encoding="utf-8")
    ds = open_dataset(borger_x_dir, trust_manifest=False)
    k = ds.tables["klager"].collect().sort("klage_id")
    assert k["klage_id"].to_list() == ["K1", "K2", "K3", "K4", "K6"]
    assert k.schema["resultat"] == pl.Enum(list(load_codes().klage_resultater))
    assert k["resultat"].cast(pl.String).to_list() == ["Stadfæstet", "Stadfæstet", "Hjemvist", None, "Ændret"]
    assert k["instans"].cast(pl.String).to_list() == ["Ankestyrelsen"] * 3 + ["Kommunen", "Ankestyrelsen"]
    assert k["modtaget"][0] == dt.date(2024, 1, 10)
    rej = ds.rejected["klager"].collect()
    assert rej.height == 1
    assert rej["fejl"][0] == "resultat: ugyldig værdi 'Delvist medhold'"


def test_without_klager_the_table_is_empty_and_typed(borger_x_dir):
    ds = open_dataset(borger_x_dir, trust_manifest=False)
    k = ds.tables["klager"].collect()
    assert k.height == 0 and k.schema["afgjort"] == pl.Date
    assert ds.tables["ydelser"].collect().schema["ansoegningsdato"] == pl.Date
