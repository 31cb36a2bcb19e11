"""AppTest for sidefiler/import.py (issue 12), including the done-when check: the kommune demo exported to a
Nexus-like dialect with renamed columns and 1 % broken rows, imported through the suggested mapping
(corrected in the page, saved), reproduces the demo minus exactly the broken rows, each in quarantine;
a rollback restores the previous numbers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from data_model.contract import TABLES
from tests.nexus import NEEDS_CORRECTION, nexus_export
from workbench.data import importer
from workbench.cli import main
from workbench.data.dataset import ROW, open_dataset

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "sidefiler" / "import.py")
TIMEOUT = 240


def page(uploads: list[tuple[str, bytes]] | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    if uploads is not None:
        at.session_state["imp_upload"] = uploads
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def by_label(elements, start: str):
    found = [w for w in elements if w.label.startswith(start)]
    assert found, f"no widget labelled {start!r}: {[w.label for w in elements][:40]}"
    return found[0]


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success")
                     for e in getattr(at, kind))


def overblik_metrics() -> dict[str, str]:
    at = AppTest.from_file(str(ROOT / "sidefiler" / "overblik.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return {m.label: m.value for m in at.metric}


def optaelling_csv(data: Path, capsys) -> str:
    capsys.readouterr()
    assert main(["optaelling", str(data), "--fra", "2024-01", "--til", "2026-10", "--format", "csv"]) == 0
    return capsys.readouterr().out


@pytest.fixture
def data_env(borger_x_dir, tmp_path, monkeypatch) -> Path:
    data = tmp_path / "data"
    importer.import_dataset(borger_x_dir, data)
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(data))
    return data


def test_page_refused_for_roles_without_import(data_env, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert "Du har ikke adgang" in texts(at)


def test_page_on_demo_data_does_not_offer_import(monkeypatch, demo_kommune):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(demo_kommune))
    at = page([("borgere.csv", b"borger_id,foedselsdato,handlekommune\nX,1990-01-01,0250\n")])
    assert "datasæt-mappe, ikke en data-mappe" in texts(at)
    assert at.button(key="imp_koer").disabled


def test_page_shows_dialect_table_and_suggestions(data_env, borger_x_dir):
    text = (borger_x_dir / "ydelser.csv").read_text().replace("ydelse_id,", "Ydelse ID,").replace(
        ",startdato,", ",Start dato,").replace(",paragraf,", ",Lovgrundlag,")
    others = [(f.name, f.read_bytes()) for f in sorted(borger_x_dir.glob("*.csv")) if f.name != "ydelser.csv"]
    at = page([("Cura eksport ydelser.csv", text.replace(",", ";").encode("cp1252")), *others])
    assert by_label(at.selectbox, "Tabel for Cura eksport ydelser.csv").value == "ydelser"
    t = texts(at)
    assert "tegnsæt: cp1252" in t and "separator: semikolon (;)" in t and "datoformat: YYYY-MM-DD" in t
    assert by_label(at.selectbox, "ydelse_id · samme navn").value == "ydelse_id"
    assert by_label(at.selectbox, "start_dato · kendt alias").value == "startdato"
    assert by_label(at.selectbox, "lovgrundlag · kendt alias").value == "paragraf"
    assert "De første rækker, som de lander" in t
    # a dry run writes nothing and reports read = accepted + rejected
    before = importer.list_versions(data_env)
    at.button(key="imp_toer").click()
    rerun(at)
    assert "Tørkørsel: intet er skrevet." in texts(at)
    assert "Læst 15 rækker = 15 accepteret + 0 afvist." in texts(at)
    at.radio(key="imp_upload_type").set_value("En hel mappe")
    rerun(at)  # folder upload mode renders (the staged files stay until new ones are uploaded)
    assert importer.list_versions(data_env) == before


@pytest.mark.slow
def test_done_when_nexus_export_round_trip_and_rollback(demo_kommune, tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    v1 = importer.import_dataset(demo_kommune, data).version
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(data))
    before_metrics = overblik_metrics()
    before_counts = optaelling_csv(data, capsys)

    nexus = tmp_path / "nexus"
    broken = nexus_export(demo_kommune, nexus, broken_every=100)
    assert sum(len(v) for v in broken.values()) > 50
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(nexus.iterdir()):
            zf.writestr(f"udtraek/{f.name}", f.read_bytes())
    at = page([("nexus_oktober.zip", buf.getvalue())])
    t = texts(at)
    assert "tegnsæt: cp1252" in t and "decimaltegn: komma" in t and "datoformat: DD-MM-YYYY" in t
    # the suggestion leaves 'Bevilget' unmatched; the user corrects it in the page
    assert "Umatchede kolonner (beholdes som ekstra kolonner): bevilget" in t
    for table, fixes in NEEDS_CORRECTION.items():
        for src, target in fixes.items():
            by_label(at.selectbox, f"{importer.normalise_column(src)} · ").set_value(target)
    rerun(at)
    assert "Umatchede kolonner" not in texts(at)
    # value suggestions: short forms and Ja/Nej are proposed, not left to reject
    assert by_label(at.selectbox, "stoettebehov: 'Let'").value == "Let støttebehov"
    assert by_label(at.selectbox, "primaer: 'Ja'").value == "true"
    at.text_input(key="imp_navn").input("Nexus månedlig")
    at.button(key="imp_gem").click()
    rerun(at)
    assert "Mapningen 'Nexus månedlig' er gemt." in texts(at)
    at.button(key="imp_koer").click()
    rerun(at)
    assert not at.error, [e.value for e in at.error]
    v2 = importer.current_version(data)
    assert v2 != v1 and f"Version {v2} er importeret" in texts(at)

    # the demo minus exactly the broken rows; each broken row in quarantine with its row number
    src, got = open_dataset(demo_kommune), open_dataset(data)
    report = {t["tabel"]: t for t in importer.version_report(data, v2)["tabeller"]}
    for name in src.files:
        rows = broken.get(name, [])
        expected = src.tables[name].collect().with_row_index("__i").filter(~pl.col("__i").is_in(rows)).drop("__i")
        actual = got.tables[name].collect()
        assert actual.columns == expected.columns, name
        assert actual.equals(expected), name
        assert report[name]["laest"] == report[name]["accepteret"] + report[name]["afvist"]
        assert report[name]["afvist"] == len(rows), name
        if rows:
            q = pl.read_csv(data / "versions" / v2 / "karantaene" / f"{name}.csv", infer_schema=False)
            assert q[ROW].cast(pl.Int64).to_list() == [r + 2 for r in rows], name
            assert q["fejl"].str.contains("ugyldig værdi '31-02-2023'").all(), name
    # the quarantine download lists the same rows
    q_all = importer.quarantine_frame(importer.read_quarantine(data / "versions" / v2))
    assert q_all.height == sum(len(v) for v in broken.values())
    assert at.get("download_button")  # CSV/Excel offered on the page
    after_metrics = overblik_metrics()
    assert after_metrics != before_metrics  # the dropped rows change the numbers

    # history on the page, rollback from the page restores the previous numbers
    at.selectbox(key="imp_rul_version").set_value(v1)
    at.button(key="imp_rul").click()
    rerun(at)
    assert importer.current_version(data) == v1
    assert overblik_metrics() == before_metrics
    assert optaelling_csv(data, capsys) == before_counts
    from data_model.db import engine_for
    from workbench.lager import accesslog

    handlinger = accesslog.entries(engine_for(data))["handling"].to_list()
    assert "import" in handlinger and "rul_tilbage" in handlinger

    # next month: the saved mapping fills in the correction by itself
    at2 = page([("nexus_november.zip", buf.getvalue())])
    at2.selectbox(key="imp_mapning").set_value("Nexus månedlig")
    rerun(at2)
    assert by_label(at2.selectbox, "bevilget · ").value == "bevillingsdato"
    assert "Umatchede kolonner" not in texts(at2)


def test_page_asks_for_confirmation_over_the_rejection_threshold(data_env, borger_x_dir):
    lines = ["ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato"]
    lines += [f"Y{i},X,§85,Støtte,{'31-02-2023' if i < 10 else '2023-02-01'}," for i in range(100)]
    others = [(f.name, f.read_bytes()) for f in sorted(borger_x_dir.glob("*.csv")) if f.name != "ydelser.csv"]
    at = page([("ydelser.csv", ("\n".join(lines) + "\n").encode()), *others])
    before = importer.list_versions(data_env)
    at.button(key="imp_koer").click()
    rerun(at)
    assert "Importen er afvist, intet er ændret" in texts(at) and "ydelser (10,0 %)" in texts(at)
    assert importer.list_versions(data_env) == before
    at.checkbox(key="imp_accepter").check()
    at.button(key="imp_koer").click()
    rerun(at)
    assert len(importer.list_versions(data_env)) == len(before) + 1
    assert "Læst 114 rækker = 104 accepteret + 10 afvist." in texts(at)
    assert "Karantæne** (10 rækker)" in texts(at)
