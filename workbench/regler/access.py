"""Who may see what: roles (config/roles.yaml), the Principal and row-level scoping of a Dataset.

Every query path (pages, exports, CLI) scopes the dataset with `scope(dataset, principal)` before
anything else. Scoping decisions (documented in config/roles.yaml too):

* borgere are filtered first by the role's scope kind; every table with a `borger_id` column then
  follows by semi-join, `opfoelgninger` follows `indsatsmaal` by `maal_id`.
* A user with kommuner set is always narrowed to borgere with handlekommune in them.
* Tilbud roles (udfører, tilbudsleder) see stamdata, målgrupper, funktionsevne, støttebehov and
  indsatsmål of their borgere, but *only the ydelser delivered at their own tilbud* and only their
  own tilbud rows; other municipal services and betalinger are need-to-know for myndighed only.
* The `cpr` column is masked (ddmmåå-xxxx) in every scoped dataset; the full number is only
  available through `scope(..., unmask_cpr=True)` for roles with `cpr_unmask`, which the UI
  calls for one borger after asking for a reason and logging it.
* Roles without `borgerliste` and `borgerside` (analytiker) see every borger for aggregates, but
  `borger_id` is replaced by a per-process pseudonym and `cpr` is null, so no page or command can
  leak a real borger id or CPR to them.
* Rejected (quarantined) rows are only kept for roles whose scope is `alle` with borger access;
  for others they are filtered by borger_id or emptied.
* An unknown role, or a scope without its key (leder without kommuner, sagsbehandler without id)
  sees nothing: fail closed.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.data.config import ConfigError, read_yaml_file, yaml_error
from workbench.regler.cpr import mask_expr
from workbench.data.dataset import Dataset
from workbench.data.paths import config_dir

ROLES_FILE = "roles.yaml"
ROLE_NAMES = ("admin", "leder_myndighed", "sagsbehandler", "udfoerer", "tilbudsleder", "tilsyn", "analytiker")
SCOPES = ("alle", "kommune", "sagsbehandler", "tilbud", "tilsyn")
# Older names used by pages written before the role model existed.
CAPABILITY_ALIASES = {"cpr": "cpr_unmask", "unmask": "cpr_unmask"}


@dataclass(frozen=True)
class Principal:
    username: str
    rolle: str
    kommuner: tuple[str, ...] = ()
    sagsbehandler: str | None = None
    team: str | None = None
    tilbud_ids: tuple[str, ...] = ()
    borger_ids: tuple[str, ...] = ()  # tilsyn: the cases of the user's open audits (tilsyn_store.scope_ids)

    @property
    def key(self) -> str:
        """Stable cache key for the scope."""
        samples = hashlib.sha256(",".join(sorted(self.borger_ids)).encode()).hexdigest()[:16]
        return "|".join([self.username, self.rolle, ",".join(self.kommuner), self.sagsbehandler or "",
                         self.team or "", ",".join(self.tilbud_ids), samples])


ADMIN = Principal(username="admin", rolle="admin")


# --------------------------------------------------------------------------------------------
# Roles config


@dataclass(frozen=True)
class Role:
    name: str
    titel: str
    scope: str
    kapabiliteter: frozenset[str]
    sider: tuple[str, ...]


@dataclass(frozen=True)
class Security:
    max_fejlede_logins: int
    spaerretid_minutter: int
    adgangslog_opbevaring_aar: int
    demo_adgangskode: str
    begrundelse_min_laengde: int
    max_upload_mb: int
    # sign-in attempts one client (IP address) may make per minute, whatever the user name
    login_pr_klient_pr_minut: int = 20
    # lifetime of a sign-in session (cookie + server-side row), hours
    session_timer: int = 8


@dataclass(frozen=True)
class RolesConfig:
    path: Path
    roller: dict[str, Role]
    kapabiliteter: dict[str, str]
    sider: tuple[str, ...]
    sikkerhed: Security = field(compare=False)


def _err(path: Path, key: str, what: str) -> ConfigError:
    return ConfigError(f"{path}: '{key}' {what}")


def _str_list(value: object, path: Path, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(path, key, "skal være en liste af tekster")
    return value


def _pos_int(mapping: dict, name: str, path: Path) -> int:
    value = mapping.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _err(path, f"sikkerhed.{name}", "skal være et positivt heltal")
    return value


def parse_roles(data: object, path: Path) -> RolesConfig:
    """Validate the parsed YAML; every error names the file and the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: forventede en YAML-mapping øverst")
    caps = data.get("kapabiliteter")
    if not isinstance(caps, dict) or not caps:
        raise _err(path, "kapabiliteter", "mangler eller er ikke en mapping")
    sider = tuple(_str_list(data.get("sider"), path, "sider"))
    roller_raw = data.get("roller")
    if not isinstance(roller_raw, dict):
        raise _err(path, "roller", "mangler eller er ikke en mapping")
    roller: dict[str, Role] = {}
    for name, spec in roller_raw.items():
        where = f"roller.{name}"
        if not isinstance(spec, dict):
            raise _err(path, where, "skal være en mapping")
        scope_kind = spec.get("scope")
        if scope_kind not in SCOPES:
            raise _err(path, f"{where}.scope", f"ukendt værdi '{scope_kind}' (tilladt: {', '.join(SCOPES)})")
        kap = _str_list(spec.get("kapabiliteter", []), path, f"{where}.kapabiliteter")
        for k in kap:
            if k not in caps:
                raise _err(path, f"{where}.kapabiliteter", f"ukendt kapabilitet '{k}'")
        pages = _str_list(spec.get("sider", []), path, f"{where}.sider")
        for pg in pages:
            if pg not in sider:
                raise _err(path, f"{where}.sider", f"ukendt side '{pg}'")
        titel = spec.get("titel", name)
        if not isinstance(titel, str):
            raise _err(path, f"{where}.titel", "skal være tekst")
        roller[str(name)] = Role(str(name), titel, scope_kind, frozenset(kap), tuple(pages))
    for required in ROLE_NAMES:
        if required not in roller:
            raise _err(path, f"roller.{required}", "mangler")
    sik = data.get("sikkerhed")
    if not isinstance(sik, dict):
        raise _err(path, "sikkerhed", "mangler eller er ikke en mapping")
    demo_pw = sik.get("demo_adgangskode")
    if not isinstance(demo_pw, str) or not demo_pw:
        raise _err(path, "sikkerhed.demo_adgangskode", "skal være en ikke-tom tekst")
    security = Security(
        _pos_int(sik, "max_fejlede_logins", path), _pos_int(sik, "spaerretid_minutter", path),
        _pos_int(sik, "adgangslog_opbevaring_aar", path), demo_pw, _pos_int(sik, "begrundelse_min_laengde", path),
        _pos_int(sik, "max_upload_mb", path),
        *(_pos_int(sik, k, path) if k in sik else d for k, d in (("login_pr_klient_pr_minut", 20), ("session_timer", 8))),
    )
    return RolesConfig(path, roller, {str(k): str(v) for k, v in caps.items()}, sider, security)


