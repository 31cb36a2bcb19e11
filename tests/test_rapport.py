"""Statusrapport: numbers equal the Økonomi page's functions, empty period, valid PDF, config
validation, the CLI's bad input (exit 2, one line), cron-safety (no streamlit) and the report archive."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.sider import oekonomi, rapport, resultater
from workbench.lager import rapportarkiv
from workbench.cli import main
from workbench.data.config import ConfigError
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.format.output import dansk_tal

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(demo_kommune):
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    r = rapport.build(ds, "administrativ", "2025", paa)
    return ds, paa, r


def test_report_numbers_equal_page_functions(built):
    ds, paa, r = built
    page = oekonomi.side(ds, oekonomi.parse_periode("2025"), paa)  # what the Økonomi page shows
    s = {x.noegle: x for x in r.sektioner}
    assert_frame_equal(s["udgift"].data["enhedsudgift"], page.enhedsudgift)
    assert_frame_equal(s["udgift"].data["tilbudstype"], page.tilbudstype)
    assert_frame_equal(s["udgift"].data["pr_maaned"], page.pr_maaned)
    assert_frame_equal(s["antal"].data["enhedsudgift"], page.enhedsudgift)
    assert_frame_equal(s["budget"].data["budget"], page.budget.tabel)
    assert_frame_equal(s["sammenligning"].data["sammenligning"], page.sammenligning)
    # and the rendered report prints those numbers
    html = rapport.render_html(r)
    assert f"Samlet udgift i perioden: {dansk_tal(page.enhedsudgift['udgift'].sum())} kr." in html
    big = page.enhedsudgift.filter(pl.col("borgere") >= 5).row(0, named=True)
    assert dansk_tal(big["udgift"]) in html and dansk_tal(big["kr_pr_helaarsperson"]) in html
    over = page.budget.tabel.filter(pl.col("status") == "Over budget")["paragraf"].to_list()
    assert over == ["SEL §107"] and "Over budget (prognose over 110 % af budgettet): SEL §107." in html


def test_levels_follow_config(built):
    ds, paa, _ = built
    cfg = rapport.load_rapport_config()
    for niveau in rapport.NIVEAUER:
        r = rapport.build(ds, niveau, "2025-03", paa, cfg=cfg)
        assert tuple(s.noegle for s in r.sektioner) == cfg.niveauer[niveau][1]
    # the resultater section is the Resultater page's function for the same period (one owner)
    r = rapport.build(ds, "politisk", "2025", paa, cfg=cfg)
    res = [s for s in r.sektioner if s.noegle == "resultater"]
    assert len(res) == 1
    page = resultater.resultater(ds, "paragraf", dt.date(2025, 1, 1), dt.date(2025, 12, 31)).collect()
    assert page.height and res[0].data["resultater"].equals(page)
    assert res[0].tabeller[0].vist["Paragraf"].to_list() == page["gruppe"].to_list()


def test_kommune_filter_and_unknown_kommune(built):
    ds, paa, _ = built
    r = rapport.build(ds, "politisk", "2025", paa, kommune="0250")
    assert r.kommune_navn.startswith("0250") and not r.tom
    with pytest.raises(ValueError, match="ukendt kommune '0101'"):
        rapport.build(ds, "politisk", "2025", paa, kommune="0101")


def test_empty_period_says_so(built):
    ds, paa, _ = built
    r = rapport.build(ds, "drift", "2010-03", paa)  # before any ydelse
    assert r.tom and all(s.noter == ("Ingen data i perioden.",) for s in r.sektioner)
    assert "Perioden indeholder ingen data." in rapport.render_html(r)
    future = rapport.build(ds, "politisk", "2030", paa)
    assert future.tom


def test_pdf_is_valid_and_carries_the_period(built):
    from pypdf import PdfReader

    _, _, r = built
    pdf = rapport.to_pdf(r)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    text = reader.pages[0].extract_text()
    assert "2025" in text and "Statusrapport" in text and "Udtræksdato" in text
    assert "31-10-2026" in text  # udtraeksdato, Danish date format
    assert "Side 1 af" in text  # page numbers
    assert "SEL §107" in "".join(p.extract_text() for p in reader.pages)


def test_config_validation(tmp_path):
    (tmp_path / "rapporter.yaml").write_text(
        "niveauer:\n  politisk: {sektioner: [antal, lommeregner]}\n  administrativ: {sektioner: []}\n"
        "  drift: {sektioner: []}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ukendt sektion 'lommeregner'"):
        rapport.load_rapport_config(tmp_path)
    (tmp_path / "rapporter.yaml").write_text("niveauer:\n  politisk: {sektioner: []}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="administrativ"):
        rapport.load_rapport_config(tmp_path)


@pytest.mark.parametrize("args, message", [
    (["--periode", "2025-13"], "ugyldig periode '2025-13'"),
    (["--periode", "25"], "ugyldig periode '25'"),
    (["--periode", "2025", "--kommune", "9999"], "ukendt kommune '9999'"),
    (["--periode", "2025", "--kommune", "abc"], "ukendt kommune 'abc'"),
    (["--periode", "2025", "--niveau", "borgmester"], "ugyldigt valg 'borgmester'"),
])
def test_cli_bad_input_exit_2_one_line(demo_kommune, tmp_path, capsys, args, message):
    argv = ["rapport", str(demo_kommune), "--out", str(tmp_path / "r.pdf")] + args
    if "--niveau" not in args:
        argv += ["--niveau", "politisk"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.pdf").exists()


def test_cli_writes_html_and_pdf(demo_kommune, tmp_path):
    assert main(["rapport", str(demo_kommune), "--periode", "2025-06", "--niveau", "drift",
                 "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "juni 2025" in html and "<svg" in html
    assert main(["rapport", str(demo_kommune), "--periode", "2025", "--niveau", "politisk", "--kommune", "0250",
                 "--out", str(tmp_path / "r.pdf")]) == 0
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"


def test_report_command_is_cron_safe():
    code = ("import sys, workbench.cli, workbench.commands.rapport, workbench.sider.rapport, workbench.sider.oekonomi, "
            "workbench.format.udskrift; sys.exit(1 if 'streamlit' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_archive_stores_data_version(tmp_path):
    from data_model.db import get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    row = rapportarkiv.gem(engine, bruger="admin", niveau="politisk", periode="2025", kommune="0250",
                           paa=dt.date(2026, 10, 31), datasaet_version="abc123", datasaet_sti="/x", fmt="pdf",
                           indhold=b"%PDF-1")
    listed = rapportarkiv.liste(engine)
    assert listed["id"].to_list() == [row.id]
    assert listed.row(0, named=True)["datasaet_version"] == "abc123"
    assert rapportarkiv.hent(engine, row.id).paa == dt.date(2026, 10, 31)


def test_tilsyn_section_from_stored_audits(built, tmp_path):
    from data_model.db import get_engine
    from workbench.lager import tilsyn_store

    ds, paa, _ = built
    engine = get_engine(f"sqlite:///{tmp_path / 't.sqlite'}")
    r = rapport.build(ds, "drift", "2025", paa, engine=engine)
    s = next(x for x in r.sektioner if x.noegle == "tilsyn")
    assert s.noter == ("Der er ingen gemte ledelsestilsyn.",)
    sample = pl.DataFrame({"sagsbehandler": ["SB01", "SB02"], "borger_id": ["B1", "B2"], "team": ["T", "T"]})
    tilsyn_store.create(engine, sample, pr="sagsbehandler", antal=1, seed=7, paa=paa, auditor="a", leder="l",
                        af="admin", titel="Tilsyn Q4")
    r = rapport.build(ds, "drift", "2025", paa, engine=engine)
    s = next(x for x in r.sektioner if x.noegle == "tilsyn")
    row = s.data["tilsyn"].row(0, named=True)
    assert (row["titel"], row["status"], row["sager"]) == ("Tilsyn Q4", tilsyn_store.I_GANG, 2)
    assert "Tilsyn Q4" in rapport.render_html(r)
    # the report is suppressed like every count in it (issue 23): 2 sager read '<5', no answers 0
    shown = s.tabeller[0].vist.row(0, named=True)
    assert (shown["Sager"], shown["Svar"]) == ("<5", "0")


def html_tables(html: str) -> dict[str, list[dict[str, str]]]:
    """Every <h3>title</h3><table> of the rendered report, read back as rows of header -> cell text."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.title, self.rows, self.cell, self.in_h3 = {}, None, None, None, False

        def handle_starttag(self, tag, attrs):
            if tag == "h3":
                self.in_h3, self.title = True, ""
            elif tag == "table" and self.title is not None:
                self.rows = []
            elif tag == "tr" and self.rows is not None:
                self.rows.append([])
            elif tag in ("td", "th") and self.rows is not None:
                self.cell = ""

        def handle_endtag(self, tag):
            if tag == "h3":
                self.in_h3 = False
            elif tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(self.cell)
                self.cell = None
            elif tag == "table" and self.rows is not None:
                head, *body = self.rows
                self.tables[self.title] = [dict(zip(head, r)) for r in body]
                self.rows, self.title = None, None

        def handle_data(self, data):
            if self.in_h3:
                self.title += data
            elif self.cell is not None:
                self.cell += data

    r = Reader()
    r.feed(html)
    return r.tables


