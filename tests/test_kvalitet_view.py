"""The Kvalitet page view (workbench.sider.kvalitet) on the kommune demo: the tables the page lays out
are the rule owners' numbers (overlap, kvalitet, reconcile), and a suppressed visning never shows a
count 1..4 while the exact one does."""

from __future__ import annotations

import polars as pl
import pytest

from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.regler import kvalitet, overlap, reconcile, suppression
from workbench.sider import kvalitet as view


def _int(text: str) -> int:
    return int(text.replace(".", ""))


@pytest.fixture(scope="module")
def data(demo_kommune):
    ds = kvalitet.materialise(open_dataset(demo_kommune))
    paa = udtraeksdato(ds)
    return ds, paa, view.beregn(ds, paa)


def test_data_are_the_rule_owners_frames(data):
    ds, paa, d = data
    assert d.pairs.equals(overlap.overlap_pairs(ds.ydelser, paa, overlap.load_rules()).collect())
    assert d.findings.equals(kvalitet.findings(ds, paa).collect())
    assert d.ottetal.equals(reconcile.ottetalskontrol(ds, paa).collect())
    assert d.tilbud_navne == dict(ds.tilbud.select("tilbud_id", "navn").collect().iter_rows())


def test_overlap_tables_total_the_pairs(data):
    _, _, d = data
    side = view.side(d, suppression.exact())
    assert side.har_overlap
    pr_regel = side.overlap_pr_regel()
    total = pr_regel.row(-1, named=True)
    assert total["Regel"] == "I alt"
    assert _int(total["Borgere"]) == d.pairs["borger_id"].n_unique()
    assert _int(total["Par"]) == d.pairs.height
    assert _int(total["Dage"]) == int(d.pairs["overlap_dage"].sum())
    borgere, dage, kroner = side.overlap_noegletal
    assert (borgere, dage) == (total["Borgere"], total["Dage"]) and kroner == f"{total['Kroner']} kr."
    # per rule: the rule owner's numbers, under the rule's title
    want = {side.regel_titler[r]: (b, p) for r, b, p in d.per_rule.select("regel", "borgere", "par").rows()}
    got = {r["Regel"]: (_int(r["Borgere"]), _int(r["Par"])) for r in pr_regel.head(-1).to_dicts()}
    assert got == want
    present = set(d.per_rule["regel"].to_list())
    assert [r.id for r in side.overlap_regler] == [r.id for r in d.rules if r.id in present] != []
    for table in (side.overlap_pr_paragrafpar(), side.overlap_pr_kommune(), side.overlap_pr_tilbud()):
        assert table.row(-1, named=True)["Borgere"] == total["Borgere"]


def test_drill_down_narrows_and_names_the_borgere(data):
    _, _, d = data
    side = view.side(d, suppression.exact())
    alle = side.par_tabel()
    assert alle.tabel.height == d.pairs.height
    regel = side.par_regler[0]
    one = side.par_tabel([regel])
    assert 0 < one.tabel.height <= alle.tabel.height and set(one.tabel["Regel"].to_list()) == {regel}
    assert one.borger_ids == sorted(set(one.tabel["Borger-id"].to_list()))
    assert one.eksport.schema["Overlap fra"] == pl.Date and "Borger" not in one.eksport.columns
    p = side.par_paragraffer[0]
    by_p = side.par_tabel(paragraffer=[p])
    assert all(p in (a, b) for a, b in by_p.tabel.select("Paragraf A", "Paragraf B").rows())


def test_severity_groups_count_the_findings(data):
    _, _, d = data
    side = view.side(d, suppression.exact())
    for gruppe in side.opmaerkninger:
        fund = int(d.counts.filter(pl.col("alvor") == gruppe.alvor)["fund"].sum())
        assert gruppe.overskrift == f"{view.SEVERITY[gruppe.alvor]} ({fund} fund)"
        for regel, _, n in gruppe.regler:
            examples, antal = side.eksempler(regel, gruppe.alvor)
            assert antal == n and examples.height == min(5, n)
    assert side.fund_eksport().height == d.findings.height


def test_suppressed_view_hides_small_counts(data):
    _, _, d = data
    exact, hidden = view.side(d, suppression.exact()), view.side(d, suppression.suppressed())

    def small(table, cols):
        return [v for c in cols if c in table.columns for v in table[c].to_list()
                if v not in (None, "<5", "x") and 0 < _int(v) < 5]

    tables = ("overlap_pr_regel", "overlap_pr_paragrafpar", "overlap_trend_tabel", "overlap_pr_kommune",
              "overlap_pr_tilbud")
    cols = ["Borgere", "Par"]
    assert any(small(getattr(exact, t)(), cols) for t in tables)  # the demo has small counts: the check can fail
    for t in tables:
        assert small(getattr(hidden, t)(), cols) == [], t
    ottetal_cols = list(view.OTTETAL_OVERSKRIFTER.values())[2:]
    assert small(exact.ottetal_tabel(), ottetal_cols)
    assert small(hidden.ottetal_tabel(), ottetal_cols) == []
    for gruppe in hidden.opmaerkninger:
        assert small(gruppe.tabel, ["Borgere"]) == []
