"""Issue 23 item 5 (CLI part): CLI refusals are logged — a borger out of the user's scope
(`forloeb`), an unknown tilbud, a command the role may not run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data_model.db import engine_for
from test_access import write_dataset
from tests.helpers import write_demo_manifest
from workbench.lager import accesslog, users

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo(tmp_path):
    d = write_dataset(tmp_path / "data")
    write_demo_manifest(d)
    users.bootstrap(engine_for(d), d)
    return d


def cli(*args):
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "FFB_WORKBENCH_DEV": "0"})


def test_out_of_scope_borger_and_unknown_tilbud_are_logged(demo):
    import polars as pl

    eng = engine_for(demo)
    sb = users.get_user(eng, "sagsbehandler").sagsbehandler
    b = pl.read_parquet(demo / "borgere.parquet") if (demo / "borgere.parquet").is_file() \
        else pl.read_csv(demo / "borgere.csv", infer_schema=False)
    other = b.filter(pl.col("sagsbehandler") != sb)["borger_id"][0]
    got = cli("forloeb", str(demo), other, "--bruger", "sagsbehandler")
    assert got.returncode == 2 and len(got.stderr.strip().splitlines()) == 1
    got = cli("tilbud", str(demo), "FINDES-IKKE", "--bruger", "analytiker")
    assert got.returncode == 2
    log = accesslog.entries(eng, handling=accesslog.ADGANG_NAEGTET)
    assert log.filter((pl.col("bruger") == "sagsbehandler") & (pl.col("borger_ids") == other)).height == 1
    assert log.filter((pl.col("bruger") == "analytiker") & pl.col("detalje").str.contains("tilbud")).height == 1
    assert accesslog.verify(eng).ok
