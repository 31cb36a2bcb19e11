"""The Overblik page through Streamlit's AppTest on the kommune demo dataset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from workbench import optaelling, periods
from workbench.dataset import open_dataset
from workbench.ui.widgets import STATE_PREFIX, dansk_maaned

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def as_int(text: str) -> int:
    return int(text.replace(".", ""))


def widget(elements, label: str):
    found = [w for w in elements if w.label == label]
    assert found, f"no widget labelled {label!r}"
    return found[0]


@pytest.fixture
def app(demo_env) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def data_date(demo: Path) -> dt.date:
    """The page's default reference date: the dataset's latest registration, never after today."""
    latest = open_dataset(demo).ydelser.select(pl.col("registreringsdato").max()).collect().item()
    return min(latest, dt.date.today())


def expected_kpis(demo: Path, handle=(), betaling=()) -> dict:
    ds = open_dataset(demo)
    paa = data_date(demo)
    y = optaelling.filter_kommuner(ds.ydelser, ds.borgere, handle, betaling)
    til = periods.month_start(paa)
    return optaelling.kpis(y, paa, periods.add_months(til, -11), til).collect().row(0, named=True)


def test_renders_with_kpis(app, demo_env):
    assert [t.value for t in app.title] == ["Overblik"]
    m = metrics(app)
    want = expected_kpis(demo_env)
    assert want["borgere"] >= 5  # the demo has plenty of borgere on its latest date
    assert as_int(m["Borgere i alt"]) == want["borgere"]
    assert as_int(m["Aktive ydelser"]) == want["aktive_ydelser"]
    danish = f"{want['helaarspersoner']:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert m["Helårspersoner"] == danish
    this_month = [k for k in m if k.startswith("Nye i ")]
    assert len(this_month) == 1 and [k for k in m if k.startswith("Afsluttede i ")]
    assert [s.value for s in app.subheader] == ["Antal borgere på § pr. måned", "Udvikling over tid",
                                                "Tilgang og afgang"]


def test_month_table_like_seed_002(app):
    table = app.dataframe[0].value
    assert table.columns[0] == "Paragraf"
    assert len(table.columns) == 1 + 12  # twelve months by default
    assert table["Paragraf"].iloc[-1] == "Total"
    assert "SEL §85" in set(table["Paragraf"])
    # suppressed cells are text; no count of 1-4 is shown as a number
    for col in table.columns[1:]:
        for v in table[col]:
            assert v in ("<5", "x") or v == "0" or as_int(v) >= 5, (col, v)


def test_handlekommune_filter_changes_numbers(app):
    before = as_int(metrics(app)["Borgere i alt"])
    handle = widget(app.multiselect, "Handlekommune")
    assert handle.options[0].endswith("(0250)")  # present in the data: listed first
    handle.set_value(["0101"]).run()  # København: no borgere in the Frederikssund demo
    assert not app.exception
    assert metrics(app)["Borgere i alt"] == "0"
    assert before > 0
    handle.set_value(["0250"]).run()
    assert as_int(metrics(app)["Borgere i alt"]) == before


def test_betalingskommune_filter_changes_numbers(app, demo_env):
    before = as_int(metrics(app)["Borgere i alt"])
    widget(app.multiselect, "Betalingskommune").set_value(["0250"]).run()
    assert not app.exception
    after = metrics(app)["Borgere i alt"]
    want = expected_kpis(demo_env, betaling=["0250"])["borgere"]
    assert as_int(after) == want
    assert want < before


def test_period_filter_changes_table(app, demo_env):
    til = widget(app.selectbox, "Til måned").value
    assert til == data_date(demo_env).strftime("%Y-%m")
    fra = periods.add_months(dt.date.fromisoformat(til + "-01"), -2).strftime("%Y-%m")
    widget(app.selectbox, "Fra måned").set_value(fra).run()
    assert not app.exception
    table = app.dataframe[0].value
    first = dt.date.fromisoformat(fra + "-01")
    assert list(table.columns)[1:] == [dansk_maaned(periods.add_months(first, i), kort=True) for i in range(3)]
    assert widget(app.selectbox, "Fra måned").options[-1] == widget(app.selectbox, "Til måned").options[-1]


def test_filters_survive_page_switch(app, demo_env):
    widget(app.multiselect, "Handlekommune").set_value(["0101"]).run()
    assert app.session_state[STATE_PREFIX + "ov_handle"] == ["0101"]
    app.switch_page("pages/borger.py").run()
    assert "ov_handle" not in app.session_state  # the widget key is gone while another page shows
    app.switch_page("pages/overblik.py").run()
    assert not app.exception
    assert widget(app.multiselect, "Handlekommune").value == ["0101"]
    assert metrics(app)["Borgere i alt"] == "0"
    # Streamlit drops the widget keys of a page that is not drawn; only the remembered non-widget
    # key is left when the user comes back. A fresh session holding just that key shows the same.
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    fresh.session_state[STATE_PREFIX + "ov_handle"] = ["0101"]
    fresh.run()
    assert not fresh.exception
    assert widget(fresh.multiselect, "Handlekommune").value == ["0101"]
    assert metrics(fresh)["Borgere i alt"] == "0"


def test_helaarspersoner_and_flow_views(app):
    app.button_group[0].set_value("Helårspersoner").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table["Paragraf"].iloc[-1] == "Total"
    assert any("," in v for v in table.iloc[-1, 1:])  # Danish decimal comma
    app.selectbox(key="ov_flow").set_value("SEL §108").run()
    assert not app.exception
    flow = app.dataframe[1].value
    assert list(flow.columns) == ["Måned", "Borgere", "Tilgang", "Afgang", "Helårspersoner"]
    assert len(flow) == 12


def test_page_file_alone(demo_env):
    at = AppTest.from_file(str(ROOT / "pages" / "overblik.py"), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert as_int(metrics(at)["Borgere i alt"]) > 0
