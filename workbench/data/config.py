"""Code lists and settings from config/*.yaml, validated once into Python structures and Polars Enums.

Every error names the file and the key that is wrong (ConfigError).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import polars as pl

from workbench.data.paths import config_dir

# Parsed config files are kept as JSON beside them (config/.cache/<file>.json, keyed by the sha256 of
# the file's text): a command that finds its files unchanged neither parses YAML nor imports PyYAML
# (~15 ms CPU per command). The cache sits in the config directory itself, so whoever can write it can
# write the YAML anyway; where the directory is read-only nothing is cached.
CACHE_DIR = ".cache"
_CACHE_VERSION = 1


def yaml_loader():
    """libyaml's C loader when PyYAML was built with it (8x faster on the code lists), else pure Python."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_error() -> type[Exception]:
    import yaml

    return yaml.YAMLError


def safe_load(text: str) -> Any:
    """yaml.safe_load through the C loader where available."""
    import yaml

    return yaml.load(text, Loader=yaml_loader())


def _json_exact(value: Any) -> bool:
    """The value comes back from JSON as it is (no dates, no non-text keys, no tuples, finite floats)."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_json_exact(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_exact(v) for k, v in value.items())
    return False


def read_yaml_file(path: Path) -> Any:
    """The parsed YAML file (yaml.safe_load), from its cache when the text is unchanged (CACHE_DIR).
    FileNotFoundError and yaml_error() as reading and parsing raise them."""
    text = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    cache = path.parent / CACHE_DIR / f"{path.name}.json"
    try:
        entry = json.loads(cache.read_text(encoding="utf-8"))
        if isinstance(entry, dict) and entry.get("version") == _CACHE_VERSION and entry.get("sha256") == digest:
            return entry["data"]
    except (OSError, ValueError, KeyError):
        pass
    data = safe_load(text)
    if _json_exact(data):
        try:
            cache.parent.mkdir(exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps({"version": _CACHE_VERSION, "sha256": digest, "data": data},
                                      ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:  # a read-only config directory: parsed every time, as before
            pass
    return data


class ConfigError(ValueError):
    """A config file is malformed or names an unknown code."""


def yaml_problem(exc: BaseException) -> str:
    """A YAML parser error in Danish, where known: 'ugyldig YAML (linje 3, kolonne 5)'. The parser's
    own English text is left out (one Danish line for the user)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"ugyldig YAML (linje {mark.line + 1}, kolonne {mark.column + 1})" if mark is not None else "ugyldig YAML"


def load_yaml(name: str, directory: Path | None = None, seen: list[str] | None = None) -> Any:
    path = (directory or config_dir()) / name
    if seen is not None:  # which file is being interpreted, for error messages
        seen.append(name)
    try:
        return read_yaml_file(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: filen findes ikke") from None
    except Exception as exc:
        if isinstance(exc, yaml_error()):
            raise ConfigError(f"{path}: {yaml_problem(exc)}") from None
        raise


def require(mapping: Any, key: str, file: str, where: str = "") -> Any:
    """mapping[key] or a ConfigError naming file and key."""
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] is None:
        raise ConfigError(f"{file}: nøglen '{where}{key}' mangler")
    return mapping[key]


def check_codes(values: Iterable[str], allowed: Iterable[str], file: str, key: str) -> None:
    """Raise ConfigError for the first value that is not an allowed code."""
    allowed_set = set(allowed)
    for value in values:
        if value not in allowed_set:
            raise ConfigError(f"{file}: ukendt kode '{value}' under '{key}'")


def _walk(items: list[dict], parent: str | None, out: list[tuple[str, str, str | None, bool]]) -> None:
    for item in items:
        out.append((item["label"], item.get("code"), parent, bool(item.get("indberetbar", True))))
        _walk(item.get("children") or [], item["label"], out)


def normalise_paragraf(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch not in " §.\u00a0\t")


