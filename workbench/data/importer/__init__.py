"""Import a dataset directory as a new version of a data directory (spec/DATA_CONTRACT.md, `import`).

Layout of a data directory:

    DATA_DIR/versions/<version-id>/<table>.parquet          accepted rows, contract types
    DATA_DIR/versions/<version-id>/karantaene/<table>.csv   rejected rows with raekke + fejl
    DATA_DIR/versions/<version-id>/import.json              the import report of that version
    DATA_DIR/import_history.jsonl                           one JSON record per import
    DATA_DIR/CURRENT                                        the current version id (written last)

The import runs in two phases. Phase 1 reads and validates every table in memory; any refusal
(unreadable file, missing required column or table, bad mapping) raises DatasetError before anything
is written. Phase 2 writes the version into a hidden temporary directory, renames it into place,
appends the history record and finally replaces CURRENT atomically. A failure in phase 2 removes the
temporary directory, so no partial version is ever left behind and CURRENT never names one.

Code-list columns are stored as strings (not Enums) so a version stays readable when config/ grows.

Issue 12 additions:
- Source files are read by `read_source` over dataset.read_file, the one reader and decoder of every read
  path (per-file Dialect: encoding on strong evidence, separator,
  decimal mark, date format). A UTF-8 file with a few invalid bytes stays UTF-8; the rows holding them
  are rejected (ENCODING_REASON) instead of the whole file being read as cp1252.
- A rejection rate over config/import.yaml `afvisningsgraense_pct` in any table (with at least
  `afvisningsgraense_min_raekker` rows) refuses the import unless `accepter_afvisninger`.
- `toerkoersel=True` runs phase 1 only. `udtraeksdato` (or the source's datasaet.yaml) is written as
  datasaet.yaml in the version directory.
- Phase 2 runs under an fcntl lock on DATA_DIR/.import.lock (`data_dir_lock`); a second writer waits
  `laas_vent_sekunder` and is then refused. Hidden temp dirs left by a killed import are removed first.
  `_write_version` is the one place a version's files are written.
- `rul_tilbage` makes an earlier version current (same lock, atomic CURRENT); `versions_frame` lists them.
- CPR-looking numbers are masked in every error message and quarantine reason.

The package, one seam per module: mapping (--mapping), settings (config/import.yaml), laes (reading a
source with its dialect), rapport (the import report), versioner (versions, history, lock, atomic
writes), karantaene (the quarantine export); this module holds the import itself and the roll-back
(the two writers), and re-exports the rest.
"""

from __future__ import annotations

import collections
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import polars as pl
import yaml

from data_model.contract import KOEN, REQUIRED_TABLES, TABLES, Table
from workbench.data.config import SHORT_FORMS, CodeLists, codes as load_codes, safe_load as yaml_load, yaml_problem
from workbench.data.dataset import (ENCODING_REASON, ERR, REPLACEMENT, ROW, DatasetError, nonblank,  # noqa: F401
                                    normalise_column, read_error, read_file, read_udtraeksdato, resolve_dir, table_file,
                                    type_table, write_udtraeksdato)
from workbench.format.export import escape_frame, to_csv_bytes, to_xlsx_bytes
# The package's parts (one seam each); their names are re-exported here for every caller.
from workbench.data.importer.karantaene import (  # noqa: F401
    quarantine_csv, quarantine_frame, quarantine_xlsx, read_quarantine)
from workbench.data.importer.mapping import mapping_from_yaml, mapping_yaml  # noqa: F401
from workbench.data.importer.versioner import HANDLING_IMPORT, HANDLING_RUL_TILBAGE, LOCK_FILE, read_history  # noqa: F401
from workbench.data.importer.laes import Dialect, mask_cpr_expr, mask_cpr_text, read_source
from workbench.data.importer.mapping import Mapping, TableMapping, apply_mapping, load_mapping
from workbench.data.importer.rapport import ImportResult, TableReport
from workbench.data.importer.settings import ImportSettings, import_settings
from workbench.data.importer.versioner import CURRENT, QUARANTINE, REPORT, VERSIONS, VERSION_RE, _append_history, _clean_debris, _sha256, _storable, _write_atomic, current_version, data_dir_lock, list_versions, next_version_id
from workbench.data.importer.versioner import _object_store, _object_url, version_report

# --- import --------------------------------------------------------------------------------------

