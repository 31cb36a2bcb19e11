"""Suggestions for the Import page: which table a file is, which contract column each source column
is, and which code-list value each source value is (issue 12). Pure logic, no streamlit.

    unpack_uploads([(name, bytes), ...], dest)       files (and .zip members) saved under dest
    analyse_file(path)                                dialect, table, column and value suggestions
    build_mapping({table: (columns, values)})         a Mapping the importer takes (and mapping_yaml exports)
    stage_source({table: path}, dest)                 a dataset directory (<table>.<ext>) for import_dataset
    save_mapping / saved_mappings / saved_mapping     mappings by name (SQLModel table import_mapning)
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import select

from data_model.contract import KOEN, TABLES
from workbench.data.config import SHORT_FORMS, CodeLists, codes as load_codes
from workbench.data.dataset import DatasetError, EXTENSIONS, normalise_column
from workbench.data.importer import (Dialect, ImportSettings, Mapping, TableMapping, import_settings, mapping_from_yaml,
                                mapping_yaml, read_source)

MAX_ZIP_MEMBERS = 200
MAX_VALUES_SHOWN = 40


# --- uploads -------------------------------------------------------------------------------------

def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    clean = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in base).strip(" .")
    return clean[:120] or "fil"


def unpack_uploads(files: list[tuple[str, bytes]], dest: Path, max_bytes: int) -> tuple[list[Path], list[str]]:
    """Save uploaded files (CSV/XLSX/Parquet, or .zip holding them) under dest; (paths, notes).
    Names are reduced to plain file names; a zip member is never written outside dest; the
    uncompressed total is capped at max_bytes (zip bombs); other members are skipped with a note."""
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    notes: list[str] = []
    total = 0

    def put(name: str, data: bytes) -> None:
        nonlocal total
        safe = _safe_name(name)
        if Path(safe).suffix.lower() not in EXTENSIONS:
            notes.append(f"{safe}: springes over (kun .csv, .xlsx og .parquet)")
            return
        total += len(data)
        if total > max_bytes:
            raise DatasetError(f"filerne fylder mere end grænsen på {max_bytes // (1024 * 1024)} MB")
        target = dest / safe
        n = 2
        while target.exists():
            target = dest / f"{Path(safe).stem}_{n}{Path(safe).suffix}"
            n += 1
        target.write_bytes(data)
        out.append(target)

    for name, data in files:
        if name.lower().endswith(".zip"):
            try:
                zf = zipfile.ZipFile(io.BytesIO(data))
                members = [m for m in zf.infolist() if not m.is_dir()]
            except (zipfile.BadZipFile, OSError, ValueError):
                raise DatasetError(f"{_safe_name(name)}: ikke en gyldig zip-fil") from None
            if len(members) > MAX_ZIP_MEMBERS:
                raise DatasetError(f"{_safe_name(name)}: mere end {MAX_ZIP_MEMBERS} filer i zip-filen")
            for m in members:
                if m.file_size + total > max_bytes:
                    raise DatasetError(f"filerne fylder mere end grænsen på {max_bytes // (1024 * 1024)} MB")
                base = Path(m.filename.replace("\\", "/")).name
                if base.startswith(".") or m.filename.startswith("__MACOSX"):
                    continue
                try:
                    payload = zf.read(m)
                except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
                    raise DatasetError(f"{_safe_name(name)}: {base} kan ikke pakkes ud") from None
                put(base, payload)
        else:
            put(name, data)
    return out, notes


# --- suggestions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class KolonneForslag:
    kilde: str               # normalised source column name
    kontrakt: str | None     # suggested contract column (None: unmatched, kept as extra column)
    hvordan: str             # eksakt | alias | fuzzy | ingen
    score: float = 1.0


@dataclass
class FilAnalyse:
    sti: Path
    dialekt: Dialect
    kolonner: list[str]
    rækker: int
    tabel: str | None
    tabel_hvordan: str
    forslag: list[KolonneForslag] = field(default_factory=list)
    # contract column -> {source value: suggested code label (None: no suggestion)}
    vaerdier: dict[str, dict[str, str | None]] = field(default_factory=dict)
    frame: pl.DataFrame | None = None

    @property
    def umatchede(self) -> list[str]:
        return [f.kilde for f in self.forslag if f.kontrakt is None]

    @property
    def manglende(self) -> list[str]:
        """Required contract columns of the suggested table that no source column maps to."""
        if self.tabel is None:
            return []
        got = {f.kontrakt for f in self.forslag}
        return [c for c in TABLES[self.tabel].required if c not in got]


def suggest_table(file_name: str, columns: list[str]) -> tuple[str | None, str]:
    """(table, how): the table named in the file name (longest match), else the best column overlap."""
    stem = normalise_column(Path(file_name).stem)
    named = [t for t in TABLES if t in stem]
    if named:
        return max(named, key=len), "filnavn"
    cols = set(columns)
    best, score = None, 0.0
    for name, t in TABLES.items():
        req = set(t.required)
        s = len(req & cols) / len(req) if req else 0
        if s > score:
            best, score = name, s
    return (best, "kolonner") if score >= 0.5 else (None, "ingen")


def suggest_columns(table: str, columns: list[str], settings: ImportSettings | None = None) -> list[KolonneForslag]:
    """Each source column's contract column: exact name, configured alias, then fuzzy (difflib) at or
    above fuzzy_graense; a contract column is given to at most one source column (exact first)."""
    settings = settings or import_settings()
    contract = [c.name for c in TABLES[table].columns]
    taken: set[str] = set()
    result: dict[str, KolonneForslag] = {}
    for src in columns:  # exact
        if src in contract and src not in taken:
            result[src] = KolonneForslag(src, src, "eksakt")
            taken.add(src)
    for src in columns:  # alias
        if src in result:
            continue
        squashed = src.replace("_", "")
        for target in contract:
            aliases = settings.kolonne_aliaser.get(target, ())
            if target not in taken and (src in aliases or squashed == target.replace("_", "")
                                        or squashed in {a.replace("_", "") for a in aliases}):
                result[src] = KolonneForslag(src, target, "alias")
                taken.add(target)
                break
    candidates = []
    for src in columns:  # fuzzy, best pairs first
        if src in result:
            continue
        for target in contract:
            if target in taken:
                continue
            r = difflib.SequenceMatcher(None, src, target).ratio()
            if r >= settings.fuzzy_graense:
                candidates.append((r, src, target))
    for r, src, target in sorted(candidates, reverse=True):
        if src not in result and target not in taken:
            result[src] = KolonneForslag(src, target, "fuzzy", round(r, 2))
            taken.add(target)
    return [result.get(src, KolonneForslag(src, None, "ingen", 0.0)) for src in columns]


TRUTH = {"ja": "true", "j": "true", "nej": "false", "n": "false", "sand": "true", "falsk": "false",
         "true": "true", "false": "false", "1": "true", "0": "false", "x": "true"}


def code_labels(table: str, column: str, codes: CodeLists) -> tuple[str, ...] | None:
    """The allowed values of a code-list (or bool) column; None for other columns."""
    col = TABLES[table].col(column)
    if col is None:
        return None
    if col.kind == "paragraf":
        return tuple(codes.paragraffer)
    if col.kind == "bool":
        return ("true", "false")
    if col.kind.startswith("code:"):
        name = col.kind.removeprefix("code:")
        return KOEN if name == "koen" else tuple(getattr(codes, name))
    return None


def suggest_value(table: str, column: str, value: str, codes: CodeLists) -> tuple[str | None, str]:
    """(label, how) for one source value of a code-list column: eksakt, alias (paragraf spellings from
    config, short FFB forms, Ja/Nej), fuzzy (difflib, case-insensitive), or (None, 'ingen')."""
    labels = code_labels(table, column, codes)
    v = value.strip()
    if labels is None:
        return None, "ingen"
    col = TABLES[table].col(column)
    if col.kind == "bool":
        t = TRUTH.get(v.lower())
        return (t, "eksakt" if v.lower() in ("true", "false") else "alias") if t else (None, "ingen")
    if v in labels:
        return v, "eksakt"
    if col.kind == "paragraf":
        canon = codes.paragraf_canonical(v)
        if canon:
            return canon, "alias"
    if col.kind.startswith("code:"):
        name = col.kind.removeprefix("code:")
        short = SHORT_FORMS.get(name, {})
        for k, label in short.items():
            if k.lower() == v.lower():
                return label, "alias"
        uuid = codes.uuid_label.get(v) or codes.uuid_label.get(v.lower())
        if uuid in labels:
            return uuid, "alias"
        if name == "koen" and v.lower() in ("kvinde", "k", "mand", "m"):
            return ("K" if v.lower().startswith("k") else "M"), "alias"
    lower = {lab.lower(): lab for lab in labels}
    if v.lower() in lower:
        return lower[v.lower()], "alias"
    close = difflib.get_close_matches(v.lower(), list(lower), n=1, cutoff=0.85)
    if close:
        return lower[close[0]], "fuzzy"
    return None, "ingen"


def analyse_file(path: Path, codes: CodeLists | None = None, settings: ImportSettings | None = None,
                 table: str | None = None, columns: dict[str, str | None] | None = None,
                 read: tuple[pl.DataFrame, Dialect] | None = None) -> FilAnalyse:
    """Read a source file and suggest its table, columns and code-list values. `table`/`columns`
    (source -> contract) override the suggestions (the user's corrections) for the value step."""
    codes = codes or load_codes()
    settings = settings or import_settings()
    df, dialect = read if read is not None else read_source(path)
    tabel, how = (table, "valgt") if table else suggest_table(path.name, df.columns)
    forslag = suggest_columns(tabel, df.columns, settings) if tabel else [
        KolonneForslag(c, None, "ingen", 0.0) for c in df.columns]
    if columns is not None:
        forslag = [KolonneForslag(f.kilde, columns.get(f.kilde, f.kontrakt),
                                  "valgt" if columns.get(f.kilde, f.kontrakt) != f.kontrakt else f.hvordan, f.score)
                   for f in forslag]
    vaerdier: dict[str, dict[str, str | None]] = {}
    if tabel:
        for f in forslag:
            if f.kontrakt is None or code_labels(tabel, f.kontrakt, codes) is None:
                continue
            if df.schema[f.kilde] != pl.String():
                continue
            distinct = (df.select(pl.col(f.kilde).str.strip_chars()).drop_nulls().filter(pl.col(f.kilde) != "")
                        .group_by(f.kilde).len().sort(["len", f.kilde], descending=[True, False]))
            values = distinct[f.kilde].head(MAX_VALUES_SHOWN).to_list()
            out = {}
            for v in values:
                label, vhow = suggest_value(tabel, f.kontrakt, v, codes)
                if vhow != "eksakt":
                    out[v] = label
            if out:
                vaerdier[f.kontrakt] = out
    return FilAnalyse(path, dialect, df.columns, df.height, tabel, how, forslag, vaerdier, df)


def table_mapping(forslag: list[KolonneForslag], values: dict[str, dict[str, str | None]]) -> TableMapping:
    """The importer's TableMapping: renames for every source column mapped to another name, value maps
    for the values with a chosen label."""
    columns = {f.kilde: f.kontrakt for f in forslag if f.kontrakt and f.kontrakt != f.kilde}
    vals = {c: {k: v for k, v in m.items() if v and v != k} for c, m in values.items()}
    return TableMapping(columns, {c: m for c, m in vals.items() if m})


def build_mapping(tables: dict[str, TableMapping], name: str | None = None, codes: CodeLists | None = None) -> Mapping:
    """A validated Mapping (round trip through the --mapping YAML, so the page and the CLI agree)."""
    text = mapping_yaml(tables)
    return mapping_from_yaml(text, Path(name or "mapning.yaml"), codes)


def stage_source(files: dict[str, Path], dest: Path, udtraeksdato: dt.date | None = None) -> Path:
    """A dataset directory with one <table>.<ext> per chosen table (hard link or copy)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for table, p in files.items():
        target = dest / f"{table}{p.suffix.lower()}"
        try:
            target.hardlink_to(p)
        except OSError:
            shutil.copyfile(p, target)
    return dest


# --- saved mappings ------------------------------------------------------------------------------

def save_mapping(engine, navn: str, yaml_tekst: str, bruger: str = "") -> None:
    """Save (or replace) a mapping by name; the YAML is validated first (DatasetError when bad)."""
    from sqlmodel import Session

    from data_model.access_tables import utcnow
    from data_model.import_tables import ImportMapning

    navn = navn.strip()
    if not navn or len(navn) > 120:
        raise DatasetError("mapningen skal have et navn (højst 120 tegn)")
    mapping_from_yaml(yaml_tekst, Path(f"{navn}.yaml"))
    with Session(engine) as s:
        row = s.scalars(select(ImportMapning).where(ImportMapning.navn == navn)).first()
        if row is None:
            row = ImportMapning(navn=navn, yaml_tekst=yaml_tekst, bruger=bruger)
        else:
            row.yaml_tekst, row.bruger, row.opdateret = yaml_tekst, bruger, utcnow()
        s.add(row)
        s.commit()


def saved_mappings(engine) -> list[str]:
    from data_model.import_tables import ImportMapning

    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(ImportMapning.navn).order_by(ImportMapning.navn))]


def saved_mapping(engine, navn: str) -> str | None:
    from data_model.import_tables import ImportMapning

    with engine.connect() as conn:
        return conn.execute(select(ImportMapning.yaml_tekst).where(ImportMapning.navn == navn)).scalar()