@dataclass(frozen=True)
class CodeLists:
    maalgrupper: tuple[str, ...]
    maalgruppe_parent: dict[str, str | None]
    maalgruppe_kategori: dict[str, str]
    maalgruppe_kategorier: tuple[str, ...]
    omraader: tuple[str, ...]
    temaer: tuple[str, ...]
    undertemaer: tuple[str, ...]
    undertema_tema: dict[str, str]
    tema_omraade: dict[str, str]
    niveau_label: dict[int, str]
    niveau_kriterie: dict[int, str]
    stoettebehov: tuple[str, ...]
    stoettebehov_rang: dict[str, int | None]
    maaltyper: tuple[str, ...]
    status_paa_indsats: tuple[str, ...]
    vurderinger: tuple[str, ...]
    ydelser: tuple[str, ...]
    tilbudstyper: tuple[str, ...]
    tilbudstype_paragraf: dict[str, str | None]
    driftsformer: tuple[str, ...]
    paragraffer: tuple[str, ...]
    paragraf_info: dict[str, dict]
    ydelser_per_paragraf: dict[str, tuple[str, ...]]
    paragraf_alias: dict[str, str]
    uuid_label: dict[str, str]
    unconfirmed: dict[str, str] = field(default_factory=dict)
    # FFB ydelsesgrupper (grouping nodes of the ydelse tree that are not reportable, e.g.
    # 'Socialpædagogisk støtte') -> the reportable ydelser under them
    ydelsesgrupper: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # config/klager.yaml: the klager table's code lists and their export spellings (lower case -> label)
    klage_resultater: tuple[str, ...] = ()
    klage_instanser: tuple[str, ...] = ()
    kode_aliaser: dict[str, dict[str, str]] = field(default_factory=dict)

    IKKE_VURDERET = "Ikke vurderet"

    def enum(self, name: str) -> pl.Enum:
        return pl.Enum(list(getattr(self, name)))

    def paragraf_canonical(self, text: str | None) -> str | None:
        if text is None:
            return None
        return self.paragraf_alias.get(normalise_paragraf(text))

    def undertema_omraade(self, undertema: str) -> str:
        return self.tema_omraade[self.undertema_tema[undertema]]

    def aktivitet_undertemaer(self) -> list[str]:
        return [u for u in self.undertemaer if self.undertema_omraade(u) == "Aktivitet og deltagelse"]


SHORT_FORMS = {
    "stoettebehov": {"Intet": "Intet støttebehov", "Let": "Let støttebehov", "Moderat": "Moderat støttebehov",
                     "Højt": "Højt støttebehov", "Fuldstændigt": "Fuldstændigt støttebehov"},
    "maaltyper": {"Udvikle": "Udvikle funktionsevne", "Fastholde": "Fastholde funktionsevne",
                  "Begrænse tab": "Begrænse tab af funktionsevne"},
}
VURDERINGER = ("Opnået", "Delvist opnået", "Ikke opnået")
KATEGORIER = {"Botilbud", "Dagtilbud", "Støtte", "BPA", "Øvrigt"}


