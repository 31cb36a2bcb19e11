"""Reading and typing one dataset directory's files (spec/DATA_CONTRACT.md) into Polars, and the
Dataset value: the layer under the manifest, the object store and `open_dataset` (workbench.data.dataset).

Raw cells are parsed column by column with vectorised expressions. A row that breaks its type or
code list is not dropped silently: it goes to `Dataset.rejected[table]` with its row number
(`raekke`, counted as in a spreadsheet: the header is row 1) and the reason (`fejl`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import polars as pl

from data_model.contract import KOEN, Col, Table, dtype
from workbench.data.config import CodeLists, SHORT_FORMS, safe_load, yaml_problem

EXTENSIONS = (".parquet", ".csv", ".xlsx")
ROW = "raekke"
ERR = "fejl"
TEXT_KINDS = ("str", "kommune", "cpr", "maaned")
# Integer columns with a closed range in the contract (FFB funktionsevneniveau 0-4).
INT_RANGES = {"niveau": (0, 4), "forventet_niveau": (0, 4), "pladser": (0, 100_000)}


class DatasetError(ValueError):
    """Bad input: the message is one line for the user (CLI exit 2)."""


def table_file(directory: Path, table: str) -> Path | None:
    for ext in EXTENSIONS:
        f = directory / f"{table}{ext}"
        if f.is_file():
            return f
    return None


def normalise_column(name: str) -> str:
    n = name.replace("\ufeff", "").strip().lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), (" ", "_"), ("-", "_")):
        n = n.replace(a, b)
    return n


# --- reading a source file (every read path: direct loader, importer, Import page) ----------------

REPLACEMENT = "\ufffd"
ENCODING_REASON = "ugyldige tegn: rækken er ikke gyldig UTF-8"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_csv(data: bytes) -> tuple[str, str, bool]:
    """THE decoder of a CSV file's bytes: (text, encoding, replaced). UTF-8 unless there is strong
    evidence of Windows-1252: a file whose non-ASCII characters are mostly valid UTF-8 stays UTF-8 and
    its few invalid bytes become U+FFFD (type_table rejects those rows, ENCODING_REASON) instead of the
    whole file being read as cp1252. A UTF-16 file (Excel's 'Unicode text') is recognised by its BOM."""
    if data.startswith(_UTF16_BOMS):
        text = data.decode("utf-16", errors="replace")
        return text, "utf-16", REPLACEMENT in text
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig"), "utf-8 (BOM)" if bom else "utf-8", False
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count(REPLACEMENT)
    good = len(text) - len(text.encode("ascii", errors="ignore")) - bad  # valid non-ASCII characters
    if bom or good >= bad:
        return text, "utf-8 (BOM)" if bom else "utf-8", True
    text = data.decode("cp1252", errors="replace")
    return text, "cp1252", REPLACEMENT in text


@dataclass(frozen=True)
class RawFile:
    """One source file as read: normalised column names, types as stored (CSV/XLSX all text), and how
    a CSV was decoded (`replaced`: invalid bytes became U+FFFD; type_table rejects those rows)."""

    frame: pl.LazyFrame
    format: str                 # csv | xlsx | parquet
    encoding: str | None = None
    separator: str | None = None
    replaced: bool = False


# Types a contract column can never be cast from (a nested or binary Parquet column).
def _unreadable_type(t: pl.DataType) -> str | None:
    if isinstance(t, (pl.List, pl.Array)):
        return "en liste"
    if isinstance(t, pl.Struct):
        return "en struktur (struct)"
    if t == pl.Binary() or t == pl.Object():
        return "binære data"
    return None


def _csv_records(text: str, sep: str) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(text), delimiter=sep))


def _csv_problem(text: str, sep: str) -> str | None:
    """Where a CSV that the reader refused breaks: the first record (row, header = row 1) whose field
    count is not the header's."""
    try:
        records = _csv_records(text, sep)
    except Exception:  # noqa: BLE001 - locating is a courtesy; the refusal stands without it
        return None
    if not records:
        return None
    width = len(records[0])
    for i, rec in enumerate(records[1:], start=2):
        if rec and len(rec) > width:
            return f"række {i} har {len(rec)} felter, men overskriften har {width}"
        if rec and len(rec) < width and any("\n" in f for f in rec):
            return f"række {i}: et citationstegn (\") lukkes ikke"
    return None


