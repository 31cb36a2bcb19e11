"""The Tilsyn page (AppTest) on the kommune demo data: a leader creates an audit, the auditor answers
every case (suggestions prefilled), resumes after a rerun, closes and signs; the leader signs and
downloads the report (Excel and A4 HTML) with the same numbers as workbench.sider.tilsyn.rapport."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from tests import helpers
from workbench.regler import access, stikproeve
from workbench.sider import tilsyn
from workbench.lager import tilsyn_store, users
from workbench.data.dataset import open_dataset, udtraeksdato

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "sidefiler" / "tilsyn.py")
QIDS = tilsyn.load_checklist().ids


def as_user(monkeypatch, name: str) -> AppTest:
    monkeypatch.setenv("FFB_WORKBENCH_USER", name)
    return helpers.run_page(PAGE)


def click(at: AppTest, label: str) -> AppTest:
    at.button[[b.label for b in at.button].index(label)].click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def answer_case(at: AppTest, audit_id: str, borger: str) -> int:
    """Accept every suggestion; answer the questions the data cannot with Ja. Returns how many
    radios were prefilled."""
    at.selectbox(key="ts_sag").set_value(borger).run()
    prefilled = 0
    for q in QIDS:
        radio = at.radio(key=f"ts_{audit_id}_{borger}_{q}")
        if radio.value is None:
            radio.set_value("Ja")
        else:
            prefilled += 1
    click(at, "Gem svar")
    return prefilled


@pytest.mark.slow
def test_whole_flow_create_answer_resume_close_sign_export(demo_env, monkeypatch, media):
    # the leader draws one case per team and assigns it to the demo auditor
    at = as_user(monkeypatch, "leder_myndighed")
    at.selectbox(key="ts_pr").set_value("team")
    at.number_input(key="ts_antal").set_value(1)
    at.text_input(key="ts_seed").set_value("2026")
    at.selectbox(key="ts_auditor").set_value("tilsyn")
    click(at, "Træk stikprøve og opret tilsyn")
    eng = engine_for(demo_env)
    audit = next(a for a in tilsyn_store.audits(eng) if a.seed == "2026")
    assert (audit.auditor, audit.leder, audit.oprettet_af, audit.pr) == ("tilsyn", "leder_myndighed",
                                                                          "leder_myndighed", "team")
    leader = users.principal_for(eng, "leder_myndighed")
    ds = open_dataset(demo_env)
    expected = stikproeve.stikproeve(access.scope(ds, leader), "team", 1, "2026", udtraeksdato(ds))
    cases = tilsyn_store.items(eng, audit.audit_id)["borger_id"].to_list()
    assert cases == expected["borger_id"].to_list() and len(cases) == 4

    # the auditor's scope is exactly the samples of their open audits (the demo audit and this one)
    demo = next(a for a in tilsyn_store.audits(eng) if a.audit_id != audit.audit_id)
    want = set(cases) | set(tilsyn_store.items(eng, demo.audit_id)["borger_id"])
    assert set(users.principal_for(eng, "tilsyn").borger_ids) == want

    at = as_user(monkeypatch, "tilsyn")
    at.selectbox(key="ts_audit").set_value(audit.audit_id).run()
    sag = at.selectbox(key="ts_sag")
    assert len(sag.options) == len(cases) and sag.value in cases
    assert all(any(o.startswith(f"{n}. {b}") for o in sag.options) for n, b in enumerate(cases, 1))
    assert any(f"borger?borger={at.selectbox(key='ts_sag').value}" in m.value for m in at.markdown)
    pre = tilsyn.prefill(access.scope(ds, users.principal_for(eng, "tilsyn")), cases, audit.paa)
    assert any(f"Data foreslår {tilsyn.prefilled_count(pre)} af {len(cases) * len(QIDS)} svar" in c.value
               for c in at.caption)
    prefilled = answer_case(at, audit.audit_id, cases[0])
    assert prefilled > len(QIDS) // 2  # most answers come from the data
    saved = tilsyn_store.answers(eng, audit.audit_id)
    assert saved.height == len(QIDS) and set(saved["borger_id"]) == {cases[0]}
    assert saved.filter(pl.col("forslag").is_not_null()).height == prefilled

    # resume: a fresh session (after a rerun) shows the saved answers and the progress
    at = as_user(monkeypatch, "tilsyn")
    at.selectbox(key="ts_audit").set_value(audit.audit_id).run()
    assert any("1 af 4 sager besvaret" in (p.proto.text or "") for p in at.get("progress"))
    at.selectbox(key="ts_sag").set_value(cases[0]).run()
    first = saved.filter(pl.col("spoergsmaal_id") == QIDS[0])["svar"].item()
    assert at.radio(key=f"ts_{audit.audit_id}_{cases[0]}_{QIDS[0]}").value == first
    # change one answer: a new version, the old one kept
    at.radio(key=f"ts_{audit.audit_id}_{cases[0]}_{QIDS[-1]}").set_value("Delvist")
    at.text_input(key=f"ts_{audit.audit_id}_{cases[0]}_{QIDS[-1]}_k").set_value("begrundelse mangler")
    click(at, "Gem svar")
    hist = [h for h in tilsyn_store.answer_history(eng, audit.audit_id, cases[0]) if h.spoergsmaal_id == QIDS[-1]]
    assert [h.svar for h in hist] == ["Ja", "Delvist"]

    assert not any(b.label == "Luk tilsynet" and not b.disabled for b in at.button)
    for b in cases[1:]:
        answer_case(at, audit.audit_id, b)
    assert tilsyn_store.progress(eng, audit.audit_id, QIDS) == (4, 4)
    click(at, "Luk tilsynet")
    assert tilsyn_store.get(eng, audit.audit_id).lukket is not None
    click(at, "Underskriv som tilsynsførende")
    assert tilsyn_store.status(tilsyn_store.get(eng, audit.audit_id)) == tilsyn_store.DELVIS
    assert not any(b.label == "Underskriv som ansvarlig leder" for b in at.button)  # not the auditor's side

    # the leader signs and downloads the report
    at = as_user(monkeypatch, "leder_myndighed")
    at.selectbox(key="ts_audit").set_value(audit.audit_id).run()
    click(at, "Underskriv som ansvarlig leder")
    assert tilsyn_store.status(tilsyn_store.get(eng, audit.audit_id)) == tilsyn_store.AFSLUTTET
    assert set(users.principal_for(eng, "tilsyn").borger_ids) == set(tilsyn_store.items(eng, demo.audit_id)["borger_id"])

    at.multiselect(key="ts_rapport_valg").set_value([audit.audit_id]).run()
    r = tilsyn.rapport(tilsyn_store.report_frame(eng, [audit.audit_id]))
    shown = next(df.value for df in at.dataframe if "Team" in df.value.columns and "Andel ja (%)" in df.value.columns)
    assert len(shown) == r.pr_team.height
    from openpyxl import load_workbook

    xlsx = media[-1].get_file(at.download_button(key="ts_xlsx").proto.url.rsplit("/", 1)[-1]).content
    ws = load_workbook(io.BytesIO(xlsx))["Pr. team"]
    header = [c.value for c in ws[1]]
    excel = {(row[header.index("Team")], row[header.index("Spørgsmål-id")]): row[header.index("Ja")]
             for row in ws.iter_rows(min_row=2, values_only=True)}
    assert excel == {(t, q): j for t, q, j in r.pr_team.select("team", "spoergsmaal_id", "ja").rows()}
    html = media[-1].get_file(at.download_button(key="ts_html").proto.url.rsplit("/", 1)[-1]).content.decode()
    assert "@page { size: A4" in html and "begrundelse mangler" in html


def test_auditor_sees_only_the_sample_and_cannot_create(demo_env, monkeypatch):
    at = as_user(monkeypatch, "tilsyn")
    assert "Nyt tilsyn" not in [t.label for t in at.tabs]
    eng = engine_for(demo_env)
    scope = set(users.principal_for(eng, "tilsyn").borger_ids)
    sag = at.selectbox(key="ts_sag")  # the demo audit's cases, labelled "nr. borger_id – sagsbehandler"
    assert len(scope) == 4 and len(sag.options) == 4 and sag.value in scope
    assert {o.split(" ")[1] for o in sag.options} == scope


def test_sagsbehandler_has_no_tilsyn_page(demo_env, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_USER", "sagsbehandler")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert any("ikke adgang" in e.value for e in at.error)