@functools.lru_cache(maxsize=8)
def _load_roles(path: str, mtime_ns: int) -> RolesConfig:
    p = Path(path)
    try:
        data = read_yaml_file(p)
    except FileNotFoundError:
        raise ConfigError(f"{p}: filen findes ikke") from None
    except Exception as exc:
        if not isinstance(exc, yaml_error()):
            raise
        mark = getattr(exc, "problem_mark", None)
        where = f" linje {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{p}:{where} ugyldig YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_roles(data, p)


def load_roles(directory: str | Path | None = None) -> RolesConfig:
    path = Path(directory or config_dir()) / ROLES_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ConfigError(f"{path}: filen findes ikke") from None
    return _load_roles(str(path.resolve()), mtime)


def security() -> Security:
    return load_roles().sikkerhed


def role(name: str) -> Role | None:
    return load_roles().roller.get(name)


def role_title(name: str) -> str:
    r = role(name)
    return r.titel if r else name


# --------------------------------------------------------------------------------------------
# Capabilities and pages


def can(principal: Principal | None, capability: str) -> bool:
    """Capabilities from config/roles.yaml (borgerliste, borgerside, cpr_unmask, eksport, adgangslog,
    brugere, tilbudstal, stikproeve). Unknown role or capability: False."""
    if principal is None:
        return False
    r = role(principal.rolle)
    return r is not None and CAPABILITY_ALIASES.get(capability, capability) in r.kapabiliteter