def read_error(path: Path, exc: BaseException, text: str | None = None, sep: str = ",") -> "DatasetError":
    """A reader's exception as one Danish line naming the file (and row/column where known): the one
    place library messages (Polars, fastexcel, Parquet) are translated for every read path."""
    from workbench.format.messages import mask_cpr

    msg = str(exc)
    name = path.name
    low = msg.lower()
    if "empty csv" in low or "no data" in low:
        out = f"{name} er tom (ingen overskrift og ingen rækker)"
    elif path.suffix == ".csv":
        where = _csv_problem(text, sep) if text is not None else None
        col = re.search(r"at column '([^']*)'", msg)
        if where is None and "more fields" in low:
            where = "en række har flere felter end overskriften"
        if where is None and col:
            where = f"kolonnen '{col.group(1)}' kan ikke læses"
        out = f"{name} kan ikke læses som CSV: {where or 'filen er beskadiget eller ikke en CSV-fil'}"
    elif path.suffix == ".parquet":
        out = f"{name} er ikke en gyldig Parquet-fil (beskadiget, afkortet eller et andet format)"
    elif path.suffix == ".xlsx":
        out = f"{name} er ikke en gyldig Excel-fil (.xlsx): beskadiget eller et andet format"
    else:
        out = f"{name} kan ikke læses"
    return DatasetError(mask_cpr(out))


def read_file(path: Path, max_columns: int | None = None) -> RawFile:
    """THE reader of one source file, used by every read path (open_dataset, the importer, the Import
    page's preview and importforslag): decode_csv for CSV, the separator from the header line, column
    names normalised. Unreadable input raises DatasetError (one Danish line naming the file); so does
    a file with more than `max_columns` columns (checked on the header before a CSV is parsed)."""
    text, sep, encoding, replaced = None, ",", None, False
    fmt = path.suffix.lower().lstrip(".")
    try:
        if path.suffix == ".csv":
            text, encoding, replaced = decode_csv(path.read_bytes())
            first = text.split("\n", 1)[0]
            sep = ";" if first.count(";") > first.count(",") else ","
            if max_columns is not None and first.count(sep) + 1 > max_columns:
                raise DatasetError(f"{path.name}: {first.count(sep) + 1} kolonner er flere end grænsen på "
                                   f"{max_columns} (config/import.yaml max_kolonner)")
            if "\x00" in text:
                raise DatasetError(f"{path.name} kan ikke læses: filen indeholder NUL-tegn (ikke en tekstfil)")
            if not text or text.isspace():  # isspace stops at the first other character; strip copies
                raise DatasetError(f"{path.name} er tom (ingen overskrift og ingen rækker)")
            df = pl.read_csv(text.encode("utf-8"), separator=sep, infer_schema=False, truncate_ragged_lines=False)
            header = _csv_records(first, sep)
            # the header as written: the reader renames a repeated name ('team_duplicated_0')
            names = header[0] if header and len(header[0]) == len(df.columns) else df.columns
            lf = df.lazy()
        elif path.suffix == ".parquet":
            lf = pl.scan_parquet(path)
            names = lf.collect_schema().names()
        else:
            df = pl.read_excel(path, sheet_id=1, infer_schema_length=0)
            df = df.select(pl.all().cast(pl.String))
            lf, names = df.lazy(), df.columns
        schema = lf.collect_schema()
    except DatasetError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # any reader error is bad input (also a Polars panic, a BaseException)
        raise read_error(path, exc, text, sep) from None
    if max_columns is not None and len(names) > max_columns:
        raise DatasetError(f"{path.name}: {len(names)} kolonner er flere end grænsen på {max_columns} "
                           "(config/import.yaml max_kolonner)")
    normalised = [normalise_column(n) for n in names]
    seen: set[str] = set()
    dup = next((n for n in normalised if n in seen or seen.add(n)), None)
    if dup is not None:
        raise DatasetError(f"{path.name}: to kolonner har samme navn ('{dup}')")
    for n, t in schema.items():
        kind = _unreadable_type(t)
        if kind is not None:
            raise DatasetError(f"{path.name}: kolonnen '{n}' indeholder {kind}, ikke tekst, tal eller datoer")
    mapping = dict(zip(schema.names(), normalised))
    return RawFile(lf.rename(mapping), fmt, encoding, sep if fmt == "csv" else None, replaced)


