"""docs/DEPLOYMENT.md, tested: two app processes (replicas) against one PostgreSQL see each other's
reviews and access-log entries at once: the state is in the database, never in a process."""

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
    def __init__(self, url: str):
        env = {**os.environ, "DATABASE_URL": url,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, "-c", REPLICA], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
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
