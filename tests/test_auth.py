"""Sign-in through the app (AppTest): first-run admin, password login, lockout, demo users on the
login page, dev-mode users, logout, CPR unmask flow and the audit hook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from test_access import write_dataset
from tests.helpers import write_demo_manifest
from workbench.regler import access
from workbench.lager import accesslog, users

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PW = "korrekt-hest-batteri"


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    d = write_dataset(tmp_path / "data")
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(d))
    return d


@pytest.fixture
def no_dev(monkeypatch):
    monkeypatch.delenv("FFB_WORKBENCH_DEV", raising=False)


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def signed_in_as(at: AppTest) -> str | None:
    for c in at.sidebar.caption:
        m = re.search(r"Logget ind som \*\*(.+?)\*\*", c.value)
        if m:
            return m.group(1)
    return None


def login(at: AppTest, name: str, pw: str) -> AppTest:
    at.text_input(key="login_brugernavn").input(name)
    at.text_input(key="login_adgangskode").input(pw)
    at.button[0].click()
    at.run()
    return at


def test_first_run_creates_admin(data, no_dev):
    at = app()
    assert "første opstart" in at.title[0].value and signed_in_as(at) is None
    at.text_input[1].input("chef")
    at.text_input[3].input(PW)
    at.text_input[4].input(PW)
    at.button[0].click()
    at.run()  # without the console's one-time token: refused (issue 16)
    assert any("engangskode" in e.value for e in at.error) and signed_in_as(at) is None
    assert users.get_user(engine_for(data), "chef") is None
    at.text_input(key="setup_token").input(users.setup_token())
    at.text_input[4].input(PW + "x")
    at.button[0].click()
    at.run()
    assert any("ikke ens" in e.value for e in at.error) and signed_in_as(at) is None
    at.text_input[4].input(PW)
    at.button[0].click()
    at.run()
    assert signed_in_as(at) == "chef"
    eng = engine_for(data)
    assert users.get_user(eng, "chef").rolle == "admin"
    assert users.get_user(eng, "chef").adgangskode_hash.startswith("$argon2id$")


def test_password_login_and_lockout(data, no_dev):
    eng = engine_for(data)
    users.create_user(eng, "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    at = app()
    assert at.title[0].value == "FFB Workbench" and signed_in_as(at) is None
    assert not any("Demobrugere" in i.value for i in at.info), "demo users are not listed for real data"
    login(at, "sara", "forkert")
    assert any("Forkert brugernavn eller adgangskode" in e.value for e in at.error) and signed_in_as(at) is None
    login(at, "sara", PW)
    assert signed_in_as(at) == "sara"
    # lockout after N failures, even for the right password
    at2 = app()
    for _ in range(access.security().max_fejlede_logins):
        login(at2, "sara", "forkert")
    assert any("spærret" in e.value for e in at2.error)
    login(at2, "sara", PW)
    assert signed_in_as(at2) is None and any("spærret" in e.value for e in at2.error)
    assert accesslog.entries(eng, handling=accesslog.LOGIN_SPAERRET).height >= 2


def test_logout(data, no_dev):
    users.create_user(engine_for(data), "sara", "sagsbehandler", PW, sagsbehandler="SB1")
    at = login(app(), "sara", PW)
    assert signed_in_as(at) == "sara"
    at.sidebar.button(key="ffb_log_ud").click()
    at.run()
    assert signed_in_as(at) is None and "_ffb_principal" not in at.session_state
    assert accesslog.entries(engine_for(data), handling=accesslog.LOGOUT).height == 1


def test_demo_users_listed_and_usable_only_with_demo_data(data, no_dev):
    eng = engine_for(data)
    write_demo_manifest(data)
    at = app()
    listed = [i.value for i in at.info if "Demobrugere" in i.value]
    assert listed and all(f"`{r}`" in listed[0] for r in access.ROLE_NAMES)
    login(at, "udfoerer", access.security().demo_adgangskode)
    assert signed_in_as(at) == "udfoerer"
    (data / "demo_manifest.json").unlink()
    at = app()
    assert not any("Demobrugere" in i.value for i in at.info)
    assert "første opstart" in at.title[0].value  # demo users do not count as real users
    assert users.authenticate(eng, "udfoerer", "demo", demo_allowed=False).principal is None


def test_dev_mode_users(data, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    assert signed_in_as(app()) == "admin"
    monkeypatch.setenv("FFB_WORKBENCH_USER", "tilbudsleder")
    assert signed_in_as(app()) == "tilbudsleder"
    monkeypatch.setenv("FFB_WORKBENCH_USER", "findesikke")
    at = app()
    assert signed_in_as(at) is None and any("Ukendt" in e.value for e in at.error)
    # without FFB_WORKBENCH_DEV=1 the user variable is ignored: login form
    monkeypatch.setenv("FFB_WORKBENCH_USER", "admin")
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "0")
    at = app()
    assert signed_in_as(at) is None and "_ffb_principal" not in at.session_state
    assert "første opstart" in at.title[0].value  # only demo users exist, and this is not demo data


def _cpr_script():
    from workbench.ui import auth

    auth.require_principal()
    auth.cpr_display("0101901234", "B001")


def test_cpr_unmask_needs_reason_and_is_logged(data, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    at = AppTest.from_function(_cpr_script, default_timeout=60)
    at.run()
    shown = " ".join(m.value for m in at.markdown)
    assert "010190-xxxx" in shown and "0101901234" not in shown
    assert at.expander and at.expander[0].label == "Vis fuldt CPR"
    at.text_input[0].input("kort")
    at.button[0].click()
    at.run()
    assert any("begrundelse" in e.value for e in at.error) and not at.code
    eng = engine_for(data)
    assert accesslog.entries(eng, handling=accesslog.VIS_CPR).height == 0
    at.text_input[0].input("Indsigtsanmodning j.nr. 42")
    at.button[0].click()
    at.run()
    full = users.get_user  # noqa: F841 - keep flake quiet
    assert at.code and re.fullmatch(r"\d{6}-\d{4}", at.code[0].value)
    log = accesslog.entries(eng, handling=accesslog.VIS_CPR)
    assert log.height == 1 and log["borger_ids"][0] == "B001" and "j.nr. 42" in log["detalje"][0]
    at.run()  # next interaction: masked again, number not kept in the session
    assert not at.code
    state = at.session_state._state.filtered_state
    assert not any(re.search(r"\d{10}", str(v)) for v in state.values())


def test_cpr_unmask_absent_for_role_without_capability(data, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "leder_myndighed")
    at = AppTest.from_function(_cpr_script, default_timeout=60)
    at.run()
    assert not at.expander and "010190-xxxx" in " ".join(m.value for m in at.markdown)


def _audit_script():
    from workbench.ui import audit, auth

    auth.require_principal()
    audit.log_action("vis_borger", ["B002"], "borgerside")


def test_audit_hook_writes_once_per_view(data, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "sagsbehandler")
    at = AppTest.from_function(_audit_script, default_timeout=60)
    at.run()
    at.run()  # a rerun of the same view is not a new view
    log = accesslog.entries(engine_for(data), handling=accesslog.VIS_BORGER)
    assert log.height == 1 and log["bruger"][0] == "sagsbehandler" and log["rolle"][0] == "sagsbehandler"
    assert log["borger_ids"][0] == "B002"


def test_disallowed_pages_absent_and_unreachable(data, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    at = app()
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("sidefiler/borger.py")
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("sidefiler/adgangslog.py")


def _page_guard_script():
    # stands in for a page file: every page opens with require_page(its key)
    from workbench.ui import auth

    p = auth.require_page("borger")
    import streamlit as st

    st.write(f"indhold for {p.username}")


@pytest.mark.parametrize("rolle, allowed", [("analytiker", False), ("sagsbehandler", True)])
def test_page_guards_itself(data, monkeypatch, rolle, allowed):
    """A page refuses a role that may not see it, and logs the refusal (the second wall behind
    app.py's navigation, which lists only the role's pages)."""
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", rolle)
    at = AppTest.from_function(_page_guard_script, default_timeout=60)
    at.run()
    shown = any("indhold for" in m.value for m in at.markdown)
    assert shown is allowed
    if not allowed:
        assert any("ikke adgang" in e.value for e in at.error)
        assert accesslog.entries(engine_for(data), handling=accesslog.ADGANG_NAEGTET).height == 1
