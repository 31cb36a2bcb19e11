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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from data_model.contract import KOEN, REQUIRED_TABLES, TABLES, Table
from workbench.config import SHORT_FORMS, CodeLists, codes as load_codes
from workbench.dataset import DatasetError, nonblank, normalise_column, read_raw, resolve_dir, table_file, type_table

VERSIONS = "versions"
QUARANTINE = "karantaene"
HISTORY = "import_history.jsonl"
CURRENT = "CURRENT"
REPORT = "import.json"
VERSION_RE = re.compile(r"^v(\d{4,})-(\d{8}T\d{6})$")


# --- mapping -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableMapping:
    """Column renames (source name -> contract name) and value maps (column -> {from: to})."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    path: Path | None
    tables: dict[str, TableMapping]

    def for_table(self, name: str) -> TableMapping:
        return self.tables.get(name, TableMapping())


MAPPING_EXAMPLE = """\
# --mapping FILE.yaml
tabeller:
  ydelser:
    kolonner: {Paragraf_tekst: paragraf, Start: startdato}   # kildenavn: kontraktnavn
    vaerdier:
      paragraf: {"Servicelovens § 85": "SEL §85"}
vaerdier:            # gælder for alle tabeller med kolonnen
  maalgruppe: {"Udviklingshæmmet": "Udviklingshæmning"}
"""


def _code_ok(table: Table, column: str, value: str, codes: CodeLists) -> bool:
    """Whether a mapped-to value will pass the column's type/code list (for code-list columns)."""
    col = table.col(column)
    if col is None or not col.kind.startswith(("code:", "paragraf")):
        return True
    if col.kind == "paragraf":
        return codes.paragraf_canonical(value) is not None
    name = col.kind.removeprefix("code:")
    allowed = KOEN if name == "koen" else getattr(codes, name)
    return value in allowed or value in SHORT_FORMS.get(name, {}) or codes.uuid_label.get(value) in allowed


