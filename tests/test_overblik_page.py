"""The Overblik page through Streamlit's AppTest on the kommune demo dataset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from workbench.regler import optaelling, periods
from workbench.data.dataset import open_dataset, udtraeksdato
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
    """The page's default reference date: the dataset's udtraeksdato (the CLI default too)."""
    return udtraeksdato(open_dataset(demo))


def kpi_label(metrics_: dict, start: str) -> str:
    found = [k for k in metrics_ if k.startswith(start)]
    assert len(found) == 1, (start, list(metrics_))
    return found[0]


def borgere_kpi(at: AppTest) -> int:
    m = metrics(at)
    return as_int(m[kpi_label(m, "Borgere i ")])


def expected_total(demo: Path, handle=(), betaling=()) -> dict:
    """The Total row of the last month (the month of the reference date), computed directly."""
    ds = open_dataset(demo)
    paa = data_date(demo)
    y = optaelling.filter_kommuner(ds.ydelser, ds.borgere, handle, betaling)
    til = periods.month_start(paa)
    _, total = optaelling.overblik(y, periods.add_months(til, -11), til, paa)
    return total.collect().row(-1, named=True)


def test_renders_with_kpis(app, demo_env):
    assert [t.value for t in app.title] == ["Overblik"]
    m = metrics(app)
    want = expected_total(demo_env)
    assert want["borgere"] >= 5
    maaned = dansk_maaned(data_date(demo_env), kort=True)
    assert as_int(m[f"Borgere i {maaned}"]) == want["borgere"]
    danish = f"{want['helaarspersoner']:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert m[f"Helårspersoner i {maaned}"] == danish
    assert as_int(m[f"Tilgang i {maaned}"]) == want["tilgang"]
    assert as_int(m[f"Afgang i {maaned}"]) == want["afgang"]
    assert "Aktive ydelser" in m
    assert [s.value for s in app.subheader] == ["Antal borgere på § pr. måned", "Udvikling over tid",
                                                "Tilgang og afgang"]
    # the definitions are named on the page
    text = " ".join(c.value for c in app.caption)
    assert "Helårspersoner" in text and "Afgang** = borgere med paragraffen måneden før" in text


def test_sidebar_shows_data_date_and_pages_default_to_it(app, demo_env):
    """Item 1: 'Data pr. dd-mm-åååå' in the sidebar; the page's default reference date equals the
    CLI's default (udtraeksdato) for the same dataset."""
    cli_default = data_date(demo_env)
    assert f"Data pr. {cli_default.strftime('%d-%m-%Y')}" in [c.value for c in app.sidebar.caption]
    assert widget(app.date_input, "Referencedato").value == cli_default
    til = widget(app.selectbox, "Til måned")
    assert til.value == cli_default.strftime("%Y-%m")
    assert til.options[-1] == dansk_maaned(cli_default)  # no month after the reference date is offered


def test_default_unit_per_paragraf_with_dst_code_and_konto(app):
    """Item 8: each paragraf in its own counting unit by default, DST code and konto beside it."""
    table = app.dataframe[0].value
    assert list(table.columns)[:4] == ["Paragraf", "Enhed", "DST-ydelseskode", "Konto"]
    units = dict(zip(table["Paragraf"], table["Enhed"]))
    assert units["SEL §108"] == "Helårspersoner" and units["SEL §85"] == "Unikke borgere"
    assert "Total" not in units  # units cannot be added up
    row = table[table["Paragraf"] == "SEL §108"].iloc[0]
    assert (row["DST-ydelseskode"], row["Konto"]) == ("1.8.1", "5.38.50")
    assert any("," in v for v in row.iloc[4:])  # helårspersoner with a decimal comma


