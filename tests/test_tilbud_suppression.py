"""Issue 23 item 3 (Tilbud part): a role without the borger list (analytiker) sees no exact count 1..g-1
of the Tilbud report, through sider.tilbud.for_principal, which `ffb-workbench tilbud` calls."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.data.dataset import open_dataset
from workbench.regler import access
from workbench.sider import tilbud

ROOT = Path(__file__).resolve().parents[1]
PAA = dt.date(2024, 6, 30)


@pytest.fixture
def ds_dir(tmp_path) -> Path:
    out = tmp_path / "ds"
    shutil.copytree(ROOT / "tests" / "fixtures" / "borger_x", out)
    with open(out / "ydelser.csv", "a", encoding="utf-8") as fh:  # X is in the tilbud on PAA: one borger
        fh.write("Y2,X,SEL §85,Støtte til administration,2023-06-02,,2023-06-02,2023-06-02,1000000001,S2,2,4800\n")
    return out


def test_analytiker_sees_no_count_of_one(ds_dir):
    r = tilbud.rapport(open_dataset(ds_dir), "1000000001", PAA)
    assert r.belaegning["borgere"].max() == 1 and r.liggetid.igangvaerende == 1  # exact: one borger
    a = tilbud.for_principal(r, access.Principal("a", "analytiker"))
    assert set(a.belaegning["borgere"].to_list()) == {"<5"}
    # helårspersoner and belægningsgrad rest on that one borger: hidden
    assert set(a.belaegning["helaarspersoner"].to_list()) == {"x"}
    assert a.liggetid.igangvaerende == "<5" and a.liggetid.median_dage_igangvaerende is None
    assert a.borgere.height == 0  # no per-borger rows
    # a role with the borger list sees the report unchanged
    assert tilbud.for_principal(r, access.Principal("s", "sagsbehandler")) is r


def test_cli_tilbud_as_analytiker_is_suppressed(ds_dir, capsys):
    assert main(["tilbud", str(ds_dir), "1000000001", "--paa", PAA.isoformat(), "--bruger", "analytiker"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {m["borgere"] for m in out["belaegning"]["maaneder"]} <= {"<5", "0"}
    assert out["belaegning"]["liggetid"]["igangvaerende"] == "<5"
    assert out["borgere"] == []


def test_resultater_table_for_analytiker():
    import polars as pl

    from workbench.sider import resultater

    df = pl.DataFrame({"gruppe": ["A", "B"], "borgere": [2, 12], "forbedret": [1, 6], "andel_forbedret": [0.5, 0.5],
                       "maal": [7, 3], "opnaaet": [3, 3], "andel_opnaaet": [3 / 7, 1.0]})
    got = resultater.for_principal(df, access.Principal("a", "analytiker"))
    # Danish text (workbench.format.dansk.tal_expr): shares with up to two decimals
    assert got.rows() == [("A", "<5", "<5", "x", "7", "<5", "0,43"),
                          ("B", "12", "6", "0,5", "<5", "<5", "x")]
    assert resultater.for_principal(df, access.Principal("s", "sagsbehandler")) is df


def test_cli_resultater_pr_tilbud_as_analytiker(ds_dir, capsys):
    assert main(["resultater", str(ds_dir), "--pr", "tilbud", "--paa", PAA.isoformat(), "--bruger", "analytiker",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["borgere"] == "<5" for r in rows)


def _maal_frame() -> "pl.DataFrame":
    """Målopfyldelse of a tilbud with two måltyper and an 'I alt' row (the shape sider.tilbud.maalopfyldelse
    returns): Fastholde has 3 goals (hidden '<5'), Udvikle 10, I alt 13. Per-column suppression alone
    (suppression.suppress_table, what the page did) leaves 13 and 10 visible: 13 - 10 = 3."""
    import polars as pl

    rows = [("Fastholde funktionsevne", 3, 2, 1, 0, 0, 0, 1, 1, 0, 1, 0, 2 / 2),
            ("Udvikle funktionsevne", 10, 5, 2, 3, 0, 0, 5, 2, 3, 0, 1, 5 / 8),
            ("I alt", 13, 7, 3, 3, 0, 0, 6, 3, 3, 1, 1, 7 / 10)]
    cols = ["maaltype", "maal", "opnaaet", "afventer", "ikke_opnaaet", "overskredet", "opnaaet_ved_start",
            "vurdering_opnaaet", "vurdering_delvist", "vurdering_ikke_opnaaet", "uden_vurdering", "uenighed",
            "andel_opnaaet"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def _recover(shown, raw) -> list[str]:
    """Every hidden count a reader can work out by one subtraction: a column's 'I alt' minus its visible
    rows, or a row's maal minus its visible statuses / vurderinger."""
    from workbench.sider.tilbud import MAAL_GRUPPER

    found = []
    cols = [c for c in shown.columns if c not in ("maaltype", "andel_opnaaet")]
    body = range(shown.height - 1)
    for c in cols:
        hidden = [i for i in body if not shown[c][i].isdigit()]
        if len(hidden) == 1 and shown[c][-1].isdigit():
            found.append(f"{c}[{hidden[0]}]")
    for tot, parts in MAAL_GRUPPER:
        for i in range(shown.height):
            cells = [tot, *parts]
            hidden = [c for c in cells if not shown[c][i].isdigit()]
            if len(hidden) == 1:
                found.append(f"{hidden[0]}[{i}]")
    return found