def _published(v: float, g: int = 5) -> str:
    return f"<{g}" if 0 < v < g else dansk_tal(v)


def test_drift_report_per_tilbud_equals_tilbud_page(built):
    """Issue 22 item 3: the drift report's belægning, tilgang and afgang per tilbud, read back from the
    HTML, are the Tilbud page's belægning view (workbench.sider.tilbud.belaegning) for the same month;
    a tilbud with 1..4 borgere shows '<5' with helårspersoner and belægningsgrad hidden ('x')."""
    from workbench.sider import tilbud

    ds, paa, _ = built
    r = rapport.build(ds, "drift", "2025-03", paa)
    assert "tilbud" in [s.noegle for s in r.sektioner]
    rows = html_tables(rapport.render_html(r))["Belægning, tilgang og afgang pr. tilbud"]
    assert len(rows) >= 10
    shown, hidden = 0, 0
    for row in rows:
        tid = row["Tilbud"].rsplit("(", 1)[1].rstrip(")")
        h = tilbud.header(ds, tid)
        page = tilbud.belaegning(ds, tid, dt.date(2025, 3, 1), dt.date(2025, 3, 1), paa, h.pladser).collect()
        m = page.row(0, named=True)
        assert row["Tilbud"] == f"{h.navn} ({tid})" and row["Pladser"] == dansk_tal(h.pladser)
        assert (row["Borgere"], row["Tilgang"], row["Afgang"]) == (
            _published(m["borgere"]), _published(m["tilgang"]), _published(m["afgang"])), tid
        if m["borgere"] < 5:
            assert (row["Helårspersoner"], row["Belægningsgrad (%)"]) == ("x", "x")
            hidden += 1
        else:
            assert row["Helårspersoner"] == dansk_tal(m["helaarspersoner"], 1)
            assert row["Belægningsgrad (%)"] == dansk_tal(m["belaegningsgrad"] * 100, 1)
            shown += 1
    assert shown and hidden
    # every tilbud with a borger in March is listed
    alle = {t for t in ds.ydelser.filter(pl.col("tilbud_id").is_not_null()
                                         & (pl.col("startdato") <= dt.date(2025, 3, 31))
                                         & (pl.col("slutdato").is_null() | (pl.col("slutdato") >= dt.date(2025, 3, 1)))
                                         & (pl.col("slutdato").is_null() | (pl.col("slutdato") >= pl.col("startdato"))))
            .select("tilbud_id").unique().collect()["tilbud_id"].to_list()}
    assert {row["Tilbud"].rsplit("(", 1)[1].rstrip(")") for row in rows} == alle