def read_raw(path: Path) -> pl.LazyFrame:
    """The file as a LazyFrame with normalised column names (read_file's frame)."""
    return read_file(path).frame


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    s = expr.cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _parse(col: Col, source: pl.DataType, codes: CodeLists) -> tuple[pl.Expr, pl.Expr]:
    """(parsed expression, raw text expression) for one column."""
    target = dtype(col, codes)
    raw = pl.col(col.name)
    kind = col.kind
    # Text-typed kinds (kommune, cpr, maaned) share the String dtype with their source, and a typed
    # integer column may still be out of range, so equal dtypes only prove a valid column otherwise.
    if source == target and kind not in TEXT_KINDS and col.name not in INT_RANGES:
        return raw, raw.cast(pl.String)
    s = _blank_to_null(raw)
    if kind == "date":
        if source in (pl.Date(), ) or isinstance(source, pl.Datetime):
            return raw.cast(pl.Date), s
        t = s.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
        # Guard each format by shape: chrono's %Y also accepts 1-3 digit years ('15-03-23' -> year 15).
        parsed = pl.coalesce(
            pl.when(t.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}$")).then(t.str.to_date("%Y-%m-%d", strict=False)),
            pl.when(t.str.contains(r"^\d{1,2}-\d{1,2}-\d{4}$")).then(t.str.to_date("%d-%m-%Y", strict=False)),
            pl.when(t.str.contains(r"^\d{1,2}\.\d{1,2}\.\d{4}$")).then(t.str.to_date("%d.%m.%Y", strict=False)),
        )
    elif kind == "int":
        if source.is_integer():
            parsed = raw.cast(pl.Int64, strict=False)
        else:
            parsed = s.str.replace(r"[,.]0*$", "").str.replace_all(r"\s", "").cast(pl.Int64, strict=False)
        bounds = INT_RANGES.get(col.name)
        if bounds is not None:
            parsed = pl.when(parsed.is_between(*bounds)).then(parsed)
    elif kind == "float":
        if source.is_numeric():
            return raw.cast(pl.Float64), s
        t = s.str.replace_all(r"\s", "")
        t = pl.when(t.str.contains(",") & t.str.contains(r"\.")).then(
            t.str.replace_all(r"\.", "").str.replace(",", ".")
        ).otherwise(t.str.replace(",", "."))
        parsed = t.cast(pl.Float64, strict=False)
    elif kind == "bool":
        if source == pl.Boolean():
            return raw, s
        truth = {v: True for v in ("true", "1", "ja", "j", "sand", "x", "yes", "y", "t")}
        truth.update({v: False for v in ("false", "0", "nej", "n", "falsk", "no", "f")})
        parsed = s.str.to_lowercase().replace_strict(truth, default=None, return_dtype=pl.Boolean)
    elif kind == "kommune":
        t = s.str.replace(r"\.0$", "")
        parsed = pl.when(t.str.contains(r"^\d{1,4}$")).then(t.str.zfill(4))
    elif kind == "cpr":
        t = s.str.replace_all(r"[-\s]", "")
        parsed = pl.when(t.str.contains(r"^\d{10}$")).then(t)
    elif kind == "maaned":
        t = s.str.replace(r"^(\d{4}-\d{2})-\d{2}$", "$1")
        parsed = pl.when(t.str.contains(r"^\d{4}-(0[1-9]|1[0-2])$")).then(t)
    elif kind == "paragraf":
        key = s.str.to_lowercase().str.replace_all(r"[\s§.\u00a0]", "")
        parsed = key.replace_strict(codes.paragraf_alias, default=None, return_dtype=pl.String).cast(target)
    elif kind.startswith("code:"):
        name = kind.removeprefix("code:")
        allowed = KOEN if name == "koen" else getattr(codes, name)
        mapping = {k: v for k, v in codes.uuid_label.items() if v in allowed}
        mapping.update({k.upper(): v for k, v in list(mapping.items())})  # UUIDs in either case
        mapping.update(SHORT_FORMS.get(name, {}))
        if name == "koen":
            mapping.update({"k": "K", "m": "M", "kvinde": "K", "mand": "M"})
        t = s.replace(mapping) if mapping else s
        aliases = getattr(codes, "kode_aliaser", {}).get(name)
        if aliases:  # export spellings (config/klager.yaml), matched without regard to case
            low = s.str.strip_chars().str.to_lowercase()
            t = pl.when(low.is_in(list(aliases))).then(low.replace(aliases)).otherwise(t)
        # A non-strict cast to the Enum turns every value outside the code list into null (rejected).
        parsed = t.cast(target, strict=False)
    else:  # str
        return s, s
    return parsed, s


