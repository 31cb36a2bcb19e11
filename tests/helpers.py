"""Helpers shared by several test files (fixtures shared the same way are in tests/conftest.py).

    from tests.helpers import postgres_schema, run_page

run_page(page, params): a Streamlit page (or app.py) under AppTest with the given query parameters,
run once; fails the test when the run raised.
postgres_schema(prefix): a fresh schema on TEST_DATABASE_URL (the test is skipped when it is unset);
yields a URL whose search_path is that schema and drops the schema (CASCADE) afterwards, so reruns never
see old rows and append-only triggers never need to be bypassed.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest


def run_page(page: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(page, default_timeout=120)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@contextlib.contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL er ikke sat (PostgreSQL-test, fx postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_demo_manifest(directory) -> None:
    """Give a hand-made dataset the manifest `ffb-workbench demo` writes (checksums of its table
    files), so workbench.data.demo_status judges it as generator-written demo data."""
    import json
    from pathlib import Path

    from workbench.data import demo_status

    d = Path(directory)
    names = [p.name for p in d.iterdir() if p.is_file() and p.suffix.lower() in demo_status.DATA_SUFFIXES]
    manifest = {"generator": demo_status.GENERATOR, "filer": demo_status.checksums(d, names)}
    (d / demo_status.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def served(button, media) -> bytes:
    """What a download button serves in AppTest: its stored file, or, for a deferred download (the
    bytes built only on click), the result of running its callable as the server would."""
    proto = button.proto
    url = proto.url
    if not url and proto.deferred_file_id:
        url = media.managers[-1].execute_deferred(proto.deferred_file_id)
    return media[-1].get_file(url.rsplit("/", 1)[-1]).content


def location_snapshot(location: str, under: str = "") -> dict[str, bytes]:
    """Every file of a data directory (a folder, or s3://bucket/prefix through the workbench's own
    client) under `under`, by relative path: to prove that a refused import changed nothing."""
    from pathlib import Path

    from workbench.data import objektlager

    if objektlager.is_url(location):
        base = f"{under}/" if under else ""
        return {k: objektlager.get(location, base + k) for k in objektlager.list_keys(location, under)}
    d = Path(location) / under
    if not d.exists():
        return {}
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def location_read(path: str) -> bytes:
    """The bytes of a file named by a report (a local path, or s3://bucket/key)."""
    from pathlib import Path

    from workbench.data import objektlager

    if objektlager.is_url(path):
        url, bucket, key = objektlager.split(path)
        return objektlager.get(f"s3://{bucket}", key)
    return Path(path).read_bytes()


def mini_dataset(d, declared: str | None = None):
    """A one-borger dataset directory in contract form (CSV): one §85 ydelse from 01-01-2024 registered
    05-03-2024 (the latest event date), one funktionsevne row, the other tables empty; `declared`: a
    datasaet.yaml udtraeksdato."""
    d.mkdir()
    (d / "borgere.csv").write_text("borger_id,foedselsdato,handlekommune\nA,1980-01-01,0250\n", encoding="utf-8")
    (d / "ydelser.csv").write_text(
        "ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato,registreringsdato\n"
        "Y1,A,SEL §85,Socialpædagogisk støtte,2024-01-01,,2024-03-05\n", encoding="utf-8")
    (d / "funktionsevne.csv").write_text(
        "borger_id,dato,omraade,tema,undertema,niveau\n"
        "A,2024-02-01,Aktivitet og deltagelse,Samfundsliv,Varetage økonomi,2\n", encoding="utf-8")
    for t, h in [("maalgrupper", "borger_id,maalgruppe,primaer,dato"), ("stoettebehov", "borger_id,dato,stoettebehov"),
                 ("indsatsmaal", "maal_id,borger_id,undertema,maaltype,startdato"), ("tilbud", "tilbud_id,navn,tilbudstype")]:
        (d / f"{t}.csv").write_text(h + "\n", encoding="utf-8")
    if declared:
        (d / "datasaet.yaml").write_text(f"udtraeksdato: {declared}\n", encoding="utf-8")
    return d
