"""Sign-in and the current principal.

Order of precedence in `require_principal()`:
1. FFB_WORKBENCH_DEV=1 (local demos only, and only on verified demo data; on other data the app
   refuses with one line): FFB_WORKBENCH_USER=<username> signs that configured user in without a
   password; unset, `admin`. Without FFB_WORKBENCH_DEV=1 the user
   variable is ignored.
2. OIDC (`st.login`) when [auth] is configured in .streamlit/secrets.toml: the identity (sub, else
   verified email) must map to a configured, active user, otherwise sign-in is refused.
3. Local users with argon2 password hashes in the database, with lockout (config/roles.yaml) and a
   per-client rate limit. With no (non-demo) users yet and non-demo data, a first-run form creates
   the admin, but only with the one-time setup token printed to the server console (or use
   `ffb-workbench brugere DIR opret-admin NAME`).
Demo users (one per role, password in config/roles.yaml, 'demo') exist for the demo dataset and are
listed on the login page only while it is in use.

The principal is rebuilt from the database on every run, so deactivation or a role change takes
effect on the next interaction.
"""

from __future__ import annotations

import os

import streamlit as st

from data_model.db import engine_for
from workbench.regler import access
from workbench.lager import accesslog, sessions, users
from workbench.regler.cpr import mask
from workbench.ui import data

SESSION_USER = "_ffb_bruger"
SESSION_KIND = "_ffb_login"
SESSION_PRINCIPAL = "_ffb_principal"
SESSION_LOGGED = "_ffb_login_logget"
SESSION_COOKIE = "_ffb_cookie"
SESSION_TICKET = "_ffb_billet"


def engine():
    return engine_for(data.data_path())


def demo_allowed() -> bool:
    return users.is_demo_dataset(data.data_path())


def current_principal() -> access.Principal | None:
    """The principal signed in during this session (set by require_principal), else None."""
    return st.session_state.get(SESSION_PRINCIPAL)


def _accept(eng, principal: access.Principal, kind: str) -> access.Principal:
    st.session_state[SESSION_PRINCIPAL] = principal
    st.session_state[SESSION_KIND] = kind
    if st.session_state.get(SESSION_LOGGED) != principal.username:
        st.session_state[SESSION_LOGGED] = principal.username
        if kind != "adgangskode":  # password sign-in is logged by users.authenticate
            accesslog.log(eng, principal, accesslog.LOGIN, detalje=kind)
    return principal


def _forget() -> None:
    for key in (SESSION_USER, SESSION_KIND, SESSION_PRINCIPAL, SESSION_LOGGED, SESSION_COOKIE, SESSION_TICKET):
        st.session_state.pop(key, None)


def _state_dir():
    from data_model.db import state_dir

    return state_dir(data.data_path())


def _browser_cookie() -> str | None:
    try:
        return st.context.cookies.get(sessions.COOKIE)
    except Exception:  # no browser context (AppTest, bare mode)
        return None


def _start_session(eng, brugernavn: str) -> None:
    """After a password sign-in: a server-side session and a one-time ticket the browser trades for
    the HttpOnly cookie (rendered by sidebar_user on the next run), so a reload or a new tab stays
    signed in for sikkerhed.session_timer hours."""
    hours = access.security().session_timer
    cookie = sessions.create(eng, brugernavn, hours, _state_dir())
    st.session_state[SESSION_COOKIE] = cookie
    ticket = sessions.issue_ticket(cookie, hours * 3600, _browser_binding())
    if ticket:
        st.session_state[SESSION_TICKET] = ticket


def _browser_binding() -> str | None:
    """The browser's binding cookie (set by workbench.ui.server): the ticket is bound to it."""
    try:
        got = st.context.cookies.get(sessions.BIND_COOKIE)
    except Exception:  # no browser context (AppTest, bare mode)
        return None
    return got if isinstance(got, str) and got else None


def _session_from_cookie(eng) -> str | None:
    cookie = _browser_cookie()
    name = sessions.user_for(eng, cookie, _state_dir()) if cookie else None
    if name:
        st.session_state[SESSION_USER] = name
        st.session_state[SESSION_COOKIE] = cookie
    return name


