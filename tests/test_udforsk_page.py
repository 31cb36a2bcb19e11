"""AppTest for sidefiler/udforsk.py on the kommune demo dataset."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from workbench.sider import udforsk as E
from workbench.data.dataset import open_dataset
from workbench.regler.filters import Filters

from tests.helpers import run_page, served

PAGE = str(Path(__file__).resolve().parents[1] / "sidefiler" / "udforsk.py")
UT = "Varetage egen sundhed"


def run(params: dict | None = None) -> AppTest:
    return run_page(PAGE, params)


def table(at: AppTest) -> pl.DataFrame:
    """The crosstab (the first dataframe on the page)."""
    return pl.from_pandas(at.dataframe[0].value)


def multiselect(at: AppTest, key: str):
    return next(w for w in at.multiselect if w.key == key)


def test_renders_with_defaults(demo_env):
    at = run()
    assert at.title[0].value == "Udforsk"
    df = table(at)
    assert df.columns == ["Kommune", "Antal borgere"]
    assert df["Kommune"].to_list()[-1] == "I alt"
    total = int(df["Antal borgere"].to_list()[-1].replace(".", ""))
    assert total > 100
    # admin may see the borger list: exact numbers on screen, and the page says so
    assert any("Tallene vises præcist" in c.value for c in at.caption)


def test_filter_changes_the_table(demo_env):
    at = run({"raekker": "paragraf"})
    before = table(at)
    multiselect(at, "fp_paragraffer").set_value(["SEL §108"]).run()
    assert not at.exception
    after = table(at)
    assert after["Paragraf"].to_list() == ["SEL §108", "I alt"]
    # the paragraf's DST ydelseskode and konto beside it (issue 11 item 8)
    assert after.row(0, named=True)["DST-ydelseskode"] == "1.8.1" and after.row(0, named=True)["Konto"] == "5.38.50"
    assert after["Antal borgere"][0] == before.filter(pl.col("Paragraf") == "SEL §108")["Antal borgere"].item()
    assert at.query_params["paragraf"] in ("SEL §108", ["SEL §108"])


def test_deep_link_answers_the_done_question(demo_env):
    """Primary målgruppe category Sindslidelse, §108, niveau 3 in Varetage egen sundhed, per kommune."""
    params = {"kategori": "Sindslidelse", "paragraf": "SEL §108", "undertema": UT, "niveau": "3",
              "paa": "2025-06-30", "raekker": "kommune"}
    at = run(params)
    ds = open_dataset(demo_env)
    f = Filters.from_query_params({k: v for k, v in params.items() if k != "raekker"})[0]
    ct = E.crosstab(ds, f, "kommune", None, "borgere")
    from workbench.regler import suppression

    expected = E.suppressed_table(ct, visning=suppression.exact())  # admin: exact numbers on screen
    shown = table(at)
    assert shown.rows() == expected.rows()
    assert multiselect(at, "fp_kategorier").value == ["Sindslidelse"]
    assert multiselect(at, "fp_niveauer").value == ["3"]


def test_analytiker_sees_the_suppressed_table(demo_env, monkeypatch):
    """Issue 11 item 9: analytiker (no borger list) sees the suppressed crosstab; admin the exact one."""
    from workbench.regler import suppression

    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    params = {"paragraf": "SEL §108", "paa": "2025-06-30", "raekker": "kommune", "kommunetype": "betaling"}
    at = run(params)
    assert any("Diskretionering" in c.value for c in at.caption)
    shown = table(at)
    assert "<5" in shown["Antal borgere"].to_list()
    for v in shown["Antal borgere"].to_list():
        assert v in ("<5", "x") or int(v.replace(".", "")) >= 5


def test_malformed_params_warn_in_danish(demo_env):
    at = run({"paragraf": "§999", "foo": "bar", "paa": "32-13-2024", "raekker": "skostørrelse"})
    texts = " ".join(w.value for w in at.warning)
    assert "Ukendt værdi for 'paragraf'" in texts
    assert "Ukendt parameter 'foo'" in texts
    assert "Ugyldig dato" in texts
    assert "raekker" in texts
    assert "foo" not in at.query_params  # dropped from the URL


def test_export_button_gives_readable_xlsx(demo_env, media):
    at = run({"raekker": "paragraf", "kolonner": "koen"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Eksportér til Excel" in labels and "Eksportér til CSV" in labels
    # the files are built when clicked (deferred), as the server serves them
    wb = openpyxl.load_workbook(io.BytesIO(served(at.download_button(key="udforsk_xlsx"), media)))
    assert wb.sheetnames == ["Krydstabel", "Filtre"]
    ws = wb["Krydstabel"]
    header = [c.value for c in ws[1]]
    assert header[0] == "Paragraf" and header[-1] == "I alt" and "Kvinde" in header
    meta = {r[0]: r[1] for r in wb["Filtre"].iter_rows(min_row=2, values_only=True)}
    assert meta["Rækker"] == "Paragraf" and meta["Kolonner"] == "Køn" and meta["Dataversion"]
    assert meta["Periode"]
    shown = table(at)
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "I alt"
    assert int(last[-1]) == int(shown["I alt"].to_list()[-1].replace(".", ""))
    csv = served(at.download_button(key="udforsk_csv"), media).decode("utf-8-sig").splitlines()
    assert csv[0].startswith("Paragraf;") and csv[-1].startswith("I alt;")


def test_borger_list_and_links(demo_env):
    at = run({"raekker": "paragraf", "paragraf": "SEL §108"})
    next(t for t in at.toggle if t.key == "udforsk_vis_liste").set_value(True).run()
    assert not at.exception
    lst = pl.from_pandas(at.dataframe[-1].value)
    assert lst.height > 0
    assert lst["link"].str.starts_with("borger?borger=").all()


def test_no_borger_list_without_the_capability(demo_env, monkeypatch):
    from workbench.regler import access

    real = access.can
    monkeypatch.setattr(access, "can", lambda p, cap: False if cap == "borgerliste" else real(p, cap))
    at = run({"raekker": "paragraf"})
    assert not any(t.key == "udforsk_vis_liste" for t in at.toggle)
    assert any("ikke til lister over borgere" in i.value for i in at.info)


def test_no_export_without_the_capability(demo_env, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_USER", "udfoerer")  # udfører: borgerliste, no eksport
    at = run({"raekker": "paragraf"})
    assert at.title[0].value == "Udforsk"
    assert not [b for b in at.get("download_button") if "Eksportér" in b.proto.label]


def test_reset_button_clears_filters_and_url(demo_env):
    at = run({"raekker": "paragraf", "paragraf": "SEL §108", "koen": "K"})
    assert table(at)["Paragraf"].to_list() == ["SEL §108", "I alt"]
    assert at.query_params["paragraf"] in ("SEL §108", ["SEL §108"])  # the URL is a bookmark again
    next(b for b in at.button if b.key == "ffb_nulstil_filtre").click().run()
    assert not at.exception
    assert "paragraf" not in at.query_params and "koen" not in at.query_params
    assert at.query_params["raekker"] in ("paragraf", ["paragraf"])
    assert len(table(at)) > 2
    assert multiselect(at, "fp_paragraffer").value == []


def test_filters_survive_page_switch_in_session(demo_env):
    """Switching page drops the query parameters; the canonical session state restores them."""
    at = run({"raekker": "paragraf", "paragraf": "SEL §108"})
    at.query_params.clear()
    at.run()
    assert not at.exception
    assert multiselect(at, "fp_paragraffer").value == ["SEL §108"]
    assert table(at)["Paragraf"].to_list() == ["SEL §108", "I alt"]
    assert at.query_params["paragraf"] in ("SEL §108", ["SEL §108"])  # the URL is a bookmark again


def test_vurderet_inden_for_filter_in_panel_and_url(demo_env):
    """Issue 11 item 3: 'vurderet inden for de seneste N måneder' in the filter panel and the URL;
    stale niveauer move to Ikke vurderet in the distribution."""
    at = run({"undertema": UT})
    box = next(w for w in at.selectbox if w.key == "fp_vurderet_maaneder")
    assert box.value is None
    box.set_value(6).run()
    assert not at.exception
    assert at.query_params["vurderet"] in ("6", ["6"])
    assert any("de seneste 6 måneder" in c.value for c in at.caption)
    # a bookmark restores it
    at2 = run({"undertema": UT, "vurderet": "12"})
    assert next(w for w in at2.selectbox if w.key == "fp_vurderet_maaneder").value == 12
