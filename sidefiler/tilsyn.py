"""Tilsyn: ledelsestilsyn. A leader draws a sample and creates an audit for a tilsynsførende, who works
through the cases with the checklist (suggestions prefilled from the data), closes and signs it;
the responsible leader signs too. Report per sagsbehandler and team, Excel and A4 print."""

import datetime as dt

import streamlit as st

from workbench.regler import access, stikproeve
from workbench.lager import accesslog, tilsyn_store, users
from workbench.sider import tilsyn
from workbench.format.export import to_xlsx_bytes
from workbench.regler.periods import dansk_dato
from workbench.lager.reviews import dansk_tid
from workbench.ui import auth, data
from workbench.ui.audit import log_action
from workbench.ui.tilsyn_view import AUDIT_KEY, CASE_KEY, prefill, visible_ids
from workbench.ui.widgets import vaelg, vaelg_flere
from workbench.ui.eksport import eksport_knap
from workbench.format.dansk import BORGER_LINK, DATO_INPUT

principal = auth.require_page("tilsyn")
eng = auth.engine()
checklist = tilsyn.load_checklist()
QIDS = checklist.ids
may_create = access.can(principal, "stikproeve")
seneste = data.data_date()

st.title("Tilsyn")
st.caption("Ledelsestilsyn med sagsbehandlingen: en tilfældig, reproducerbar stikprøve af sager, en tjekliste "
           "udfyldt med forslag fra data, underskrift af tilsynsførende og ansvarlig leder.")

audits = [a for a in tilsyn_store.audits(eng) if tilsyn_store.visible(a, principal.username, principal.rolle)]
tab_names = ["Tilsyn"] + (["Nyt tilsyn"] if may_create else []) + ["Rapport"]
tabs = dict(zip(tab_names, st.tabs(tab_names)))

# --- new audit (leader) ---------------------------------------------------------------------------
if may_create:
    with tabs["Nyt tilsyn"]:
        alle = users.all_users(eng)
        auditors = [u.brugernavn for u in alle if u.rolle == "tilsyn" and u.aktiv]
        ledere = [u.brugernavn for u in alle if u.rolle in ("leder_myndighed", "admin") and u.aktiv]
        if principal.username not in ledere:
            ledere.insert(0, principal.username)
        if not auditors:
            st.info("Der er ingen aktive brugere med rollen Tilsyn. Opret en på siden Brugere.")
        else:
            with st.form("ts_nyt"):
                titel = st.text_input("Titel", value=f"Ledelsestilsyn {dansk_dato(seneste)}", key="ts_titel")
                c1, c2, c3 = st.columns(3)
                pr = vaelg(c1, "Stikprøve pr.", ["sagsbehandler", "team", "paragraf", "tilbud"],
                                  format_func=lambda p: {"tilbud": "Tilbud"}.get(p, stikproeve.STRATA.get(p, p)), key="ts_pr")
                antal = c2.number_input("Sager pr. gruppe", min_value=1, max_value=100, value=5, step=1, key="ts_antal")
                seed = c3.text_input("Seed (samme seed og data giver samme stikprøve)",
                                     value=seneste.strftime("%Y%m%d"), key="ts_seed")
                c1, c2, c3 = st.columns(3)
                fra = c1.date_input("Aktive fra", value=seneste, format=DATO_INPUT, key="ts_fra")
                til = c2.date_input("Aktive til", value=seneste, format=DATO_INPUT, key="ts_til")
                udeluk = c3.number_input("Udeluk sager fra tilsyn de seneste dage (0: ingen)", min_value=0,
                                         max_value=3650, value=0, step=30, key="ts_udeluk")
                c1, c2 = st.columns(2)
                auditor = vaelg(c1, "Tilsynsførende", auditors, key="ts_auditor")
                leder = vaelg(c2, "Ansvarlig leder", ledere,
                                     index=ledere.index(principal.username) if principal.username in ledere else 0,
                                     key="ts_leder")
                if st.form_submit_button("Træk stikprøve og opret tilsyn", type="primary"):
                    try:
                        if til < fra:
                            raise ValueError("'Aktive til' ligger før 'Aktive fra'")
                        since = dt.date.today() - dt.timedelta(days=int(udeluk))
                        leave_out = tilsyn_store.audited_since(eng, since) if udeluk else ()
                        sample = stikproeve.stikproeve(data.scoped_dataset(principal), pr, int(antal), seed.strip(),
                                                       seneste, fra, til, leave_out)
                        audit = tilsyn_store.create(
                            eng, sample, pr=stikproeve.stratum(pr), antal=int(antal), seed=seed.strip(), paa=seneste,
                            fra=fra, til=til, udeluk_dage=int(udeluk) or None, auditor=auditor, leder=leder,
                            af=principal.username, titel=titel, datasaet_version=data.dataset_version())
                    except (ValueError, tilsyn_store.TilsynError) as exc:
                        st.error(str(exc))
                    else:
                        ids = stikproeve.borger_ids(sample)
                        log_action(accesslog.STIKPROEVE, borger_ids=ids,
                                   detalje=f"tilsyn {audit.audit_id}: {len(ids)} sager til {auditor}")
                        st.session_state[AUDIT_KEY] = audit.audit_id
                        st.success(f"Tilsynet er oprettet med {len(ids)} sager og tildelt {auditor}.")
                        st.rerun()

