"""AppTest for the Økonomi and Rapporter pages on the kommune demo, plus role gating."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import run_page
from workbench.sider import oekonomi
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.format.output import dansk_tal

ROOT = Path(__file__).resolve().parents[1]


def _texts(at: AppTest) -> str:
    return " ".join([e.value for e in at.error] + [c.value for c in at.caption] + [m.value for m in at.markdown])


def test_oekonomi_page_shows_the_functions_numbers_and_the_over_budget_paragraf(demo_env):
    at = run_page(str(ROOT / "sidefiler" / "oekonomi.py"))
    at.selectbox(key="oe_aar").set_value("2025").run()
    assert not at.exception
    ds = open_dataset(demo_env)
    expected = oekonomi.side(ds, oekonomi.parse_periode("2025"), udtraeksdato(ds))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Udgift i perioden"] == f"{dansk_tal(expected.enhedsudgift['udgift'].sum() / 1e6, 1)} mio. kr."
    assert "Kilde: betalinger" in _texts(at)
    assert "FOLK1A" in _texts(at)
    tables = [df.value for df in at.dataframe]
    first = tables[0]
    assert first["Paragraf"].to_list()[:3] == expected.enhedsudgift["paragraf"].to_list()[:3]
    # the tabs are lazy: the budget tab is laid out (and sent to the browser) when opened, as a click does
    assert not at.error and len(tables) == 3
    at.session_state["oe_fane"] = "Budget og forbrug"
    at.run()
    assert not at.exception
    assert any("SEL §107" in e.value for e in at.error)  # the planted over-budget paragraf stands out
    assert [df.value.columns[0] for df in at.dataframe] == ["Paragraf"] and len(at.dataframe) == 1


def test_rapporter_page_previews_and_lists(demo_env, media):
    at = run_page(str(ROOT / "sidefiler" / "rapporter.py"))
    at.selectbox(key="ra_aar").set_value("2025").run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert "Hent PDF" in labels and "Hent HTML" in labels
    assert any("ikke hentet nogen rapporter" in i.value for i in at.info)
    # a stored report shows in the list with its data version
    from data_model import db
    from workbench.lager import rapportarkiv
    from workbench.ui import data

    engine = db.get_engine(db.database_url(data.data_path()))
    rapportarkiv.gem(engine, bruger="admin", niveau="politisk", periode="2025", kommune=None,
                     paa=dt.date(2026, 10, 31), datasaet_version="gammel", datasaet_sti="", fmt="pdf", indhold=b"x")
    at.run()
    assert not at.exception
    listed = at.dataframe[-1].value
    assert listed["Datasæt-version"].to_list() == ["gammel"]
    assert any("gammel" in w.value for w in at.warning)  # another data version: said so


def test_pages_are_role_gated(demo_env, monkeypatch):
    from workbench.regler import access
    from workbench.ui.pages import PAGES

    keys = [p[0] for p in PAGES]
    assert "oekonomi" in keys and "rapporter" in keys
    assert access.page_allowed(access.Principal(username="x", rolle="leder_myndighed"), "oekonomi")
    assert not access.page_allowed(access.Principal(username="x", rolle="udfoerer"), "oekonomi")
    assert not access.page_allowed(access.Principal(username="x", rolle="sagsbehandler"), "rapporter")
    # the page itself refuses a role without access: a Danish refusal, logged, and no number computed
    from data_model.db import engine_for
    from workbench.lager import accesslog, users

    users.bootstrap(engine_for(demo_env), demo_env)
    monkeypatch.setenv("FFB_WORKBENCH_USER", "udfoerer")
    at = AppTest.from_file(str(ROOT / "sidefiler" / "oekonomi.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [e.value for e in at.error] == ["Du har ikke adgang til denne side."]
    assert not at.metric and not at.dataframe
    refused = accesslog.entries(engine_for(demo_env), handling=accesslog.ADGANG_NAEGTET)
    assert refused["bruger"].to_list() == ["udfoerer"] and refused["detalje"].to_list() == ["side oekonomi"]
    # through app.py the page is not even in the udfører's navigation
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception
    with pytest.raises(ValueError, match="navigation page"):
        app.switch_page("sidefiler/oekonomi.py")
    # the same page for a role with access shows its numbers (so the refusal above is the role, not a crash)
    monkeypatch.setenv("FFB_WORKBENCH_USER", "leder_myndighed")
    ok = AppTest.from_file(str(ROOT / "sidefiler" / "oekonomi.py"), default_timeout=120)
    ok.run()
    assert not ok.exception and ok.metric and not any("ikke adgang" in e.value for e in ok.error)
