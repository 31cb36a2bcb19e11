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


FANER = ["Overlappende ydelser", "Øvrige opmærkninger", "8-talskontrol og databrud"]


def fane(at: AppTest, label: str) -> AppTest:
    """Open a tab as a click does: the tabs are lazy (only the open one is laid out), so a click reruns."""
    at.session_state["kv_fane"] = label
    at.run()
    assert not at.exception
    return at


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
    # the closed tabs are not laid out (nor sent to the browser) until opened
    assert not any(m.value.startswith("#### ") for m in at.markdown)
    assert not [df for df in dfs if "Borgere i betalinger" in df.columns]
    # other rules grouped by severity, with Danish messages
    dfs = frames(fane(at, FANER[1]))
    headings = [m.value for m in at.markdown]
    assert any(h.startswith("#### Fejl") for h in headings) and any(h.startswith("#### Advarsel") for h in headings)
    assert not [df for df in dfs if "Overlapdage" in df.columns]
    examples = [df for df in dfs if list(df.columns) == ["Tabel", "Nøgle", "Besked"]]
    messages = [b for df in examples for b in df["Besked"]]
    assert any("findes ikke i FFB-kodelisterne" in m for m in messages)
    assert any("999" in m and "tilbudslisten" in m for m in messages)
    # 8-talskontrol: X's §85 matches its payments month by month
    dfs = frames(fane(at, FANER[2]))
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
    fane(at, FANER[1])
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


def test_long_tables_show_first_rows_and_all_on_request(page_data, media, monkeypatch):
    """A long table shows its first rows and 'Vis alle N rækker' (the browser draws every row it is sent);
    the toggle shows every row, the same rows as before."""
    from workbench.ui import widgets

    at = set_date(run_page(), "2023-07-01")
    alle = next(df.value for df in at.dataframe if "Overlapdage" in df.value.columns)
    assert len(alle) == 2 and not [t for t in at.toggle if t.key == "kv_alle_par"]
    monkeypatch.setattr(widgets, "FOERSTE_RAEKKER", 1)
    at.run()
    first = next(df.value for df in at.dataframe if "Overlapdage" in df.value.columns)
    assert first.equals(alle.head(1))
    toggle = at.toggle(key="kv_alle_par")
    assert toggle.label == "Vis alle 2 rækker" and not toggle.value
    assert any(c.value == "Viser de første 1 af 2 rækker." for c in at.caption)
    toggle.set_value(True).run()
    shown = next(df.value for df in at.dataframe if "Overlapdage" in df.value.columns)
    assert shown.equals(alle)


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
    assert any("Ingen overlappende ydelser pr. 01-07-2023" in s.value for s in at.success)
    assert any("Ingen opmærkninger" in s.value for s in fane(at, FANER[1]).success)
    assert any("ingen betalinger" in i.value for i in fane(at, FANER[2]).info)


def test_demo_page_runs(demo_env, media):
    at = run_page()
    assert at.title[0].value == "Kvalitet"
    assert len(at.download_button) >= 2
    wb = openpyxl.load_workbook(io.BytesIO(download(at, media, "kv_overlap_xlsx")))
    assert wb["Overlap"].max_row > 1


@pytest.fixture
def ottetal_data(page_data) -> Path:
    """page_data plus payments that give every 8-talskontrol rule: P's §85 Jan-Mar unpaid (ydelse uden
    betaling), P's February paid under §108 (forkert paragraf: 2.500 kr.), X paid under §85 in
    December 2022 before its §85 starts (uden for perioden: 1.000 kr.), X paid under §104 in March
    (betaling uden ydelse: 2.000 kr.); X's June pays 4.800 kr. for one day of §85 (beløb afviger)."""
    extra = [["P", "SEL §108", "2023-02", "2500"], ["X", "SEL §85", "2022-12", "1000"],
             ["X", "SEL §104", "2023-03", "2000"]]
    rows = list(csv.reader(io.StringIO((page_data / "betalinger.csv").read_text(encoding="utf-8"))))
    _write(page_data / "betalinger.csv", rows[1:] + extra, rows[0])
    return page_data


def _kr(v: float) -> str:
    return f"{round(v):,}".replace(",", ".")


