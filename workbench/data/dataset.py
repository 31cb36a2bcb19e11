"""Open a dataset directory (spec/DATA_CONTRACT.md) as typed Polars LazyFrames: a dataset directory, a
data directory's current version, or an s3:// location's verified local copy (workbench.data.objektlager).

A directory with a matching manifest (workbench.data.manifest) is scanned from its typed Parquet; any
other is read and typed by workbench.data.laesning. The names below re-export laesning's (one owner each).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Collection

import polars as pl

from data_model.contract import REQUIRED_TABLES, TABLES
from workbench.data.config import CodeLists, codes as load_codes
from workbench.data.laesning import (  # noqa: F401  (re-exported: the loader's names, one owner in laesning)
    DATASAET_FILE, ENCODING_REASON, ERR, EVENT_DATES, EXTENSIONS, INT_RANGES, REPLACEMENT, ROW, TEXT_KINDS, Dataset,
    DatasetError, RawFile, decode_csv, empty_table, nonblank, normalise_column, read_error, read_file,
    read_raw, read_udtraeksdato, table_file, type_table, udtraeksdato, udtraeksdato_erklaeret, write_udtraeksdato)


def resolve_dir(path: str | Path) -> Path:
    """A dataset directory, or a data directory written by `import` (its current version); an
    s3://bucket/prefix data directory gives its current version's verified local copy."""
    if _in_object_store(path):
        return _object_store_version(path)
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"mappen findes ikke: {p}")
    if not p.is_dir():
        raise DatasetError(f"ikke en mappe: {p}")
    current = p / "CURRENT"
    if current.is_file():
        version = current.read_text(encoding="utf-8").strip()
        vdir = p / "versions" / version
        if not vdir.is_dir():
            raise DatasetError(f"{p}: CURRENT peger på en version, der ikke findes ({version})")
        return vdir
    return p


def _in_object_store(path: str | Path) -> bool:
    from data_model.paths import is_object_url

    return is_object_url(path)


def _object_store_version(path: str | Path) -> Path:
    from workbench.data import objektlager

    return objektlager.local_version_dir(path)


def _object_store_key(directory: Path) -> str | None:
    """The replica-independent key of a verified copy of an s3:// version (objektlager), else None.
    A folder without the copy's marker is not one: objektlager is not imported to say so."""
    from data_model.paths import COMPLETE

    if not (directory / COMPLETE).is_file():
        return None
    from workbench.data import objektlager

    return objektlager.cached_version_key(directory)


def version_key(directory: Path, files: dict[str, Path]) -> str:
    remote = _object_store_key(directory)
    if remote is not None:
        return remote
    h = hashlib.sha1(str(directory.resolve()).encode())
    for name in sorted(files):
        st = files[name].stat()
        h.update(f"{name}:{files[name].name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def open_dataset(path: str | Path, codes: CodeLists | None = None, *, trust_manifest: bool = True,
                 reads: Collection[str] | None = None) -> Dataset:
    """The dataset in `path` (a dataset directory or a data directory's current version).

    A directory with a matching manifest.json (written by `import`/`demo`, workbench.data.manifest) is
    scanned from its typed Parquet with no re-validation; any other goes through the loader below.
    `reads` (a CLI command): the tables the caller reads, whose typed files' checksums are checked on
    open; any other file's when its rows are first read (manifest.open_trusted). None: every file on open."""
    codes = codes or load_codes()
    directory = resolve_dir(path)
    if trust_manifest:
        from workbench.data import manifest

        trusted = manifest.open_trusted(directory, codes, version_key, reads=reads)
        if trusted is not None:
            return trusted
    files: dict[str, Path] = {}
    for name in TABLES:
        f = table_file(directory, name)
        if f is not None:
            files[name] = f
    missing = [t for t in REQUIRED_TABLES if t not in files]
    if len(missing) == len(REQUIRED_TABLES):
        raise DatasetError(f"{directory}: ingen datasæt-filer (forventede fx borgere.parquet eller borgere.csv)")
    if missing:
        raise DatasetError(f"{directory}: tabellen '{missing[0]}' mangler ({missing[0]}.parquet/.csv/.xlsx)")
    tables, rejected = {}, {}
    for name, table in TABLES.items():
        if name in files:
            raw = read_file(files[name])
            tables[name], rejected[name] = type_table(raw.frame, table, codes, files[name].name, raw.replaced)
        else:
            tables[name] = empty_table(table, codes)
            rejected[name] = pl.LazyFrame(schema={ROW: pl.UInt32, ERR: pl.String})
    return Dataset(directory, version_key(directory, files), tables, rejected, files,
                   read_udtraeksdato(directory))


def peek_version(path: str | Path) -> str:
    """The version key of a dataset directory without reading its tables (cache key)."""
    directory = resolve_dir(path)
    files = {name: f for name in TABLES if (f := table_file(directory, name)) is not None}
    return version_key(directory, files)


def broken_file(path: str | Path) -> DatasetError | None:
    """On the error path only (workbench.cli): the first table file of a dataset directory that cannot
    be read in full, as the DatasetError read_file/read_error give it, or None when every file reads.
    A lazily scanned Parquet file can pass read_file (schema and footer) and break on its data pages."""
    directory = resolve_dir(path)
    for name in TABLES:
        f = table_file(directory, name)
        if f is None:
            continue
        try:
            raw = read_file(f)
            raw.frame.select(pl.all().null_count()).collect()  # decodes every page, keeps one row
        except DatasetError as exc:
            return exc
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            return read_error(f, exc)
    return None


def validate_and_write_manifest(directory: str | Path, codes: CodeLists | None = None) -> dict:
    """Validate the dataset in `directory` as it stands (the loader, no manifest trusted) and write its
    typed files and manifest (workbench.data.manifest.write_manifest); returns the manifest."""
    from workbench.data import manifest

    codes = codes or load_codes()
    ds = open_dataset(directory, codes, trust_manifest=False)
    names = list(ds.files)
    frames = pl.collect_all([ds.tables[n] for n in names] + [ds.rejected[n] for n in names])
    return manifest.write_manifest(directory, dict(zip(names, frames[: len(names)])),
                                   dict(zip(names, frames[len(names):])), codes=codes)