def test_maalopfyldelse_totals_do_not_give_a_hidden_cell_away():
    """Issue 23 item 2: complementary cells on Tilbud's målopfyldelse (suppression.suppress_groups)."""
    from workbench.regler import suppression

    raw = _maal_frame()
    vis = suppression.suppressed(5)
    # what the page did until now: column by column, no complementary cells -> recoverable
    old = suppression.suppress_table(raw, [c for c in raw.columns if c not in ("maaltype", "andel_opnaaet")],
                                     visning=vis)
    assert "maal[0]" in _recover(old, raw)
    shown = tilbud.maalopfyldelse_vist(raw, vis)
    assert shown["maal"][0] == "<5" and _recover(shown, raw) == []
    # no cell of the hidden row's value follows either: the row's share is hidden with its counts
    assert shown["andel_opnaaet"][0] == "x"
    # the same table as the CLI's tilbud command gets it (for_principal) and exact roles see it unchanged
    assert tilbud.maalopfyldelse_vist(raw, suppression.exact()).equals(raw)


def test_belaegning_flows_do_not_give_a_hidden_cell_away():
    """Belægning: borgere(m) = borgere(m-1) + tilgang(m) - afgang(m). Hiding a small tilgang alone leaks it
    (21 -> 23 with afgang 0 shown: tilgang 2); suppression.suppress_flow hides the month's flows together,
    and around a hidden borgere count."""
    import polars as pl

    from workbench.regler import suppression

    raw = pl.DataFrame({"maaned": ["01", "02", "03", "04", "05", "06"], "borgere": [21, 23, 23, 10, 3, 9],
                        "tilgang": [0, 2, 0, 0, 0, 6], "afgang": [0, 0, 0, 13, 7, 0]})
    vis = suppression.suppressed(5)
    old = suppression.suppress_table(raw, ["borgere", "tilgang", "afgang"], visning=vis)
    assert old.row(1) == ("02", "23", "<5", "0")  # 23 - 21 + 0: the hidden tilgang is 2
    shown = suppression.suppress_table(suppression.suppress_flow(raw, "borgere", "tilgang", "afgang", vis),
                                       ["borgere"], visning=vis)
    assert shown.row(1) == ("02", "23", "x", "x")
    assert shown.row(2) == ("03", "23", "0", "0")  # nothing small: shown
    # borgere 3 in month 05 is hidden; its flows and the next month's are too, else 10 + 0 - 7 = 3
    assert shown.row(4) == ("05", "<5", "x", "x") and shown.row(5) == ("06", "9", "x", "x")
    assert shown.row(3) == ("04", "10", "0", "13")
    # the same rule in the report for_principal gives (page and CLI)
    r = tilbud.rapport(open_dataset(ROOT / "tests" / "fixtures" / "borger_x"), "1000000001", PAA)
    r = __import__("dataclasses").replace(r, belaegning=raw.with_columns(
        pl.lit(10).alias("pladser"), pl.lit(1.0).alias("helaarspersoner"), pl.lit(0.1).alias("belaegningsgrad")))
    b = tilbud.for_principal(r, access.Principal("a", "analytiker")).belaegning
    assert b.select("borgere", "tilgang", "afgang").rows() == shown.select("borgere", "tilgang", "afgang").rows()