def load_mapping(path: str | Path | None, codes: CodeLists | None = None) -> Mapping:
    """Read and validate a mapping file; every error names the file and the key (DatasetError)."""
    if path is None:
        return Mapping(None, {})
    codes = codes or load_codes()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{p}: mapping-filen findes ikke") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{p}: mapping-filen kan ikke læses ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" linje {mark.line + 1}" if mark is not None else ""
        raise DatasetError(f"{p}:{where} ugyldig YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DatasetError(f"{p}: forventede en mapping med 'tabeller' og/eller 'vaerdier' øverst")
    for key in data:
        if key not in ("tabeller", "vaerdier"):
            raise DatasetError(f"{p}: ukendt nøgle '{key}' (brug 'tabeller' og 'vaerdier')")

    def text_map(obj: Any, where: str) -> dict[str, str]:
        if not isinstance(obj, dict):
            raise DatasetError(f"{p}: '{where}' skal være en mapping fra → til")
        out = {}
        for k, v in obj.items():
            if k is None or v is None or isinstance(k, (dict, list)) or isinstance(v, (dict, list)):
                raise DatasetError(f"{p}: '{where}.{k}' skal være tekst → tekst")
            out[str(k).strip()] = str(v).strip()
        return out

    gv = data.get("vaerdier") or {}
    if not isinstance(gv, dict):
        raise DatasetError(f"{p}: 'vaerdier' skal være en mapping fra kolonne til værdier")
    global_values = {normalise_column(str(c)): text_map(v, f"vaerdier.{c}") for c, v in gv.items()}
    for column in global_values:
        if not any(t.col(column) for t in TABLES.values()):
            raise DatasetError(f"{p}: ukendt kolonne 'vaerdier.{column}' (ingen tabel har den)")

    tables_raw = data.get("tabeller") or {}
    if not isinstance(tables_raw, dict):
        raise DatasetError(f"{p}: 'tabeller' skal være en mapping fra tabelnavn")
    tables: dict[str, TableMapping] = {}
    for name in TABLES:
        spec = tables_raw.get(name) or {}
        if not isinstance(spec, dict):
            raise DatasetError(f"{p}: 'tabeller.{name}' skal være en mapping")
        for key in spec:
            if key not in ("kolonner", "vaerdier"):
                raise DatasetError(f"{p}: ukendt nøgle 'tabeller.{name}.{key}' (brug 'kolonner' og 'vaerdier')")
        columns = {normalise_column(k): normalise_column(v)
                   for k, v in text_map(spec.get("kolonner") or {}, f"tabeller.{name}.kolonner").items()}
        targets = list(columns.values())
        dup = next((t for t in targets if targets.count(t) > 1), None)
        if dup:
            raise DatasetError(f"{p}: 'tabeller.{name}.kolonner' omdøber to kolonner til '{dup}'")
        values = {c: dict(v) for c, v in global_values.items() if TABLES[name].col(c)}
        for column, vmap in (spec.get("vaerdier") or {}).items():
            column = normalise_column(str(column))
            if TABLES[name].col(column) is None:
                raise DatasetError(f"{p}: ukendt kolonne 'tabeller.{name}.vaerdier.{column}' i tabellen {name}")
            values.setdefault(column, {}).update(text_map(vmap, f"tabeller.{name}.vaerdier.{column}"))
        for column, vmap in values.items():
            for source, target in vmap.items():
                if not _code_ok(TABLES[name], column, target, codes):
                    raise DatasetError(f"{p}: ukendt kode '{target}' under '{column}.{source}' (tabellen {name})")
        if columns or values:
            tables[name] = TableMapping(columns, values)
    unknown = [t for t in tables_raw if t not in TABLES]
    if unknown:
        raise DatasetError(f"{p}: ukendt tabel 'tabeller.{unknown[0]}' (kendte: {', '.join(TABLES)})")
    return Mapping(p, tables)


def apply_mapping(raw: pl.LazyFrame, tm: TableMapping, file_name: str) -> tuple[pl.LazyFrame, list[str]]:
    """Renames and value maps on a raw (normalised-header) frame; returns the frame and notes."""
    notes: list[str] = []
    names = raw.collect_schema().names()
    renames = {s: t for s, t in tm.columns.items() if s in names}
    for s in tm.columns:
        if s not in names:
            notes.append(f"{file_name}: kolonnen '{s}' fra mapping findes ikke")
    after = [renames.get(n, n) for n in names]
    dup = next((n for n in after if after.count(n) > 1), None)
    if dup:
        raise DatasetError(f"{file_name}: mapping giver to kolonner med navnet '{dup}'")
    lf = raw.rename(renames) if renames else raw
    exprs = []
    for column, vmap in tm.values.items():
        if column in after and vmap:
            s = pl.col(column).cast(pl.String).str.strip_chars()
            exprs.append(s.replace(vmap).alias(column))
    return (lf.with_columns(exprs) if exprs else lf), notes


# --- report --------------------------------------------------------------------------------------

@dataclass
class TableReport:
    tabel: str
    fil: str
    laest: int
    accepteret: int
    afvist: int
    tomme_raekker: int = 0
    karantaene: str | None = None


@dataclass
class ImportResult:
    version: str
    data_dir: str
    version_dir: str
    kilde: str
    tidspunkt: str
    tabeller: list[TableReport]
    mapping: str | None = None
    forrige_version: str | None = None
    noter: list[str] = field(default_factory=list)

    @property
    def afvist(self) -> int:
        return sum(t.afvist for t in self.tabeller)

    @property
    def karantaene_dir(self) -> str | None:
        return str(Path(self.version_dir) / QUARANTINE) if self.afvist else None

    def frame(self) -> pl.DataFrame:
        """One row per table: tabel, fil, laest, accepteret, afvist, karantaene."""
        return pl.DataFrame(
            [{"tabel": t.tabel, "fil": t.fil, "laest": t.laest, "accepteret": t.accepteret, "afvist": t.afvist,
              "karantaene": t.karantaene} for t in self.tabeller],
            schema={"tabel": pl.String, "fil": pl.String, "laest": pl.Int64, "accepteret": pl.Int64,
                    "afvist": pl.Int64, "karantaene": pl.String},
        )

    def as_dict(self) -> dict:
        d = asdict(self)
        d["afvist"] = self.afvist
        d["karantaene_dir"] = self.karantaene_dir
        return d


# --- versions ------------------------------------------------------------------------------------

def list_versions(data_dir: str | Path) -> list[str]:
    """Version ids in a data directory, oldest first."""
    vdir = Path(data_dir) / VERSIONS
    if not vdir.is_dir():
        return []
    return sorted(p.name for p in vdir.iterdir() if p.is_dir() and VERSION_RE.match(p.name))


def current_version(data_dir: str | Path) -> str | None:
    f = Path(data_dir) / CURRENT
    return f.read_text(encoding="utf-8").strip() if f.is_file() else None


def read_history(data_dir: str | Path) -> list[dict]:
    f = Path(data_dir) / HISTORY
    if not f.is_file():
        return []
    return [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


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


# --- import --------------------------------------------------------------------------------------

@dataclass
class _Checked:
    table: str
    source: Path
    accepted: pl.DataFrame
    rejected: pl.DataFrame
    read: int
    blank: int


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
        raw, table_notes = apply_mapping(read_raw(f), mapping.for_table(name), f.name)
        notes.extend(table_notes)
        try:
            raw_df = raw.collect()  # once: reading errors surface here, and both partitions share it
            accepted, rejected = type_table(raw_df.lazy(), TABLES[name], codes, f.name)
            blank = raw_df.height - raw_df.select(nonblank(raw_df.schema).sum()).item()
            acc_df, rej_df = pl.collect_all([accepted, rejected])
        except DatasetError:
            raise
        except Exception as exc:  # a file that fails while being read or typed refuses the import
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatasetError(f"{f.name} kan ikke læses: {reason[:200]}") from None
        read = raw_df.height - blank
        # Every non-blank row is accepted or rejected, never both and never lost.
        assert read == acc_df.height + rej_df.height, (name, read, acc_df.height, rej_df.height)
        out.append(_Checked(name, f, acc_df, rej_df, read, blank))
    return out


def import_dataset(src: str | Path, data_dir: str | Path, mapping: str | Path | Mapping | None = None,
                   codes: CodeLists | None = None, now: dt.datetime | None = None,
                   bruger: str | None = None) -> ImportResult:
    """Validate src and store it as a new version of data_dir (see the module docstring)."""
    codes = codes or load_codes()
    src_path = resolve_dir(src)
    data_path = Path(data_dir)
    if data_path.exists() and not data_path.is_dir():
        raise DatasetError(f"--til er ikke en mappe: {data_path}")
    if data_path.resolve() == Path(src).resolve() or data_path.resolve() in src_path.resolve().parents:
        raise DatasetError("kilden og --til må ikke være samme mappe")
    mp = mapping if isinstance(mapping, Mapping) else load_mapping(mapping, codes)
    notes: list[str] = []
    checked = _check(src_path, mp, codes, notes)

    # Phase 2: write. Nothing above has touched data_dir.
    now = now or dt.datetime.now().replace(microsecond=0)
    versions = data_path / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    previous = current_version(data_path)
    version = next_version_id(data_path, now)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=versions))
    reports: list[TableReport] = []
    try:
        for c in checked:
            _storable(c.accepted).write_parquet(tmp / f"{c.table}.parquet")
            quarantine = None
            if c.rejected.height:
                (tmp / QUARANTINE).mkdir(exist_ok=True)
                qfile = tmp / QUARANTINE / f"{c.table}.csv"
                c.rejected.write_csv(qfile, date_format="%Y-%m-%d")
                quarantine = str(versions / version / QUARANTINE / qfile.name)
            reports.append(TableReport(c.table, c.source.name, c.read, c.accepted.height, c.rejected.height,
                                       c.blank, quarantine))
        # Validate once, trust after: typed Parquet + manifest.json for this version (workbench.manifest);
        # a version's rejected rows stay in karantaene/, as before.
        from workbench import manifest

        manifest.write_manifest(tmp, {c.table: c.accepted for c in checked},
                                {c.table: c.rejected.head(0) for c in checked}, codes=codes)
        result = ImportResult(
            version=version, data_dir=str(data_path), version_dir=str(versions / version), kilde=str(src_path),
            tidspunkt=now.isoformat(timespec="seconds"), tabeller=reports,
            mapping=str(mp.path) if mp.path else None, forrige_version=previous, noter=notes,
        )
        record = result.as_dict()
        record["bruger"] = bruger
        record["filer"] = {c.table: {"navn": c.source.name, "bytes": c.source.stat().st_size,
                                     "sha256": _sha256(c.source)} for c in checked}
        (tmp / REPORT).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.rename(tmp, versions / version)  # fails if the id was taken meanwhile: nothing half-written
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with (data_path / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    _write_atomic(data_path / CURRENT, version + "\n")
    return result
