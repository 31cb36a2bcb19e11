"""The fælles sagsgennemgang section of the borger page (logic in workbench.lager.reviews)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_model import db
from workbench.regler import access
from workbench.lager import reviews
from workbench.sider import forloeb
from workbench.data.config import codes as load_codes
from workbench.data.dataset import Dataset
from workbench.ui import audit, data
from workbench.ui.borger_charts import status_colour
from workbench.ui.widgets import vaelg
from workbench.ui.eksport import eksport_knap
from workbench.format.dansk import DATO_INPUT

OPEN_KEY = "sagsgennemgang_aaben"  # session: {borger_id: review_id}
FLASH_KEY = "sagsgennemgang_besked"
YES_NO = ("ikke angivet", "ja", "nej")
NO_DECISION = "(ingen afgørelse valgt)"


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    engine = db.get_engine(url)
    reviews.ensure_tables(engine)
    return engine


@st.cache_data(max_entries=16, show_spinner=False)
def _print_pdf(html: str) -> bytes:
    """The print view as PDF via the one print pipeline (keyed on the HTML itself)."""
    from workbench.format import udskrift

    return udskrift.to_pdf(html)


def review_engine():
    return _engine(db.database_url(data.data_path()))


def _yes_no_index(value: bool | None) -> int:
    return 0 if value is None else (1 if value else 2)


def _yes_no_value(label: str) -> bool | None:
    return None if label == YES_NO[0] else label == "ja"


def _flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def _goal_frame(review: reviews.SagsgennemgangPublic, labels: dict[int, str]) -> pd.DataFrame:
    rows = []
    for g in review.snapshot.get("indsatsmaal", []):
        v = review.vurderinger.get(g["maal_id"], {})
        niv = lambda n: "–" if n is None else f"{n} {labels[int(n)]}"  # noqa: E731
        rows.append({
            "Undertema": g["undertema"], "Måltype": g["maaltype"],
            "Udgangsniveau → seneste": f"{niv(g['udgangsniveau'])} → {niv(g['seneste_niveau'])}",
            "Forventet": niv(g["forventet_niveau"]), "Status": g["status"],
            "Registreret vurdering": reviews.registreret(g),
            "Vurdering": v.get("vurdering") or "–", "Note": v.get("note") or "",
        })
    return pd.DataFrame(rows)


def _summary(review: reviews.SagsgennemgangPublic, labels: dict[int, str]) -> None:
    c1, c2 = st.columns(2)
    c1.markdown(f"**Myndighed:** {review.myndighed_navn or '–'}  \n**Udfører:** {review.udfoerer_navn or '–'}")
    c2.markdown(f"**Borger til stede:** {YES_NO[_yes_no_index(review.borger_til_stede)]}  \n"
                f"**Pårørende til stede:** {YES_NO[_yes_no_index(review.paaroerende_til_stede)]}")
    frame = _goal_frame(review, labels)
    if len(frame):
        st.dataframe(frame.style.map(status_colour, subset=["Status"]), hide_index=True, width="stretch")
    st.markdown(
        f"**Status på indsats:** {review.status_paa_indsats or 'ikke valgt'}  \n"
        f"**Næste opfølgning:** {reviews.dansk_tid(review.naeste_opfoelgning) or 'ingen'}  \n"
        f"**Underskrevet, myndighed:** {_signature(review, reviews.MYNDIGHED)}  \n"
        f"**Underskrevet, udfører:** {_signature(review, reviews.UDFOERER)}"
    )


def person(username: str | None) -> str:
    """'Navn (brugernavn)' of a configured user, else the user name as stored."""
    if not username:
        return ""
    from workbench.lager import users
    from workbench.ui import auth

    user = users.get_user(auth.engine(), username)
    return f"{user.navn} ({username})" if user is not None and user.navn else username


def _signature(review: reviews.SagsgennemgangPublic, side: str) -> str:
    who = getattr(review, f"{side}_underskrevet_af")
    when = getattr(review, f"{side}_underskrevet")
    return f"{person(who)}, {reviews.dansk_tid(when)}" if who else "ikke underskrevet"


def _form(engine, principal: access.Principal, review: reviews.SagsgennemgangPublic, labels: dict[int, str]) -> None:
    codes = load_codes()
    key = f"sg_{review.review_id}_{review.version}"
    with st.form(key=f"{key}_form"):
        st.markdown("**Deltagere**")
        c1, c2 = st.columns(2)
        myndighed = c1.text_input("Myndighed (navn)", value=review.myndighed_navn, key=f"{key}_myn")
        udfoerer = c2.text_input("Udfører (navn)", value=review.udfoerer_navn, key=f"{key}_udf")
        borger = c1.radio("Borger til stede", YES_NO, index=_yes_no_index(review.borger_til_stede),
                          horizontal=True, key=f"{key}_borger")
        paaroerende = c2.radio("Pårørende til stede", YES_NO, index=_yes_no_index(review.paaroerende_til_stede),
                               horizontal=True, key=f"{key}_paar")
        st.markdown("**Vurdering pr. indsatsmål**")
        vurderinger = {}
        goals = review.snapshot.get("indsatsmaal", [])
        if not goals:
            st.caption("Borgeren havde ingen indsatsmål på referencedatoen.")
        options = ["–", *codes.vurderinger]
        for g in goals:
            current = review.vurderinger.get(g["maal_id"], {})
            niv = lambda n: "–" if n is None else str(n)  # noqa: E731
            st.markdown(f"{g['undertema']} · {g['maaltype']} · niveau {niv(g['udgangsniveau'])} → "
                        f"{niv(g['seneste_niveau'])} (forventet {niv(g['forventet_niveau'])}) · målt: *{g['status']}* · "
                        f"registreret: {reviews.registreret(g)}")
            a, b = st.columns([1, 2])
            v = vaelg(a, "Vurdering", options, index=options.index(current.get("vurdering") or "–"),
                            key=f"{key}_v_{g['maal_id']}")
            note = b.text_input("Note", value=current.get("note") or "", key=f"{key}_n_{g['maal_id']}")
            vurderinger[g["maal_id"]] = {"vurdering": None if v == "–" else v, "note": note}
        st.markdown("**Afgørelse**")
        decisions = [NO_DECISION, *codes.status_paa_indsats]
        decision = vaelg(st, "Status på indsats", decisions,
                                index=decisions.index(review.status_paa_indsats or NO_DECISION), key=f"{key}_dec")
        naeste = st.date_input("Næste opfølgning", value=review.naeste_opfoelgning, format=DATO_INPUT,
                               key=f"{key}_naeste")
        if review.myndighed_underskrevet_af or review.udfoerer_underskrevet_af:
            st.caption("Gemmer du ændringer, skal begge parter underskrive igen.")
        submitted = st.form_submit_button("Gem sagsgennemgang")
    if submitted:
        try:
            saved = reviews.edit(
                engine, review.review_id, username=principal.username, rolle=principal.rolle,
                base_version=review.version, myndighed_navn=myndighed, udfoerer_navn=udfoerer,
                borger_til_stede=_yes_no_value(borger), paaroerende_til_stede=_yes_no_value(paaroerende),
                vurderinger=vurderinger, status_paa_indsats=None if decision == NO_DECISION else decision,
                naeste_opfoelgning=naeste if isinstance(naeste, dt.date) else None,
            )
        except reviews.ReviewError as exc:
            st.error(str(exc))
            return
        if saved.version != review.version:
            audit.log_action("sagsgennemgang", borger_ids=[review.borger_id],
                             detalje=f"redigeret {review.review_id} v{saved.version}")
            _flash(f"Gemt som version {saved.version}.")
        else:
            _flash("Ingen ændringer at gemme.")
        st.rerun()


def _sign_buttons(engine, principal: access.Principal, review: reviews.SagsgennemgangPublic) -> None:
    sides = reviews.sign_sides(principal.rolle)
    cols = st.columns(max(len(sides), 1))
    for col, side in zip(cols, sides):
        if getattr(review, f"{side}_underskrevet_af"):
            continue
        if col.button(f"Underskriv som {reviews.SIDES[side].lower()}", key=f"sg_sign_{side}_{review.review_id}_{review.version}"):
            try:
                signed = reviews.sign(engine, review.review_id, side, username=principal.username,
                                      rolle=principal.rolle, base_version=review.version)
            except reviews.ReviewError as exc:
                st.error(str(exc))
                return
            audit.log_action("sagsgennemgang", borger_ids=[review.borger_id],
                             detalje=f"underskrevet {side} {review.review_id} v{signed.version}")
            _flash("Sagsgennemgangen er afsluttet." if reviews.is_finished(signed)
                   else f"Underskrevet som {reviews.SIDES[side].lower()}.")
            st.rerun()


def _history(engine, review: reviews.SagsgennemgangPublic) -> None:
    with st.expander(f"Versioner ({review.version})"):
        rows = [{"Version": h.version, "Handling": h.handling.replace("_", " "), "Af": h.aendret_af,
                 "Rolle": access.role_title(h.aendret_rolle), "Tidspunkt": reviews.dansk_tid(h.aendret),
                 "Status på indsats": h.status_paa_indsats or ""}
                for h in reviews.history(engine, review.review_id)]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def review_section(principal: access.Principal, ds: Dataset, borger_id: str, paa: dt.date) -> None:
    """List, start, edit, sign and print the borger's fælles sagsgennemgange."""
    st.subheader("Fælles sagsgennemgang")
    engine = review_engine()
    labels = load_codes().niveau_label
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash)
    opened: dict = st.session_state.setdefault(OPEN_KEY, {})
    if reviews.can_edit(principal.rolle):
        if st.button(f"Start ny sagsgennemgang pr. {reviews.dansk_tid(paa)}", key="sg_start"):
            snap = forloeb.review_snapshot(ds, borger_id, paa)
            created = reviews.create(engine, borger_id=borger_id, paa=paa, username=principal.username,
                                     rolle=principal.rolle, snapshot=snap, datasaet_version=ds.version)
            opened[borger_id] = created.review_id
            audit.log_action("sagsgennemgang", borger_ids=[borger_id], detalje=f"oprettet {created.review_id}")
            _flash("Ny sagsgennemgang startet.")
            st.rerun()
    listed = reviews.list_reviews(engine, borger_id)
    if not listed:
        st.caption("Ingen sagsgennemgange endnu.")
        return
    st.dataframe(pd.DataFrame([{
        "Oprettet": reviews.dansk_tid(r["oprettet"]), "Oprettet af": r["oprettet_af"],
        "Referencedato": reviews.dansk_tid(r["paa"]), "Status": r["status"],
        "Afgørelse": r["status_paa_indsats"] or "", "Version": r["version"],
        "Senest ændret": f"{reviews.dansk_tid(r['aendret'])} af {r['aendret_af']}",
    } for r in listed]), hide_index=True, width="stretch")
    ids = [r["review_id"] for r in listed]
    names = {r["review_id"]: f"{reviews.dansk_tid(r['oprettet'])} · {r['oprettet_af']} · {r['status']}" for r in listed}
    current_id = opened.get(borger_id)
    chosen = vaelg(st, "Åbn sagsgennemgang", ids, index=ids.index(current_id) if current_id in ids else 0,
                          format_func=names.get, key=f"sg_vaelg_{borger_id}")
    opened[borger_id] = chosen
    review = reviews.get(engine, chosen)
    st.markdown(f"**Status:** {reviews.status(review)} · version {review.version} · "
                f"referencedato {reviews.dansk_tid(review.paa)}")
    if reviews.is_finished(review):
        _summary(review, labels)
        html = reviews.print_html(review)
        eksport_knap(st, "Hent udskrift (A4, HTML)", html.encode("utf-8"),
                     f"sagsgennemgang_{borger_id}_{review.paa.isoformat()}_v{review.version}.html",
                     key=f"sg_print_{review.review_id}", borger_ids=[borger_id],
                     detalje=f"sagsgennemgang {review.review_id} udskrift")
        eksport_knap(st, "Hent udskrift (A4, PDF)", _print_pdf(html),
                     f"sagsgennemgang_{borger_id}_{review.paa.isoformat()}_v{review.version}.pdf",
                     key=f"sg_pdf_{review.review_id}", borger_ids=[borger_id],
                     detalje=f"sagsgennemgang {review.review_id} udskrift (PDF)")
    elif reviews.can_edit(principal.rolle):
        _form(engine, principal, review, labels)
        _sign_buttons(engine, principal, review)
    else:
        _summary(review, labels)
    _history(engine, review)
