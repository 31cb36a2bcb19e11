"""docs/DEPLOYMENT.md, tested: two app processes (replicas) against one PostgreSQL see each other's
reviews and access-log entries at once: the state is in the database, never in a process. Two
replicas, one database and one bucket (s3://) share the dataset versions too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import postgres_schema

ROOT = Path(__file__).resolve().parents[1]

# One replica: reads JSON commands on stdin, answers one JSON line each (stays alive between them).
REPLICA = r"""
import datetime as dt, json, sys
from data_model.db import engine_for
from workbench.lager import accesslog, reviews
eng = engine_for(None)
reviews.ensure_tables(eng)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["do"] == "review":
        r = reviews.create(eng, borger_id=cmd["borger"], paa=dt.date(2026, 10, 31), username=cmd["who"],
                           rolle="sagsbehandler", snapshot={"indsatsmaal": []})
        out = r.review_id
    elif cmd["do"] == "log":
        accesslog.write(eng, cmd["who"], "sagsbehandler", "vis_borger", [cmd["borger"]], detalje=cmd["detalje"])
        out = "ok"
    elif cmd["do"] == "reviews":
        out = sorted(r["review_id"] for r in reviews.list_reviews(eng, cmd["borger"]))
    elif cmd["do"] == "log_entries":
        out = sorted(accesslog.entries(eng, borger_id=cmd["borger"])["detalje"].to_list())
    print(json.dumps(out), flush=True)
"""


class Replica:
    def __init__(self, url: str, env: dict[str, str] | None = None, script: str = REPLICA):
        env = {**os.environ, **(env or {}), "DATABASE_URL": url,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))

    def __call__(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"replica died: {self.proc.stderr.read()[-500:]}")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_replicas_share_reviews_and_access_log():
    with postgres_schema("replika") as url:
        a, b = Replica(url), Replica(url)
        try:
            ra = a(do="review", borger="B1", who="anna")
            assert b(do="reviews", borger="B1") == [ra]  # b sees a's review without restarting
            rb = b(do="review", borger="B1", who="bo")
            assert a(do="reviews", borger="B1") == sorted([ra, rb])
            a(do="log", borger="B1", who="anna", detalje="fra replika a")
            b(do="log", borger="B1", who="bo", detalje="fra replika b")
            assert a(do="log_entries", borger="B1") == b(do="log_entries", borger="B1") == [
                "fra replika a", "fra replika b"]
        finally:
            a.close()
            b.close()


# A replica of the app on s3://: opens the current version through the app's own loader
# (workbench.ui.data), imports, and reads the import history from the shared database.
BUCKET_REPLICA = r"""
import json, os, sys, warnings, logging
logging.disable(logging.WARNING)  # streamlit's "no runtime" notes
warnings.simplefilter("ignore")
import polars as pl
from sqlalchemy import select
from data_model.db import engine_for
from data_model.import_tables import ImportHistorik
from workbench.data import importer
from workbench.ui import data
location = os.environ["FFB_WORKBENCH_DATA"]
eng = engine_for(location)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["do"] == "open":
        ds = data.opened_dataset()
        out = {"version": data.dataset_version(), "key": ds.version, "cache_in_home": str(ds.path).startswith(os.environ["FFB_WORKBENCH_HOME"]),
               "rows": {n: ds.tables[n].select(pl.len()).collect().item() for n in sorted(ds.files)}}
    elif cmd["do"] == "import":
        out = importer.import_dataset(cmd["src"], location, engine=eng, bruger=cmd["who"]).version
    elif cmd["do"] == "history":
        with eng.connect() as conn:
            out = [list(r) for r in conn.execute(select(ImportHistorik.version, ImportHistorik.data_dir,
                                                        ImportHistorik.bruger).order_by(ImportHistorik.id))]
    print(json.dumps(out), flush=True)
"""


@pytest.mark.slow
def test_two_replicas_one_database_one_bucket(borger_x_dir, s3_bucket, tmp_path):
    """docs/DEPLOYMENT.md's layout: two replicas, one database (PostgreSQL with TEST_DATABASE_URL, as in
    CI; else one SQLite file), one bucket (s3://, a real S3 API server). Each replica has its own local
    FFB_WORKBENCH_HOME; an import through one is read by the other on its next page load, both agree on
    the version key (shared state refers to it), and both see the import in the shared history."""
    import contextlib

    with contextlib.ExitStack() as stack:
        if os.environ.get("TEST_DATABASE_URL"):
            url = stack.enter_context(postgres_schema("bucket"))
        else:
            url = f"sqlite:///{tmp_path / 'faelles.sqlite'}"
        replicas = []
        for name in ("a", "b"):
            r = Replica(url, {"FFB_WORKBENCH_DATA": s3_bucket, "FFB_WORKBENCH_HOME": str(tmp_path / f"home-{name}")},
                        script=BUCKET_REPLICA)
            stack.callback(r.close)
            replicas.append(r)
        a, b = replicas
        v1 = a(do="import", src=str(borger_x_dir), who="anna")
        first_a, first_b = a(do="open"), b(do="open")
        assert first_a == first_b and first_a["cache_in_home"] and first_a["rows"]["ydelser"] == 1
        with (borger_x_dir / "ydelser.csv").open("a", encoding="utf-8") as fh:
            fh.write("Y4,X,SEL 108,Længerevarende ophold,2023-07-01,,,,,,,\n")
        v2 = b(do="import", src=str(borger_x_dir), who="bo")
        second_a, second_b = a(do="open"), b(do="open")  # a picks up b's import on its next load
        assert second_a == second_b and second_a["rows"]["ydelser"] == 2
        assert second_a["version"] != first_a["version"]
        assert a(do="history") == b(do="history") == [[v1, s3_bucket, "anna"], [v2, s3_bucket, "bo"]]
