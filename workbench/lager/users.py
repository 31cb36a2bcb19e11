"""Configured users: the database-backed user store, password sign-in with lockout, OIDC identity
mapping, demo users for the demo dataset, and the CLI principal.

Passwords are argon2id hashes (argon2-cffi). Nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from data_model.access_tables import Bruger, utcnow
from workbench.regler import access
from workbench.lager import accesslog

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
KOMMUNE = re.compile(r"^\d{4}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# argon2 at production cost takes ~0.5 s and 64 MiB per hash; a storm of sign-ins on 2 cores would
# starve every page (issue 23: p50 19.3 s). At most HASH_SLOTS hashes run at once; the rest queue.
HASH_SLOTS = 2
_hash_slots = threading.BoundedSemaphore(HASH_SLOTS)


def _verify(stored: str, password: str) -> bool:
    """argon2 verify inside a hashing slot; raises as PasswordHasher.verify."""
    with _hash_slots:
        return _hasher.verify(stored, password)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Hashed on first use, not at import (0.17 s and 64 MiB on every command otherwise)."""
    with _hash_slots:
        return _hasher.hash("ikke-en-rigtig-adgangskode")


class UserError(ValueError):
    """Bad user input (one line for the UI / CLI exit 2)."""


def hash_password(password: str) -> str:
    with _hash_slots:
        return _hasher.hash(password)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (s.strip() for s in (text or "").split(",")) if x)


def _join(values: Iterable[str] | str | None) -> str:
    if values is None:
        return ""
    if isinstance(values, str):
        values = values.split(",")
    return ",".join(v.strip() for v in values if v and v.strip())


# --------------------------------------------------------------------------------------------
# Reading users


def get_user(engine: Engine, brugernavn: str | None) -> Bruger | None:
    if not brugernavn:
        return None
    with Session(engine) as s:
        return _get(s, brugernavn)


def _get(session: Session, brugernavn: str) -> Bruger | None:
    return session.execute(select(Bruger).where(Bruger.brugernavn == brugernavn)).scalars().first()


def all_users(engine: Engine) -> list[Bruger]:
    with Session(engine) as s:
        return list(s.execute(select(Bruger).order_by(Bruger.brugernavn)).scalars().all())


def has_users(engine: Engine, include_demo: bool = True) -> bool:
    q = select(func.count()).select_from(Bruger)
    if not include_demo:
        q = q.where(Bruger.demo == False)  # noqa: E712
    with engine.connect() as conn:
        return bool(conn.execute(q).scalar())


def tilsyn_ids(engine: Engine, brugernavn: str) -> tuple[str, ...]:
    """A tilsyn user's scope: exactly the sampled cases of their open audits (workbench.lager.tilsyn_store)."""
    from workbench.lager import tilsyn_store

    return tilsyn_store.scope_ids(engine, brugernavn)


def to_principal(engine: Engine, user: Bruger) -> access.Principal:
    return access.Principal(
        username=user.brugernavn, rolle=user.rolle, kommuner=_split(user.kommuner),
        sagsbehandler=user.sagsbehandler or None, team=user.team or None, tilbud_ids=_split(user.tilbud_ids),
        borger_ids=tilsyn_ids(engine, user.brugernavn) if user.rolle == "tilsyn" else (),
    )


def principal_for(engine: Engine, brugernavn: str) -> access.Principal | None:
    """The principal of an active configured user, else None."""
    user = get_user(engine, brugernavn)
    if user is None or not user.aktiv:
        return None
    return to_principal(engine, user)


def users_frame(engine: Engine) -> pl.DataFrame:
    """The users for display: never the password hash."""
    now = utcnow()
    rows = [{
        "brugernavn": u.brugernavn, "rolle": u.rolle, "navn": u.navn, "email": u.email or "",
        "kommuner": u.kommuner, "sagsbehandler": u.sagsbehandler or "", "team": u.team or "",
        "tilbud_ids": u.tilbud_ids, "aktiv": u.aktiv, "demo": u.demo,
        "adgangskode": bool(u.adgangskode_hash), "spaerret": bool(u.spaerret_til and u.spaerret_til > now),
    } for u in all_users(engine)]
    schema = {"brugernavn": pl.String, "rolle": pl.String, "navn": pl.String, "email": pl.String,
              "kommuner": pl.String, "sagsbehandler": pl.String, "team": pl.String, "tilbud_ids": pl.String,
              "aktiv": pl.Boolean, "demo": pl.Boolean, "adgangskode": pl.Boolean, "spaerret": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


# --------------------------------------------------------------------------------------------
# Changing users (every change is logged by the caller's principal)


def check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"adgangskoden skal have mindst {MIN_PASSWORD} tegn")