@dataclass
class _Checked:
    table: str
    source: Path
    accepted: pl.DataFrame
    rejected: pl.DataFrame
    read: int
    blank: int
    dialect: Dialect | None = None


def check_table(name: str, raw_df: pl.DataFrame, tm: TableMapping, file_name: str, codes: CodeLists,
                dialect: Dialect | None = None) -> tuple[pl.DataFrame, pl.DataFrame, int, list[str]]:
    """Map and type one table: (accepted, rejected with raekke + fejl, blank rows, notes).
    Rows with undecodable bytes (U+FFFD from dataset.decode_csv) are rejected by type_table."""
    raw, notes = apply_mapping(raw_df.lazy(), tm, file_name)
    raw_df = raw.collect()
    replaced = dialect is not None and dialect.replaced
    accepted, rejected = type_table(raw_df.lazy(), TABLES[name], codes, file_name, replaced)
    # blank as type_table sees it: without the quarantine columns it drops (raekke, fejl)
    counted = raw_df.drop([ROW, ERR], strict=False)
    blank = raw_df.height - counted.select(nonblank(counted.schema).sum()).item()
    acc_df, rej_df = pl.collect_all([accepted, rejected])
    if rej_df.height:
        rej_df = rej_df.with_columns(mask_cpr_expr(pl.col(ERR)).alias(ERR))
    return acc_df, rej_df, blank, notes


def _check(src: Path, mapping: Mapping, codes: CodeLists, notes: list[str]) -> list[_Checked]:
    """Phase 1: read, map and type every table; raises DatasetError to refuse the whole import."""
    files = {name: f for name in TABLES if (f := table_file(src, name)) is not None}
    missing = [t for t in REQUIRED_TABLES if t not in files]
    if len(missing) == len(REQUIRED_TABLES):
        raise DatasetError(f"{src}: ingen datasæt-filer (forventede fx borgere.parquet eller borgere.csv)")
    if missing:
        raise DatasetError(f"{src}: tabellen '{missing[0]}' mangler ({missing[0]}.parquet/.csv/.xlsx)")
    out = []
    for name, f in files.items():
        raw_df, dialect = read_source(f)
        try:
            acc_df, rej_df, blank, table_notes = check_table(name, raw_df, mapping.for_table(name), f.name,
                                                             codes, dialect)
        except DatasetError as exc:
            raise DatasetError(mask_cpr_text(str(exc))) from None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a file that fails while being typed refuses the import
            raise DatasetError(mask_cpr_text(str(read_error(f, exc)))) from None
        notes.extend(table_notes)
        read = raw_df.height - blank
        # Every non-blank row is accepted or rejected, never both and never lost.
        if read != acc_df.height + rej_df.height:
            raise AssertionError(f"{name}: læst {read} != {acc_df.height} accepteret + {rej_df.height} afvist")
        out.append(_Checked(name, f, acc_df, rej_df, read, blank, dialect))
    return out


def over_threshold(checked: list[_Checked], settings: ImportSettings) -> list[str]:
    """Tables whose rejection rate exceeds the configured threshold, as 'tabel (12,5 %)'."""
    out = []
    for c in checked:
        if c.read >= max(settings.afvisningsgraense_min_raekker, 1):
            pct = 100 * c.rejected.height / c.read
            if pct > settings.afvisningsgraense_pct:
                out.append(f"{c.table} ({pct:.1f} %)".replace(".", ","))
    return out


def _write_version(tmp: Path, checked: list[_Checked], final_dir: Path,
                   udtraeksdato: dt.date | None, codes: CodeLists | None = None) -> list[TableReport]:
    """Write one version's files into `tmp` (renamed to final_dir by the caller): accepted tables as
    Parquet, rejected rows as quarantine CSV (formula-looking text escaped), datasaet.yaml. The one
    place where a version's content is written."""
    reports: list[TableReport] = []
    for c in checked:
        _storable(c.accepted).write_parquet(tmp / f"{c.table}.parquet")
        quarantine = None
        if c.rejected.height:
            (tmp / QUARANTINE).mkdir(exist_ok=True)
            qfile = tmp / QUARANTINE / f"{c.table}.csv"
            escape_frame(c.rejected).write_csv(qfile, date_format="%Y-%m-%d")
            quarantine = str(final_dir / QUARANTINE / qfile.name)
        reports.append(TableReport(c.table, c.source.name, c.read, c.accepted.height, c.rejected.height,
                                   c.blank, quarantine))
    if udtraeksdato is not None:
        write_udtraeksdato(tmp, udtraeksdato)
    # Validate once, trust after: typed Parquet + manifest.json for this version (workbench.data.manifest);
    # a version's rejected rows stay in karantaene/, as before.
    from workbench.data import manifest

    # The empty rejected frame has the shape validating the stored Parquet gives (its columns are the
    # stored ones, not the source's: a source without an optional column stores it as null).
    empty_rejected = {c.table: type_table(pl.scan_parquet(tmp / f"{c.table}.parquet").head(0), TABLES[c.table],
                                          codes or load_codes(), c.table)[1].collect() for c in checked}
    manifest.write_manifest(tmp, {c.table: c.accepted for c in checked},
                            empty_rejected, udtraeksdato=udtraeksdato, codes=codes)
    return reports


