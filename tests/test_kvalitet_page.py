"""The Kvalitet page (AppTest): overlap tables, drill-down with borger links, exports, other rules,
8-talskontrol and databrud, on a hand-made dataset with known findings."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import run_page as _run_page, served

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "sidefiler" / "kvalitet.py")
FIXTURE = ROOT / "tests" / "fixtures" / "borger_x"
YCOLS = ["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato", "slutdato", "registreringsdato",
         "bevillingsdato", "tilbud_id", "sagsafgoerelse_id", "timer_pr_uge", "maanedlig_udgift"]


def _write(path: Path, rows: list[list[str]], cols: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(rows)


@pytest.fixture
def page_data(tmp_path, monkeypatch) -> Path:
    """Borger X (with a §107 stay over the last 18 days of its §85 support) plus borger P with §85 and
    ABL §105/SEL §85 over the same 31 days: two overlap pairs;
    a §103 ydelse (no overlap rule) whose id and invalid name look like spreadsheet formulas, an unknown tilbud and betalinger."""
    d = tmp_path / "data"
    shutil.copytree(FIXTURE, d)
    (d / "expected_forloeb.json").unlink()
    (d / "README.md").unlink()
    borgere = (FIXTURE / "borgere.csv").read_text(encoding="utf-8").splitlines()
    (d / "borgere.csv").write_text("\n".join(borgere + ["P,,1980-05-05,M,0250,0250,Z,Voksen 1"]) + "\n", encoding="utf-8")
    mg = (FIXTURE / "maalgrupper.csv").read_text(encoding="utf-8").splitlines()
    (d / "maalgrupper.csv").write_text("\n".join(mg + ["P,Angst,true,2023-01-01,S9"]) + "\n", encoding="utf-8")
    _write(d / "ydelser.csv", [
        ["Y1", "X", "SEL §85", "Støtte til administration", "2023-01-01", "2023-06-01", "2023-01-02", "2023-01-01",
         "1000000001", "S1", "2", "4800"],
        ["Y2", "X", "SEL §107", "Midlertidigt ophold", "2023-05-15", "2023-06-30", "2023-05-15", "2023-05-15",
         "1000000001", "S2", "", "30000"],
        ["P1", "P", "SEL §85", "Støtte til administration", "2023-01-01", "2023-03-31", "2023-01-01", "2023-01-01",
         "1000000001", "S9", "", "3650"],
        ["P2", "P", "ABL §105/SEL §85", "Støtte til daglige opgaver i hjemmet", "2023-03-01", "", "2023-03-01",
         "2023-03-01", "1000000001", "S9", "", "36500"],
        ["=1+2", "P", "SEL §103", "=HYPERLINK(\"x\")", "2023-05-01", "2023-05-31", "2023-05-01", "2023-05-01", "999",
         "S9", "", "1000"],
    ], YCOLS)
    _write(d / "betalinger.csv", [["X", "SEL §85", m, "4800"] for m in
                                  ("2023-01", "2023-02", "2023-03", "2023-04", "2023-05", "2023-06")], 
           ["borger_id", "paragraf", "maaned", "beloeb"])
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(d))
    return d


def download(at: AppTest, media: list, key: str) -> bytes:
    return served(at.download_button(key=key), media)


def run_page() -> AppTest:
    return _run_page(PAGE)


def set_date(at: AppTest, value: str) -> AppTest:
    import datetime as dt

    at.date_input(key="kv_paa").set_value(dt.date.fromisoformat(value)).run()
    assert not at.exception
    return at


def frames(at: AppTest) -> list:
    return [df.value for df in at.dataframe]


def test_page_shows_overlap_rules_and_reconciliation(page_data, media):
    at = set_date(run_page(), "2023-07-01")
    assert at.title[0].value == "Kvalitet"
    tabs = [t.label for t in at.tabs]
    assert tabs == ["Overlappende ydelser", "Øvrige opmærkninger", "8-talskontrol og databrud"]
    dfs = frames(at)
    # per rule: one SEL85_ABL105 pair of 31 days; admin may see the borger list, so the numbers are
    # exact (issue 11 item 9), and the metrics are the table's total row
    per_rule = dfs[0]
    # the rules by their Danish titles, never their ids (issue 16: names where people expect names)
    from workbench.regler.overlap import load_rules

    titel = {r.id: r.titel for r in load_rules()}
    assert list(per_rule["Regel"]) == [titel["SEL85_ABL105"], titel["SEL85_SEL107"], "I alt"]
    assert not any("SEL85_" in str(v) for df in dfs if "Regel" in df.columns and "Borger-id" not in df.columns
                   for v in df["Regel"])
    assert list(per_rule["Borgere"]) == ["1", "1", "2"] and list(per_rule["Dage"]) == ["31", "18", "49"]
    assert per_rule["Kroner"].iloc[0] == "3.720"
    m = {x.label: x.value for x in at.metric}
    assert (m["Borgere"], m["Overlapdage"]) == ("2", "49")
    # the FLIS view by paragraf pair and ydelse name
    flis = next(df for df in dfs if "Ydelse A" in df.columns and "Par" in df.columns)
    flis = flis[flis["Regel"] == titel["SEL85_ABL105"]]
    assert list(flis["Ydelse A"]) == ["Støtte til administration"]
    assert list(flis["Ydelse B"]) == ["Støtte til daglige opgaver i hjemmet"]
    # drill-down: the pair with a link on to the borger page and what to correct
    pairs = next(df for df in dfs if "Overlapdage" in df.columns)
    assert list(pairs["Borger"]) == ["borger?borger=P", "borger?borger=X"]
    assert list(pairs["Overlapdage"]) == [31, 18]
    assert list(pairs["Overlap fra"]) == ["01-03-2023", "15-05-2023"]
    assert list(pairs["Overlap til"]) == ["31-03-2023", "01-06-2023"]
    assert "afslut den ene ydelse" in pairs["Hvad er galt, og hvad skal rettes"][0]
    assert pairs["Hvad er galt, og hvad skal rettes"][0].startswith("Potentielt overlap")
    # the kroner: 31 days of the cheaper ydelse (3650 kr/month = 120 kr/day)
    assert list(pairs["Kroner"])[0] == 3720
    # other rules grouped by severity, with Danish messages
    headings = [m.value for m in at.markdown]
    assert any(h.startswith("#### Fejl") for h in headings) and any(h.startswith("#### Advarsel") for h in headings)
    examples = [df for df in dfs if list(df.columns) == ["Tabel", "Nøgle", "Besked"]]
    messages = [b for df in examples for b in df["Besked"]]
    assert any("findes ikke i FFB-kodelisterne" in m for m in messages)
    assert any("999" in m and "tilbudslisten" in m for m in messages)
    # 8-talskontrol: X's §85 matches its payments month by month
    otte = next(df for df in dfs if "Borgere i betalinger" in df.columns)
    assert set(otte["Paragraf"]) == {"SEL §85"}
    from workbench.regler.kvalitet import load_quality_config

    uden = load_quality_config().rules["ydelse_uden_betaling"].titel
    assert any(uden == str(v) for df in dfs if "Regel" in df.columns for v in df["Regel"])
    assert not at.error


def test_excel_and_csv_export(page_data, media):
    at = set_date(run_page(), "2023-07-01")
    xlsx = download(at, media, "kv_overlap_xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["Overlap", "Filtre"]
    rows = list(wb["Overlap"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Borger-id", "Regel", "Ydelse-id A", "Paragraf A")
    assert [r[:2] for r in rows[1:]] == [("P", "SEL85_ABL105"), ("X", "SEL85_SEL107")]
    assert "Overlapdage" in rows[0]
    meta = dict(wb["Filtre"].iter_rows(min_row=2, values_only=True))
    assert meta["Referencedato"] == "01-07-2023"
    assert meta["Regel"] == "alle" and meta["Datasæt-version"]

    # the findings export: Danish headers, a formula-looking value escaped with an apostrophe
    findings_xlsx = openpyxl.load_workbook(io.BytesIO(download(at, media, "kv_fund_xlsx")))
    sheet = findings_xlsx["Opmærkninger"]
    header = [c.value for c in sheet[1]]
    assert header == ["Regel", "Alvor", "Tabel", "Nøgle", "Borger-id", "Besked"]
    values = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    text = download(at, media, "kv_fund_csv").decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert parsed[0] == ["Regel", "Alvor", "Tabel", "Nøgle", "Borger-id", "Besked"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in parsed for cell in row)
    assert "'=1+2" in [row[3] for row in parsed]          # the ydelse_id '=1+2' as noegle, escaped
    assert "'=1+2" in [row[3] for row in findings_xlsx["Opmærkninger"].iter_rows(values_only=True)]


def test_export_is_logged(page_data, media):
    from data_model.db import engine_for
    from workbench.lager import accesslog

    at = set_date(run_page(), "2023-07-01")
    at.download_button(key="kv_overlap_csv").click().run()
    assert not at.exception
    log = accesslog.entries(engine_for(page_data), handling="eksport")
    assert log.height == 1
    assert "P" in log["borger_ids"][0] and "X" in log["borger_ids"][0] and "overlappende_ydelser.csv" in log["detalje"][0]


def test_filters_narrow_the_drill_down(page_data, media):
    at = set_date(run_page(), "2023-07-01")
    at.multiselect(key="kv_regel").set_value(["SEL85_SEL107"]).run()
    pairs = next(df.value for df in at.dataframe if "Overlapdage" in df.value.columns)
    assert list(pairs["Borger-id"]) == ["X"]
    at.multiselect(key="kv_regel").set_value([]).run()
    at.multiselect(key="kv_paragraf").set_value(["ABL §105/SEL §85"]).run()
    pairs = next(df.value for df in at.dataframe if "Overlapdage" in df.value.columns)
    assert list(pairs["Borger-id"]) == ["P"]


def test_role_without_export_sees_no_download(page_data, media, monkeypatch):
    from workbench.regler import access

    monkeypatch.setattr(access, "can", lambda p, cap: cap != "eksport")
    at = set_date(run_page(), "2023-07-01")
    assert len(at.download_button) == 0


def test_no_findings_and_no_betalinger(borger_x_dir, media, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(borger_x_dir))
    at = set_date(run_page(), "2023-07-01")
    successes = [s.value for s in at.success]
    assert any("Ingen overlappende ydelser pr. 01-07-2023" in s for s in successes)
    assert any("Ingen opmærkninger" in s for s in successes)
    assert any("ingen betalinger" in i.value for i in at.info)


def test_demo_page_runs(demo_env, media):
    at = run_page()
    assert at.title[0].value == "Kvalitet"
    assert len(at.download_button) >= 2
    wb = openpyxl.load_workbook(io.BytesIO(download(at, media, "kv_overlap_xlsx")))
    assert wb["Overlap"].max_row > 1