def _validate(brugernavn: str, rolle: str, kommuner: tuple[str, ...], email: str | None) -> None:
    if not USERNAME.match(brugernavn or ""):
        raise UserError("ugyldigt brugernavn (2-64 tegn: små bogstaver, tal, '.', '_', '-')")
    if access.role(rolle) is None:
        raise UserError(f"ukendt rolle: {rolle} (kendte: {', '.join(access.load_roles().roller)})")
    for k in kommuner:
        if not KOMMUNE.match(k):
            raise UserError(f"ugyldig kommunekode: {k[:20]!r} (4 cifre, fx 0250)")
    if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
        raise UserError("ugyldig e-mailadresse")


def create_user(engine: Engine, brugernavn: str, rolle: str, password: str | None = None, *,
                navn: str = "", email: str | None = None, oidc_sub: str | None = None,
                kommuner: Iterable[str] | str = (), sagsbehandler: str | None = None, team: str | None = None,
                tilbud_ids: Iterable[str] | str = (), demo: bool = False,
                af: access.Principal | None = None) -> Bruger:
    brugernavn = (brugernavn or "").strip().lower()
    kom = _split(_join(kommuner))
    email = (email or "").strip().lower() or None
    _validate(brugernavn, rolle, kom, email)
    if password is not None and not demo:
        check_password(password)
    user = Bruger(brugernavn=brugernavn, rolle=rolle, navn=navn.strip(), email=email,
                  oidc_sub=(oidc_sub or "").strip() or None, kommuner=",".join(kom),
                  sagsbehandler=(sagsbehandler or "").strip() or None, team=(team or "").strip() or None,
                  tilbud_ids=_join(tilbud_ids), demo=demo,
                  adgangskode_hash=hash_password(password) if password else None)
    with Session(engine) as s:
        if _get(s, brugernavn) is not None:
            raise UserError(f"brugeren findes allerede: {brugernavn}")
        s.add(user)
        s.commit()
        s.refresh(user)
    if af is not None:
        accesslog.log(engine, af, accesslog.BRUGER_AENDRET, detalje=f"opret {brugernavn} ({rolle})")
    return user


EDITABLE = {"rolle", "navn", "email", "oidc_sub", "kommuner", "sagsbehandler", "team", "tilbud_ids", "aktiv"}


def update_user(engine: Engine, brugernavn: str, af: access.Principal | None = None, **changes) -> Bruger:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise UserError(f"kan ikke ændre: {', '.join(sorted(unknown))}")
    with Session(engine) as s:
        user = _get(s, brugernavn)
        if user is None:
            raise UserError(f"ukendt bruger: {brugernavn}")
        for key in ("kommuner", "tilbud_ids"):
            if key in changes:
                changes[key] = _join(changes[key])
        if "email" in changes:
            changes["email"] = (changes["email"] or "").strip().lower() or None
        new_rolle = changes.get("rolle", user.rolle)
        _validate(user.brugernavn, new_rolle, _split(changes.get("kommuner", user.kommuner)), changes.get("email"))
        for key, value in changes.items():
            setattr(user, key, value)
        s.add(user)
        s.commit()
        s.refresh(user)
    if changes.get("aktiv") is False or "rolle" in changes:
        from workbench.lager import sessions

        sessions.revoke_user(engine, brugernavn)  # signed out everywhere
    if af is not None:
        what = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        accesslog.log(engine, af, accesslog.BRUGER_AENDRET, detalje=f"ændr {brugernavn}: {what}")
    return user