def test_ottetal_findings_carry_kroner_column_and_total_per_rule(ottetal_data, media):
    """Issue 22 item 2: the 8-talskontrol findings show their kroner at stake (from the rule,
    reconcile.mismatches, not the message) in their own column, Danish number format, and the sum per rule."""
    import datetime as dt

    import polars as pl

    from workbench.data.dataset import open_dataset
    from workbench.regler import reconcile
    from workbench.regler.kvalitet import load_quality_config

    titel = {r: load_quality_config().rules[r].titel for r in reconcile.FINDING_RULES}
    want = reconcile.mismatches(open_dataset(ottetal_data), dt.date(2023, 7, 1)).collect()
    assert set(want["regel"]) == set(reconcile.FINDING_RULES)  # the fixture gives every rule
    # hand-computed: X's June (4.800 paid, 1 of 30 days = 160 expected) and the §108 kontering error
    assert want.filter(pl.col("regel") == "beloeb_afviger")["kroner"].to_list() == [4640.0]
    assert want.filter(pl.col("regel") == "forkert_paragraf").select("noegle", "kroner").rows() == [
        ("P|SEL §85|2023-02", 2500.0)]

    at = fane(set_date(run_page(), "2023-07-01"), FANER[2])
    dfs = frames(at)
    per_rule = next(df for df in dfs if "Kroner i alt" in df.columns)
    sums = want.group_by("regel").agg(pl.col("kroner").sum(), pl.len().alias("n"))
    expected = {titel[r]: (str(n), _kr(k)) for r, k, n in sums.select("regel", "kroner", "n").rows()}
    assert {r: (f, k) for r, f, k in zip(per_rule["Regel"], per_rule["Fund"], per_rule["Kroner i alt"])} == expected
    assert list(per_rule["Regel"]) == [titel[r] for r in reconcile.FINDING_RULES if titel[r] in expected]
    assert expected[titel["ydelse_uden_betaling"]] == ("2", "7.300")  # P's January and March, 3.650 each

    table = next(df for df in dfs if "Kroner" in df.columns and "Besked" in df.columns)
    assert table.shape[0] == want.height
    got = {(titel_, b, m, k) for titel_, b, m, k in zip(table["Regel"], table["Borger-id"], table["Måned"],
                                                         table["Kroner"])}
    maaned = {"2022-12": "dec. 2022", "2023-01": "jan. 2023", "2023-02": "feb. 2023", "2023-03": "mar. 2023",
              "2023-06": "jun. 2023"}
    assert got == {(titel[r], b, maaned[m], _kr(k)) for r, b, m, k in
                   want.select("regel", "borger_id", "maaned", "kroner").rows()}
    assert (titel["beloeb_afviger"], "X", "jun. 2023", "4.640") in got
    assert not at.exception


def test_ottetal_kroner_suppressed_without_borgerliste(ottetal_data, media, monkeypatch):
    """A role without the borger list (none ships with Kvalitet; a kommune may configure one) sees the
    totals per rule only, through regler.suppression: kroner and fund hidden ('x') beside 1..4
    borgere, and no list of findings."""
    from workbench.regler import access

    real = access.can
    monkeypatch.setattr(access, "can", lambda p, cap: cap != "borgerliste" and real(p, cap))
    at = fane(set_date(run_page(), "2023-07-01"), FANER[2])
    dfs = frames(at)
    per_rule = next(df for df in dfs if "Kroner i alt" in df.columns)
    assert len(per_rule) == 5
    assert set(per_rule["Kroner i alt"]) == {"x"} and set(per_rule["Borgere"]) == {"<5"}
    assert set(per_rule["Fund"]) == {"x"}
    assert not [df for df in dfs if "Kroner" in df.columns and "Besked" in df.columns]


def test_ottetal_view_suppression_keeps_large_rules():
    """sider.kvalitet.OttetalFund.pr_regel_tabel: a rule with 5+ borgere keeps its numbers (Danish
    format), one with 1..4 is hidden; exact for a role with the borger list."""
    import polars as pl

    from workbench.regler import suppression
    from workbench.regler.kvalitet import load_quality_config
    from workbench.sider.kvalitet import ottetal_fund

    rows = [{"regel": "ydelse_uden_betaling", "alvor": "advarsel", "tabel": "ydelser",
             "noegle": f"B{i}|SEL §85|2023-01", "borger_id": f"B{i}", "besked": "…", "kroner": 1234.4}
            for i in range(6)]
    rows.append({"regel": "beloeb_afviger", "alvor": "advarsel", "tabel": "betalinger",
                 "noegle": "B0|SEL §85|2023-02", "borger_id": "B0", "besked": "…", "kroner": 999.6})
    rows.append({"regel": "dublet", "alvor": "advarsel", "tabel": "ydelser", "noegle": "Y", "borger_id": "B0",
                 "besked": "…", "kroner": None})
    o = ottetal_fund(pl.DataFrame(rows), load_quality_config())
    assert o.fund.height == 7 and o.pr_regel["regel"].to_list() == ["ydelse_uden_betaling", "beloeb_afviger"]
    hidden = o.pr_regel_tabel(suppression.suppressed(5))
    assert hidden.rows() == [(o.pr_regel["titel"][0], "6", "6", "7.406"), (o.pr_regel["titel"][1], "x", "<5", "x")]
    exact = o.pr_regel_tabel(suppression.exact())
    assert exact["Kroner i alt"].to_list() == ["7.406", "1.000"] and exact["Borgere"].to_list() == ["6", "1"]
    assert o.fund_tabel()["Kroner"].to_list()[:1] == ["1.234"]
