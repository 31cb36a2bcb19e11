"""The workbench's own HTTP layer around Streamlit (serve.py: `st.App("app.py", routes=..., middleware=...)`).

* POST /_ffb/session?ticket=T: trades a one-time ticket (workbench.lager.sessions) for the session cookie:
  HttpOnly, SameSite=Lax, Path=/, Secure behind HTTPS, Max-Age = the configured session lifetime.
  A Streamlit script cannot set an HttpOnly cookie; this route can. Login CSRF / session swap: a
  cross-origin request (Sec-Fetch-Site other than same-origin, or an Origin other than this host) is
  refused, and the ticket is redeemed only with the binding cookie of the browser it was issued to.
* Every page response without a binding cookie sets one (sessions.BIND_COOKIE: random, HttpOnly,
  SameSite=Lax, Path=/).
* GET /_ffb/logout: clears the cookie and sends the browser to / (the session row is already deleted
  by the sign-out button).
* Security headers on every HTTP response: X-Frame-Options DENY, a Content-Security-Policy with
  frame-ancestors 'none' (Streamlit's own front end needs inline scripts and styles, so the CSP
  restricts framing, plugins and the base URL, not scripts), nosniff, Referrer-Policy.
* `/_stcore/metrics` (Streamlit's unauthenticated metrics) answers 404.
* A page request (a typed URL or a link, i.e. a full page load) naming a page outside the signed-in
  user's role is logged as adgang_naegtet (`log_refused_page`): app.py registers only the role's
  pages, so Streamlit shows the default page instead, and the script never learns what was asked for.
* The page declares Danish: the served index.html says <html lang="da">.
"""

from __future__ import annotations

from workbench.lager import sessions

SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


# Streamlit's metrics endpoint answers without sign-in (session and cache counts, issue 23): closed.
CLOSED_PATHS = frozenset({"/_stcore/metrics"})


def _secure(request) -> bool:
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto == "https"


def same_origin(request) -> bool:
    """The request comes from a page of this server: Sec-Fetch-Site (when the browser sends it) is
    same-origin, and Origin (when sent) names this host. A POST with neither header is not a browser's
    cross-site request (browsers send Origin on every cross-origin POST)."""
    from urllib.parse import urlsplit

    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or ""
    return urlsplit(origin).netloc.lower() == host.split(",")[0].strip().lower()


async def session_route(request):
    from starlette.responses import Response

    if not same_origin(request):
        return Response("anmodning fra en anden oprindelse afvist", status_code=403)
    got = sessions.redeem_ticket(request.query_params.get("ticket"), request.cookies.get(sessions.BIND_COOKIE))
    if got is None:
        return Response("ugyldig eller udløbet billet", status_code=403)
    cookie, max_age = got
    resp = Response(status_code=204)
    resp.set_cookie(sessions.COOKIE, cookie, max_age=max_age, path="/", httponly=True, samesite="lax",
                    secure=_secure(request))
    resp.headers["cache-control"] = "no-store"
    return resp


async def logout_route(request):
    from starlette.responses import RedirectResponse

    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return resp


def routes() -> list:
    from starlette.routing import Route

    return [Route("/_ffb/session", session_route, methods=["POST"]),
            Route("/_ffb/logout", logout_route, methods=["GET"])]


class SecurityHeadersMiddleware:
    """Pure ASGI: adds SECURITY_HEADERS to every HTTP response, and serves index.html with
    lang="da" (asks the inner app for an uncompressed body for HTML page requests)."""

    def __init__(self, app) -> None:
        self.app = app

    @staticmethod
    def _page_request(path: str) -> bool:
        return not path.startswith(("/_stcore", "/static", "/media", "/component", "/_ffb", "/app/static")) \
            and "." not in path.rsplit("/", 1)[-1]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope.get("path", "").rstrip("/") in CLOSED_PATHS:
            from starlette.responses import Response

            return await Response("ikke tilgængelig", status_code=404,
                                  headers=SECURITY_HEADERS)(scope, receive, send)
        page = self._page_request(scope.get("path", "/"))
        if page:
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]
        state: dict = {"html": False, "start": None, "body": []}
        bind = _binding_cookie(scope) if page else None
        if page:
            try:
                log_refused_page(scope.get("path", "/"), _cookie(scope, sessions.COOKIE))
            except Exception:  # noqa: BLE001 - a failed log line must not take the page down (the refusal stands)
                pass

        async def wrapped(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode().lower() not in SECURITY_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if bind is not None:
                    headers.append((b"set-cookie", bind.encode()))
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if page and ctype.startswith(b"text/html"):
                    state["html"], state["start"] = True, {**message, "headers": headers}
                    return
                return await send({**message, "headers": headers})
            if message["type"] == "http.response.body" and state["html"]:
                state["body"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(state["body"]).replace(b'<html lang="en"', b'<html lang="da"', 1)
                start = state["start"]
                start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                start["headers"].append((b"content-length", str(len(body)).encode()))
                await send(start)
                return await send({"type": "http.response.body", "body": body})
            return await send(message)

        return await self.app(scope, receive, wrapped)


def log_refused_page(path: str, cookie: str | None) -> bool:
    """Log a request for a page outside the role of the session cookie's user (True when logged).
    Only a path whose last part is a page's url (workbench.ui.pages) and a valid session cookie are
    looked at; anything else (static files, the app's own pages, no sign-in yet) costs nothing."""
    from workbench.ui.pages import PAGES

    last = path.rstrip("/").rsplit("/", 1)[-1]
    key = next((k for k, _file, _title, url, _icon in PAGES if url == last), None)
    if key is None or not cookie:
        return False
    from data_model.db import engine_for, state_dir
    from workbench.lager import accesslog, users
    from workbench.regler import access
    from workbench.ui import data

    eng = engine_for(data.data_path())
    name = sessions.user_for(eng, cookie, state_dir(data.data_path()))
    principal = users.principal_for(eng, name) if name else None
    if principal is None or access.page_allowed(principal, key):
        return False
    accesslog.log(eng, principal, accesslog.ADGANG_NAEGTET, detalje=f"side {key} (adresse)")
    return True


def _cookie(scope, name: str) -> str | None:
    from http.cookies import SimpleCookie

    raw = b"; ".join(v for k, v in scope.get("headers", []) if k.lower() == b"cookie").decode("latin-1")
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header: no cookie
        return None
    return jar[name].value if name in jar else None


def _binding_cookie(scope) -> str | None:
    """Set-Cookie value for a new binding cookie when the request carries none, else None."""
    import secrets
    from http.cookies import SimpleCookie

    raw = b"; ".join(v for k, v in scope.get("headers", []) if k.lower() == b"cookie").decode("latin-1")
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header: hand out a fresh binding
        pass
    if sessions.BIND_COOKIE in jar and jar[sessions.BIND_COOKIE].value:
        return None
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    https = headers.get(b"x-forwarded-proto", scope.get("scheme", "http").encode()) == b"https"
    return (f"{sessions.BIND_COOKIE}={secrets.token_urlsafe(24)}; Path=/; HttpOnly; SameSite=Lax"
            + ("; Secure" if https else ""))


def middleware() -> list:
    from starlette.middleware import Middleware

    return [Middleware(SecurityHeadersMiddleware)]
