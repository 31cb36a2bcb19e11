"""Issue 21: one owner for a borger's primary målgruppe (workbench.regler.maalgruppe) and latest overall
støttebehov (workbench.regler.stoettebehov). A borger with a same-day tie gets the same answer through
every path: Udforsk's filter (regler.filters), Tilbud (borgere nu), Resultater (per målgruppe) and Tilsyn."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.data.config import codes as load_codes
from workbench.data.dataset import open_dataset
from workbench.regler import filters as F
from workbench.regler.maalgruppe import primaer_maalgruppe
from workbench.regler.stoettebehov import seneste_stoettebehov
from workbench.sider import resultater, tilbud, tilsyn

ROOT = Path(__file__).resolve().parents[1]
PAA = dt.date(2024, 6, 30)
# the same-day ties, the alphabetically last label written FIRST in the file, so an answer that depends
# on row order (or on an unstable sort) differs from the owner's rule
MG_RULE = "Døvblindhed"       # > "Anden psykisk vanskelighed"
SB_RULE = "Let støttebehov"   # > "Intet støttebehov"


@pytest.fixture
def ds(tmp_path):
    out = tmp_path / "ds"
    shutil.copytree(ROOT / "tests" / "fixtures" / "borger_x", out)
    with open(out / "maalgrupper.csv", "a", encoding="utf-8") as fh:
        fh.write("X,Døvblindhed,true,2024-01-01,S3\nX,Anden psykisk vanskelighed,true,2024-01-01,S3\n")
    with open(out / "stoettebehov.csv", "a", encoding="utf-8") as fh:
        fh.write("X,2024-01-01,Let støttebehov,,S3\nX,2024-01-01,Intet støttebehov,,S3\n")
    with open(out / "ydelser.csv", "a", encoding="utf-8") as fh:
        fh.write("Y2,X,SEL §85,Støtte til administration,2023-06-02,,2023-06-02,2023-06-02,1000000001,S2,2,4800\n")
    return open_dataset(out)


def test_owner_breaks_a_same_day_tie_by_label():
    mg = pl.LazyFrame({"borger_id": ["X", "X", "X"], "maalgruppe": ["B", "C", "A"], "primaer": [True, True, True],
                       "dato": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2023, 1, 1)]})
    assert primaer_maalgruppe(mg, PAA).collect().rows() == [("X", "C", dt.date(2024, 1, 1))]
    # before the tie: the earlier one
    assert primaer_maalgruppe(mg, dt.date(2023, 12, 31)).collect()["maalgruppe"].to_list() == ["A"]
    sb = pl.LazyFrame({"borger_id": ["X", "X", "X"], "stoettebehov": ["Q", "P", "Z"], "tema": [None, None, "t"],
                       "dato": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 2, 1)]})
    # a tema-specific assessment is not the overall one, even when later
    assert seneste_stoettebehov(sb, PAA).collect().rows() == [("X", "Q", dt.date(2024, 1, 1))]


def test_same_primary_maalgruppe_and_stoettebehov_through_every_path(ds):
    # Udforsk's filter
    st = F.borger_status(ds, F.Filters(paa=PAA)).collect().filter(pl.col("borger_id") == "X")
    assert st["primaer_maalgruppe"].to_list() == [MG_RULE]
    assert st["stoettebehov"].to_list() == [SB_RULE]

    mg = F.maalgruppe_rows(ds, PAA, True, load_codes())
    assert mg.collect()["maalgruppe"].to_list() == [MG_RULE]
    # Tilbud: borgere nu
    nu = tilbud.borgere_nu(ds, "1000000001", PAA).collect()
    assert nu["primaer_maalgruppe"].to_list() == [MG_RULE]
    assert nu["stoettebehov"].to_list() == [SB_RULE]
    # Resultater per målgruppe
    pop = resultater.population(ds, "maalgruppe", dt.date(2024, 1, 1), PAA).collect()
    assert pop["gruppe"].to_list() == [MG_RULE]
    # Tilsyn: the støttebehov prefill cites the same one (the målgruppe question answers Nej to a tie:
    # two primary målgrupper on one day is a kvalitet finding there, so no label is cited)
    sv = tilsyn.stoettebehov_vurderet(ds, PAA).collect().filter(pl.col("borger_id") == "X")
    assert sv["grundlag"].to_list() == [f"Samlet støttebehov: {SB_RULE} (01-01-2024)."]
    pm = tilsyn.primaer_maalgruppe(ds, PAA).collect().filter(pl.col("borger_id") == "X")
    assert pm["forslag"].to_list() == [tilsyn.NEJ]