def test_kpi_table_and_cli_agree(app, demo_env, capsys):
    """Item 10: the same month and paragraf through every path: Overblik KPI, Overblik table (Total row and
    paragraf row), the tilgang/afgang table, and `ffb-workbench optaelling`."""
    from workbench.cli import main

    paa = data_date(demo_env)
    maaned = paa.strftime("%Y-%m")
    kort = dansk_maaned(paa, kort=True)
    m = metrics(app)
    app.button_group[0].set_value("Unikke borgere").run()
    table = app.dataframe[0].value
    total_row = table[table["Paragraf"] == "Total"].iloc[0]
    assert as_int(m[f"Borgere i {kort}"]) == as_int(total_row[kort])  # KPI == table Total
    app.button_group[0].set_value("Helårspersoner").run()
    hp_table = app.dataframe[0].value
    assert m[f"Helårspersoner i {kort}"] == hp_table[hp_table["Paragraf"] == "Total"].iloc[0][kort]
    flow_all = app.dataframe[1].value.set_index("Måned").loc[kort]
    assert as_int(flow_all["Tilgang"]) == as_int(m[f"Tilgang i {kort}"])
    assert as_int(flow_all["Afgang"]) == as_int(m[f"Afgang i {kort}"])

    assert main(["optaelling", str(demo_env), "--fra", maaned, "--til", maaned, "--format", "json"]) == 0
    cli = {r["paragraf"]: r for r in __import__("json").loads(capsys.readouterr().out)}
    for paragraf in ("SEL §85", "SEL §108"):
        want = cli[paragraf]
        assert as_int(table[table["Paragraf"] == paragraf].iloc[0][kort]) == want["borgere"]
        hp_text = hp_table[hp_table["Paragraf"] == paragraf].iloc[0][kort]
        assert hp_text == f"{want['helaarspersoner']:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
        app.selectbox(key="ov_flow").set_value(paragraf).run()
        flow = app.dataframe[1].value.set_index("Måned").loc[kort]
        assert (as_int(flow["Borgere"]), as_int(flow["Tilgang"]), as_int(flow["Afgang"])) == (
            want["borgere"], want["tilgang"], want["afgang"])


def test_analytiker_sees_suppressed_numbers(demo_env, monkeypatch):
    """Item 9: analytiker (no borger list) gets '<5' on screen; admin sees the exact numbers."""
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    at.button_group[0].set_value("Unikke borgere").run()
    cells = [v for col in at.dataframe[0].value.columns[4:] for v in at.dataframe[0].value[col]]
    assert "<5" in cells
    for v in cells:
        assert v in ("<5", "x", "0") or as_int(v) >= 5, v


def test_admin_sees_exact_small_numbers(app):
    app.button_group[0].set_value("Unikke borgere").run()
    cells = [v for col in app.dataframe[0].value.columns[4:] for v in app.dataframe[0].value[col]]
    assert "<5" not in cells and "x" not in cells
    assert any(0 < as_int(v) < 5 for v in cells)


def test_month_table_like_seed_002(app):
    app.button_group[0].set_value("Unikke borgere").run()
    table = app.dataframe[0].value
    assert table.columns[0] == "Paragraf"
    assert len(table.columns) == 4 + 12  # Paragraf, Enhed, DST-kode, Konto, twelve months by default
    assert table["Paragraf"].iloc[-1] == "Total"
    assert "SEL §85" in set(table["Paragraf"])


def test_handlekommune_filter_changes_numbers(app):
    before = borgere_kpi(app)
    handle = widget(app.multiselect, "Handlekommune")
    assert handle.options[0].endswith("(0250)")  # present in the data: listed first
    handle.set_value(["0101"]).run()  # København: no borgere in the Frederikssund demo
    assert not app.exception
    assert borgere_kpi(app) == 0
    assert before > 0
    handle.set_value(["0250"]).run()
    assert borgere_kpi(app) == before


def test_betalingskommune_filter_changes_numbers(app, demo_env):
    before = borgere_kpi(app)
    widget(app.multiselect, "Betalingskommune").set_value(["0250"]).run()
    assert not app.exception
    want = expected_total(demo_env, betaling=["0250"])["borgere"]
    assert borgere_kpi(app) == want
    assert want < before


def test_period_filter_changes_table(app, demo_env):
    til = widget(app.selectbox, "Til måned").value
    assert til == data_date(demo_env).strftime("%Y-%m")
    fra = periods.add_months(dt.date.fromisoformat(til + "-01"), -2).strftime("%Y-%m")
    widget(app.selectbox, "Fra måned").set_value(fra).run()
    assert not app.exception
    table = app.dataframe[0].value
    first = dt.date.fromisoformat(fra + "-01")
    assert list(table.columns)[4:] == [dansk_maaned(periods.add_months(first, i), kort=True) for i in range(3)]
    assert widget(app.selectbox, "Fra måned").options[-1] == widget(app.selectbox, "Til måned").options[-1]


