"""Per-client sign-in rate limit: a sliding one-minute window per client key (the IP address the
server saw), in process memory, thread-safe. One Streamlit server is one process, so this holds for
every session it serves; a deployment with several app processes behind a proxy should also limit
at the proxy (docs/SECURITY.md)."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, per_minute: int, window_s: float = 60.0, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str | None) -> bool:
        """Count one attempt for `key`; False when the key already made `per_minute` attempts in
        the window (the refused attempt is not counted, so waiting always helps)."""
        key = key or "(ukendt klient)"
        now = self._clock()
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and now - q[0] >= self.window_s:
                q.popleft()
            if len(q) >= self.per_minute:
                return False
            q.append(now)
            if len(self._hits) > 10_000:  # bound memory: drop idle keys
                for k in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window_s]:
                    self._hits.pop(k, None)
            return True


_limiters: dict[int, RateLimiter] = {}
_guard = threading.Lock()


def login_limiter(per_minute: int) -> RateLimiter:
    """The process-wide limiter for sign-in attempts at this rate."""
    with _guard:
        lim = _limiters.get(per_minute)
        if lim is None:
            lim = _limiters[per_minute] = RateLimiter(per_minute)
        return lim


# A client address may try this many times the per-pair rate across all accounts (password spraying);
# below it, one client's guesses at one account never lock others behind the same NAT out.
KLIENT_LOFT = 10


def allow_login(name: str | None, klient: str | None, per_minute: int) -> bool:
    """One sign-in attempt: limited per (account, client) pair at `per_minute`, and per client across
    accounts at KLIENT_LOFT x `per_minute` (issue 23: a per-IP limit let one client lock out a NAT)."""
    pair = f"{(name or '').strip().lower()}\x00{klient or '(ukendt klient)'}"
    if not login_limiter(per_minute).allow(pair):
        return False
    return login_limiter(per_minute * KLIENT_LOFT).allow(f"klient\x00{klient or '(ukendt klient)'}")


def reset() -> None:
    """Forget every client (tests)."""
    with _guard:
        _limiters.clear()