def _write_report(version_dir: Path, result: ImportResult, bruger: str | None, checked: list[_Checked]) -> dict:
    """The version's import report (REPORT: the result, who imported it and each source file's name, size
    and sha256), written into `version_dir`; returns it as the history record. One writer for a local
    data directory and an s3:// one."""
    record = result.as_dict()
    record["handling"] = HANDLING_IMPORT
    record["bruger"] = bruger
    record["filer"] = {c.table: {"navn": c.source.name, "bytes": c.source.stat().st_size,
                                 "sha256": _sha256(c.source)} for c in checked}
    (version_dir / REPORT).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return record


def import_dataset(src: str | Path, data_dir: str | Path, mapping: str | Path | Mapping | None = None,
                   codes: CodeLists | None = None, now: dt.datetime | None = None,
                   bruger: str | None = None, *, udtraeksdato: dt.date | None = None,
                   accepter_afvisninger: bool = False, toerkoersel: bool = False,
                   settings: ImportSettings | None = None, engine: Any = None) -> ImportResult:
    """Validate src and store it as a new version of data_dir (see the module docstring).

    toerkoersel: phase 1 only; nothing is written, the result carries the rejected frames
    (`result.afviste`) and the tables over the rejection threshold (`result.over_graense`).
    A rejection rate over the threshold refuses the import unless accepter_afvisninger.
    engine: a SQLAlchemy engine to record the import in the import history table (optional).
    """
    codes = codes or load_codes()
    settings = settings or import_settings()
    src_path = resolve_dir(src)
    remote = _object_store(data_dir)
    data_path = Path(data_dir)
    if not remote and data_path.exists() and not data_path.is_dir():  # s3://: _land_in_object_store
        raise DatasetError(f"--til er ikke en mappe: {data_path}")
    if data_path.resolve() == Path(src).resolve() or data_path.resolve() in src_path.resolve().parents:
        raise DatasetError("kilden og --til må ikke være samme mappe")
    mp = mapping if isinstance(mapping, Mapping) else load_mapping(mapping, codes)
    if udtraeksdato is None:
        udtraeksdato = read_udtraeksdato(src_path)
    notes: list[str] = []
    checked = _check(src_path, mp, codes, notes)
    too_many = over_threshold(checked, settings)
    now = now or dt.datetime.now().replace(microsecond=0)

    def result_for(version, version_dir, reports, previous) -> ImportResult:
        r = ImportResult(
            version=version, data_dir=_object_url(data_dir) if remote else str(data_path),
            version_dir=version_dir, kilde=str(src_path),
            tidspunkt=now.isoformat(timespec="seconds"), tabeller=reports,
            mapping=str(mp.path) if mp.path else None, forrige_version=previous, noter=notes,
            udtraeksdato=udtraeksdato.isoformat() if udtraeksdato else None, toerkoersel=version is None,
            over_graense=too_many)
        r.afviste = {c.table: c.rejected for c in checked if c.rejected.height}
        r.accepterede = {c.table: c.accepted for c in checked}
        r.dialekter = {c.table: c.dialect for c in checked}
        return r

    if toerkoersel:
        reports = [TableReport(c.table, c.source.name, c.read, c.accepted.height, c.rejected.height, c.blank)
                   for c in checked]
        if remote:
            from workbench.data import objektlager

            return result_for(None, None, reports, objektlager.current_version(data_dir))
        return result_for(None, None, reports, current_version(data_path) if data_path.is_dir() else None)
    if too_many and not accepter_afvisninger:
        raise DatasetError(
            f"for mange afviste rækker i {', '.join(too_many)}; grænsen er "
            f"{settings.afvisningsgraense_pct:g} % - importen er afvist, intet er ændret "
            "(bekræft med --accepter-afvisninger)")

    # Phase 2: write. Nothing above has touched data_dir.
    if remote:
        result, record = _land_in_object_store(data_dir, checked, now, udtraeksdato, codes, bruger, result_for,
                                               settings.laas_vent_sekunder)
        if engine is not None:
            record_history(engine, data_dir, record)
        return result
    with data_dir_lock(data_path, settings.laas_vent_sekunder):
        _clean_debris(data_path)
        versions = data_path / VERSIONS
        versions.mkdir(parents=True, exist_ok=True)
        previous = current_version(data_path)
        version = next_version_id(data_path, now)
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=versions))
        try:
            reports = _write_version(tmp, checked, versions / version, udtraeksdato, codes)
            result = result_for(version, str(versions / version), reports, previous)
            record = _write_report(tmp, result, bruger, checked)
            os.rename(tmp, versions / version)  # fails if the id was taken meanwhile: nothing half-written
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # CURRENT first: a kill between the two leaves a current version the history lacks (the next
        # import adds it from the version's import.json), never history naming a version that never
        # became current
        _write_atomic(data_path / CURRENT, version + "\n")
        _append_history(data_path, record)
    if engine is not None:
        record_history(engine, data_path, record)
    return result