# --- work through an audit --------------------------------------------------------------------------
with tabs["Tilsyn"]:
    if not audits:
        st.info("Der er ingen tilsyn endnu." + (" Opret et under 'Nyt tilsyn'." if may_create else
                                                 " En leder opretter tilsynet og tildeler dig stikprøven."))
    else:
        ids_by = {a.audit_id: a for a in audits}
        rows = []
        for a in audits:
            done, total = tilsyn_store.progress(eng, a.audit_id, QIDS)
            rows.append({"Titel": a.titel, "Oprettet": dansk_tid(a.oprettet), "Pr.": a.pr, "Sager": total,
                         "Besvaret": done, "Status": tilsyn_store.status(a), "Tilsynsførende": a.auditor,
                         "Leder": a.leder})
        st.dataframe(tilsyn.oversigt(rows), hide_index=True, width="stretch")
        if st.session_state.get(AUDIT_KEY) not in ids_by:
            st.session_state[AUDIT_KEY] = audits[0].audit_id
        valgt = vaelg(st, "Vælg tilsyn", list(ids_by), key=AUDIT_KEY,
                             format_func=lambda i: f"{ids_by[i].titel} ({dansk_tid(ids_by[i].oprettet)})")
        audit = tilsyn_store.get(eng, valgt)
        cases = tilsyn_store.items(eng, audit.audit_id)
        done, total = tilsyn_store.progress(eng, audit.audit_id, QIDS)
        st.progress(done / total if total else 0.0, text=f"{done} af {total} sager besvaret")
        periode = (f"{dansk_dato(audit.fra)} – {dansk_dato(audit.til)}" if audit.fra else dansk_dato(audit.paa))
        st.caption(f"Stikprøve: {audit.antal} pr. {audit.pr}, seed {audit.seed}, sager aktive {periode}"
                   f"{f', udelukket sager fra tilsyn de seneste {audit.udeluk_dage} dage' if audit.udeluk_dage else ''}"
                   f" · status: {tilsyn_store.status(audit)}")
        is_auditor = principal.username == audit.auditor
        is_leder = principal.username == audit.leder
        answers = tilsyn_store.answers(eng, audit.audit_id)
        complete = tilsyn.besvarede_sager(answers, QIDS)
        case_ids = cases["borger_id"].to_list()
        visible = visible_ids(principal)
        in_scope = [b for b in case_ids if b in visible]
        if in_scope:
            labels = {r["borger_id"]: f"{r['nr']}. {r['borger_id']} – {r['sagsbehandler'] or 'ingen sagsbehandler'}"
                      f"{' ✓' if r['borger_id'] in complete else ''}" for r in cases.to_dicts()}
            if st.session_state.get(CASE_KEY) not in in_scope:
                st.session_state[CASE_KEY] = next((b for b in in_scope if b not in complete), in_scope[0])
            borger = vaelg(st, "Sag", in_scope, key=CASE_KEY, format_func=lambda b: labels[b])
            # the audit's case list (ids and sagsbehandlere) and the chosen case's checklist are borger views
            log_action(accesslog.VIS_LISTE, in_scope, f"tilsyn {audit.audit_id}: sagsliste")
            log_action(accesslog.VIS_BORGER, [borger], f"tilsyn {audit.audit_id}: sag og tjekliste")
            st.markdown(f"[Åbn borgerforløbet for {borger}]({BORGER_LINK}{borger})")
            pre = prefill(principal, audit.audit_id, audit.paa, tuple(in_scope))
            st.caption(f"Data foreslår {tilsyn.prefilled_count(pre)} af {pre.height} svar i tilsynet "
                       "(forslagene gemmes først, når du trykker Gem svar).")
            pre_b = tilsyn.pr_spoergsmaal(pre, borger)
            have = tilsyn.pr_spoergsmaal(answers, borger)
            editable = is_auditor and audit.lukket is None
            with st.form(f"ts_form_{audit.audit_id}_{borger}"):
                given = {}
                for n, q in enumerate(checklist.questions, start=1):
                    p = pre_b.get(q.id, {})
                    old = have.get(q.id)
                    current = old["svar"] if old else p.get("forslag")
                    st.markdown(f"**{n}. {q.tekst}**")
                    if p.get("forslag"):
                        st.caption(f"Forslag fra data: **{p['forslag']}** – {p.get('grundlag', '')}")
                    elif q.regel:
                        st.caption(f"Data kan ikke afgøre det: {p.get('grundlag', '')}")
                    c1, c2 = st.columns([2, 3])
                    svar = c1.radio("Svar", q.svar, index=q.svar.index(current) if current in q.svar else None,
                                    horizontal=True, key=f"ts_{audit.audit_id}_{borger}_{q.id}",
                                    disabled=not editable, label_visibility="collapsed")
                    kommentar = c2.text_input("Kommentar", value=(old or {}).get("kommentar") or "",
                                              key=f"ts_{audit.audit_id}_{borger}_{q.id}_k", disabled=not editable,
                                              label_visibility="collapsed", placeholder="Kommentar")
                    given[q.id] = tilsyn_store.Svar(svar, kommentar, p.get("forslag"), p.get("grundlag") or "")
                if st.form_submit_button("Gem svar", type="primary", disabled=not editable):
                    try:
                        n_saved = tilsyn_store.save_answers(eng, audit.audit_id, borger, given,
                                                            username=principal.username, question_ids=QIDS)
                    except tilsyn_store.TilsynError as exc:
                        st.error(str(exc))
                    else:
                        st.session_state["ts_besked"] = f"{n_saved} svar gemt for {borger}."
                        st.rerun()
            if not is_auditor:
                st.caption("Kun den tilsynsførende kan besvare tjeklisten.")
        elif case_ids:
            st.info("Sagerne i tilsynet ligger uden for din adgang; du kan se status og underskrive.")
        if st.session_state.get("ts_besked"):
            st.success(st.session_state.pop("ts_besked"))
        c1, c2, c3 = st.columns(3)
        if is_auditor and audit.lukket is None:
            if c1.button("Luk tilsynet", disabled=done < total, key="ts_luk",
                         help="Når alle sager er besvaret, lukkes tilsynet, og svarene kan ikke længere ændres."):
                try:
                    tilsyn_store.close(eng, audit.audit_id, username=principal.username, question_ids=QIDS)
                    st.rerun()
                except tilsyn_store.TilsynError as exc:
                    st.error(str(exc))
        for side, col, mine in ((tilsyn_store.AUDITOR, c2, is_auditor), (tilsyn_store.LEDER, c3, is_leder)):
            signed = getattr(audit, f"{side}_underskrevet")
            if signed:
                col.success(f"{tilsyn_store.SIDES[side]}: {getattr(audit, side)}, {dansk_tid(signed)}")
            elif mine and audit.lukket:
                if col.button(f"Underskriv som {tilsyn_store.SIDES[side].lower()}", key=f"ts_sign_{side}"):
                    try:
                        tilsyn_store.sign(eng, audit.audit_id, side, username=principal.username)
                        st.rerun()
                    except tilsyn_store.TilsynError as exc:
                        st.error(str(exc))
            else:
                col.caption(f"{tilsyn_store.SIDES[side]} ({getattr(audit, side)}): ikke underskrevet")

