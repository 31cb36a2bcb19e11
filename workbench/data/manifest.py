"""Validate once, trust after: typed Parquet plus a manifest beside a dataset.

`import` (for each new version) and `demo` validate a dataset once with the loader in
workbench/data/dataset.py and write what it produced:

    DIR/manifest.json                 schema version, config hash, udtraeksdato, the source files
                                      (bytes, mtime, sha256) and the typed files (sha256, rows)
    DIR/_typet/<table>.parquet        accepted rows in contract types (code lists as Polars Enums)
    DIR/_typet/afvist/<table>.parquet rows the loader rejected (raekke, columns as text, fejl)

`open_dataset` on a directory whose manifest matches (same schema version, same config hash, the
source files unchanged) scans the typed files lazily with no re-validation, so projection and
predicate pushdown reach the files. Anything else (no manifest, a changed source file, another code
list) goes through the validating loader as before. A typed file that does not match its checksum
(tampered, truncated, missing) is refused with one line: it is never read silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection

import polars as pl

if TYPE_CHECKING:
    from workbench.data.config import CodeLists
    from workbench.data.laesning import Dataset

MANIFEST = "manifest.json"
TYPED = "_typet"
REJECTED = "afvist"
SCHEMA_VERSION = 1


def sha256_file(path: Path) -> str:
    # hashlib.file_digest reads into one small reused buffer: a third less CPU than hashing 4 MB chunks
    # read as new bytes objects (the national demo's typed files: 33 -> 22 ms CPU, median of 5)
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def config_hash(codes: CodeLists) -> str:
    """Everything typing depends on: the contract's columns and dtypes (with the Enum categories),
    the paragraf aliases, UUID labels and short forms. Another code list -> another hash."""
    from data_model.contract import TABLES, dtype
    from workbench.data import laesning
    from workbench.data.config import SHORT_FORMS

    spec = {
        "tables": {name: [(c.name, c.kind, c.required, str(dtype(c, codes))) for c in t.columns]
                   for name, t in TABLES.items()},
        "paragraf_alias": codes.paragraf_alias,
        "uuid_label": codes.uuid_label,
        "short_forms": SHORT_FORMS,
        "int_ranges": laesning.INT_RANGES,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _sources(directory: Path) -> dict[str, Path]:
    """The files the validating loader reads in `directory` (tables and datasaet.yaml)."""
    from data_model.contract import TABLES
    from workbench.data.laesning import DATASAET_FILE, table_file

    out = {f.name: f for name in TABLES if (f := table_file(directory, name)) is not None}
    meta = directory / DATASAET_FILE
    if meta.is_file():
        out[meta.name] = meta
    return out


def _stat_entry(path: Path, sha: str | None = None) -> dict:
    st = path.stat()
    return {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha or sha256_file(path)}


def _hash_all(paths: list[Path]) -> list[str]:
    if len(paths) <= 1:
        return [sha256_file(p) for p in paths]
    with ThreadPoolExecutor(max_workers=min(4, len(paths))) as pool:  # hashlib releases the GIL
        return list(pool.map(sha256_file, paths))


def write_manifest(directory: str | Path, accepted: dict[str, pl.DataFrame],
                   rejected: dict[str, pl.DataFrame] | None = None, udtraeksdato: dt.date | None = None,
                   codes: CodeLists | None = None) -> dict:
    """Write DIR/_typet/ and DIR/manifest.json for the dataset in `directory`; returns the manifest.

    `accepted`/`rejected`: the frames the loader or an importer validated (no second pass here; a
    directory as it stands: workbench.data.dataset.validate_and_write_manifest). `udtraeksdato`: given
    (import --udtraeksdato), else datasaet.yaml's, else the latest event date of the data (uncapped;
    capped at today when used).
    """
    from workbench.data import laesning as dsmod
    from workbench.data.config import codes as load_codes

    directory = Path(directory)
    codes = codes or load_codes()
    rejected = rejected or {}
    if udtraeksdato is None:
        udtraeksdato = dsmod.read_udtraeksdato(directory)
    kilde = "fil" if udtraeksdato is not None else "data"
    if udtraeksdato is None:
        probe = dsmod.Dataset(directory, "", {n: f.lazy() for n, f in accepted.items()}, {})
        udtraeksdato = dsmod.udtraeksdato(probe, today=dt.date.max)
        if udtraeksdato == dt.date.max:  # no event dates at all: nothing to store
            udtraeksdato, kilde = None, None

    typed = directory / TYPED
    (typed / REJECTED).mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, df in accepted.items():
        f = typed / f"{name}.parquet"
        df.write_parquet(f, statistics=True)
        written[f"{TYPED}/{name}.parquet"] = f
        rej = rejected.get(name)
        if rej is not None:
            rf = typed / REJECTED / f"{name}.parquet"
            rej.write_parquet(rf)
            written[f"{TYPED}/{REJECTED}/{name}.parquet"] = rf
    sources = _sources(directory)
    src_sha = _hash_all(list(sources.values()))
    typed_sha = _hash_all(list(written.values()))
    rows = {**{f"{TYPED}/{n}.parquet": df.height for n, df in accepted.items()},
            **{f"{TYPED}/{REJECTED}/{n}.parquet": df.height for n, df in rejected.items()}}
    manifest = {
        "skema_version": SCHEMA_VERSION,
        "config_hash": config_hash(codes),
        "udtraeksdato": udtraeksdato.isoformat() if udtraeksdato else None,
        "udtraeksdato_kilde": kilde,
        "kilder": {n: _stat_entry(p, s) for (n, p), s in zip(sources.items(), src_sha)},
        "tabeller": {n: f"{TYPED}/{n}.parquet" for n in accepted},
        "afvist": {n: f"{TYPED}/{REJECTED}/{n}.parquet" for n in rejected if n in accepted},
        "filer": {rel: {"sha256": s, "bytes": p.stat().st_size, "raekker": rows[rel]}
                  for (rel, p), s in zip(written.items(), typed_sha)},
    }
    tmp = directory / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, directory / MANIFEST)
    return manifest


def read_manifest(directory: Path) -> dict | None:
    f = directory / MANIFEST
    if not f.is_file():
        return None
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not ours / unreadable: the validating loader decides
    return data if isinstance(data, dict) and data.get("skema_version") == SCHEMA_VERSION else None


def _sources_unchanged(directory: Path, kilder: dict) -> bool:
    now = _sources(directory)
    if set(now) != set(kilder):
        return False
    for name, path in now.items():
        want = kilder[name]
        st = path.stat()
        if st.st_size != want.get("bytes"):
            return False
        if st.st_mtime_ns != want.get("mtime_ns") and sha256_file(path) != want.get("sha256"):
            return False
    return True


def _checksum_error(rel: str):
    from workbench.data.laesning import DatasetError

    return DatasetError(f"{rel} matcher ikke {MANIFEST} (kontrolsum): filen er ændret efter validering")


def _verified_scan(path: Path, rel: str, sha: str | None) -> pl.LazyFrame:
    """A lazy scan of one typed file the caller did not say it reads, whose checksum is checked when a
    query first reads its rows
    (once per open; a failed check raises DatasetError out of the collect). Projection, predicate and
    slice still reach the Parquet reader: the rows come from scan_parquet inside a Polars IO source.
    The schema is read from the file's footer here (metadata, no rows); a footer that cannot be read
    is checked at once, so a damaged file gives the checksum error, not a reader's.

    Only for a process that runs one command (the CLI): a Python function inside a query holds the
    GIL on Polars' workers (see workbench.format.output.map_values), which the app must not risk. And
    only as the fallback for a table a command reads without naming it: each query re-enters Python
    here (forloeb's eight tables read this way cost more CPU than hashing them up front)."""
    import threading

    from polars.io.plugins import register_io_source

    lock = threading.Lock()
    checked: list[bool] = []

    def check() -> None:
        with lock:  # two queries of one collect_all reading the same file hash it once
            if not checked:
                if sha256_file(path) != sha:
                    raise _checksum_error(rel)
                checked.append(True)

    try:  # the footer, now: a failure inside a plan would surface as Polars' error, not DatasetError
        schema = pl.read_parquet_schema(path)
    except Exception:
        check()
        raise

    def rows(with_columns, predicate, n_rows, batch_size):
        check()
        lf = pl.scan_parquet(path)
        if predicate is not None:
            lf = lf.filter(predicate)
        if n_rows is not None:
            lf = lf.head(n_rows)
        if with_columns is not None:
            lf = lf.select(with_columns)
        yield lf.collect()

    return register_io_source(rows, schema=schema, is_pure=True, explain_name=f"{rel} (kontrolsum ved læsning)")


def open_trusted(directory: Path, codes: CodeLists, version_key: Callable[[Path, dict[str, Path]], str],
                 *, reads: Collection[str] | None = None) -> Dataset | None:
    """The dataset from its typed files when DIR/manifest.json matches; None when there is no
    manifest or it is stale (the caller validates). DatasetError when a typed file fails its check.
    `version_key`: the caller's (workbench.data.dataset.version_key: a local folder's or an s3:// copy's).

    Every typed file is checked against its sha256 in the manifest before any of its rows is read:
    all of them here (reads=None: the app, which collects every table), or, when the caller names the
    tables it `reads` (a CLI command), those tables' files here and every other file when a query
    first reads rows from it (_verified_scan). A short command then hashes only what it reads
    (overlap: ydelser and borgere, 5 of the national demo's 28 MB). Missing files and wrong sizes are
    refused here either way."""
    from data_model.contract import TABLES
    from workbench.data import laesning as dsmod

    m = read_manifest(directory)
    if m is None or m.get("config_hash") != config_hash(codes) or not isinstance(m.get("kilder"), dict):
        return None
    if not _sources_unchanged(directory, m["kilder"]):
        return None
    filer: dict = m.get("filer") or {}
    paths = {rel: directory / rel for rel in filer}
    for rel, p in paths.items():
        want = filer[rel]
        if not p.is_file():
            raise dsmod.DatasetError(f"{rel} mangler, men står i {MANIFEST}: datasættet er ufuldstændigt")
        if p.stat().st_size != want.get("bytes"):
            raise dsmod.DatasetError(f"{rel} matcher ikke {MANIFEST} (forkert størrelse): filen er afkortet eller ændret")
    now = [rel for rel in paths if reads is None or any(rel == m["tabeller"].get(t) for t in reads)]
    for rel, sha in zip(now, _hash_all([paths[r] for r in now])):
        if sha != filer[rel].get("sha256"):
            raise _checksum_error(rel)

    def scan(rel: str) -> pl.LazyFrame:
        if rel in now:
            return pl.scan_parquet(directory / rel)
        return _verified_scan(directory / rel, rel, (filer.get(rel) or {}).get("sha256"))

    tables: dict[str, pl.LazyFrame] = {}
    rejected: dict[str, pl.LazyFrame] = {}
    counts: dict[str, int] = {}
    files: dict[str, Path] = {}
    src_by_table = {Path(n).stem: directory / n for n in m["kilder"] if Path(n).stem in TABLES}
    for name, table in TABLES.items():
        rel = m["tabeller"].get(name)
        if rel is None:
            tables[name] = dsmod.empty_table(table, codes)
            rejected[name] = pl.LazyFrame(schema={dsmod.ROW: pl.UInt32, dsmod.ERR: pl.String})
            continue
        tables[name] = scan(rel)
        files[name] = src_by_table.get(name, directory / rel)
        rrel = m.get("afvist", {}).get(name)
        if rrel is not None:
            rejected[name] = scan(rrel)
            counts[name] = int(filer[rrel]["raekker"])
        else:
            rejected[name] = pl.LazyFrame(schema={dsmod.ROW: pl.UInt32, dsmod.ERR: pl.String})
    udt = m.get("udtraeksdato")
    udt_date = dt.date.fromisoformat(udt) if udt else None
    return dsmod.Dataset(directory, version_key(directory, files), tables, rejected, files,
                         udt_date, rejected_rows=counts)
