"""A data directory's versions: listing, the current one, history, version ids, atomic writes and the
lock that serialises writers."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

import polars as pl

from workbench.data.dataset import DatasetError
from workbench.data.importer.settings import import_settings

VERSIONS = "versions"
QUARANTINE = "karantaene"
HISTORY = "import_history.jsonl"
CURRENT = "CURRENT"
REPORT = "import.json"
VERSION_RE = re.compile(r"^v(\d{4,})-(\d{8}T\d{6})$")


# --- versions ------------------------------------------------------------------------------------

def list_versions(data_dir: str | Path) -> list[str]:
    """Version ids in a data directory, oldest first (in object storage: the wholly uploaded ones)."""
    if _object_store(data_dir):
        from workbench.data import objektlager

        return sorted((v for v in objektlager.complete_version_ids(data_dir) if VERSION_RE.match(v)),
                      key=lambda v: int(VERSION_RE.match(v).group(1)))
    vdir = Path(data_dir) / VERSIONS
    if not vdir.is_dir():
        return []
    return sorted((p.name for p in vdir.iterdir() if p.is_dir() and VERSION_RE.match(p.name)),
                  key=lambda v: int(VERSION_RE.match(v).group(1)))


def current_version(data_dir: str | Path) -> str | None:
    if _object_store(data_dir):
        from workbench.data import objektlager

        return objektlager.current_version(data_dir)
    f = Path(data_dir) / CURRENT
    return f.read_text(encoding="utf-8").strip() if f.is_file() else None


def read_history(data_dir: str | Path) -> list[dict]:
    if _object_store(data_dir):
        from workbench.data import objektlager

        return objektlager.read_history(data_dir)
    f = Path(data_dir) / HISTORY
    if not f.is_file():
        return []
    out = []
    for line in f.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:  # a line cut by a crash is not history
            continue
    return out


def next_version_id(data_dir: str | Path, now: dt.datetime) -> str:
    numbers = [int(VERSION_RE.match(v).group(1)) for v in list_versions(data_dir)]
    return f"v{(max(numbers) + 1) if numbers else 1:04d}-{now:%Y%m%dT%H%M%S}"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _storable(df: pl.DataFrame) -> pl.DataFrame:
    """Enums/categoricals as strings (a stored version must not depend on today's code lists)."""
    return df.with_columns(
        pl.col(c).cast(pl.String) for c, t in df.schema.items() if isinstance(t, (pl.Enum, pl.Categorical))
    )


LOCK_FILE = ".import.lock"
# access-log actions (handling) written by the CLI and the Import page
HANDLING_IMPORT = "import"
HANDLING_RUL_TILBAGE = "rul_tilbage"


@contextlib.contextmanager
def data_dir_lock(data_dir: Path, wait: float | None = None) -> Iterator[None]:
    """Exclusive lock on a data directory (fcntl) for writing a version or switching CURRENT. A second
    writer waits up to `wait` seconds (config laas_vent_sekunder), then is refused (DatasetError).
    The kernel releases the lock when the holder dies, also on kill -9."""
    wait = import_settings().laas_vent_sekunder if wait is None else wait
    if _object_store(data_dir):  # s3://: the lock file lives in the location's local state folder
        from data_model.paths import state_dir

        data_dir = state_dir(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    fh = (data_dir / LOCK_FILE).open("a+")
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatasetError(f"en anden import eller tilbagerulning er i gang i {data_dir}; "
                                       "prøv igen, når den er færdig") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


def _clean_debris(data_dir: Path) -> list[str]:
    """Hidden temporary version dirs and CURRENT temp files left by a killed import (call under the lock)."""
    removed = []
    versions = data_dir / VERSIONS
    if versions.is_dir():
        for p in versions.iterdir():
            if p.name.startswith(".") and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
    for p in data_dir.glob(f".{CURRENT}.*"):
        p.unlink(missing_ok=True)
        removed.append(p.name)
    # an import killed after CURRENT but before its history line: add the line from the version's report
    current = current_version(data_dir)
    if current and (versions / current / REPORT).is_file() and \
            not any(r.get("version") == current for r in read_history(data_dir)):
        _append_history(data_dir, version_report(data_dir, current))
        removed.append(f"{HISTORY} (+{current})")
    return removed


def _append_history(data_dir: Path, record: dict) -> None:
    with (data_dir / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _object_store(data_dir: str | Path) -> bool:
    from data_model.paths import is_object_url

    return is_object_url(data_dir)

def _object_url(data_dir: str | Path) -> str:
    from data_model.paths import object_url

    return object_url(data_dir)

def version_report(data_dir: str | Path, version: str) -> dict:
    f = Path(data_dir) / VERSIONS / version / REPORT
    try:
        if _object_store(data_dir):
            from workbench.data import objektlager

            return json.loads(objektlager.get(data_dir, f"{VERSIONS}/{version}/{REPORT}") or b"")
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": version}