def set_password(engine: Engine, brugernavn: str, password: str, af: access.Principal | None = None) -> None:
    check_password(password)
    with Session(engine) as s:
        user = _get(s, brugernavn)
        if user is None:
            raise UserError(f"ukendt bruger: {brugernavn}")
        user.adgangskode_hash = hash_password(password)
        user.fejlede_logins = 0
        user.spaerret_til = None
        s.add(user)
        s.commit()
    from workbench.lager import sessions

    sessions.revoke_user(engine, brugernavn)  # a new password signs every session out
    if af is not None:
        accesslog.log(engine, af, accesslog.BRUGER_AENDRET, detalje=f"ny adgangskode til {brugernavn}")


def unlock(engine: Engine, brugernavn: str, af: access.Principal | None = None) -> None:
    with Session(engine) as s:
        user = _get(s, brugernavn)
        if user is None:
            raise UserError(f"ukendt bruger: {brugernavn}")
        user.fejlede_logins = 0
        user.spaerret_til = None
        s.add(user)
        s.commit()
    if af is not None:
        accesslog.log(engine, af, accesslog.BRUGER_AENDRET, detalje=f"lås op {brugernavn}")


# --------------------------------------------------------------------------------------------
# Password sign-in with lockout


@dataclass(frozen=True)
class LoginResult:
    principal: access.Principal | None
    besked: str = ""


GENERIC_FAIL = "Forkert brugernavn eller adgangskode."


RATE_LIMITED = "For mange loginforsøg fra denne klient. Vent et minut, og prøv igen."


