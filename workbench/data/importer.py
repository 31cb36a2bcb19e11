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
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{p}: mapping-filen findes ikke") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{p}: mapping-filen kan ikke læses (ikke UTF-8-tekst)") from None
    except OSError as exc:
        from workbench.format.messages import one_line

        raise DatasetError(f"{p}: mapping-filen kan ikke læses ({one_line(exc)})") from None
    return mapping_from_yaml(text, p, codes)


def mapping_from_yaml(text: str, p: Path, codes: CodeLists | None = None) -> Mapping:
    """A mapping from YAML text (the --mapping format); `p` names it in error messages."""
    codes = codes or load_codes()
    try:
        data = yaml_load(text)
    except yaml.YAMLError as exc:
        raise DatasetError(f"{p}: {yaml_problem(exc)}") from None
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


def mapping_yaml(tables: dict[str, TableMapping]) -> str:
    """The --mapping YAML of a mapping (what mapping_from_yaml/load_mapping read back)."""
    out: dict[str, Any] = {}
    for name, tm in tables.items():
        spec: dict[str, Any] = {}
        if tm.columns:
            spec["kolonner"] = dict(tm.columns)
        if tm.values:
            spec["vaerdier"] = {c: dict(v) for c, v in tm.values.items() if v}
        if spec:
            out[name] = spec
    head = "# FFB Workbench import-mapning (ffb-workbench import --mapping FIL.yaml)\n"
    return head + yaml.safe_dump({"tabeller": out}, allow_unicode=True, sort_keys=False)


def apply_mapping(raw: pl.LazyFrame, tm: TableMapping, file_name: str) -> tuple[pl.LazyFrame, list[str]]:
    """Renames and value maps on a raw (normalised-header) frame; returns the frame and notes."""
    notes: list[str] = []
    names = raw.collect_schema().names()
    renames = {s: t for s, t in tm.columns.items() if s in names}
    for s in tm.columns:
        if s not in names:
            notes.append(f"{file_name}: kolonnen '{s}' fra mapping findes ikke")
    after = [renames.get(n, n) for n in names]
    counts = collections.Counter(after)
    dup = next((n for n in after if counts[n] > 1), None)
    if dup:
        raise DatasetError(f"{file_name}: mapping giver to kolonner med navnet '{dup}'")
    lf = raw.rename(renames) if renames else raw
    exprs = []
    for column, vmap in tm.values.items():
        if column in after and vmap:
            s = pl.col(column).cast(pl.String).str.strip_chars()
            exprs.append(s.replace(vmap).alias(column))
    return (lf.with_columns(exprs) if exprs else lf), notes


# --- settings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportSettings:
    """config/import.yaml: rejection threshold, lock wait, column aliases for the Import page."""

    afvisningsgraense_pct: float = 5.0
    afvisningsgraense_min_raekker: int = 50
    laas_vent_sekunder: float = 5.0
    fuzzy_graense: float = 0.82
    max_kolonner: int = 1000
    kolonne_aliaser: dict[str, tuple[str, ...]] = field(default_factory=dict)


