"""Is a directory synthetic demo data? Decided in one place, from the generator's manifest verified
against the files, never from a file's name.

`ffb-workbench demo` (workbench.vaerktoej.synth.write_demo) writes `demo_manifest.json` with `"filer"`: the
SHA-256 of every table file it wrote. A directory is demo data when that manifest is there, lists at
least one table, every listed file has exactly that checksum, and no other table file (Parquet, CSV,
Excel) sits beside them. A marker file (`DEMO`, `.demo`, `demo.json`, a manifest without checksums or
with one stale checksum) turns nothing into demo data. Verification hashes the files once per
(path, size, mtime) signature and caches the answer.

Demo status follows the data actually served. A data directory `import` has written into (it has
`CURRENT`, `versions/` or `import_history.jsonl`) serves its current version, and an imported version
never carries a generator manifest: once real data have been imported into a demo directory it is
no longer demo data, for good (rolling back only reaches imported versions). The importer disables
the demo users in the same database transaction that records the import
(workbench.data.importer.record_history).

This guards against accidents (a marker left in a directory of real data, real files copied into a
demo directory). Someone who can write files into the data directory can forge a manifest; they
already hold the data (docs/SECURITY.md).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

MANIFEST = "demo_manifest.json"
DATA_SUFFIXES = (".parquet", ".csv", ".xlsx", ".xls", ".tsv")
GENERATOR = "ffb-workbench demo"
# the workbench's own state beside a dataset (data_model.db, workbench.lager.sessions): not "content"
STATE_FILES = frozenset({"workbench.sqlite", "workbench.sqlite-journal", "workbench.sqlite-wal",
                         "workbench.sqlite-shm", "session_secret", ".skrivetest",
                         "workbench.adgangslog_anker.json", "workbench.adgangslog_anker.json.lock"})


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def checksums(directory: Path, names: list[str]) -> dict[str, str]:
    """{file name: sha256} for the generator to put in its manifest."""
    return {n: sha256_file(Path(directory) / n) for n in sorted(names)}


def _data_files(d: Path) -> list[Path]:
    return sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)


def _signature(d: Path) -> tuple:
    m = d / MANIFEST
    files = [m, *_data_files(d), *[p for p in (d / "datasaet.yaml",) if p.is_file()]] if m.is_file() else []
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)


@functools.lru_cache(maxsize=32)
def _verified(path: str, signature: tuple) -> bool:
    d = Path(path)
    if not signature:
        return False
    try:
        manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = manifest.get("filer") if isinstance(manifest, dict) else None
    if manifest.get("generator") != GENERATOR or not isinstance(files, dict) or not files:
        return False
    present = {p.name for p in _data_files(d)}
    if present != {n for n in files if Path(str(n)).suffix.lower() in DATA_SUFFIXES}:
        return False  # a listed file is missing, or an unlisted table file sits beside them
    for name, digest in files.items():
        if not isinstance(name, str) or "/" in name or "\\" in name or not isinstance(digest, str):
            return False
        if sha256_file(d / name) != digest:
            return False
    return True


# written by `import` (workbench.data.importer): their presence means the directory serves imported data
IMPORT_FILES = ("CURRENT", "versions", "import_history.jsonl")


def ever_imported(d: Path) -> bool:
    """Has `import` ever written into this directory? Then it serves an imported version, not demo data."""
    return any((d / name).exists() for name in IMPORT_FILES)


def is_demo(path: str | Path | None) -> bool:
    """True only for a directory the demo generator wrote, unchanged since. None: the bundled demo
    directory (var/demo), which is judged by the same rule."""
    from workbench.data.paths import demo_dir

    d = Path(path) if path is not None else demo_dir()
    try:
        d = d.resolve()
        if not d.is_dir() or ever_imported(d):
            return False
        return _verified(str(d), _signature(d))
    except OSError:
        return False


def check_demo_target(out: str | Path | None) -> Path:
    """Where `ffb-workbench demo --out` may write: a new or empty directory, or an earlier demo
    (verified). Anything else is refused with one Danish line (ValueError -> exit 2)."""
    if out is None or not str(out).strip():
        raise ValueError("demo --out: angiv en mappe (tom tekst er ikke tilladt)")
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ValueError(f"demo --out: {out} findes og er ikke en mappe")
    if p.is_dir() and any(f.name not in STATE_FILES for f in p.iterdir()) and not is_demo(p):
        raise ValueError(f"demo --out: {out} er ikke tom og indeholder ikke demodata; vælg en tom mappe")
    return p