# --- report -------------------------------------------------------------------------------------------
with tabs["Rapport"]:
    if not audits:
        st.info("Ingen tilsyn at rapportere.")
    else:
        names = {a.audit_id: f"{a.titel} ({dansk_tid(a.oprettet)})" for a in audits}
        chosen = vaelg_flere(st, "Tilsyn i rapporten", list(names), default=list(names), format_func=names.get,
                                key="ts_rapport_valg")
        frame = tilsyn_store.report_frame(eng, chosen)
        visible = visible_ids(principal)
        # borger ids outside the viewer's scope (e.g. an auditor after signing) are not shown; the report's
        # own ids in scope, not the whole scope (100.001 ids on the national demo) go into the filter
        shown = sorted(set(frame["borger_id"].to_list()) & visible)
        frame = tilsyn.skjul_uden_for_adgang(frame, shown)
        r = tilsyn.rapport(frame, checklist)
        if shown:  # the report lists the cases in scope by borger id
            log_action(accesslog.VIS_LISTE, shown, "tilsyn rapport")
        sheets = tilsyn.rapport_sheets(r)
        st.caption(f"{r.sager} sager, {r.svar} svar. Andel ja = svar Ja / svar bortset fra Ikke relevant.")
        for name, df in sheets.items():
            st.subheader(name)
            st.dataframe(df.drop("Spørgsmål-id", strict=False), hide_index=True, width="stretch")
        title = "Ledelsestilsyn – rapport"
        meta = [("Tilsyn", ", ".join(names[i] for i in chosen)), ("Udskrevet af", principal.username)]
        if access.can(principal, "eksport") or may_create:
            c1, c2 = st.columns(2)
            eksport_knap(c1, "Hent Excel", to_xlsx_bytes(sheets, meta), "tilsyn_rapport.xlsx", key="ts_xlsx",
                         detalje="tilsyn rapport xlsx")
            eksport_knap(c2, "Hent A4-udskrift (HTML)", tilsyn.rapport_html(r, title, meta).encode("utf-8"),
                         "tilsyn_rapport.html", key="ts_html", detalje="tilsyn rapport html")