def _load_codelists(directory: Path, seen: list[str] | None = None) -> CodeLists:
    f = "ffb_code_lists.yaml"
    ref = load_yaml(f, directory, seen)
    if not isinstance(ref, dict):
        raise ConfigError(f"{directory / f}: forventede en YAML-mapping øverst")
    unconfirmed: dict[str, str] = {}
    for key, value in ref.items():
        if isinstance(value, dict) and str(value.get("source", "")).startswith("unconfirmed"):
            unconfirmed[key] = value["source"]
    uuid_label: dict[str, str] = {}

    # målgrupper (tree)
    mg: list[tuple[str, str, str | None, bool]] = []
    _walk(require(require(ref, "maalgrupper", f), "items", f, "maalgrupper."), None, mg)
    maalgruppe_parent = {label: parent for label, _, parent, _ in mg}
    uuid_label.update({code: label for label, code, _, _ in mg if code})

    # funktionsevne tree
    omraader, temaer, undertemaer = [], [], []
    undertema_tema: dict[str, str] = {}
    tema_omraade: dict[str, str] = {}
    fe = require(ref, "funktionsevne", f)
    for o in require(fe, "omraader", f, "funktionsevne."):
        omraader.append(o["label"])
        uuid_label[o["code"]] = o["label"]
        for t in require(o, "temaer", f, f"funktionsevne.{o['label']}."):
            temaer.append(t["label"])
            tema_omraade[t["label"]] = o["label"]
            uuid_label[t["code"]] = t["label"]
            for u in t["undertemaer"]:
                if u["label"] in undertema_tema:
                    raise ConfigError(f"{f}: undertema '{u['label']}' står to steder")
                undertemaer.append(u["label"])
                undertema_tema[u["label"]] = t["label"]
                uuid_label[u["code"]] = u["label"]

    niveau_label, niveau_kriterie = {}, {}
    for item in require(require(ref, "niveauer", f), "items", f, "niveauer."):
        uuid_label[item["code"]] = item["label"]
        if item.get("score") is not None:
            niveau_label[int(item["score"])] = item["label"]
            niveau_kriterie[int(item["score"])] = item.get("kriterie", "")
    if sorted(niveau_label) != [0, 1, 2, 3, 4]:
        raise ConfigError(f"{f}: 'niveauer' skal have score 0-4")

    sb_items = require(require(ref, "stoettebehov", f), "items", f, "stoettebehov.")
    stoettebehov_rang = {i["label"]: i.get("rang") for i in sb_items}
    uuid_label.update({i["code"]: i["label"] for i in sb_items})

    def labels(key: str) -> tuple[str, ...]:
        items = require(require(ref, key, f), "items", f, f"{key}.")
        for i in items:
            if i.get("code"):
                uuid_label[i["code"]] = i["label"]
        return tuple(i["label"] for i in items)

    maaltyper = labels("maaltyper")
    status = labels("status_paa_indsats")
    driftsformer = labels("driftsformer")

    yd: list[tuple[str, str, str | None, bool]] = []
    _walk(require(require(ref, "ydelser", f), "items", f, "ydelser."), None, yd)
    ydelser = tuple(label for label, _, _, _ in yd)
    ydelsesgrupper: dict[str, list[str]] = {}
    group_nodes = {label for label, _, _, ok in yd if not ok}
    for label, _, parent, ok in yd:
        if ok and parent in group_nodes:
            ydelsesgrupper.setdefault(parent, []).append(label)
    uuid_label.update({code: label for label, code, _, _ in yd if code})

    tb: list[tuple[str, str, str | None, bool]] = []
    _walk(require(require(ref, "tilbudstyper", f), "items", f, "tilbudstyper."), None, tb)
    tilbudstyper = tuple(label for label, _, _, _ in tb)
    uuid_label.update({code: label for label, code, _, _ in tb if code})
    tilbudstype_paragraf: dict[str, str | None] = {}

    def find_paragraf(items: list[dict]) -> None:
        for i in items:
            tilbudstype_paragraf[i["label"]] = i.get("paragraf")
            find_paragraf(i.get("children") or [])

    find_paragraf(ref["tilbudstyper"]["items"])

    ref_ypp = {}
    for row in require(require(ref, "ydelser_per_paragraf", f), "items", f, "ydelser_per_paragraf."):
        key = row.get("paragraf") or row["ydelsesgruppe"]
        ref_ypp[key] = tuple(y["label"] for y in row["ydelser"])
        ref_ypp.setdefault(row["ydelsesgruppe"], ref_ypp[key])
        ydelsesgrupper.setdefault(row["ydelsesgruppe"], list(ref_ypp[key]))
        check_codes(ref_ypp[key], ydelser, f, f"ydelser_per_paragraf.{key}")

    # paragraffer.yaml
    pf = "paragraffer.yaml"
    pdata = load_yaml(pf, directory, seen)
    paragraffer: list[str] = []
    info: dict[str, dict] = {}
    ypp: dict[str, tuple[str, ...]] = {}
    alias: dict[str, str] = {}
    for n, row in enumerate(require(pdata, "paragraffer", pf)):
        p = require(row, "paragraf", pf, f"paragraffer[{n}].")
        if row.get("kategori") not in KATEGORIER:
            raise ConfigError(f"{pf}: ukendt kategori '{row.get('kategori')}' under 'paragraffer[{n}].kategori'")
        if row.get("taelling") not in {"unikke", "helaarspersoner"}:
            raise ConfigError(f"{pf}: ukendt taelling '{row.get('taelling')}' under 'paragraffer[{n}].taelling'")
        paragraffer.append(p)
        info[p] = row
        if "ydelser_fra" in row:
            if row["ydelser_fra"] not in ref_ypp:
                raise ConfigError(f"{pf}: ukendt kode '{row['ydelser_fra']}' under 'paragraffer[{n}].ydelser_fra'")
            ypp[p] = ref_ypp[row["ydelser_fra"]]
        else:
            ypp[p] = tuple(require(row, "ydelser", pf, f"paragraffer[{n}]."))
        names = [p] + list(row.get("aliases") or [])
        if p.startswith("SEL §"):
            num = p.removeprefix("SEL §")
            names += [num, f"SEL {num}", f"§{num}", f"Serviceloven §{num}"]
        for name in names:
            key = normalise_paragraf(name)
            if alias.get(key, p) != p:
                raise ConfigError(f"{pf}: alias '{name}' peger på både {alias[key]} og {p}")
            alias[key] = p
    for label, p in tilbudstype_paragraf.items():
        pass  # informative only: 'SEL §108, stk. 2' etc. are stk.-level, mapped by prefix where needed

    kf = "maalgruppe_kategorier.yaml"
    kdata = load_yaml(kf, directory, seen)
    kategori_of_branch: dict[str, str] = {}
    kategorier = []
    for n, row in enumerate(require(kdata, "kategorier", kf)):
        kategorier.append(require(row, "kategori", kf, f"kategorier[{n}]."))
        check_codes(row.get("grene") or [], maalgruppe_parent, kf, f"kategorier[{n}].grene")
        for branch in row.get("grene") or []:
            kategori_of_branch[branch] = row["kategori"]
    standard = require(kdata, "standard", kf)
    if standard not in kategorier:
        raise ConfigError(f"{kf}: ukendt kode '{standard}' under 'standard'")
    if str(kdata.get("source", "")).startswith("unconfirmed"):
        unconfirmed["maalgruppe_kategorier"] = kdata["source"]

    def kategori(label: str) -> str:
        node: str | None = label
        while node is not None:
            if node in kategori_of_branch:
                return kategori_of_branch[node]
            node = maalgruppe_parent.get(node)
        return standard

    return CodeLists(
        maalgrupper=tuple(label for label, _, _, _ in mg),
        maalgruppe_parent=maalgruppe_parent,
        maalgruppe_kategori={label: kategori(label) for label, _, _, _ in mg},
        maalgruppe_kategorier=tuple(kategorier),
        omraader=tuple(omraader), temaer=tuple(temaer), undertemaer=tuple(undertemaer),
        undertema_tema=undertema_tema, tema_omraade=tema_omraade,
        niveau_label=niveau_label, niveau_kriterie=niveau_kriterie,
        stoettebehov=tuple(stoettebehov_rang), stoettebehov_rang=stoettebehov_rang,
        maaltyper=maaltyper, status_paa_indsats=status, vurderinger=VURDERINGER,
        ydelser=ydelser, tilbudstyper=tilbudstyper, tilbudstype_paragraf=tilbudstype_paragraf,
        driftsformer=driftsformer, paragraffer=tuple(paragraffer), paragraf_info=info,
        ydelser_per_paragraf=ypp, paragraf_alias=alias, uuid_label=uuid_label, unconfirmed=unconfirmed,
        ydelsesgrupper={k: tuple(v) for k, v in ydelsesgrupper.items()},
        **_load_klagekoder(directory, seen),
    )


