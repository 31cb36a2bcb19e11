"""Issue 20 items 4-5: a goal's group and goals that ask for nothing (contract "A goal's group and goals
that ask for nothing"), on hand-made frames through the one owner (workbench.regler.maalstatus)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.regler import maalstatus

D = dt.date.fromisoformat


def _goals(rows):
    return pl.LazyFrame(rows, schema={"maal_id": pl.String, "borger_id": pl.String, "startdato": pl.Date,
                                      "sagsafgoerelse_id": pl.String}, orient="row")


YDELSER = pl.LazyFrame(
    [("B", "SEL §85", "S85", D("2024-01-01"), None),
     ("B", "SEL §107", "S107", D("2024-03-01"), D("2024-06-30")),
     ("C", "SEL §108", "S108", D("2024-05-01"), None)],
    schema={"borger_id": pl.String, "gruppe": pl.String, "sagsafgoerelse_id": pl.String,
            "startdato": pl.Date, "slutdato": pl.Date}, orient="row")
POP = YDELSER.select("borger_id", "gruppe").unique()


def test_goal_counts_in_the_group_of_its_sagsafgoerelse_else_the_groups_on_its_startdato():
    goals = _goals([
        ("G1", "B", D("2024-04-01"), "S107"),   # linked: §107 only, though §85 also ran then
        ("G2", "B", D("2024-02-01"), None),     # no link, only §85 on its startdato
        ("G3", "B", D("2024-04-01"), None),     # no link, §85 and §107 on its startdato: both
        ("G4", "B", D("2024-04-01"), "UKENDT"),  # a link to no ydelse: as unlinked
        ("G5", "C", D("2024-01-01"), None),     # no ydelse on its startdato: the borger's groups
    ])
    got = maalstatus.maal_i_grupper(goals, YDELSER, POP).collect()
    pairs = sorted(got.select("maal_id", "gruppe").iter_rows())
    assert pairs == [("G1", "SEL §107"), ("G2", "SEL §85"), ("G3", "SEL §107"), ("G3", "SEL §85"),
                     ("G4", "SEL §107"), ("G4", "SEL §85"), ("G5", "SEL §108")]
    # shown in each group, counted once in a total
    assert got["maal_id"].n_unique() == 5 and got.height == 7


def test_goals_that_ask_for_nothing():
    lf = pl.LazyFrame(
        [("Udvikle funktionsevne", 2, 2), ("Udvikle funktionsevne", 2, 3), ("Udvikle funktionsevne", 2, 1),
         ("Begrænse tab af funktionsevne", 3, 4), ("Begrænse tab af funktionsevne", 2, 3),
         ("Fastholde funktionsevne", 2, 2), ("Udvikle funktionsevne", None, 0)],
        schema={"maaltype": pl.String, "udgangsniveau": pl.Int64, "forventet_niveau": pl.Int64}, orient="row")
    got = lf.select(maalstatus.asks_nothing()).collect().to_series().to_list()
    assert got == [True, True, False, True, False, False, False]
    assert maalstatus.OPNAAET_VED_START not in maalstatus.ATTAINMENT_STATUSES


def test_partial_quarter_is_labelled_with_its_last_counted_day():
    """Issue 20 item 5: 2026-K4 of a period ending 31-10-2026 is October only and says so."""
    from workbench.sider import resultater

    q = resultater.kvartaler(D("2026-01-01"), D("2026-10-31"))
    assert [x[0] for x in q] == ["2026-K1", "2026-K2", "2026-K3", "2026-K4 t.o.m. 31-10-2026"]
    assert q[-1][1:] == (D("2026-10-01"), D("2026-10-31"))
    assert resultater.kvartaler(D("2026-01-01"), D("2026-12-31"))[-1][0] == "2026-K4"


def test_andel_forbedret_judged_by_the_goals_maaltype():
    """Issue 20 item 5 (contract): progression counts only on undertemaer carrying a goal of the borger,
    judged by that goal's måltype -- Uændret is success for Fastholde and Begrænse tab, not for Udvikle."""
    from workbench.regler import udvikling as u

    rows = pl.LazyFrame(
        [("A", "Drikke", u.UAENDRET), ("A", "Spise", u.UAENDRET), ("B", "Drikke", u.UAENDRET),
         ("B", "Spise", u.FORVAERRET), ("C", "Drikke", u.FORBEDRET)],
        schema={"borger_id": pl.String, "undertema": pl.String, "kategori": pl.String}, orient="row")
    goals = pl.LazyFrame(
        [("A", "Drikke", "Fastholde funktionsevne", D("2024-01-01"), "M1"),
         ("A", "Spise", "Udvikle funktionsevne", D("2024-01-01"), "M2"),
         ("B", "Drikke", "Begrænse tab af funktionsevne", D("2024-01-01"), "M3"),
         ("B", "Spise", "Fastholde funktionsevne", D("2025-06-01"), "M4")],  # started after slut: no goal
        schema={"borger_id": pl.String, "undertema": pl.String, "maaltype": pl.String, "startdato": pl.Date,
                "maal_id": pl.String}, orient="row")
    got = u.efter_maaltype(rows, goals, D("2025-01-01")).collect()
    assert sorted(got.select("borger_id", "undertema", "kategori").iter_rows()) == [
        ("A", "Drikke", u.FORBEDRET), ("A", "Spise", u.UAENDRET), ("B", "Drikke", u.FORBEDRET)]