def test_filters_survive_page_switch(app, demo_env):
    widget(app.multiselect, "Handlekommune").set_value(["0101"]).run()
    assert app.session_state[STATE_PREFIX + "ov_handle"] == ["0101"]
    app.switch_page("sidefiler/borger.py").run()
    assert "ov_handle" not in app.session_state  # the widget key is gone while another page shows
    app.switch_page("sidefiler/overblik.py").run()
    assert not app.exception
    assert widget(app.multiselect, "Handlekommune").value == ["0101"]
    assert borgere_kpi(app) == 0
    # Streamlit drops the widget keys of a page that is not drawn; only the remembered non-widget
    # key is left when the user comes back. A fresh session holding just that key shows the same.
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    fresh.session_state[STATE_PREFIX + "ov_handle"] = ["0101"]
    fresh.run()
    assert not fresh.exception
    assert widget(fresh.multiselect, "Handlekommune").value == ["0101"]
    assert borgere_kpi(fresh) == 0


def test_helaarspersoner_and_flow_views(app):
    app.button_group[0].set_value("Helårspersoner").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table["Paragraf"].iloc[-1] == "Total"
    assert any("," in v for v in table.iloc[-1, 4:])  # Danish decimal comma
    app.selectbox(key="ov_flow").set_value("SEL §108").run()
    assert not app.exception
    flow = app.dataframe[1].value
    assert list(flow.columns) == ["Måned", "Borgere", "Tilgang", "Afgang", "Helårspersoner"]
    assert len(flow) == 12


def test_page_file_alone(demo_env):
    at = AppTest.from_file(str(ROOT / "sidefiler" / "overblik.py"), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert borgere_kpi(at) > 0


def test_export_is_built_on_click_and_serves_the_table(demo_env, media):
    """The Overblik export is a deferred download (built when clicked, not on every rerun); what it
    serves is the table on screen: the same Total for the month of the reference date."""
    import io

    from tests.helpers import served

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    kort = dansk_maaned(data_date(demo_env), kort=True)
    at.button_group[0].set_value("Unikke borgere").run()
    shown = at.dataframe[0].value
    button = at.download_button(key="ov_csv")
    assert not button.proto.url and button.proto.deferred_file_id  # nothing built before a click
    csv = pl.read_csv(io.BytesIO(served(button, media)), separator=";", infer_schema_length=0)
    total = csv.filter(pl.col("Paragraf") == "Total")
    assert total.height == 1
    assert as_int(total[kort].item()) == as_int(shown[shown["Paragraf"] == "Total"].iloc[0][kort])


def test_flis_corrected_kpis_beside_the_raw(app, demo_env, capsys):
    """Issue 22: the FLIS-corrected borgere and helårspersoner (regler.flis: without the ydelser FLIS
    removes) beside the raw KPIs, the same numbers as `optaelling --flis`, and one sentence saying what
    FLIS leaves out."""
    import json

    from workbench.cli import main
    from workbench.regler import flis

    ds = open_dataset(demo_env)
    paa = data_date(demo_env)
    kort = dansk_maaned(paa, kort=True)
    marked = flis.markerede(ds).collect()
    assert marked.height > 0  # the demo plants invalid ydelser and borgere under 18
    _, total = optaelling.overblik(flis.korrigeret(ds.ydelser, marked.lazy()), periods.month_start(paa),
                                   periods.month_start(paa), paa)
    want = total.collect().row(-1, named=True)
    m = metrics(app)
    assert as_int(m[f"FLIS-korrigeret: borgere i {kort}"]) == want["borgere"]
    danish = f"{want['helaarspersoner']:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert m[f"FLIS-korrigeret: helårspersoner i {kort}"] == danish
    assert as_int(m["Ydelser FLIS fjerner"]) == marked.height
    assert as_int(m[f"Borgere i {kort}"]) >= want["borgere"]
    assert flis.FORKLARING in [c.value for c in app.caption]
    maaned = paa.strftime("%Y-%m")
    assert main(["optaelling", str(demo_env), "--fra", maaned, "--til", maaned, "--flis", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert f"{sum(r['helaarspersoner'] for r in cli):,.1f}".replace(",", "X").replace(".", ",").replace(
        "X", ".") == danish
