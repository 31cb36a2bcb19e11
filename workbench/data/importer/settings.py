"""config/import.yaml: the import's thresholds and lock wait (validated at load)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml

from data_model.contract import TABLES
from workbench.data.config import safe_load as yaml_load, yaml_problem
from workbench.data.dataset import normalise_column

# --- settings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportSettings:
    """config/import.yaml: rejection threshold, lock wait, column aliases for the Import page."""

    afvisningsgraense_pct: float = 5.0
    afvisningsgraense_min_raekker: int = 50
    laas_vent_sekunder: float = 5.0
    fuzzy_graense: float = 0.82
    max_kolonner: int = 1000
    kolonne_aliaser: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# (file, its text) -> the validated settings: every read_source and import_dataset asks for them (the
# import fuzz tests thousands of times); reading the small file is cheap, parsing and validating it is
# not. Keyed on the text, so an edited file is parsed again; a ConfigError is never kept.
_PARSED: dict[tuple[str, str], ImportSettings] = {}


def import_settings(directory: str | Path | None = None) -> ImportSettings:
    """config/import.yaml validated; absent file: the defaults. Errors are ConfigError naming the key."""
    from workbench.data.paths import config_dir

    f = Path(directory or config_dir()) / "import.yaml"
    if not f.is_file():
        return ImportSettings()
    text = f.read_text(encoding="utf-8")
    key = (str(f.resolve()), text)
    if key not in _PARSED:
        if len(_PARSED) >= 16:  # a few config directories per process; tests write many
            _PARSED.clear()
        _PARSED[key] = _parse(f, text)
    return _PARSED[key]


def _parse(f: Path, text: str) -> ImportSettings:
    from workbench.data.config import ConfigError

    try:
        data = yaml_load(text) or {}
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
        kolonne_aliaser=MappingProxyType(aliases),  # read-only: one object serves every caller
    )
