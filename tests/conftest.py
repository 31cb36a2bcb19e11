"""Shared fixtures: isolated state per test, caches cleared, demo data generated once per session."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# The test modules as pytest rewrites them (assertion rewriting) are kept as bytecode in
# tests/__pycache__ (git-ignored) even where PYTHONDONTWRITEBYTECODE is set: otherwise every xdist
# worker rewrote and compiled all test modules again on every run (about 5 s CPU of each worker's
# collection). Only this process: the app servers and CLI processes the tests start are unchanged
# (scripts/setup.sh compiles workbench and data_model for them).
sys.dont_write_bytecode = False

# One xdist worker per core (./test.sh: -n 2 on the 2-core machine): Polars' own thread pool on top
# of that only adds synchronisation on these small frames (5-10 % more CPU, no faster). Set before
# Polars is first imported; the app servers the browser tests start inherit it.
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0")) >= (os.cpu_count() or 1):
    os.environ.setdefault("POLARS_MAX_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def pytest_collection_modifyitems(config, items):
    """Test files holding a `browser` test run first, then files holding a `slow` test, then the rest by
    number of tests (most first).

    ./test.sh runs files on two workers, one file per worker at a time (--dist loadfile). pytest-xdist's
    own order is by number of tests, which put the few-test browser files (each tens of seconds) last:
    one worker ran them alone while the other had finished. Starting the long files first lets the many
    short ones fill both workers up to the end; the browser files, which wait on a server and chromium,
    first of all, next to the CPU-bound slow files. pyproject's addopts turns xdist's own reordering off
    (--no-loadscope-reorder), so the workers are fed in this order. Only the order changes: every
    collected test still runs."""
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def rank(f: str) -> tuple[int, int]:
        marks = lambda name: any(i.get_closest_marker(name) for i in files[f])  # noqa: E731
        return (0 if marks("browser") else 1 if marks("slow") else 2), -len(files[f])

    order = sorted(files, key=rank)  # stable: ties keep pytest's order
    items[:] = [item for f in order for item in files[f]]


def _hashers():
    from argon2 import PasswordHasher

    from workbench.lager import users

    return users._hasher, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


_REAL_HASHER, _CHEAP_HASHER = _hashers()


@pytest.fixture(scope="session", autouse=True)
def _apptest_reuses_what_cannot_change():
    """Two per-run costs of Streamlit's AppTest that depend on nothing a test can change: every new
    AppTest scans the metadata of every installed package for v2 components (about 80 ms), and every
    run compiles the app's scripts again (a fresh ScriptCache: read, magic, compile). The scan is
    done once per worker; bytecode is kept per (script, mtime, size, magic setting), so an edited
    script is compiled again."""
    import os as _os

    from streamlit import config as st_config
    from streamlit.components.v2 import manifest_scanner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test as app_test_module, local_script_runner

    scan = manifest_scanner.scan_component_manifests
    scanned: list = []

    def scan_once(max_workers=None):
        if not scanned:
            scanned.append(scan(max_workers))
        return list(scanned[0])

    compiled: dict = {}

    class SharedScriptCache(ScriptCache):
        def get_bytecode(self, script_path: str):
            path = _os.path.abspath(script_path)
            st = _os.stat(path)
            key = (path, st.st_mtime_ns, st.st_size, st_config.get_option("runner.magicEnabled"))
            if key not in compiled:
                compiled[key] = super().get_bytecode(script_path)
            return compiled[key]

    mp = pytest.MonkeyPatch()
    mp.setattr(manifest_scanner, "scan_component_manifests", scan_once)
    mp.setattr(app_test_module, "ScriptCache", SharedScriptCache)
    mp.setattr(local_script_runner, "ScriptCache", SharedScriptCache)
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No test touches var/ or another test's database; Streamlit caches start empty."""
    monkeypatch.setenv("FFB_WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.sqlite'}")
    monkeypatch.delenv("FFB_WORKBENCH_DATA", raising=False)
    monkeypatch.delenv("FFB_WORKBENCH_USER", raising=False)
    # s3:// locations: ask the bucket for CURRENT every time (tests change it behind the process's back);
    # tests/test_objektlager.py tests the reuse window itself
    monkeypatch.setenv("FFB_WORKBENCH_S3_TTL", "0")
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    # The suite signs in through dev mode on its hand-made datasets, which are not generator-written
    # demo data; production refuses that (workbench.lager.users.dev_allowed). Tests of the refusal itself
    # use the `real_dev_guard` fixture, which restores the real check.
    from workbench.lager import ratelimit, users

    monkeypatch.setattr(users, "dev_allowed", lambda path: True)
    # Password hashes with argon2's cheapest parameters (production: 0.2 s CPU and 64 MiB per hash, and
    # every demo bootstrap hashes one password per role). Tests of the real parameters use `real_argon2`.
    monkeypatch.setattr(users, "_hasher", _CHEAP_HASHER)
    users._dummy_hash.cache_clear()
    ratelimit.reset()
    # No background work from app.py runs (workbench/ui/data.background): a thread outliving its test could write
    # into the next test's (cleared) cache. Its own tests switch it back on.
    from workbench.ui import data

    monkeypatch.setattr(data, "BACKGROUND", False)
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def real_argon2(monkeypatch):
    """Password hashing with the production parameters (workbench.lager.users' own hasher)."""
    from workbench.lager import users

    monkeypatch.setattr(users, "_hasher", _REAL_HASHER)
    users._dummy_hash.cache_clear()
    yield _REAL_HASHER
    users._dummy_hash.cache_clear()