def _load_klagekoder(directory: Path, seen: list[str] | None = None) -> dict[str, Any]:
    """config/klager.yaml: resultater and instanser (label + aliaser), validated (no duplicates)."""
    kf = "klager.yaml"
    data = load_yaml(kf, directory, seen)
    out: dict[str, Any] = {"kode_aliaser": {}}
    for key, name in (("resultater", "klage_resultater"), ("instanser", "klage_instanser")):
        rows = require(data, key, kf)
        if not isinstance(rows, list) or not rows:
            raise ConfigError(f"{kf}: '{key}' skal være en ikke-tom liste")
        labels: list[str] = []
        aliases: dict[str, str] = {}
        for n, row in enumerate(rows):
            label = str(require(row, "label", kf, f"{key}[{n}]."))
            if label in labels:
                raise ConfigError(f"{kf}: '{label}' står to gange under '{key}'")
            labels.append(label)
            for alias in [label, *(row.get("aliaser") or [])]:
                a = str(alias).strip().lower()
                if aliases.get(a, label) != label:
                    raise ConfigError(f"{kf}: aliaset '{alias}' peger på både '{aliases[a]}' og '{label}'")
                aliases[a] = label
        out[name] = tuple(labels)
        out["kode_aliaser"][name] = aliases
    return out