def page_allowed(principal: Principal | None, page_key: str) -> bool:
    """Whether the page shows in the navigation (and may run) for this principal."""
    if principal is None:
        return False
    r = role(principal.rolle)
    return r is not None and page_key in r.sider


def hele_datasaettet(principal: Principal | None) -> bool:
    """Does scope() keep every borger for this principal (scope 'alle', no kommuner)? Then its
    aggregates are the whole version's (workbench.sider.forudberegning; the Kvalitet prewarm)."""
    r = role(principal.rolle) if principal is not None else None
    return r is not None and r.scope == "alle" and not principal.kommuner


def individual_access(principal: Principal) -> bool:
    """May the principal see individual borgere at all (lists or pages)?"""
    return can(principal, "borgerliste") or can(principal, "borgerside")


class AccessDenied(PermissionError):
    """The principal may not do this (CLI exit 2 with the message)."""


def require(principal: Principal, capability: str) -> None:
    if not can(principal, capability):
        raise AccessDenied(f"brugeren '{principal.username}' ({principal.rolle}) har ikke adgang til: {capability}")


# --------------------------------------------------------------------------------------------
# Scoping

# Per-process salt: analytiker pseudonyms cannot be linked across runs or to the source ids.
_PSEUDO_SALT = int.from_bytes(secrets.token_bytes(8), "big")


def _pseudonym(col: str = "borger_id") -> pl.Expr:
    # letters only, so a pseudonym never looks like a CPR number or a real id
    letters = pl.col(col).hash(seed=_PSEUDO_SALT).cast(pl.String).str.slice(0, 14).str.replace_many(
        list("0123456789"), list("abcdefghjk"))
    return pl.format("anon-{}", letters).alias(col)


def _borger_filter(ds: Dataset, principal: Principal, r: Role | None) -> pl.LazyFrame:
    b = ds.borgere
    never = pl.lit(False)
    if r is None:
        return b.filter(never)
    kind = r.scope
    if kind == "alle":
        out = b
    elif kind == "kommune":
        out = b.filter(pl.col("handlekommune").is_in(list(principal.kommuner)) if principal.kommuner else never)
    elif kind == "sagsbehandler":
        cond = never
        if principal.sagsbehandler:
            cond = cond | (pl.col("sagsbehandler") == principal.sagsbehandler)
        if principal.team:
            cond = cond | (pl.col("team") == principal.team)
        out = b.filter(cond.fill_null(False))
    elif kind == "tilbud":
        ids = (ds.ydelser.filter(pl.col("tilbud_id").is_in(list(principal.tilbud_ids)))
               .select("borger_id").unique())
        out = b.join(ids, on="borger_id", how="semi")
    elif kind == "tilsyn":
        # exactly the sample: the cases of the auditor's open audits, read by users.to_principal
        # from workbench.lager.tilsyn_store.scope_ids (signed audits drop out of the scope)
        out = b.filter(pl.col("borger_id").is_in(list(principal.borger_ids)))
    else:  # pragma: no cover - parse_roles rejects other kinds
        out = b.filter(never)
    if principal.kommuner and kind != "kommune":
        out = out.filter(pl.col("handlekommune").is_in(list(principal.kommuner)))
    return out