def import_settings(directory: str | Path | None = None) -> ImportSettings:
    """config/import.yaml validated; absent file: the defaults. Errors are ConfigError naming the key."""
    from workbench.data.config import ConfigError
    from workbench.data.paths import config_dir

    f = Path(directory or config_dir()) / "import.yaml"
    if not f.is_file():
        return ImportSettings()
    try:
        data = yaml_load(f.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{f}: {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{f}: forventede en mapping øverst")

    def number(key: str, default: float, lo: float, hi: float) -> float:
        v = data.get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise ConfigError(f"{f}: '{key}' skal være et tal mellem {lo:g} og {hi:g}")
        return v

    aliases_raw = data.get("kolonne_aliaser") or {}
    if not isinstance(aliases_raw, dict):
        raise ConfigError(f"{f}: 'kolonne_aliaser' skal være en mapping fra kontraktkolonne til liste")
    known = {c.name for t in TABLES.values() for c in t.columns}
    aliases: dict[str, tuple[str, ...]] = {}
    for col, names in aliases_raw.items():
        if col not in known:
            raise ConfigError(f"{f}: ukendt kolonne 'kolonne_aliaser.{col}'")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{f}: 'kolonne_aliaser.{col}' skal være en liste af tekster")
        aliases[col] = tuple(normalise_column(n) for n in names)
    return ImportSettings(
        afvisningsgraense_pct=float(number("afvisningsgraense_pct", 5, 0, 100)),
        afvisningsgraense_min_raekker=int(number("afvisningsgraense_min_raekker", 50, 0, 10**9)),
        laas_vent_sekunder=float(number("laas_vent_sekunder", 5, 0, 3600)),
        fuzzy_graense=float(number("fuzzy_graense", 0.82, 0, 1)),
        max_kolonner=int(number("max_kolonner", 1000, 1, 100_000)),
        kolonne_aliaser=aliases,
    )


# --- reading source files ------------------------------------------------------------------------

_CPR_IN_TEXT = re.compile(r"(?<!\d)(\d{6})-?\d{4}(?!\d)")


def mask_cpr_text(text: str) -> str:
    """CPR-looking numbers in a message become ddmmåå-xxxx (every error message goes through this)."""
    return _CPR_IN_TEXT.sub(r"\1-xxxx", str(text))


def mask_cpr_expr(expr: pl.Expr) -> pl.Expr:
    # twice: a match consumes the separator after it, so back-to-back numbers need a second pass
    pattern, repl = r"(^|\D)(\d{6})-?\d{4}($|\D)", "${1}${2}-xxxx${3}"
    return expr.str.replace_all(pattern, repl).str.replace_all(pattern, repl)


@dataclass(frozen=True)
class Dialect:
    """How a source file was read: shown per file on the Import page."""

    format: str                 # csv | xlsx | parquet
    encoding: str | None        # utf-8 | utf-8 (BOM) | cp1252 (CSV only)
    separator: str | None       # ',' or ';' (CSV only)
    decimal: str | None         # ',' or '.' when numbers with decimals were seen
    date_format: str | None     # YYYY-MM-DD | DD-MM-YYYY | DD.MM.YYYY | blandet
    replaced: bool = False      # invalid bytes were replaced: rows holding them are rejected

    def describe(self) -> dict[str, str]:
        return {"format": self.format.upper(), "tegnsæt": self.encoding or "-",
                "separator": {";": "semikolon (;)", ",": "komma (,)"}.get(self.separator or "", "-"),
                "decimaltegn": {",": "komma", ".": "punktum"}.get(self.decimal or "", "-"),
                "datoformat": self.date_format or "-"}


_DATE_SHAPES = {"YYYY-MM-DD": r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$", "DD-MM-YYYY": r"^\d{1,2}-\d{1,2}-\d{4}([ T].*)?$",
                "DD.MM.YYYY": r"^\d{1,2}\.\d{1,2}\.\d{4}([ T].*)?$"}


def _sniff_values(df: pl.DataFrame) -> tuple[str | None, str | None]:
    """(decimal mark, date format) from the text cells of the first rows."""
    head = df.head(2000)
    cols = [n for n, t in head.schema.items() if t == pl.String()]
    if not cols or head.height == 0:
        return None, None
    cells = head.select(pl.concat_list([pl.col(c).str.strip_chars() for c in cols]).alias("v")).explode("v")["v"]
    cells = cells.drop_nulls()
    comma = int(cells.str.contains(r"^-?\d+,\d+$").sum())
    point = int(cells.str.contains(r"^-?\d+\.\d+$").sum())
    decimal = None if comma == point == 0 else ("," if comma > point else ".")
    counts = {k: int(cells.str.contains(p).sum()) for k, p in _DATE_SHAPES.items()}
    seen = [k for k, n in counts.items() if n]
    date = None if not seen else (seen[0] if len(seen) == 1 else "blandet")
    return decimal, date


def read_source(path: Path, max_columns: int | None = None) -> tuple[pl.DataFrame, Dialect]:
    """One source file as a frame (dataset.read_file: the one reader and decoder of every read path)
    and its dialect. Unreadable input raises DatasetError (one line, CPR masked); so does a file with
    more columns than max_kolonner (config/import.yaml), checked on the header before it is parsed."""
    max_columns = max_columns or import_settings().max_kolonner
    try:
        raw = read_file(path, max_columns)
        df = raw.frame.collect()
    except DatasetError as exc:
        raise DatasetError(mask_cpr_text(str(exc))) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Parquet file whose pages break only when read
        raise DatasetError(mask_cpr_text(str(read_error(path, exc)))) from None
    decimal, date = _sniff_values(df)
    return df, Dialect(format=raw.format, encoding=raw.encoding, separator=raw.separator, replaced=raw.replaced,
                       decimal=decimal, date_format=date)


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
    version: str | None
    data_dir: str
    version_dir: str | None
    kilde: str
    tidspunkt: str
    tabeller: list[TableReport]
    mapping: str | None = None
    forrige_version: str | None = None
    noter: list[str] = field(default_factory=list)
    udtraeksdato: str | None = None
    toerkoersel: bool = False
    over_graense: list[str] = field(default_factory=list)  # tables whose rejection rate passed the threshold

    @property
    def afvist(self) -> int:
        return sum(t.afvist for t in self.tabeller)

    @property
    def karantaene_dir(self) -> str | None:
        if not (self.afvist and self.version_dir):
            return None
        if _object_store(self.version_dir):  # s3://…: Path would fold the double slash
            return f"{self.version_dir}/{QUARANTINE}"
        return str(Path(self.version_dir) / QUARANTINE)

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
            record = result.as_dict()
            record["handling"] = "import"
            record["bruger"] = bruger
            record["filer"] = {c.table: {"navn": c.source.name, "bytes": c.source.stat().st_size,
                                         "sha256": _sha256(c.source)} for c in checked}
            (tmp / REPORT).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
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


def _object_store(data_dir: str | Path) -> bool:
    from data_model.paths import is_object_url

    return is_object_url(data_dir)


def _object_url(data_dir: str | Path) -> str:
    from data_model.paths import object_url

    return object_url(data_dir)


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
            record = result.as_dict()
            record["handling"] = "import"
            record["bruger"] = bruger
            record["filer"] = {c.table: {"navn": c.source.name, "bytes": c.source.stat().st_size,
                                         "sha256": _sha256(c.source)} for c in checked}
            (tmp / REPORT).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            objektlager.upload_version(url, version, tmp)
        objektlager.write_current(url, version)  # as on disk: CURRENT first, then history
        objektlager.append_history(url, record)
    return result, record


# --- history and rollback ------------------------------------------------------------------------

def version_report(data_dir: str | Path, version: str) -> dict:
    f = Path(data_dir) / VERSIONS / version / REPORT
    try:
        if _object_store(data_dir):
            from workbench.data import objektlager

            return json.loads(objektlager.get(data_dir, f"{VERSIONS}/{version}/{REPORT}") or b"")
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": version}


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


# --- quarantine export ---------------------------------------------------------------------------

def quarantine_frame(rejected: dict[str, pl.DataFrame], files: dict[str, str] | None = None,
                     mask_cpr: bool = True) -> pl.DataFrame:
    """All rejected rows in one frame: tabel, kildefil, raekke, fejl, vaerdier ('kolonne=værdi | …',
    the row as it came). CPR values masked unless mask_cpr=False."""
    parts = []
    for table, df in rejected.items():
        cols = [c for c in df.columns if c not in (ROW, ERR)]
        vals = [(pl.lit(f"{c}=") + (mask_cpr_expr(pl.col(c).cast(pl.String)) if mask_cpr else
                                     pl.col(c).cast(pl.String)).fill_null("")) for c in cols]
        parts.append(df.select(
            pl.lit(table).alias("tabel"), pl.lit((files or {}).get(table, table)).alias("kildefil"),
            pl.col(ROW).cast(pl.Int64).alias("raekke"), pl.col(ERR).alias("fejl"),
            (pl.concat_str(vals, separator=" | ") if vals else pl.lit("")).alias("vaerdier")))
    schema = {"tabel": pl.String, "kildefil": pl.String, "raekke": pl.Int64, "fejl": pl.String, "vaerdier": pl.String}
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def read_quarantine(version_dir: str | Path) -> dict[str, pl.DataFrame]:
    q = Path(version_dir) / QUARANTINE
    return {f.stem: pl.read_csv(f, infer_schema=False) for f in sorted(q.glob("*.csv"))} if q.is_dir() else {}


def quarantine_csv(rejected: dict[str, pl.DataFrame], files: dict[str, str] | None = None,
                   mask_cpr: bool = True) -> bytes:
    return to_csv_bytes(quarantine_frame(rejected, files, mask_cpr), keep_numbers=True)


def quarantine_xlsx(rejected: dict[str, pl.DataFrame], files: dict[str, str] | None = None,
                    mask_cpr: bool = True) -> bytes:
    """Sheet 'Karantæne' (all rows, long form) plus one sheet per table with the original columns."""
    sheets = {"Karantæne": quarantine_frame(rejected, files, mask_cpr)}
    for table, df in rejected.items():
        out = df.with_columns(pl.col(c).cast(pl.String) for c in df.columns if c != ROW)
        if mask_cpr and "cpr" in out.columns:
            out = out.with_columns(mask_cpr_expr(pl.col("cpr")).alias("cpr"))
        sheets[table] = out
    return to_xlsx_bytes(sheets, [("Indhold", "Afviste rækker fra importen (raekke: rækkenummer i kildefilen, "
                                               "overskriften er række 1)")])