@dataclass(frozen=True)
class Settings:
    suppression_graense: int
    demo_skala: str
    demo_seed: int
    aldersgrupper: tuple[tuple[int, int], ...]
    voksen_alder: int
    # Sagsoverblik's vum_foraeldet: no funktionsevne assessment with a niveau for this many months
    vum_maaneder: int = 12


def _load_settings(directory: Path, seen: list[str] | None = None) -> Settings:
    f = "app.yaml"
    data = load_yaml(f, directory, seen)
    graense = require(require(data, "suppression", f), "graense", f, "suppression.")
    if not isinstance(graense, int) or graense < 1:
        raise ConfigError(f"{f}: 'suppression.graense' skal være et positivt heltal")
    demo = require(data, "demo", f)
    if demo.get("skala") not in {"kommune", "region", "national"}:
        raise ConfigError(f"{f}: ukendt kode '{demo.get('skala')}' under 'demo.skala'")
    bands = tuple((int(a), int(b)) for a, b in require(data, "aldersgrupper", f))
    so = data.get("sagsoverblik") or {}
    if not isinstance(so, dict):
        raise ConfigError(f"{f}: 'sagsoverblik' skal være en mapping")
    vum = so.get("vum_maaneder", 12)
    if isinstance(vum, bool) or not isinstance(vum, int) or not 1 <= vum <= 120:
        raise ConfigError(f"{f}: 'sagsoverblik.vum_maaneder' skal være et helt antal måneder fra 1 til 120")
    return Settings(graense, demo["skala"], int(demo.get("seed", 1)), bands, int(data.get("voksen_alder", 18)), vum)


@dataclass(frozen=True)
class Config:
    directory: Path
    codes: CodeLists
    settings: Settings


@functools.lru_cache(maxsize=8)
def _load(directory: str) -> Config:
    d = Path(directory)
    seen: list[str] = []
    try:
        return Config(d, _load_codelists(d, seen), _load_settings(d, seen))
    except ConfigError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        # A structurally broken file (a list where a mapping belongs, an item without 'label', ...):
        # still one clear error naming the file being read and the key.
        where = d / seen[-1] if seen else d
        if isinstance(exc, KeyError):
            raise ConfigError(f"{where}: nøglen '{exc.args[0]}' mangler") from None
        raise ConfigError(f"{where}: uventet struktur ({exc})") from None


def load_config(directory: Path | str | None = None) -> Config:
    return _load(str(Path(directory or config_dir()).resolve()))


def codes() -> CodeLists:
    return load_config().codes