def _land_in_object_store(data_dir: str | Path, checked: list[_Checked], now: dt.datetime,
                          udtraeksdato: dt.date | None, codes: CodeLists, bruger: str | None, result_for,
                          wait: float) -> tuple[ImportResult, dict]:
    """Phase 2 for an s3:// data directory (workbench.data.objektlager): the version is written to a
    local temporary directory by the same _write_version, uploaded under versions/<id>/ (its id
    claimed create-only), and only then CURRENT is written, then the history line. A failure before
    CURRENT leaves the current version as it was (an uploaded part is never read)."""
    from workbench.data import objektlager

    url = _object_url(data_dir)
    with data_dir_lock(Path(url), wait):  # one writer per host; across hosts the create-only put decides
        previous = objektlager.current_version(url)
        if previous and not any(r.get("version") == previous for r in objektlager.read_history(url)):
            # an import killed after CURRENT but before its history line (as _clean_debris on disk)
            objektlager.append_history(url, version_report(url, previous))
        numbers = [int(m.group(1)) for v in objektlager.list_version_ids(url) if (m := VERSION_RE.match(v))]
        version = f"v{(max(numbers) + 1) if numbers else 1:04d}-{now:%Y%m%dT%H%M%S}"
        with tempfile.TemporaryDirectory(prefix=f".{version}-") as tmp_name:
            tmp = Path(tmp_name)
            local_final = tmp.parent / version
            reports = _write_version(tmp, checked, local_final, udtraeksdato, codes)
            remote_final = f"{url}/{VERSIONS}/{version}"
            for r in reports:  # the quarantine as it lies in the bucket
                if r.karantaene:
                    r.karantaene = f"{remote_final}/{QUARANTINE}/{Path(r.karantaene).name}"
            result = result_for(version, remote_final, reports, previous)
            record = _write_report(tmp, result, bruger, checked)
            objektlager.upload_version(url, version, tmp)
        objektlager.write_current(url, version)  # as on disk: CURRENT first, then history
        objektlager.append_history(url, record)
    return result, record


# --- history and rollback ------------------------------------------------------------------------

VERSION_COLUMNS = {"version": pl.String, "oprettet": pl.String, "aktuel": pl.Boolean, "bruger": pl.String,
                   "udtraeksdato": pl.String, "laest": pl.Int64, "accepteret": pl.Int64, "afvist": pl.Int64,
                   "kilde": pl.String, "filer": pl.String}


def versions_frame(data_dir: str | Path) -> pl.DataFrame:
    """The versions of a data directory, newest first: version, oprettet (ISO time of the import),
    aktuel, bruger, udtraeksdato, laest, accepteret, afvist, kilde, filer (name:sha256-prefix)."""
    current = current_version(data_dir)
    rows = []
    for v in reversed(list_versions(data_dir)):
        rep = version_report(data_dir, v)
        tables = rep.get("tabeller") or []
        files = rep.get("filer") or {}
        rows.append({
            "version": v, "oprettet": rep.get("tidspunkt"), "aktuel": v == current, "bruger": rep.get("bruger"),
            "udtraeksdato": rep.get("udtraeksdato"),
            "laest": sum(int(t.get("laest", 0)) for t in tables),
            "accepteret": sum(int(t.get("accepteret", 0)) for t in tables),
            "afvist": sum(int(t.get("afvist", 0)) for t in tables),
            "kilde": rep.get("kilde"),
            "filer": "; ".join(f"{f.get('navn')}:{str(f.get('sha256', ''))[:12]}" for f in files.values()),
        })
    return pl.DataFrame(rows, schema=VERSION_COLUMNS)


