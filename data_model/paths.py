"""Where the workbench finds its own files and the default data directory."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "config"
GEO_DIR = ROOT / "geo"


def config_dir() -> Path:
    return Path(os.environ.get("FFB_WORKBENCH_CONFIG", CONFIG_DIR))


def home_dir() -> Path:
    """Writable directory for the bundled demo data (git-ignored)."""
    return Path(os.environ.get("FFB_WORKBENCH_HOME", ROOT / "var"))


def demo_dir() -> Path:
    return home_dir() / "demo"


SQLITE_FILE = "workbench.sqlite"


OBJECT_SCHEME = "s3://"
# written last into a local copy of an s3:// version (workbench.data.objektlager): the copy is whole and verified
COMPLETE = ".komplet"


def is_object_url(location: str | Path | None) -> bool:
    """True for a data location in object storage (s3://bucket/prefix). Path() folds the double
    slash, so a location that went through Path ('s3:/bucket/prefix') counts too."""
    return location is not None and str(location).startswith("s3:/")


def object_url(location: str | Path) -> str:
    """The canonical s3://bucket/prefix form of an object-storage location (no trailing slash)."""
    s = str(location)
    rest = s[len("s3:/"):].lstrip("/")
    return OBJECT_SCHEME + rest.rstrip("/")


def _read_only(directory: Path) -> bool:
    """A directory nobody may write to (mode bits), or that this process cannot write to.

    The mode bits matter for root, who could write anyway: a dataset published read-only
    (a shared fixture, an archive) is never changed by the workbench.
    """
    st = directory.stat()
    return (st.st_mode & 0o222) == 0 or not os.access(directory, os.W_OK)


def state_dir(data_dir: str | Path | None = None) -> Path:
    """Where persistent state for a data directory lives: the directory itself, or, when it is
    read-only or in object storage (s3://), a folder of its own under FFB_WORKBENCH_HOME/tilstand."""
    if is_object_url(data_dir):
        url = object_url(data_dir)
        key = hashlib.sha1(url.encode()).hexdigest()[:12]
        target = home_dir() / "tilstand" / f"s3-{key}"  # the hash only: no part of the URL on disk
        target.mkdir(parents=True, exist_ok=True)
        return target
    d = Path(data_dir) if data_dir is not None else demo_dir()
    d.mkdir(parents=True, exist_ok=True)
    if not _read_only(d):
        return d.resolve()
    key = hashlib.sha1(str(d.resolve()).encode()).hexdigest()[:12]
    target = home_dir() / "tilstand" / f"{d.resolve().name}-{key}"
    target.mkdir(parents=True, exist_ok=True)
    return target


def database_url(data_dir: str | Path | None = None) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{state_dir(data_dir) / SQLITE_FILE}"