def nonblank(source_schema: pl.Schema) -> pl.Expr:
    """True for rows with at least one value: a trailing blank line or an empty spreadsheet row is
    not a record (the importer reports how many it skipped)."""
    present = [
        (_blank_to_null(pl.col(n)) if t == pl.String() else pl.col(n)).is_not_null()
        for n, t in source_schema.items()
    ]
    return pl.any_horizontal(present) if present else pl.lit(True)


def type_table(raw: pl.LazyFrame, table: Table, codes: CodeLists, file_name: str,
               invalid_bytes: bool = False) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(accepted typed rows, rejected rows with raekke + fejl) for one contract table.

    Every non-blank row lands in exactly one of the two. `invalid_bytes` (RawFile.replaced): rows with
    a U+FFFD in any text cell are rejected (ENCODING_REASON), never half-read. The accepted path parses each cell once and
    tests validity on the parsed columns; the reason texts are only built for rejected rows.
    """
    source_schema = raw.collect_schema()
    reserved = [n for n in (ROW, ERR) if n in source_schema]
    if reserved:  # a corrected quarantine file fed back in: its old row numbers and reasons are void
        raw = raw.drop(reserved)
        source_schema = raw.collect_schema()
    for c in table.columns:
        if c.required and c.name not in source_schema:
            raise DatasetError(f"{table.name}: den påkrævede kolonne '{c.name}' mangler i {file_name}")
    lf = raw.with_row_index(ROW, offset=2).filter(nonblank(source_schema))
    present = [c for c in table.columns if c.name in source_schema]
    exprs = {c.name: _parse(c, source_schema[c.name], codes) for c in present}
    extras = [n for n in source_schema.names() if table.col(n) is None]

    def problems(value_of, text_of) -> list[tuple[Col, pl.Expr, pl.Expr]]:
        """(column, invalid, missing-required) conditions for each present column."""
        out = []
        for c in present:
            value, text = value_of(c), text_of(c)
            missing = text.is_null() if c.required else pl.lit(False)
            out.append((c, text.is_not_null() & value.is_null(), missing))
        return out

    def is_bad(conds: list[tuple[Col, pl.Expr, pl.Expr]]) -> pl.Expr:
        flags = [e for _, invalid, missing in conds for e in (invalid, missing)]
        return pl.any_horizontal(flags) if flags else pl.lit(False)

    # Parse every cell once into a staged frame (parsed value, its source text stripped, and the
    # source as it came); accepted and rejected rows are both cut from it, so collecting the two
    # together (collect_all) parses the table once.
    prefix = "__tekst_"  # staging names for the source text; never one a user column already has
    while any(n.startswith(prefix) for n in source_schema.names()):
        prefix = "_" + prefix
    txt = {c.name: f"{prefix}{c.name}" for c in present}
    raa = {c.name: f"{prefix}raa_{c.name}" for c in present}
    parsed = [
        exprs[c.name][0].alias(c.name) if c.name in exprs else pl.lit(None, dtype=dtype(c, codes)).alias(c.name)
        for c in table.columns
    ]
    conds = problems(lambda c: pl.col(c.name), lambda c: pl.col(txt[c.name]))
    bad = f"{prefix}afvist"
    enc = f"{prefix}ugyldige_tegn"
    textcols = [n for n, t in source_schema.items() if t == pl.String()] if invalid_bytes else []
    enc_flag = [pl.any_horizontal([pl.col(n).str.contains(REPLACEMENT, literal=True).fill_null(False)
                                   for n in textcols]).alias(enc)] if textcols else []
    stage = lf.select(
        pl.col(ROW), *parsed, *[exprs[n][1].alias(txt[n]) for n in txt],
        *[pl.col(n).cast(pl.String).alias(raa[n]) for n in raa], *[pl.col(n) for n in extras], *enc_flag,
    ).with_columns((is_bad(conds) | pl.col(enc) if enc_flag else is_bad(conds)).alias(bad))
    accepted = stage.filter(~pl.col(bad)).select(*[c.name for c in table.columns], *extras)

    # Rejected: reasons only for the rows that fail.
    reasons = []
    for c, invalid, missing in conds:
        text = pl.col(txt[c.name])
        # concat_str, not pl.format: pl.format over a filtered ternary panics in Polars 2.1's streaming engine
        reason = pl.when(invalid).then(
            pl.concat_str([pl.lit(f"{c.name}: ugyldig værdi '"), text.str.slice(0, 60), pl.lit("'")]))
        if c.required:
            reason = pl.when(missing).then(pl.lit(f"{c.name}: mangler (påkrævet)")).otherwise(reason)
        reasons.append(reason)
    if enc_flag:
        reasons.append(pl.when(pl.col(enc)).then(pl.lit(ENCODING_REASON)))
    fejl = pl.concat_str(reasons, separator="; ", ignore_nulls=True) if reasons else pl.lit(None, pl.String)
    # Rejected rows keep every source column as text (the quarantine file shows the row as it came).
    rejected = stage.filter(pl.col(bad)).select(
        pl.col(ROW),
        *[pl.col(raa[c.name]).alias(c.name) for c in present],
        *[pl.col(n).cast(pl.String) for n in extras],
        fejl.alias(ERR),
    )
    return accepted, rejected


def empty_table(table: Table, codes: CodeLists) -> pl.LazyFrame:
    return pl.LazyFrame(schema={c.name: dtype(c, codes) for c in table.columns})


@dataclass(frozen=True)
class Dataset:
    """Typed tables of one dataset version. Every frame is lazy; collect at the boundary."""

    path: Path
    version: str
    tables: dict[str, pl.LazyFrame]
    rejected: dict[str, pl.LazyFrame]
    files: dict[str, Path] = field(default_factory=dict)
    # udtraeksdato from datasaet.yaml (or import --udtraeksdato); None: derived from the data
    udtraeksdato_fil: dt.date | None = None
    # the tables as opened (before scoping/filtering): the reference date is one per dataset
    root_tables: dict[str, pl.LazyFrame] | None = None
    # rejected rows per table as counted when the dataset was validated (manifest path); None: count
    rejected_rows: dict[str, int] | None = None

    def __getattr__(self, name: str) -> pl.LazyFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def has(self, table: str) -> bool:
        return table in self.files

    def replace(self, **tables: pl.LazyFrame) -> "Dataset":
        """A copy with some tables replaced (used for scoping and filtering)."""
        return self.derive({**self.tables, **tables})

    def derive(self, tables: dict[str, pl.LazyFrame], rejected: dict[str, pl.LazyFrame] | None = None) -> "Dataset":
        """The same dataset version with other tables (scoped, materialised): keeps the reference
        date's inputs (udtraeksdato_fil, root_tables)."""
        return Dataset(self.path, self.version, tables, self.rejected if rejected is None else rejected, self.files,
                       self.udtraeksdato_fil, self.root_tables if self.root_tables is not None else self.tables)

    def collected(self) -> "Dataset":
        """Every table and every table's rejected rows collected once (one collect_all), as lazy
        frames over memory: what the app caches per dataset version (and per principal, scoped)."""
        names, rej = list(self.tables), list(self.rejected)
        frames = pl.collect_all([self.tables[n] for n in names] + [self.rejected[n] for n in rej])
        return self.derive({n: f.lazy() for n, f in zip(names, frames)},
                           {n: f.lazy() for n, f in zip(rej, frames[len(names):])})

    def only_borger(self, borger_id: str) -> "Dataset":
        """Every table with a borger_id narrowed to one borger *before* scoping, so the filter
        reaches the files (predicate pushdown) instead of stopping at the scope's semi-joins; the
        reference date still comes from the whole dataset (root_tables). Follow-ups, which carry only
        maal_id, follow the borger's goals."""
        tables = {n: lf.filter(pl.col("borger_id") == borger_id) if "borger_id" in lf.collect_schema().names() else lf
                  for n, lf in self.tables.items()}
        if "opfoelgninger" in tables and "indsatsmaal" in tables:
            # The borger's goal ids read once (a few rows) and filtered on as values: that filter reaches
            # the file's row-group statistics, where a semi join read every follow-up's maal_id (~25 ms
            # CPU per forloeb on the national demo). The same rows: null ids match nothing either way.
            maal = tables["indsatsmaal"].select("maal_id").drop_nulls().unique().collect()["maal_id"].to_list()
            tables["opfoelgninger"] = tables["opfoelgninger"].filter(pl.col("maal_id").is_in(maal))
        return self.derive(tables)

    def rejected_counts(self, tables: Sequence[str] | None = None) -> dict[str, int]:
        """Rejected rows per table (only tables with any), for the given tables or all."""
        names = [n for n in self.rejected if tables is None or n in tables]
        if self.rejected_rows is not None:  # counted once at validation (workbench.data.manifest)
            return {n: self.rejected_rows[n] for n in names if self.rejected_rows.get(n)}
        counts = pl.collect_all([self.rejected[n].select(pl.len()) for n in names])
        return {n: c.item() for n, c in zip(names, counts) if c.item()}


