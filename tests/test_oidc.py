"""OIDC: a real authorization-code flow against oidc-provider-mock (local thread), the resulting
identity mapped to a configured user; unknown identities refused; the app shows the OIDC login."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from oidc_provider_mock import User, run_server_in_thread
from streamlit.testing.v1 import AppTest

from data_model.access_tables import Bruger
from data_model.db import engine_for
from test_access import write_dataset
from workbench.lager import accesslog, users

REDIRECT = "http://localhost:8501/oauth2callback"


def oidc_login(base: str, sub: str) -> dict:
    """Authorization-code flow as the browser + Streamlit would do it; returns verified ID-token claims."""
    meta = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    client = OAuth2Session("ffb-workbench", "hemmelig", scope="openid email profile", redirect_uri=REDIRECT)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], nonce="n-123")
    # the user picks their identity on the provider's form
    resp = requests.post(url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert resp.status_code in (302, 303), resp.text[:200]
    location = resp.headers["Location"]
    assert parse_qs(urlparse(location).query)["state"] == [state]
    token = client.fetch_token(meta["token_endpoint"], authorization_response=location)
    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = JsonWebToken(["RS256"]).decode(token["id_token"], jwks, claims_options={
        "iss": {"essential": True, "value": meta["issuer"]}, "aud": {"essential": True, "value": "ffb-workbench"},
        "nonce": {"essential": True, "value": "n-123"}})
    claims.validate()
    info = client.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]
    return {**info, **dict(claims)}


@pytest.fixture(scope="module")
def provider():
    people = [
        User(sub="sub-anna", claims={"email": "Anna@Kommune.dk", "email_verified": True, "name": "Anna"}),
        User(sub="sub-bo", claims={"email": "bo@kommune.dk", "email_verified": True}),
        User(sub="sub-eve", claims={"email": "eve@kommune.dk", "email_verified": False}),
        User(sub="sub-fremmed", claims={"email": "fremmed@andet.dk", "email_verified": True}),
    ]
    with run_server_in_thread(port=0, user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def eng(tmp_path):
    e = engine_for(tmp_path)
    users.create_user(e, "anna", "sagsbehandler", None, oidc_sub="sub-anna", sagsbehandler="SB1")
    users.create_user(e, "bo", "leder_myndighed", None, email="bo@kommune.dk", kommuner="0250")
    users.create_user(e, "eve", "admin", None, email="eve@kommune.dk")
    return e


def test_flow_maps_sub_to_user(provider, eng):
    claims = oidc_login(provider, "sub-anna")
    p = users.principal_for_identity(eng, claims)
    assert p is not None and p.username == "anna" and p.rolle == "sagsbehandler" and p.sagsbehandler == "SB1"


def test_flow_maps_verified_email_case_insensitively(provider, eng):
    p = users.principal_for_identity(eng, oidc_login(provider, "sub-bo"))
    assert p is not None and p.username == "bo" and p.kommuner == ("0250",)


def test_unverified_email_and_unknown_identity_refused(provider, eng):
    assert users.principal_for_identity(eng, oidc_login(provider, "sub-eve")) is None
    assert users.principal_for_identity(eng, oidc_login(provider, "sub-fremmed")) is None


def test_inactive_and_demo_users_never_match(eng):
    users.update_user(eng, "anna", aktiv=False)
    assert users.principal_for_identity(eng, {"sub": "sub-anna"}) is None
    demo = Bruger(brugernavn="demo", rolle="admin", email="d@x.dk", demo=True)
    assert users.match_identity([demo], {"email": "d@x.dk", "email_verified": True}) is None


def test_ambiguous_email_refused():
    a = Bruger(brugernavn="a", rolle="admin", email="same@x.dk")
    b = Bruger(brugernavn="b", rolle="analytiker", email="same@x.dk")
    assert users.match_identity([a, b], {"email": "same@x.dk"}) is None
    assert users.match_identity([a], {"sub": "", "email": "SAME@x.dk"}) is a


AUTH = {"redirect_uri": REDIRECT, "cookie_secret": "x" * 32, "client_id": "ffb-workbench",
        "client_secret": "hemmelig", "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}


def test_app_shows_oidc_login_when_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("FFB_WORKBENCH_DEV", raising=False)
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(write_dataset(tmp_path / "data")))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.run()
    assert [b.label for b in at.button] == ["Log ind"]
    assert not at.text_input, "no local password form when OIDC is configured"


def _oidc_identity_script():
    import streamlit as st

    from workbench.ui import auth

    # What st.user holds after a completed st.login round trip.
    st.user = {"is_logged_in": True, "sub": st.secrets["test_sub"], "email": st.secrets["test_email"]}
    p = auth.require_principal()
    st.write(f"inde som {p.username}")


@pytest.mark.parametrize("sub, email, expected", [("sub-anna", "", "anna"), ("x", "fremmed@andet.dk", None)])
def test_app_maps_logged_in_identity(tmp_path, monkeypatch, sub, email, expected):
    monkeypatch.delenv("FFB_WORKBENCH_DEV", raising=False)
    data = write_dataset(tmp_path / "data")
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(data))
    e = engine_for(data)
    users.create_user(e, "anna", "sagsbehandler", None, oidc_sub="sub-anna", sagsbehandler="SB1")
    import streamlit as st

    monkeypatch.setattr(st, "user", st.user)  # restored after the test
    at = AppTest.from_function(_oidc_identity_script, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.secrets["test_sub"] = sub
    at.secrets["test_email"] = email
    at.run()
    text = " ".join(m.value for m in at.markdown)
    if expected:
        assert f"inde som {expected}" in text
        assert accesslog.entries(e, handling=accesslog.LOGIN)["detalje"].to_list() == ["oidc"]
    else:
        assert "inde som" not in text and any("ingen bruger" in x.value for x in at.error)
        assert accesslog.entries(e, handling=accesslog.LOGIN_FEJL).height == 1