def test_drift_report_per_tilbud_over_a_year(built):
    """A year: tilgang and afgang are the sums of the Tilbud page's months, helårspersoner the covered days
    of its months over the year's days, belægningsgrad that over pladser (contract "A period")."""
    from workbench.sider import tilbud

    ds, paa, _ = built
    s = {x.noegle: x for x in rapport.build(ds, "drift", "2025", paa).sektioner}["tilbud"]
    data = s.data["tilbud"]
    big = data.sort("borgere", descending=True).row(0, named=True)
    months = tilbud.belaegning(ds, big["tilbud_id"], dt.date(2025, 1, 1), dt.date(2025, 12, 1), paa,
                               big["pladser"]).collect()
    assert (big["tilgang"], big["afgang"]) == (months["tilgang"].sum(), months["afgang"].sum())
    days_in = months.select(pl.col("maaned").str.to_date("%Y-%m").dt.days_in_month())["maaned"]
    hp = (months["helaarspersoner"] * days_in).sum() / 365
    assert big["helaarspersoner"] == pytest.approx(hp) and big["belaegningsgrad"] == pytest.approx(hp / big["pladser"])
    over = data.filter(pl.col("over_kapacitet") & (pl.col("borgere") >= 5))
    assert s.tabeller[0].fremhaev == tuple(i for i, (o, b) in enumerate(zip(data["over_kapacitet"], data["borgere"]))
                                           if o and b >= 5)
    for navn in over["navn"].to_list():
        assert navn in s.noter[0]


def test_politisk_level_has_tilgang_afgang_and_tilsyn(built):
    """Seed 004's statusrapport to the political level names 'bevægelser (til- og afgang)' and 'status på
    Ledelsestilsyn': both sections are in the politisk report, rendered."""
    ds, paa, _ = built
    cfg = rapport.load_rapport_config()
    assert {"tilgang_afgang", "tilsyn"} <= set(cfg.niveauer["politisk"][1])
    r = rapport.build(ds, "politisk", "2025", paa, cfg=cfg)
    html = rapport.render_html(r)
    assert "<h2>Tilgang og afgang</h2>" in html and "<h2>Ledelsestilsyn</h2>" in html
    ta = {x.noegle: x for x in r.sektioner}["tilgang_afgang"]
    assert "Tilgang og afgang pr. paragraf" in html_tables(html) and ta.data["maaneder"].height


def test_chart_renderer_warms_up():
    """workbench.format.udskrift.varm (started in the app's background for Rapporter) renders a chart."""
    from workbench.format import udskrift

    udskrift.varm()  # raises when vl-convert or its Danish locale is missing