def rul_tilbage(data_dir: str | Path, version: str, bruger: str | None = None,
                now: dt.datetime | None = None, engine: Any = None) -> dict:
    """Make `version` current (atomic replace of CURRENT under the data-directory lock); recorded in
    the history. Unknown version: DatasetError (one line)."""
    data_path = Path(data_dir)
    if _object_store(data_dir):
        return _rul_tilbage_object_store(data_dir, version, bruger, now)
    if not (data_path / CURRENT).is_file():
        raise DatasetError(f"{data_path} er ikke en data-mappe skrevet af import (ingen CURRENT)")
    if not VERSION_RE.match(version or "") or version not in list_versions(data_path):
        raise DatasetError(f"ukendt version '{version}' i {data_path}")
    now = now or dt.datetime.now().replace(microsecond=0)
    with data_dir_lock(data_path):
        previous = current_version(data_path)
        record = {"handling": "rul_tilbage", "version": version, "forrige_version": previous,
                  "tidspunkt": now.isoformat(timespec="seconds"), "bruger": bruger, "data_dir": str(data_path)}
        _write_atomic(data_path / CURRENT, version + "\n")  # as import: CURRENT first, then history
        _append_history(data_path, record)
    if engine is not None:
        record_history(engine, data_path, record)
    return record


def _rul_tilbage_object_store(data_dir: str | Path, version: str, bruger: str | None,
                              now: dt.datetime | None) -> dict:
    """rul_tilbage for an s3:// data directory: CURRENT rewritten, then the history line."""
    from workbench.data import objektlager

    url = _object_url(data_dir)
    if objektlager.current_version(url) is None:
        raise DatasetError(f"{url} er ikke en data-mappe skrevet af import (ingen CURRENT)")
    if not VERSION_RE.match(version or "") or version not in list_versions(url):
        raise DatasetError(f"ukendt version '{version}' i {url}")
    now = now or dt.datetime.now().replace(microsecond=0)
    with data_dir_lock(Path(url)):
        record = {"handling": "rul_tilbage", "version": version, "forrige_version": objektlager.current_version(url),
                  "tidspunkt": now.isoformat(timespec="seconds"), "bruger": bruger, "data_dir": url}
        objektlager.write_current(url, version)
        objektlager.append_history(url, record)
    return record


def record_history(engine: Any, data_dir: Path, record: dict) -> None:
    """One row in the import history table (SQLModel; SQLite or PostgreSQL). An import ends demo status
    for good (workbench.data.demo_status): in the same transaction the demo users are disabled, their
    passwords removed and their sign-in sessions deleted."""
    from sqlalchemy import delete, insert, select, update

    from data_model.access_tables import Bruger, LoginSession
    from data_model.import_tables import ImportHistorik

    tables = record.get("tabeller") or []
    with engine.begin() as conn:
        if record.get("handling", "import") == "import":
            demo_names = select(Bruger.brugernavn).where(Bruger.demo == True)  # noqa: E712
            conn.execute(delete(LoginSession).where(LoginSession.brugernavn.in_(demo_names)))
            conn.execute(update(Bruger).where(Bruger.demo == True)  # noqa: E712
                         .values(aktiv=False, adgangskode_hash=None))
        conn.execute(insert(ImportHistorik).values(
            data_dir=_object_url(data_dir) if _object_store(data_dir) else str(Path(data_dir).resolve()),
            version=record.get("version"),
            handling=record.get("handling", "import"), forrige_version=record.get("forrige_version"),
            bruger=record.get("bruger"), udtraeksdato=record.get("udtraeksdato"),
            laest=sum(int(t.get("laest", 0)) for t in tables),
            accepteret=sum(int(t.get("accepteret", 0)) for t in tables),
            afvist=sum(int(t.get("afvist", 0)) for t in tables),
            detaljer=json.dumps({k: record.get(k) for k in ("kilde", "filer", "tabeller", "mapping")},
                                ensure_ascii=False)))
