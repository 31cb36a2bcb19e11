"""The views of the Resultater, Tilbud and Tilsyn pages (issue 21: pages hold no Polars; one view per
page returns what the page shows, already suppressed for the principal, chart series included). On the
kommune demo: the suppressed view shows the same counts as the matching CLI command (`resultater`,
`tilbud`: resultater.for_principal, tilbud.for_principal), no count 1..g-1 and no chart point resting on one."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.format.output import dansk_tal
from workbench.regler import access, suppression
from workbench.sider import resultater, tilbud, tilsyn

ANALYTIKER = access.Principal("a", "analytiker")
SMAA = {str(i) for i in range(1, suppression.suppressed().graense)}  # '1'..'g-1'


@pytest.fixture(scope="module")
def res(demo_kommune):
    ds = open_dataset(demo_kommune)
    fra, til = tilbud.standard_periode(udtraeksdato(ds))
    tabel, trend = pl.collect_all([resultater.resultater(ds, "tilbud", fra, til), resultater.trend(ds, "tilbud", fra, til)])
    return tabel, trend


@pytest.fixture(scope="module", params=["stoerste", "mindste"])
def rapport(demo_kommune, request):
    """The busiest tilbud, and the smallest with borgere on the date (months of 1..g-1 borgere)."""
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    liste = (tilbud.liste(ds, paa).filter(pl.col("borgere") > 0)
             .sort(["borgere", "tilbud_id"], descending=[True, False]).collect())
    tid = liste["tilbud_id"][0 if request.param == "stoerste" else -1]
    r = tilbud.rapport(ds, tid, paa, paa - dt.timedelta(days=364), paa)
    if request.param == "mindste":
        assert r.belaegning.filter(pl.col("borgere").is_between(1, suppression.suppressed().graense - 1)).height
    return r


def test_resultater_side_suppressed_equals_the_cli_table(res):
    tabel, trend = res
    vis = suppression.suppressed()
    g = vis.graense
    assert tabel.filter(pl.col("borgere").is_between(1, g - 1)).height, "the demo must plant small groups"
    side = resultater.ResultaterSide("tilbud", tabel, trend, vis)
    vist = side.vist()
    cli = resultater.for_principal(tabel, ANALYTIKER)
    for k, v in {**resultater.COUNTS_VIST, **resultater.MAAL_VIST}.items():
        assert vist[v].cast(pl.String).to_list() == cli[k].cast(pl.String).to_list(), v
        assert not SMAA & set(vist[v].cast(pl.String).to_list()), f"{v}: a count 1..{g - 1} is shown"
    # the chart and trend series leave out groups (and quarters) of 1..g-1 borgere, and mål of 1..g-1
    graf = side.graf()
    small = set(tabel.filter(pl.col("borgere") < g)["gruppe"])
    assert graf.height and not set(graf["Gruppe"]) & small
    few_maal = set(tabel.filter(pl.col("maal") < g)["gruppe"])
    assert graf.filter(pl.col("Gruppe").is_in(list(few_maal)) & pl.col("Opnået").is_not_null()).height == 0
    # a share the table hides ('x', complementary suppression) is not drawn either
    for k, v in (("andel_forbedret", "Forbedret"), ("andel_opnaaet", "Opnået")):
        skjult = set(tabel.filter(cli[k].cast(pl.String) == suppression.SEKUNDAER)["gruppe"])
        assert graf.filter(pl.col("Gruppe").is_in(list(skjult)) & pl.col(v).is_not_null()).height == 0, v
    tg = side.trend_graf()
    shown = tg.join(trend.select(pl.col("kvartal").alias("Kvartal"), pl.col("gruppe").alias("Gruppe"), "borgere"),
                    on=["Kvartal", "Gruppe"])
    assert shown.height == tg.height and shown["borgere"].min() >= g
    assert tg["Gruppe"].n_unique() <= resultater.TREND_GRUPPER


def test_resultater_side_exact_shows_the_counts(res):
    tabel, trend = res
    side = resultater.ResultaterSide("tilbud", tabel, trend, suppression.exact())
    vist = side.vist()
    # exact: every count as Danish text, none replaced by '<g'
    assert vist["Borgere"].to_list() == [dansk_tal(x) for x in tabel["borgere"]]
    assert not {x for c in resultater.COUNTS_VIST.values() for x in vist[c].to_list() if str(x).startswith("<")}
    assert side.graf().height == tabel.drop_nulls("andel_forbedret").height  # every group drawn


def test_tilbud_side_suppressed_equals_the_cli_report(rapport):
    vis = suppression.suppressed()
    side = tilbud.TilbudSide(rapport, vis)
    cli = tilbud.for_principal(rapport, ANALYTIKER)
    flow = side.flow_vist()
    for k, v in {"borgere": "Borgere", "tilgang": "Tilgang", "afgang": "Afgang"}.items():
        assert flow[v].cast(pl.String).to_list() == cli.belaegning[k].cast(pl.String).to_list(), v
    maal = side.maalopfyldelse_vist()
    for k, v in tilbud.MAAL_VIST.items():
        assert maal[v].cast(pl.String).to_list() == cli.maalopfyldelse[k].cast(pl.String).to_list(), v
    for niveau in tilbud.NIVEAUER:
        tabel = side.udvikling_vist(niveau)
        assert not SMAA & {str(x) for c in tabel.columns[1:] for x in tabel[c].to_list()}
        graf = side.udvikling_graf(niveau)
        assert graf.filter(pl.col("Borgere").is_between(1, vis.graense - 1)).height == 0
    b = side.belaegning_graf().filter(pl.col("Mål") == "Borgere")
    assert b.filter(pl.col("Antal").is_between(1, vis.graense - 1)).height == 0


def test_tilbud_side_exact_is_the_report(rapport):
    side = tilbud.TilbudSide(rapport, suppression.exact())
    assert side.flow_vist()["Borgere"].to_list() == rapport.belaegning["borgere"].to_list()
    assert side.borgere_vist()["Borger"].len() == rapport.borgere.height
    assert side.udvikling_graf("Tema")["Borgere"].sum() == rapport.udvikling_tema.select(
        pl.sum_horizontal("forbedret", "uaendret", "forvaerret").sum()).item()


def test_tilsyn_view_helpers():
    answers = pl.DataFrame({"borger_id": ["A", "A", "B", "B"], "spoergsmaal_id": ["q1", "q2", "q1", "q2"],
                            "svar": ["Ja", "Nej", "Ja", None]})
    assert tilsyn.besvarede_sager(answers, ["q1", "q2"]) == {"A"}
    assert tilsyn.pr_spoergsmaal(answers, "B")["q2"]["svar"] is None
    assert set(tilsyn.pr_spoergsmaal(answers, "A")) == {"q1", "q2"}
    masked = tilsyn.skjul_uden_for_adgang(answers, {"A"})
    assert masked["borger_id"].to_list() == ["A", "A", tilsyn.UDEN_FOR_ADGANG, tilsyn.UDEN_FOR_ADGANG]
    assert tilsyn.oversigt([{"Titel": "t", "Sager": 2}]).to_dicts() == [{"Titel": "t", "Sager": 2}]