def _locked_message(until: dt.datetime | None, now: dt.datetime) -> str:
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=dt.timezone.utc)
    minutes = max(1, int((until - now).total_seconds() // 60) + 1) if until else access.security().spaerretid_minutter
    return (f"Kontoen er midlertidigt spærret efter for mange forkerte forsøg. "
            f"Prøv igen om {minutes} minutter.")


def _reserve_attempt(engine: Engine, name: str, now: dt.datetime, max_attempts: int) -> int | None:
    """Atomically take one of the account's attempt slots: one UPDATE ... RETURNING that increments
    the counter only while the account is not locked and fewer than `max_attempts` attempts are
    counted. None: no slot (locked, or max attempts already in flight/failed). The counter thus
    counts failures plus attempts still being verified, so N parallel guesses verify at most
    `max_attempts` passwords, on SQLite and PostgreSQL alike (the row is locked by the UPDATE)."""
    t = Bruger.__table__
    stmt = (update(t)
            .where(t.c.brugernavn == name, t.c.fejlede_logins < max_attempts,
                   or_(t.c.spaerret_til.is_(None), t.c.spaerret_til <= now))
            .values(fejlede_logins=t.c.fejlede_logins + 1)
            .returning(t.c.fejlede_logins))
    with engine.begin() as conn:
        got = conn.execute(stmt).scalar()
    return None if got is None else int(got)


def _lock_now(engine: Engine, name: str, until: dt.datetime) -> None:
    t = Bruger.__table__
    with engine.begin() as conn:
        conn.execute(update(t).where(t.c.brugernavn == name).values(spaerret_til=until, fejlede_logins=0))


def _succeed(engine: Engine, name: str, now: dt.datetime) -> bool:
    """Reset the counter after a right password, only while the account is not locked (a lock set
    by a parallel attempt in the meantime wins). Atomic; True when the sign-in may proceed."""
    t = Bruger.__table__
    with engine.begin() as conn:
        got = conn.execute(update(t).where(t.c.brugernavn == name,
                                           or_(t.c.spaerret_til.is_(None), t.c.spaerret_til <= now))
                           .values(fejlede_logins=0, spaerret_til=None).returning(t.c.id)).scalar()
    return got is not None


def authenticate(engine: Engine, brugernavn: str, password: str, *, demo_allowed: bool,
                 now: dt.datetime | None = None, klient: str | None = None) -> LoginResult:
    """Check a password. N failures (config) lock the account for M minutes; a locked account is
    not even checked. The failure counter is taken and checked in one database statement before
    the (slow) hash check, so parallel guesses cannot overrun it. `klient` (the client's address)
    is rate limited per (account, client) pair, and across accounts at a higher ceiling
    (ratelimit.allow_login). Unknown users cost the same hashing time. Every outcome is
    logged."""
    now = now or utcnow()
    sec = access.security()
    name = (brugernavn or "").strip().lower()[:64]
    from workbench.lager import ratelimit

    if klient is not None and not ratelimit.allow_login(name, klient, sec.login_pr_klient_pr_minut):
        accesslog.write(engine, name or "(tom)", "", accesslog.LOGIN_BEGRAENSET, detalje=f"klient {klient[:64]}")
        return LoginResult(None, RATE_LIMITED)
    user = get_user(engine, name) if name else None
    usable = user is not None and user.aktiv and user.adgangskode_hash and (demo_allowed or not user.demo)
    if not usable:
        try:
            _verify(_dummy_hash(), password or "x")
        except VerificationError:
            pass
        accesslog.write(engine, name or "(tom)", user.rolle if user else "", accesslog.LOGIN_FEJL,
                        detalje="ukendt, inaktiv eller uden adgangskode")
        return LoginResult(None, GENERIC_FAIL)
    slot = _reserve_attempt(engine, name, now, sec.max_fejlede_logins)
    if slot is None:
        fresh = get_user(engine, name)
        accesslog.write(engine, name, user.rolle, accesslog.LOGIN_SPAERRET, detalje="forsøg mens spærret")
        return LoginResult(None, _locked_message(fresh.spaerret_til if fresh else None, now))
    try:
        ok = _verify(user.adgangskode_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if ok:
        if not _succeed(engine, name, now):
            accesslog.write(engine, name, user.rolle, accesslog.LOGIN_SPAERRET, detalje="spærret under forsøget")
            return LoginResult(None, _locked_message(None, now))
        if _hasher.check_needs_rehash(user.adgangskode_hash):
            with Session(engine) as s:
                u = _get(s, name)
                u.adgangskode_hash = hash_password(password)
                s.add(u)
                s.commit()
        principal = to_principal(engine, user)
        accesslog.log(engine, principal, accesslog.LOGIN, detalje="adgangskode")
        return LoginResult(principal, "")
    if slot >= sec.max_fejlede_logins:
        _lock_now(engine, name, now + dt.timedelta(minutes=sec.spaerretid_minutter))
        accesslog.write(engine, name, user.rolle, accesslog.LOGIN_SPAERRET,
                        detalje=f"spærret i {sec.spaerretid_minutter} minutter efter {sec.max_fejlede_logins} forsøg")
        return LoginResult(None, f"For mange forkerte forsøg. Kontoen er spærret i {sec.spaerretid_minutter} minutter.")
    accesslog.write(engine, name, user.rolle, accesslog.LOGIN_FEJL, detalje="forkert adgangskode")
    return LoginResult(None, GENERIC_FAIL)


# --------------------------------------------------------------------------------------------
# OIDC identity -> configured user (pure)


def match_identity(users: Iterable[Bruger], claims: Mapping[str, object]) -> Bruger | None:
    """The active, non-demo user an OIDC identity belongs to: by `sub` (exact), else by a verified
    `email` (case-insensitive, must be unique). Unknown -> None (the caller refuses sign-in)."""
    candidates = [u for u in users if u.aktiv and not u.demo]
    sub = str(claims.get("sub") or "").strip()
    if sub:
        hits = [u for u in candidates if u.oidc_sub and u.oidc_sub == sub]
        if len(hits) == 1:
            return hits[0]
    email = str(claims.get("email") or "").strip().lower()
    if email and claims.get("email_verified", True) is not False:
        hits = [u for u in candidates if u.email and u.email.lower() == email]
        if len(hits) == 1:
            return hits[0]
    return None


def principal_for_identity(engine: Engine, claims: Mapping[str, object]) -> access.Principal | None:
    user = match_identity(all_users(engine), claims)
    return to_principal(engine, user) if user else None


# --------------------------------------------------------------------------------------------
# Demo users


def is_demo_dataset(path: str | Path | None) -> bool:
    """Synthetic data the demo generator wrote, verified against its manifest's checksums
    (workbench.data.demo_status); None: the bundled demo directory."""
    from workbench.data import demo_status

    return demo_status.is_demo(path)


def dev_mode() -> bool:
    return os.environ.get("FFB_WORKBENCH_DEV") == "1"


DEV_REFUSED = ("FFB_WORKBENCH_DEV=1 er kun tilladt på demodata skrevet af 'ffb-workbench demo' "
               "(verificeret manifest); {path} er ikke demodata. Fjern FFB_WORKBENCH_DEV.")


class DevModeRefused(RuntimeError):
    """Dev mode was asked for on data that are not verified demo data."""


def dev_allowed(path: str | Path | None) -> bool:
    """May dev mode (sign-in without a password) run on this data? Only on verified demo data.
    (The test suite replaces this one function to run its hand-made datasets in dev mode.)"""
    return is_demo_dataset(path)


def check_dev_mode(path: str | Path | None) -> None:
    """Raise DevModeRefused (one line) when FFB_WORKBENCH_DEV=1 is set for data that are not demo data."""
    if dev_mode() and not dev_allowed(path):
        raise DevModeRefused(DEV_REFUSED.format(path=path if path is not None else "demo-mappen"))


def demo_scopes(ds) -> dict[str, dict]:
    """Scope of each demo user, derived from the demo data."""
    b = ds.borgere.select("borger_id", "handlekommune", "sagsbehandler", "team").collect()
    y = ds.ydelser.select("borger_id", "tilbud_id").collect()
    kommuner = b["handlekommune"].drop_nulls()
    kommune = "0250" if "0250" in set(kommuner.to_list()) else (kommuner.mode().sort()[0] if kommuner.len() else "0250")
    x = b.filter(pl.col("borger_id") == "X")
    team = None
    if x.height and x["sagsbehandler"][0]:
        sb = x["sagsbehandler"][0]
        # Borger X's sagsbehandler has one (closed) case of their own; with the team the demo
        # sagsbehandler sees a realistic caseload and not an empty Overblik.
        team = x["team"][0] or None
    else:
        counts = b.drop_nulls("sagsbehandler").group_by("sagsbehandler").len().sort(["len", "sagsbehandler"],
                                                                                      descending=[True, False])
        sb = counts["sagsbehandler"][0] if counts.height else "ingen"
    tilbud = (y.drop_nulls("tilbud_id").group_by("tilbud_id").agg(pl.col("borger_id").n_unique().alias("n"))
              .sort(["n", "tilbud_id"], descending=[True, False]))
    tid = tilbud["tilbud_id"][0] if tilbud.height else "ingen"
    x_tilbud = y.filter(pl.col("borger_id") == "X")["tilbud_id"].drop_nulls().unique().sort().to_list()
    # the demo's udfører and tilbudsleder work at Borger X's tilbud, so the joint review of Borger X
    # (README) can be held and signed by the demo users of both sides
    tilbud_scope = x_tilbud or [tid]
    in_kommune = b.filter(pl.col("handlekommune") == kommune).sort("borger_id")
    sample = in_kommune.sample(n=min(5, in_kommune.height), seed=7)["borger_id"].sort().to_list() \
        if in_kommune.height else []
    return {
        "admin": {},
        "leder_myndighed": {"kommuner": [kommune]},
        "sagsbehandler": {"sagsbehandler": sb, **({"team": team} if team else {})},
        "udfoerer": {"tilbud_ids": tilbud_scope},
        # the tilbudsleder leads the busiest tilbud (she lands on it: borgere with progression to
        # look at) and Borger X's tilbud (the joint review)
        "tilbudsleder": {"tilbud_ids": list(dict.fromkeys([tid, *tilbud_scope]))},
        "tilsyn": {"_samples": sample},
        "analytiker": {},
    }


def ensure_demo_users(engine: Engine, ds) -> list[str]:
    """Create the demo user of each role that does not exist yet. Returns the created names."""
    created = []
    password = access.security().demo_adgangskode
    for rolle, spec in demo_scopes(ds).items():
        if get_user(engine, rolle) is not None:
            continue
        spec = dict(spec)
        spec.pop("_samples", None)
        create_user(engine, rolle, rolle, password, navn=f"Demo: {access.role_title(rolle)}", demo=True, **spec)
        created.append(rolle)
    if "tilsyn" in created and get_user(engine, "leder_myndighed") is not None:
        demo_audit(engine, ds, access.Principal("leder_myndighed", "leder_myndighed",
                                                kommuner=tuple(demo_scopes(ds)["leder_myndighed"]["kommuner"])))
    return created


def demo_audit(engine: Engine, ds, leder: access.Principal):
    """The demo tilsyn user's audit: one case per team, drawn by the demo leader (seed 7) on the
    dataset's udtraeksdato, so the demo auditor has a real sample to work through."""
    from workbench.regler import stikproeve
    from workbench.lager import tilsyn_store
    from workbench.data.dataset import udtraeksdato

    paa = udtraeksdato(ds)
    sample = stikproeve.stikproeve(access.scope(ds, leder), "team", 1, 7, paa)
    if sample.height == 0:
        return None
    return tilsyn_store.create(engine, sample, pr="team", antal=1, seed=7, paa=paa, auditor="tilsyn",
                               leder=leder.username, af="system", titel="Demo: 1 sag pr. team")


def bootstrap(engine: Engine, data_path: str | Path | None, ds_loader=None) -> None:
    """Demo users for a demo dataset (or in dev mode) when the database has no users yet."""
    if has_users(engine):
        return
    if not (is_demo_dataset(data_path) or (dev_mode() and dev_allowed(data_path))):
        return  # demo users (password 'demo') only ever exist beside demo data
    if ds_loader is None:
        from workbench.data.dataset import open_dataset

        ds = open_dataset(data_path)
    else:
        ds = ds_loader()
    ensure_demo_users(engine, ds)


# --------------------------------------------------------------------------------------------
# First admin: one-time setup token (printed to the server console, as Jupyter does)

_SETUP: list[str] = []


def setup_token(out=None) -> str:
    """The process's one-time token for the first-run admin form; made and printed to the server
    console (stderr) on first use. Only someone who can read the server's console can create the
    first admin through the web."""
    import secrets
    import sys

    if not _SETUP:
        _SETUP.append(secrets.token_urlsafe(18))
        print(f"FFB Workbench, første opstart: engangskode til at oprette den første administrator: {_SETUP[0]}"
              f"  (eller: ffb-workbench brugere DATA-MAPPE opret-admin NAVN)", file=out or sys.stderr, flush=True)
    return _SETUP[0]


def check_setup_token(engine: Engine, token: str | None, klient: str | None = None) -> bool:
    """Constant-time check of the setup token, rate limited per client; a wrong token is logged."""
    import hmac

    from workbench.lager import ratelimit

    if klient is not None and not ratelimit.login_limiter(access.security().login_pr_klient_pr_minut).allow(klient):
        accesslog.write(engine, "(første opstart)", "", accesslog.LOGIN_BEGRAENSET, detalje=f"klient {klient[:64]}")
        return False
    ok = bool(_SETUP) and bool(token) and hmac.compare_digest(token.strip().encode(), _SETUP[0].encode())
    if not ok:
        accesslog.write(engine, "(første opstart)", "", accesslog.LOGIN_FEJL, detalje="forkert engangskode")
    return ok


def consume_setup_token() -> None:
    """The token is spent once the first admin exists."""
    _SETUP.clear()


def create_first_admin(engine: Engine, brugernavn: str, password: str, navn: str = "") -> Bruger:
    """`ffb-workbench brugere DIR opret-admin NAME`: an admin, on the command line (the data owner)."""
    user = create_user(engine, brugernavn, "admin", password, navn=navn)
    accesslog.write(engine, user.brugernavn, "admin", accesslog.BRUGER_AENDRET,
                    detalje=f"administrator {user.brugernavn} oprettet på kommandolinjen", kilde="cli")
    return user


# --------------------------------------------------------------------------------------------
# CLI


def cli_principal(username: str | None, data_dir: str | None = None) -> access.Principal:
    """--bruger resolved in the database of the data directory. No --bruger: admin, because whoever
    runs the CLI locally already has file-system access to the data (the data owner)."""
    if username is None:
        return access.ADMIN
    from data_model.db import engine_for

    engine = engine_for(data_dir)
    bootstrap(engine, data_dir)
    principal = principal_for(engine, username.strip().lower())
    if principal is None:
        raise ValueError(f"ukendt bruger: {username[:64]}")
    return principal
