"""Sign-in sessions that survive a reload and a new tab: a signed, HttpOnly, SameSite=Lax cookie
holding a random token, and a server-side row (data_model.access_tables.LoginSession) that sign-out
deletes (revocation). Nothing here imports streamlit.

Cookie value: `<token>.<hmac-sha256(secret, token)>`; the database stores sha256(token) only, so a
copy of the database signs nobody in. The secret is FFB_WORKBENCH_SESSION_SECRET, else a random
secret kept (mode 0600) in the state directory beside the SQLite file.

The cookie is set by the server route /_ffb/session (workbench.ui.server), which exchanges a
one-time ticket (60 s, in process memory, handed to the signed-in Streamlit session) for the cookie,
because a Streamlit script cannot set an HttpOnly cookie itself.

A ticket is bound to the browser that asked for it (login CSRF / session swap, issue 23): the server
gives every browser a random binding cookie (BIND_COOKIE, HttpOnly, set on page responses by
workbench.ui.server); the Streamlit session reads it when it issues the ticket, and the route only
redeems the ticket for a request carrying the same binding (and from the same origin). A ticket
another browser obtained is useless in this one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import time
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from data_model.access_tables import LoginSession, utcnow

COOKIE = "ffb_session"
BIND_COOKIE = "ffb_binding"
TICKET_SECONDS = 60


def _secret(state_dir: Path | None) -> bytes:
    env = os.environ.get("FFB_WORKBENCH_SESSION_SECRET")
    if env:
        return env.encode()
    from data_model.db import state_dir as default_state_dir

    d = Path(state_dir) if state_dir is not None else default_state_dir(None)
    path = d / "session_secret"
    if not path.is_file():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600) if not path.exists() else None
        if fd is not None:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def create(engine: Engine, brugernavn: str, hours: int, state_dir: Path | None = None,
           now: dt.datetime | None = None) -> str:
    """A new session for the user; returns the cookie value."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with Session(engine) as s:
        s.add(LoginSession(token_hash=_hash(token), brugernavn=brugernavn, oprettet=now,
                           udloeber=now + dt.timedelta(hours=hours)))
        s.commit()
    return f"{token}.{_sign(_secret(state_dir), token)}"


def user_for(engine: Engine, cookie: str | None, state_dir: Path | None = None,
             now: dt.datetime | None = None) -> str | None:
    """The user name of a valid cookie (right signature, live row, not expired), else None."""
    if not cookie or "." not in cookie or len(cookie) > 200:
        return None
    token, sig = cookie.rsplit(".", 1)
    if not hmac.compare_digest(sig, _sign(_secret(state_dir), token)):
        return None
    now = now or utcnow()
    with Session(engine) as s:
        row = s.execute(select(LoginSession).where(LoginSession.token_hash == _hash(token))).scalars().first()
    if row is None or _aware(row.udloeber) <= now:
        return None
    return row.brugernavn


def revoke(engine: Engine, cookie: str | None) -> None:
    """Sign-out: the session row is deleted; the cookie is dead from then on, in every tab."""
    if not cookie or "." not in cookie:
        return
    token = cookie.rsplit(".", 1)[0]
    with engine.begin() as conn:
        conn.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))


def revoke_user(engine: Engine, brugernavn: str) -> int:
    """Every session of a user (deactivation, password change)."""
    with engine.begin() as conn:
        return int(conn.execute(delete(LoginSession).where(LoginSession.brugernavn == brugernavn)).rowcount or 0)


# one-time tickets: a signed-in Streamlit session hands one to the browser, which trades it for the cookie
_tickets: dict[str, tuple[str, float, int]] = {}
_lock = threading.Lock()


def issue_ticket(cookie: str, max_age_s: int, binding: str | None) -> str | None:
    """A one-time ticket for the session cookie, bound to the browser's binding cookie. Without a
    binding (no browser context) no ticket is issued: the sign-in lasts as long as the tab."""
    if not isinstance(binding, str) or not binding:
        return None
    ticket = secrets.token_urlsafe(24)
    with _lock:
        now = time.monotonic()
        for k in [k for k, v in _tickets.items() if v[1] < now]:
            _tickets.pop(k, None)
        _tickets[ticket] = (cookie, now + TICKET_SECONDS, max_age_s, _hash(binding))
    return ticket


def redeem_ticket(ticket: str | None, binding: str | None) -> tuple[str, int] | None:
    """(cookie value, max age in seconds) once per ticket, within TICKET_SECONDS, and only for the
    browser the ticket was issued to (same binding cookie); else None. A wrong binding spends the ticket."""
    if not ticket or not isinstance(binding, str) or not binding:
        return None
    with _lock:
        got = _tickets.pop(ticket, None)
    if got is None or got[1] < time.monotonic() or not hmac.compare_digest(got[3], _hash(binding)):
        return None
    return got[0], got[2]