DATASAET_FILE = "datasaet.yaml"
# Event dates that say how far the data reach (contract, "The reference date").
EVENT_DATES = {
    "ydelser": ("startdato", "registreringsdato", "bevillingsdato"),
    "funktionsevne": ("dato",),
    "stoettebehov": ("dato",),
    "maalgrupper": ("dato",),
    "opfoelgninger": ("dato",),
    "indsatsmaal": ("startdato",),
}


def read_udtraeksdato(directory: Path) -> dt.date | None:
    """`udtraeksdato` from an optional datasaet.yaml beside the tables; a malformed one is bad input."""
    f = directory / DATASAET_FILE
    if not f.is_file():
        return None
    import yaml

    try:
        meta = safe_load(f.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise DatasetError(f"{f.name}: {yaml_problem(e)}") from None
    value = meta.get("udtraeksdato") if isinstance(meta, dict) else None
    if value is None or isinstance(value, dt.date):
        return value
    from workbench.format.dato import parse_date

    try:
        return parse_date(str(value))
    except ValueError:
        raise DatasetError(f"{f.name}: ugyldig udtraeksdato '{value}'") from None


def write_udtraeksdato(directory: Path, value: dt.date) -> None:
    (Path(directory) / DATASAET_FILE).write_text(f"udtraeksdato: {value.isoformat()}\n", encoding="utf-8")


def udtraeksdato(ds: Dataset, today: dt.date | None = None) -> dt.date:
    """THE default reference date of every page, export and command (contract, "The reference
    date"): datasaet.yaml's udtraeksdato, else the latest event date in the whole dataset (before
    scoping), never later than today."""
    today = today or dt.date.today()
    if ds.udtraeksdato_fil is not None:
        return min(ds.udtraeksdato_fil, today)
    tables = ds.root_tables if ds.root_tables is not None else ds.tables
    maxima = []
    for name, cols in EVENT_DATES.items():
        if name not in tables:
            continue
        have = [c for c in cols if c in tables[name].collect_schema().names()]
        if have:
            maxima.append(tables[name].select(pl.max_horizontal(*[pl.col(c).max() for c in have]).alias("m")))
    latest = [v for df in pl.collect_all(maxima) for v in df["m"].to_list() if v is not None] if maxima else []
    return min(max(latest), today) if latest else today


def udtraeksdato_erklaeret(ds: Dataset) -> bool:
    """True when the udtraeksdato is declared (datasaet.yaml / import --udtraeksdato), False when it is
    derived from the latest event date (a lower bound of the real one): contract, "A period"."""
    return ds.udtraeksdato_fil is not None
