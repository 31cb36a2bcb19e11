"""Brugere (admin): users, roles and scope; unlock and reset passwords (tilsyn samples: the Tilsyn page).
Every change is written to the access log."""

import streamlit as st

from workbench.regler import access
from workbench.lager import users
from workbench.format.output import map_values
from workbench.ui import auth
from workbench.ui.widgets import vaelg

principal = auth.require_page("brugere")
if not access.can(principal, "brugere"):
    st.error("Du har ikke adgang til brugeradministration.")
    st.stop()
eng = auth.engine()
roles = access.load_roles()
ROLLER = list(roles.roller)

st.title("Brugere")
st.caption("Roller og rettigheder står i config/roles.yaml; brugere og deres afgrænsning (kommuner, "
           "sagsbehandler-id, team, tilbud) står i databasen.")
brugere = users.users_frame(eng)
st.dataframe(
    brugere.with_columns(map_values(brugere["rolle"], access.role_title)).rename({
        "brugernavn": "Brugernavn", "rolle": "Rolle", "navn": "Navn", "email": "E-mail", "kommuner": "Kommuner",
        "sagsbehandler": "Sagsbehandler-id", "team": "Team", "tilbud_ids": "Tilbud-id'er", "aktiv": "Aktiv",
        "demo": "Demobruger", "adgangskode": "Har adgangskode", "spaerret": "Spærret",
    }), hide_index=True, width="stretch")


def _fejl(fn, *args, **kwargs) -> bool:
    try:
        fn(*args, **kwargs)
    except users.UserError as exc:
        st.error(str(exc))
        return False
    return True


tab_ny, tab_ret, tab_tilsyn = st.tabs(["Opret bruger", "Ret bruger", "Tilsynsstikprøver"])

with tab_ny:
    with st.form("ny_bruger", clear_on_submit=True):
        c1, c2 = st.columns(2)
        navn_b = c1.text_input("Brugernavn")
        rolle = vaelg(c2, "Rolle", ROLLER, format_func=access.role_title)
        navn = c1.text_input("Navn")
        email = c2.text_input("E-mail (til organisationens login, OIDC)")
        kommuner = c1.text_input("Kommuner (kommunekoder, kommasepareret)")
        sb = c2.text_input("Sagsbehandler-id")
        team = c1.text_input("Team (sagsbehandler: også teamets sager)")
        tilbud = c2.text_input("Tilbud-id'er (udfører/tilbudsleder, kommasepareret)")
        pw = st.text_input("Adgangskode (tom: kun organisationens login)", type="password")
        if st.form_submit_button("Opret", type="primary"):
            if _fejl(users.create_user, eng, navn_b, rolle, pw or None, navn=navn, email=email, kommuner=kommuner,
                     sagsbehandler=sb, team=team, tilbud_ids=tilbud, af=principal):
                st.success(f"Brugeren {navn_b} er oprettet.")
                st.rerun()

with tab_ret:
    alle = [u.brugernavn for u in users.all_users(eng)]
    valgt = vaelg(st, "Bruger", alle, key="ret_bruger") if alle else None
    user = users.get_user(eng, valgt) if valgt else None
    if user is not None:
        with st.form("ret_bruger_form"):
            c1, c2 = st.columns(2)
            rolle = vaelg(c1, "Rolle", ROLLER, index=ROLLER.index(user.rolle) if user.rolle in ROLLER else 0,
                                 format_func=access.role_title)
            aktiv = c2.checkbox("Aktiv", value=user.aktiv)
            email = c1.text_input("E-mail", value=user.email or "")
            kommuner = c2.text_input("Kommuner", value=user.kommuner)
            sb = c1.text_input("Sagsbehandler-id", value=user.sagsbehandler or "")
            team = c2.text_input("Team", value=user.team or "")
            tilbud = c1.text_input("Tilbud-id'er", value=user.tilbud_ids)
            if st.form_submit_button("Gem"):
                if user.brugernavn == principal.username and (not aktiv or rolle != "admin"):
                    st.error("Du kan ikke fjerne din egen administratoradgang.")
                elif _fejl(users.update_user, eng, user.brugernavn, af=principal, rolle=rolle, aktiv=aktiv,
                           email=email, kommuner=kommuner, sagsbehandler=sb or None, team=team or None,
                           tilbud_ids=tilbud):
                    st.success("Gemt.")
                    st.rerun()
        with st.form("ny_adgangskode", clear_on_submit=True):
            pw = st.text_input("Ny adgangskode", type="password")
            if st.form_submit_button("Sæt adgangskode"):
                if _fejl(users.set_password, eng, user.brugernavn, pw, af=principal):
                    st.success("Adgangskoden er ændret.")
        if st.button("Lås op (nulstil fejlede forsøg)", key="laas_op"):
            if _fejl(users.unlock, eng, user.brugernavn, af=principal):
                st.success("Låst op.")

with tab_tilsyn:
    # Samples are no longer assigned by hand: a leader creates an audit on the Tilsyn page, and the
    # tilsynsførende's scope is exactly that audit's sample (workbench.lager.tilsyn_store.scope_ids).
    st.write("En tilsynsførendes sager er stikprøven i de tilsyn, en leder opretter på siden Tilsyn; "
             "de tildeles ikke længere her.")
    st.page_link("sidefiler/tilsyn.py", label="Gå til Tilsyn", icon=":material/fact_check:")