@pytest.fixture
def real_dev_guard(monkeypatch):
    """Dev mode judged as in production: only on verified demo data."""
    from workbench.lager import users

    monkeypatch.setattr(users, "dev_allowed", users.is_demo_dataset)


@pytest.fixture
def media(monkeypatch) -> list:
    """The AppTest media storages (MemoryMediaFileStorage), to read what a download button serves:
    media[-1].get_file(url.rsplit("/", 1)[-1]).content."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test as app_test_module

    class Made(list):
        managers: list[MediaFileManager]

    made = Made()
    made.managers = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    class RecordingManager(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.managers.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingManager)
    return made



@pytest.fixture
def borger_x_dir(tmp_path) -> Path:
    """A private copy of seed 003's Borger X dataset."""
    target = tmp_path / "borger_x"
    shutil.copytree(FIXTURES / "borger_x", target)
    return target


@pytest.fixture(scope="session")
def demo_kommune(tmp_path_factory) -> Path:
    """The kommune-scale demo dataset (seed 1), generated once per test session. Treat as read-only."""
    from workbench.vaerktoej import synth

    out = tmp_path_factory.mktemp("demo") / "kommune"
    synth.write_demo(out, skala="kommune", seed=1)
    return out


@pytest.fixture
def demo_env(demo_kommune, monkeypatch) -> Path:
    """The app reads the kommune demo dataset."""
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    return demo_kommune


# State databases (users, access log, …): the same test on SQLite and, with TEST_DATABASE_URL, on a
# fresh PostgreSQL schema.
@pytest.fixture
def sqlite_engine():
    from data_model.db import engine_for

    return engine_for(None)  # DATABASE_URL: a fresh SQLite file per test (_isolated)


@pytest.fixture
def pg_engine():
    from data_model.db import get_engine
    from tests.helpers import postgres_schema

    with postgres_schema("t") as url:
        eng = get_engine(url)
        yield eng
        eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


# --- object storage (S3 API): a real S3 server (moto's) on a free loopback port -------------------

@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 API server on 127.0.0.1 (port 0: a free one), one per worker; a test extra, so it
    runs in CI (never skipped)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch, request):
    """A fresh bucket on the test's S3 server, credentials and endpoint in the environment as in
    production; returns its s3:// location (a prefix in the bucket)."""
    import re
    import uuid

    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ffbtestnoegle")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "ffb-hemmelig-testnoegle")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    name = ("ffb-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()))[:40].strip("-") + "-" + uuid.uuid4().hex[:8]
    client = boto3.client("s3", endpoint_url=s3_server, region_name="eu-north-1",
                          aws_access_key_id="ffbtestnoegle", aws_secret_access_key="ffb-hemmelig-testnoegle")
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    return f"s3://{name}/kommune/data"


@pytest.fixture
def s3_client(s3_server):
    """A boto3 client on the test server (to tamper with objects behind the workbench's back)."""
    import boto3

    return boto3.client("s3", endpoint_url=s3_server, region_name="eu-north-1",
                        aws_access_key_id="ffbtestnoegle", aws_secret_access_key="ffb-hemmelig-testnoegle")


@pytest.fixture(params=["lokal", "s3"])
def data_location(request, tmp_path):
    """Where `import --til` writes a data directory: a local folder, or s3://bucket/prefix on a real
    S3 API server (the same tests run on both)."""
    if request.param == "lokal":
        return str(tmp_path / "data")
    return request.getfixturevalue("s3_bucket")