def scope(dataset: Dataset, principal: Principal, *, unmask_cpr: bool = False,
          har_borger: frozenset[str] = frozenset()) -> Dataset:
    """The part of the dataset the principal may see (see the module docstring). har_borger: tables of
    `dataset` known to have no row whose borger_id is missing from borgere (the version's precomputation,
    workbench.sider.forudberegning.har_borger): for a scope that keeps every borger ('alle' with no kommuner) their
    semi-join on the borgere keeps every row and is skipped (the same frames, about 0,7 s CPU less on
    the national demo). Rows without a borger are dropped exactly as before."""
    r = role(principal.rolle)
    borgere = _borger_filter(dataset, principal, r)
    ids = borgere.select("borger_id")
    # every borger kept: scope 'alle' with no kommune restriction (a restricted principal's borgere are
    # filtered by handlekommune in _borger_filter, so its other tables must be joined)
    alle = r is not None and r.scope == "alle" and not principal.kommuner
    tables: dict[str, pl.LazyFrame] = {}
    for name, lf in dataset.tables.items():
        if name == "borgere":
            tables[name] = borgere
        elif alle and name in har_borger:
            tables[name] = lf
        elif "borger_id" in lf.collect_schema().names():
            tables[name] = lf.join(ids, on="borger_id", how="semi")
        else:
            tables[name] = lf
    tilbud_role = r is not None and r.scope == "tilbud"
    if tilbud_role:
        own = list(principal.tilbud_ids)
        tables["ydelser"] = tables["ydelser"].filter(pl.col("tilbud_id").is_in(own))
        if "tilbud" in tables:
            tables["tilbud"] = tables["tilbud"].filter(pl.col("tilbud_id").is_in(own))
        if "betalinger" in tables:
            tables["betalinger"] = tables["betalinger"].filter(pl.lit(False))
    if "budget" in tables:  # the budget follows the user's kommuner; tilbud roles see none
        if tilbud_role:
            tables["budget"] = tables["budget"].filter(pl.lit(False))
        elif principal.kommuner:
            tables["budget"] = tables["budget"].filter(pl.col("kommunekode").is_in(list(principal.kommuner)))
    if "opfoelgninger" in tables and "indsatsmaal" in tables:
        maal = tables["indsatsmaal"].select("maal_id")
        tables["opfoelgninger"] = tables["opfoelgninger"].join(maal, on="maal_id", how="semi")

    individual = r is not None and individual_access(principal)
    if "cpr" in tables["borgere"].collect_schema().names():
        if not individual:
            tables["borgere"] = tables["borgere"].with_columns(pl.lit(None, pl.String).alias("cpr"))
        elif not (unmask_cpr and can(principal, "cpr_unmask")):
            tables["borgere"] = tables["borgere"].with_columns(mask_expr("cpr"))
    if not individual:
        for name, lf in tables.items():
            if "borger_id" in lf.collect_schema().names():
                tables[name] = lf.with_columns(_pseudonym())

    rejected: dict[str, pl.LazyFrame] = {}
    keep_rejected = individual and r.scope == "alle" and not principal.kommuner
    for name, lf in dataset.rejected.items():
        cols = lf.collect_schema().names()
        if keep_rejected:
            out = lf
        elif individual and "borger_id" in cols:
            out = lf.join(ids.with_columns(pl.col("borger_id").cast(pl.String)), on="borger_id", how="semi")
        else:
            out = lf.head(0)
        if "cpr" in cols:
            out = out.with_columns(mask_expr("cpr"))
        rejected[name] = out
    return dataset.derive(tables, rejected)


# --------------------------------------------------------------------------------------------
# Upload hardening

SAFE_NAME = re.compile(r"^[A-Za-z0-9æøåÆØÅ][A-Za-z0-9æøåÆØÅ._ -]{0,120}$")
SERVER_MAX_UPLOAD_MB = 200  # server.maxUploadSize in .streamlit/config.toml (outer bound)


def safe_upload_path(data_dir: str | Path, name: str) -> Path:
    """Where an uploaded file called `name` may be stored inside data_dir; ValueError for any name
    that is not a plain file name (path separators, '..', absolute paths, control characters)."""
    if not isinstance(name, str) or not name:
        raise ValueError("ugyldigt filnavn: tomt")
    if any(ord(ch) < 32 for ch in name) or "/" in name or "\\" in name or name in (".", "..") or ".." in name:
        raise ValueError(f"ugyldigt filnavn: {name[:60]!r} (må ikke indeholde stier eller '..')")
    if not SAFE_NAME.fullmatch(name):
        raise ValueError(f"ugyldigt filnavn: {name[:60]!r} (kun bogstaver, tal, '.', '_', '-' og mellemrum)")
    base = Path(data_dir).resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise ValueError(f"ugyldigt filnavn: {name[:60]!r}")
    return target


def check_upload_size(size: int, limit: int | None = None) -> None:
    """ValueError when an upload is larger than sikkerhed.max_upload_mb (config/roles.yaml)."""
    limit = limit if limit is not None else security().max_upload_mb * 1024 * 1024
    if size > limit:
        raise ValueError(f"filen er for stor ({size / 1024 / 1024:.0f} MB; højst {limit / 1024 / 1024:.0f} MB)")
