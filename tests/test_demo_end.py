"""Issue 23: demo status follows the data actually served. `ffb-workbench demo --out D` followed by
`ffb-workbench import REAL --til D` ends demo status for good: the demo users are disabled in the
transaction that records the import, dev mode is refused, the login page lists no demo users."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from test_access import write_dataset
from workbench.data import demo_status, importer
from workbench.lager import sessions, users
from workbench.regler import access

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "FFB_WORKBENCH_DEV": "0", **(env or {})})


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    base = tmp_path_factory.mktemp("demoslut")
    d = base / "demo"
    got = cli("demo", "--out", str(d))
    assert got.returncode == 0, got.stderr
    assert demo_status.is_demo(d)
    eng = engine_for(d)
    users.bootstrap(eng, d)  # the demo users a server start on the demo creates
    demo_names = {u.brugernavn for u in users.all_users(eng) if u.demo and u.aktiv}
    assert demo_names == set(access.ROLE_NAMES)
    # a demo user is signed in when the real data arrive
    token = sessions.create(eng, "analytiker", 8, d)
    real = write_dataset(base / "rigtig")
    got = cli("import", str(real), "--til", str(d))
    assert got.returncode == 0, got.stderr
    return d, eng, demo_names, token


@pytest.mark.slow
def test_import_ends_demo_status(imported):
    d, eng, names, _ = imported
    assert importer.current_version(d) is not None
    assert not demo_status.is_demo(d)
    assert not users.is_demo_dataset(d)


def test_import_disables_demo_users(imported):
    d, eng, names, token = imported
    for name in names:
        u = users.get_user(eng, name)
        assert u is not None and not u.aktiv and u.adgangskode_hash is None
        got = users.authenticate(eng, name, access.security().demo_adgangskode, demo_allowed=True)
        assert got.principal is None
    assert sessions.user_for(eng, token, d) is None


def test_dev_mode_refused_after_import(imported):
    d, *_ = imported
    got = subprocess.run([sys.executable, "-m", "workbench.startcheck"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "FFB_WORKBENCH_DEV": "1", "FFB_WORKBENCH_DATA": str(d)})
    assert got.returncode == 2 and len(got.stderr.strip().splitlines()) == 1


def test_demo_out_refuses_the_imported_directory(imported):
    d, *_ = imported
    got = cli("demo", "--out", str(d))
    assert got.returncode == 2


def test_login_page_lists_no_demo_users(imported, monkeypatch):
    d, *_ = imported
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(d))
    monkeypatch.delenv("FFB_WORKBENCH_DEV", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not any("Demobrugere" in i.value for i in at.info)
    assert not any("`analytiker`" in (m.value or "") for m in [*at.info, *at.markdown])
