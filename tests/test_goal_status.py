"""Goal status judged at the follow-up (docs/DATA_CONTRACT.md `forloeb`; issue 11 item 4).

Hand-made LazyFrames straight into `maalstatus.goal_status` (the one owner every view calls):
once the follow-up date has passed only the assessments on or before it count, unless none was made
by then, in which case the first one after it counts (a late follow-up).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.sider import forloeb
from workbench.regler.maalstatus import AFVENTER, IKKE_OPNAAET, OPNAAET, OVERSKREDET, goal_status

D = dt.date.fromisoformat
UT = "Udvise hjælp og omsorg for andre"
AD = "Aktivitet og deltagelse"


def fe(rows: list[tuple]) -> pl.LazyFrame:
    """(borger_id, dato, niveau or None[, undertema])"""
    return pl.LazyFrame(
        [(r[0], D(r[1]), AD, "Samfundsliv", r[3] if len(r) > 3 else UT, r[2]) for r in rows],
        schema={"borger_id": pl.String, "dato": pl.Date, "omraade": pl.String, "tema": pl.String,
                "undertema": pl.String, "niveau": pl.Int64}, orient="row")


def goals(rows: list[tuple]) -> pl.LazyFrame:
    """(maal_id, borger_id, maaltype, forventet_niveau, startdato, opfoelgningsdato or None)"""
    return pl.LazyFrame(
        [(m, b, UT, t, f, D(s), D(o) if o else None) for m, b, t, f, s, o in rows],
        schema={"maal_id": pl.String, "borger_id": pl.String, "undertema": pl.String, "maaltype": pl.String,
                "forventet_niveau": pl.Int64, "startdato": pl.Date, "opfoelgningsdato": pl.Date}, orient="row")


def status(g: pl.LazyFrame, f: pl.LazyFrame, paa: str, opf: pl.LazyFrame | None = None) -> dict[str, dict]:
    return {r["maal_id"]: r for r in goal_status(g, f, D(paa), opf).collect().iter_rows(named=True)}


# B000106 / M000106-01 of the kommune demo (issue 11): at 2 against a target of 1 at its follow-up
# 26-06-2024; it reached 1 only in 2025 and 0 in 2026. The old rule used today's level: "Opnået".
B106_FE = [("B000106", "2023-06-27", 2), ("B000106", "2024-06-26", 2), ("B000106", "2025-03-26", 1),
           ("B000106", "2026-01-10", 0), ("B000106", "2026-08-14", 0)]
B106_GOAL = [("M000106-01", "B000106", "Udvikle funktionsevne", 1, "2023-06-27", "2024-06-26")]


def test_b000106_judged_at_its_follow_up_not_today():
    r = status(goals(B106_GOAL), fe(B106_FE), "2026-10-31")["M000106-01"]
    assert r["status"] == IKKE_OPNAAET
    assert (r["maalt_niveau"], r["maalt_dato"]) == (2, D("2024-06-26"))
    # seneste_niveau stays the niveau on the reference date (workbench.regler.niveau), with its date
    assert (r["udgangsniveau"], r["seneste_niveau"], r["seneste_niveau_dato"]) == (2, 0, D("2026-08-14"))
    # on the follow-up day itself it is not passed yet: still Afventer opfølgning
    assert status(goals(B106_GOAL), fe(B106_FE), "2024-06-26")["M000106-01"]["status"] == AFVENTER


def test_late_follow_up_the_first_assessment_after_the_date_counts():
    g = goals([("G1", "T", "Udvikle funktionsevne", 1, "2023-01-10", "2023-06-01")])
    f = fe([("T", "2023-01-10", 3), ("T", "2023-08-01", 1), ("T", "2023-12-01", 3)])
    assert status(g, f, "2023-07-01")["G1"]["status"] == OVERSKREDET     # nothing yet after the date
    r = status(g, f, "2023-09-01")
    assert (r["G1"]["status"], r["G1"]["maalt_dato"]) == (OPNAAET, D("2023-08-01"))
    # a later, worse assessment does not change the judgement: the first one after the date counts
    r = status(g, f, "2024-01-01")
    assert (r["G1"]["status"], r["G1"]["maalt_niveau"], r["G1"]["seneste_niveau"]) == (OPNAAET, 1, 3)
    # and the other way round: late and not met, later met -> Ikke opnået
    f2 = fe([("T", "2023-01-10", 3), ("T", "2023-08-01", 3), ("T", "2023-12-01", 1)])
    assert status(g, f2, "2024-01-01")["G1"]["status"] == IKKE_OPNAAET


def test_met_before_the_follow_up_is_opnaaet_and_later_relapse_does_not_undo_it():
    g = goals([("G1", "T", "Udvikle funktionsevne", 1, "2023-01-10", "2023-06-01")])
    f = fe([("T", "2023-01-10", 3), ("T", "2023-03-01", 2), ("T", "2023-05-01", 1), ("T", "2023-09-01", 4)])
    assert status(g, f, "2023-04-01")["G1"]["status"] == AFVENTER        # not met, date not passed
    assert status(g, f, "2023-05-01")["G1"]["status"] == OPNAAET         # met before the date
    assert status(g, f, "2024-01-01")["G1"]["status"] == OPNAAET         # judged at the follow-up
    # Ikke vurderet after the follow-up changes nothing either (it is no assessment)
    f2 = fe([("T", "2023-01-10", 3), ("T", "2023-05-01", 2), ("T", "2023-05-20", None)])
    assert status(g, f2, "2024-01-01")["G1"]["status"] == IKKE_OPNAAET


def test_fastholde_against_udgangsniveau_and_same_day_worst():
    g = goals([("F1", "T", "Fastholde funktionsevne", None, "2023-01-10", "2023-06-01")])
    f = fe([("T", "2023-01-01", 2), ("T", "2023-06-01", 2), ("T", "2023-06-01", 3), ("T", "2023-07-01", 1)])
    r = status(g, f, "2024-01-01")["F1"]
    assert (r["udgangsniveau"], r["maalt_niveau"], r["status"]) == (2, 3, IKKE_OPNAAET)


def test_vectorised_over_borgere_and_each_goal_its_own_follow_up():
    g = goals([
        ("A1", "A", "Udvikle funktionsevne", 1, "2023-01-10", "2023-06-01"),
        ("A2", "A", "Udvikle funktionsevne", 1, "2023-06-02", "2023-12-01"),   # a second goal, same undertema
        ("B1", "B", "Begrænse tab af funktionsevne", 2, "2023-01-10", None),   # no follow-up date
    ])
    f = fe([("A", "2023-01-10", 3), ("A", "2023-05-01", 2), ("A", "2023-11-01", 1),
            ("B", "2023-01-10", 2), ("B", "2023-05-01", 3)])
    r = status(g, f, "2024-01-01")
    assert r["A1"]["status"] == IKKE_OPNAAET and r["A1"]["maalt_dato"] == D("2023-05-01")
    assert r["A2"]["status"] == OPNAAET and r["A2"]["maalt_dato"] == D("2023-11-01")
    assert r["B1"]["status"] == AFVENTER                                       # never passed, not met
    assert list(r) == ["A1", "A2", "B1"]


def test_recorded_vurdering_side_by_side():
    opf = pl.LazyFrame({"maal_id": ["M000106-01", "M000106-01"], "dato": [D("2024-06-26"), D("2026-11-01")],
                        "vurdering": ["Opnået", "Ikke opnået"],
                        "status_paa_indsats": ["Træf afgørelse om fortsættelse af indsats"] * 2})
    r = status(goals(B106_GOAL), fe(B106_FE), "2026-10-31", opf)["M000106-01"]
    # the latest recorded on or before the reference date (01-11-2026 is after it)
    assert (r["vurdering"], r["vurderingsdato"], r["status"]) == ("Opnået", D("2024-06-26"), IKKE_OPNAAET)


def test_goal_status_columns_are_stable():
    """Tilbud/Resultater/Tilsyn call goal_status: these names are its interface."""
    cols = goal_status(goals(B106_GOAL), fe(B106_FE), D("2026-10-31"), pl.LazyFrame(
        schema={"maal_id": pl.String, "dato": pl.Date, "vurdering": pl.String, "status_paa_indsats": pl.String})
    ).collect_schema().names()
    for c in ("maal_id", "borger_id", "undertema", "maaltype", "forventet_niveau", "startdato", "opfoelgningsdato",
              "udgangsniveau", "udgangsniveau_dato", "seneste_niveau", "seneste_niveau_dato", "maalt_niveau",
              "maalt_dato", "status", "vurderbar", "vurdering", "vurderingsdato", "status_paa_indsats"):
        assert c in cols, c
    assert set(forloeb.GOAL_COLUMNS) <= set(cols)