def _hide_navigation() -> None:
    """Before sign-in: hide the (empty) sidebar and its collapse control next to the login form."""
    st.html("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
            "[data-testid='stExpandSidebarButton'] {display: none;}</style>")


def _keep_requested_page() -> None:
    """Before sign-in: register every page's address with Streamlit (hidden, and no page code: each entry
    only stops), so the address asked for (a deep link to one borger, say) is resolved now and the
    sign-in's rerun comes back to it. After sign-in app.py's navigation lists only the role's pages: a page
    outside the role is simply not found there and the role's default page opens instead."""
    from workbench.ui.pages import PAGES

    def log_ind_foerst() -> None:
        st.stop()

    pages = [st.Page(log_ind_foerst, title="FFB Workbench", url_path="log-ind", default=True)]
    pages += [st.Page(log_ind_foerst, title=title, url_path=url) for _, _, title, url, _ in PAGES]
    st.navigation(pages, position="hidden")


def _refuse(message: str) -> None:
    st.error(message)
    st.stop()


def oidc_settings() -> dict | None:
    """The [auth] section of st.secrets, or None when OIDC is not configured."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets.toml at all
        return None
    if not auth:
        return None
    return dict(auth)


def oidc_provider(settings: dict) -> str | None:
    """None for a single unnamed provider ([auth] with client_id), else the first named one."""
    if "client_id" in settings:
        return None
    named = [k for k, v in settings.items() if isinstance(v, dict) or hasattr(v, "keys")]
    return named[0] if named else None


def require_principal() -> access.Principal:
    """The signed-in principal; shows the login form and stops the script when nobody is.

    Every request runs app.py first (the page files live outside a `pages/` folder, so Streamlit
    never runs one on its own): app.py calls this before st.navigation, and each page calls
    require_page() with its own key."""
    data.ensure_demo()
    path = data.data_path()
    eng = engine_for(path)
    if users.dev_mode():
        try:
            users.check_dev_mode(path)
        except users.DevModeRefused as exc:
            _hide_navigation()
            _refuse(str(exc))
        users.bootstrap(eng, path)
        name = (os.environ.get("FFB_WORKBENCH_USER") or "").strip().lower()
        if name:
            principal = users.principal_for(eng, name)
            if principal is None:
                _refuse(f"Ukendt eller inaktiv bruger i FFB_WORKBENCH_USER: {name[:64]}")
        else:
            principal = users.principal_for(eng, "admin")
            if principal is None or principal.rolle != "admin":
                principal = access.ADMIN
        return _accept(eng, principal, "dev")
    settings = oidc_settings()
    if settings:
        return _require_oidc(eng, settings)
    return _require_password(eng, path)


def _require_oidc(eng, settings: dict) -> access.Principal:
    if not st.user.get("is_logged_in"):
        _forget()
        _hide_navigation()
        st.title("FFB Workbench")
        st.write("Log ind med din organisations login for at fortsætte.")
        provider = oidc_provider(settings)
        if st.button("Log ind", type="primary"):
            st.login(provider) if provider else st.login()
        st.stop()
    claims = {k: st.user.get(k) for k in ("sub", "email", "email_verified", "name", "iss")}
    principal = users.principal_for_identity(eng, claims)
    if principal is None:
        ident = str(claims.get("email") or claims.get("sub") or "(ukendt)")
        if st.session_state.get(SESSION_LOGGED) != f"afvist:{ident}":
            st.session_state[SESSION_LOGGED] = f"afvist:{ident}"
            accesslog.write(eng, ident[:64], "", accesslog.LOGIN_FEJL, detalje="OIDC-identitet uden bruger")
        st.error("Du er logget ind hos identitetsudbyderen, men har ingen bruger i FFB Workbench. "
                 "Kontakt en administrator.")
        st.button("Log ud", on_click=st.logout)
        st.stop()
    return _accept(eng, principal, "oidc")


def _require_password(eng, path) -> access.Principal:
    allowed_demo = users.is_demo_dataset(path)
    name = st.session_state.get(SESSION_USER)
    kind = "adgangskode"
    if name and st.session_state.get(SESSION_COOKIE) and \
            sessions.user_for(eng, st.session_state[SESSION_COOKIE], _state_dir()) != name:
        name = None  # the session was revoked (signed out in another tab, deactivated)
        _forget()
    if not name:
        name = _session_from_cookie(eng)
        kind = "session"
    if name:
        user = users.get_user(eng, name)
        if user is not None and user.aktiv and (allowed_demo or not user.demo):
            return _accept(eng, users.to_principal(eng, user), kind)
        _forget()
    users.bootstrap(eng, path)
    _hide_navigation()
    _keep_requested_page()
    if not allowed_demo and not users.has_users(eng, include_demo=False):
        _first_run(eng)
        st.stop()
    _login_form(eng, allowed_demo)
    st.stop()


def _login_form(eng, allowed_demo: bool) -> None:
    _, mid, _ = st.columns([1, 2, 1])  # a narrow form in the middle of the wide layout
    with mid:
        st.title("FFB Workbench")
        st.caption("Fælles Faglige Begreber (VUM 2.0) for det specialiserede voksenområde.")
        with st.form("login"):
            brugernavn = st.text_input("Brugernavn", key="login_brugernavn")
            adgangskode = st.text_input("Adgangskode", type="password", key="login_adgangskode")
            sendt = st.form_submit_button("Log ind", type="primary")
        if sendt:
            result = users.authenticate(eng, brugernavn, adgangskode, demo_allowed=allowed_demo, klient=client_address())
            if result.principal is not None:
                st.session_state[SESSION_USER] = result.principal.username
                st.session_state[SESSION_LOGGED] = result.principal.username
                _start_session(eng, result.principal.username)
                st.rerun()
            st.error(result.besked)
        if allowed_demo:
            demo = [u for u in users.all_users(eng) if u.demo and u.aktiv]
            if demo:
                pw = access.security().demo_adgangskode
                lines = "\n".join(f"- `{u.brugernavn}`: {access.role_title(u.rolle)}" for u in demo)
                st.info(f"**Demodata (syntetiske).** Demobrugere, én pr. rolle, med adgangskoden `{pw}`:\n\n{lines}")


def client_address() -> str:
    """The client's address as the server saw it (the per-client sign-in rate limit's key)."""
    try:
        return str(st.context.ip_address or "(ukendt klient)")
    except Exception:  # no browser context (AppTest)
        return "(ukendt klient)"


def _first_run(eng) -> None:
    st.title("FFB Workbench: første opstart")
    users.setup_token()  # printed to the server console the first time it is made
    st.write("Der er ingen brugere endnu. Opret den første administrator med engangskoden, som står i "
             "serverens konsol, eller på kommandolinjen: `ffb-workbench brugere DATA-MAPPE opret-admin NAVN`.")
    with st.form("foerste_admin"):
        kode = st.text_input("Engangskode fra serverkonsollen", type="password", key="setup_token")
        brugernavn = st.text_input("Brugernavn", value="admin")
        navn = st.text_input("Navn")
        pw1 = st.text_input("Adgangskode", type="password")
        pw2 = st.text_input("Gentag adgangskode", type="password")
        sendt = st.form_submit_button("Opret administrator", type="primary")
    if not sendt:
        return
    if not users.check_setup_token(eng, kode, klient=client_address()):
        st.error("Forkert eller manglende engangskode. Den står i serverens konsol.")
        return
    if pw1 != pw2:
        st.error("De to adgangskoder er ikke ens.")
        return
    if users.has_users(eng, include_demo=False):
        st.error("Der er allerede oprettet en bruger. Genindlæs siden.")
        return
    try:
        user = users.create_user(eng, brugernavn, "admin", pw1, navn=navn)
    except users.UserError as exc:
        st.error(str(exc))
        return
    users.consume_setup_token()
    principal = users.to_principal(eng, user)
    accesslog.log(eng, principal, accesslog.BRUGER_AENDRET, detalje=f"første administrator {user.brugernavn}")
    st.session_state[SESSION_USER] = user.brugernavn
    _start_session(eng, user.brugernavn)
    st.rerun()


def require_page(page_key: str) -> access.Principal:
    """For pages: the principal, or a refusal when the role may not see this page."""
    principal = require_principal()
    if not access.page_allowed(principal, page_key):
        accesslog.log(engine(), principal, accesslog.ADGANG_NAEGTET, detalje=f"side {page_key}")
        _refuse("Du har ikke adgang til denne side.")
    return principal


def _logout() -> None:
    principal = current_principal()
    kind = st.session_state.get(SESSION_KIND)
    if principal is not None:
        accesslog.log(engine(), principal, accesslog.LOGOUT)
    # revoke the server-side session: the cookie signs nobody in again, in any tab
    sessions.revoke(engine(), st.session_state.get(SESSION_COOKIE) or _browser_cookie())
    _forget()
    if kind == "oidc":
        st.logout()


def _hand_over_cookie() -> None:
    """Once after sign-in: the browser trades the one-time ticket for the HttpOnly session cookie
    (POST /_ffb/session, workbench/ui/server.py). Without that route (plain `streamlit run app.py`)
    the sign-in simply lasts as long as the browser tab."""
    ticket = st.session_state.pop(SESSION_TICKET, None)
    if ticket:
        st.html(f"<script>fetch('/_ffb/session?ticket={ticket}', {{method: 'POST', credentials: 'same-origin'}});"
                "</script>", unsafe_allow_javascript=True)


def sidebar_user(principal: access.Principal) -> None:
    _hand_over_cookie()
    st.sidebar.caption(f"Logget ind som **{principal.username}** ({access.role_title(principal.rolle)})")
    if users.dev_mode():
        st.sidebar.caption("Udviklertilstand (FFB_WORKBENCH_DEV=1): ingen adgangskode.")
    st.sidebar.button("Log ud", on_click=_logout, key="ffb_log_ud", icon=":material/logout:")


# --------------------------------------------------------------------------------------------
# CPR: masked by default, unmasked on request with a reason (logged)


def full_cpr(principal: access.Principal, borger_id: str) -> str | None:
    """The full CPR of one in-scope borger for a role that may unmask; None otherwise."""
    if not access.can(principal, "cpr_unmask"):
        return None
    import polars as pl

    from workbench.data.dataset import open_dataset

    ds = access.scope(open_dataset(data.data_path()), principal, unmask_cpr=True)
    got = ds.borgere.filter(pl.col("borger_id") == borger_id).select("cpr").collect()
    return got["cpr"][0] if got.height else None


def cpr_display(cpr: str | None, borger_id: str, key: str | None = None) -> None:
    """Show a CPR number masked; roles with cpr_unmask get 'Vis fuldt CPR', which asks for a reason,
    logs it and shows the number for this run only (never stored in the session or the URL)."""
    principal = current_principal()
    st.markdown(f"**CPR:** `{mask(cpr) or '-'}`")
    if principal is None or not access.can(principal, "cpr_unmask") or not cpr:
        return
    k = key or f"cpr_{borger_id}"
    with st.expander("Vis fuldt CPR", icon=":material/visibility:"):
        with st.form(f"{k}_form", clear_on_submit=True):
            reason = st.text_input("Begrundelse (logges)", key=f"{k}_begrundelse")
            sendt = st.form_submit_button("Vis fuldt CPR")
        if sendt:
            minimum = access.security().begrundelse_min_laengde
            if len((reason or "").strip()) < minimum:
                st.error(f"Skriv en begrundelse på mindst {minimum} tegn.")
                return
            full = full_cpr(principal, borger_id)
            accesslog.log(engine(), principal, accesslog.VIS_CPR, borger_ids=[borger_id],
                          detalje=f"begrundelse: {reason.strip()}")
            if full:
                st.code(f"{full[:6]}-{full[6:]}", language=None)
            else:
                st.warning("CPR-nummeret findes ikke for denne borger.")
