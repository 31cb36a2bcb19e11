"""The import mapping: a source's column names and code spellings to the contract's (--mapping YAML)."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from data_model.contract import KOEN, TABLES, Table
from workbench.data.config import SHORT_FORMS, CodeLists, codes as load_codes, safe_load as yaml_load, yaml_problem
from workbench.data.dataset import DatasetError, normalise_column

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
