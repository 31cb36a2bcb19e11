"""The one period owner (workbench.regler.periods, contract "A period"): parsing, counted days, the
partial label, annualisation, and nothing computed past the extraction (exit 2 on the command line)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import helpers
from hypothesis import given, settings, strategies as st

from workbench.cli import main
from workbench.regler.periods import (Periode, check_dato, check_periode, kr_pr_helaarsperson, parse_periode,
                                      periode_fra_til)

D = dt.date


def test_parse_year_month_quarter():
    assert parse_periode("2026") == Periode("2026", D(2026, 1, 1), D(2026, 12, 31))
    assert parse_periode("2026-06") == Periode("2026-06", D(2026, 6, 1), D(2026, 6, 30))
    q = parse_periode("2026-Q2")
    assert (q.tekst, q.fra, q.til) == ("2026-K2", D(2026, 4, 1), D(2026, 6, 30))
    assert parse_periode("2026-k4") == Periode("2026-K4", D(2026, 10, 1), D(2026, 12, 31))
    assert parse_periode("2025-K1").sidste_aar() == Periode("2024-K1", D(2024, 1, 1), D(2024, 3, 31))
    for bad in ("2026-Q5", "2026-13", "26", "", "2026-K0"):
        with pytest.raises(ValueError, match="ugyldig periode"):
            parse_periode(bad)
    with pytest.raises(ValueError):
        periode_fra_til(D(2026, 3, 2), D(2026, 3, 1))


def test_counted_days_partial_label():
    paa = D(2026, 10, 31)
    aar = parse_periode("2026")
    assert aar.talte_dage(paa) == 304  # 01-01..31-10-2026
    assert aar.delvis(paa)
    assert aar.label_paa(paa) == "2026 t.o.m. 31-10-2026"
    assert parse_periode("2026-K4").label_paa(paa) == "2026-K4 t.o.m. 31-10-2026"
    assert parse_periode("2026-K4").talte_dage(paa) == 31
    okt = parse_periode("2026-10")
    assert not okt.delvis(paa) and okt.label_paa(paa) == "oktober 2026" and okt.talte_dage(paa) == 31
    assert parse_periode("2025").label_paa(paa) == "2025" and parse_periode("2025").talte_dage(paa) == 365


def test_kr_pr_helaarsperson_is_annualised():
    # 304 counted days, 2 helårspersoner, 608.000 kr: 1.000 kr/day/person -> 365.000 kr a year
    assert kr_pr_helaarsperson(608_000, 2.0, 304) == pytest.approx(365_000)
    assert kr_pr_helaarsperson(100.0, 0.0, 10) is None


def test_validation_rules():
    udtraek, today = D(2026, 10, 31), D(2026, 12, 5)
    assert check_dato(D(2026, 10, 31), udtraek, True, today=today) is None
    with pytest.raises(ValueError, match="udtræksdato"):
        check_dato(D(2026, 11, 1), udtraek, True, today=today)
    # derived udtraeksdato: a later date up to today is allowed, with a warning line
    warning = check_dato(D(2026, 11, 1), udtraek, False, today=today)
    assert warning and "\n" not in warning
    with pytest.raises(ValueError, match="i dag"):
        check_dato(D(2026, 12, 6), udtraek, False, today=today)
    check_periode(parse_periode("2026-10"), udtraek)
    with pytest.raises(ValueError, match="starter efter"):
        check_periode(parse_periode("2026-11"), udtraek)


@settings(max_examples=200, deadline=None)
@given(st.dates(D(2020, 1, 1), D(2030, 12, 31)), st.integers(0, 800), st.dates(D(2020, 1, 1), D(2030, 12, 31)))
def test_counted_days_never_pass_the_reference_date(fra, n, paa):
    p = periode_fra_til(fra, fra + dt.timedelta(days=n))
    counted = p.talte_dage(paa)
    assert counted == max(0, (min(p.til, paa) - fra).days + 1)
    assert p.delvis(paa) == (paa < p.til)
    assert p.label_paa(paa).endswith(f"t.o.m. {min(p.til, paa):%d-%m-%Y}") == p.delvis(paa)


# --- nothing computed past the extraction: the commands -----------------------------------------

@pytest.mark.parametrize("argv", [
    ["resultater", "{d}", "--til", "2024-11-01"],
    ["optaelling", "{d}", "--fra", "2024-01", "--til", "2024-10", "--paa", "2024-11-30"],
    ["rapport", "{d}", "--periode", "2024-11", "--niveau", "drift", "--out", "{out}"],
])
def test_dates_after_declared_udtraeksdato_are_bad_input(tmp_path, capsys, argv):
    d = helpers.mini_dataset(tmp_path / "ds", "2024-10-31")
    args = [a.format(d=d, out=tmp_path / "r.html") for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_derived_udtraeksdato_allows_later_date_with_warning(tmp_path, capsys):
    d = helpers.mini_dataset(tmp_path / "ds", None)  # derived: 05-03-2024
    assert main(["optaelling", str(d), "--fra", "2024-01", "--til", "2024-04", "--paa", "2024-04-30"]) == 0
    err = capsys.readouterr().err
    assert "advarsel" in err and "05-03-2024" in err
    # up to today only
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert main(["optaelling", str(d), "--fra", "2024-01", "--til", "2024-04", "--paa", future]) == 2


def test_period_within_declared_udtraeksdato_still_runs(tmp_path):
    d = helpers.mini_dataset(tmp_path / "ds", "2024-10-31")
    assert main(["optaelling", str(d), "--fra", "2024-01", "--til", "2024-10", "--paa", "2024-10-31"]) == 0
    assert main(["rapport", str(d), "--periode", "2024", "--niveau", "drift", "--out", str(tmp_path / "r.html")]) == 0
    assert "2024 t.o.m. 31-10-2024" in (tmp_path / "r.html").read_text(encoding="utf-8")


# --- helårspersoner in a period: covered days / counted days (one function: optaelling.period_counts) ---

def test_helaarspersoner_year_to_date_and_annualised_kr(tmp_path):
    from workbench.data.dataset import open_dataset
    from workbench.regler import optaelling
    from workbench.sider import oekonomi

    d = helpers.mini_dataset(tmp_path / "ds", "2024-10-31")
    (d / "ydelser.csv").write_text(
        "ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato,registreringsdato,maanedlig_udgift\n"
        "Y1,A,SEL §85,Socialpædagogisk støtte,2024-01-01,,2024-01-01,1000\n", encoding="utf-8")
    ds = open_dataset(d)
    paa = D(2024, 10, 31)
    p = parse_periode("2024")
    assert p.talte_dage(paa) == 305  # leap year, 01-01..31-10
    row = optaelling.period_counts(ds.ydelser, p.fra, p.til, paa, by=()).collect().row(0, named=True)
    assert row["dage"] == 305 and row["helaarspersoner"] == pytest.approx(1.0)  # covered every counted day
    e = oekonomi.enhedsudgift(ds, p.fra, p.til, paa, by=()).collect().row(0, named=True)
    assert e["helaarspersoner"] == pytest.approx(1.0)
    assert e["udgift"] == pytest.approx(10_000)  # 10 whole months × 1.000 kr
    # annualised: 10.000 ÷ 1 × 365 ÷ 305
    assert e["kr_pr_helaarsperson"] == pytest.approx(10_000 * 365 / 305)
    assert e["kr_pr_helaarsperson"] == pytest.approx(kr_pr_helaarsperson(e["udgift"], e["helaarspersoner"], 305))


@settings(max_examples=60, deadline=None)
@given(st.dates(D(2023, 6, 1), D(2025, 6, 1)), st.integers(0, 500), st.dates(D(2023, 1, 1), D(2025, 12, 31)),
       st.integers(0, 400), st.dates(D(2023, 6, 1), D(2025, 12, 31)))
def test_helaarspersoner_is_covered_over_counted_days(fra, n, start, length, paa):
    import polars as pl

    from workbench.regler import optaelling

    til = fra + dt.timedelta(days=n)
    if fra > paa:
        return
    slut = start + dt.timedelta(days=length)
    y = pl.LazyFrame({"borger_id": ["A"], "paragraf": ["SEL §85"], "startdato": [start], "slutdato": [slut]})
    out = optaelling.period_counts(y, fra, til, paa, by=()).collect()
    hi = min(til, paa)
    lo_c, hi_c = max(fra, start), min(hi, slut, paa)
    covered = max((hi_c - lo_c).days + 1, 0)
    counted = (hi - fra).days + 1
    hp = out["helaarspersoner"][0] if out.height else 0.0
    assert (hp or 0.0) == pytest.approx(covered / counted)


# --- the oekonomi command: the Økonomi page's numbers ---------------------------------------------

def test_oekonomi_cli_equals_oekonomi_page_view(demo_kommune, tmp_path, capsys):
    import io

    import polars as pl

    from workbench.data.dataset import open_dataset, udtraeksdato
    from workbench.sider import oekonomi

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    p = parse_periode(str(paa.year))
    assert main(["oekonomi", str(demo_kommune), "--periode", str(paa.year), "--format", "csv"]) == 0
    cli = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema_length=None)
    assert cli.columns[:6] == ["gruppe", "udgift", "borgere", "helaarspersoner", "kr_pr_helaarsperson",
                               "kr_pr_borger"]
    page = oekonomi.side(ds, p, paa).enhedsudgift
    joined = cli.join(page.with_columns(pl.col("paragraf").cast(pl.String)), left_on="gruppe", right_on="paragraf")
    assert joined.height == page.height > 0
    for c in ("udgift", "borgere", "helaarspersoner", "kr_pr_helaarsperson"):
        assert joined[c].to_list() == pytest.approx(joined[f"{c}_right"].to_list())
    # a partial period says so
    if p.delvis(paa):
        assert set(cli["talt_til"].to_list()) == {paa.isoformat()}
    # helårspersoner in total = covered days / counted days, the same on every path
    from workbench.regler import optaelling
    tot = optaelling.period_counts(ds.ydelser, p.fra, p.til, paa, by=("paragraf",)).collect()
    t = tot.with_columns(pl.col("paragraf").cast(pl.String)).join(cli, left_on="paragraf", right_on="gruppe")
    assert t["helaarspersoner"].to_list() == pytest.approx(t["helaarspersoner_right"].to_list())


def test_oekonomi_cli_bad_period_is_exit_2(tmp_path, capsys):
    d = helpers.mini_dataset(tmp_path / "ds", "2024-10-31")
    assert main(["oekonomi", str(d), "--periode", "2024-11"]) == 2
    assert main(["oekonomi", str(d), "--periode", "2024-Q5"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2
    assert main(["oekonomi", str(d), "--periode", "2024-K4", "--pr", "tilbudstype", "--format", "json"]) == 0


def test_maaned_valg_never_after_reference_date():
    from workbench.regler.periods import maaned_valg

    assert maaned_valg("2026", D(2026, 10, 31)) == [f"{m:02d}" for m in range(1, 11)]
    assert maaned_valg(2025, D(2026, 10, 31))[-1] == "12"
    assert maaned_valg(2027, D(2026, 10, 31)) == []


def test_oekonomi_and_rapporter_pickers_stop_at_reference_date(demo_env):
    from pathlib import Path

    from tests.helpers import run_page
    from workbench.data.dataset import open_dataset, udtraeksdato

    paa = udtraeksdato(open_dataset(demo_env))
    root = Path(__file__).resolve().parents[1]
    for page, key in (("oekonomi.py", "oe"), ("rapporter.py", "ra")):
        at = run_page(str(root / "sidefiler" / page))
        at.selectbox(key=f"{key}_aar").set_value(str(paa.year)).run()
        options = at.selectbox(key=f"{key}_maaned").options
        # options are shown as month names: the last one offered is the reference date's month
        assert len(options) == 1 + paa.month, (page, options)


def test_report_overlap_kroner_are_the_periods_days_only():
    import polars as pl

    from workbench.sider.rapport import overlap_i_perioden

    # an overlap 01-12-2025..31-03-2026 (121 days) at 10 kr/day; another wholly in 2025
    pairs = pl.LazyFrame({"borger_id": ["A", "B"], "regel": ["r", "r"],
                          "overlap_start": [D(2025, 12, 1), D(2025, 1, 1)],
                          "overlap_slut": [D(2026, 3, 31), D(2025, 1, 10)],
                          "overlap_dage": [121, 10], "kroner": [1210.0, 100.0]})
    out = overlap_i_perioden(pairs, parse_periode("2026"), D(2026, 2, 28)).collect()
    # 01-01..28-02-2026: 59 days inside the counted days
    assert out["borger_id"].to_list() == ["A"]
    assert out["overlap_dage"].to_list() == [59] and out["kroner"].to_list() == pytest.approx([590.0])
    assert overlap_i_perioden(pairs, parse_periode("2025"), D(2026, 2, 28)).collect()["kroner"].sum() == \
        pytest.approx(310.0 + 100.0)


def test_report_cache_key_follows_stored_tilsyn(sqlite_engine):
    import polars as pl

    from workbench.lager import tilsyn_store
    from workbench.sider.rapport import tilsyn_token

    before = tilsyn_token(sqlite_engine)
    tilsyn_store.create(sqlite_engine, pl.DataFrame({"team": ["Voksen 1"], "borger_id": ["X"]}), pr="team",
                            antal=1, seed=1, paa=D(2026, 10, 31), auditor="a", leder="l", af="l")
    created = tilsyn_token(sqlite_engine)
    assert created != before
    tilsyn_store.create(sqlite_engine, pl.DataFrame({"team": ["Voksen 2"], "borger_id": ["Y"]}), pr="team",
                        antal=1, seed=2, paa=D(2026, 10, 31), auditor="a", leder="l", af="l")
    assert tilsyn_token(sqlite_engine) != created


def test_oekonomi_and_rapporter_pages_hold_no_polars():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for page in ("oekonomi.py", "rapporter.py"):
        text = (root / "sidefiler" / page).read_text(encoding="utf-8")
        assert "import polars" not in text and "pl.col(" not in text, page


def test_minus_aar():
    from workbench.regler.periods import minus_aar

    assert minus_aar(D(2024, 2, 29)) == D(2023, 2, 28)
    assert minus_aar(D(2026, 10, 31)) == D(2025, 10, 31)


def test_report_findings_per_rule_hide_fund_beside_suppressed_borgere(demo_kommune):
    from workbench.data.dataset import open_dataset, udtraeksdato
    from workbench.regler import suppression
    from workbench.sider import rapport

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    r = rapport.build(ds, "drift", str(paa.year), paa)
    tab = next(t for s in r.sektioner for t in s.tabeller if t.titel.startswith("Datakvalitet: fund pr. regel")).vist
    small = tab.filter(tab["Borgere"] == f"<{suppression.threshold()}")
    assert small.height > 0  # the demo has rules with few borgere
    assert set(small["Fund"].to_list()) == {suppression.SEKUNDAER}


def test_oekonomi_budget_hides_forbrug_where_udgift_is_hidden(demo_kommune):
    import polars as pl

    from workbench.data.dataset import open_dataset, udtraeksdato
    from workbench.regler import suppression
    from workbench.sider import oekonomi

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    res = oekonomi.side(ds, parse_periode(str(paa.year)), paa)
    g = suppression.threshold()
    few = set(res.enhedsudgift.filter((pl.col("borgere") > 0) & (pl.col("borgere") < g))["paragraf"].cast(pl.String))
    vist = res.budget_vist()
    hidden = vist.filter(pl.col("paragraf").cast(pl.String).is_in(list(few)))
    assert few and hidden.height > 0
    assert set(hidden["forbrug"].to_list()) == {suppression.SEKUNDAER}
    shown = vist.filter(~pl.col("paragraf").cast(pl.String).is_in(list(few)))
    assert suppression.SEKUNDAER not in shown["forbrug"].to_list()


def test_report_resultater_no_suppressed_goal_count_recoverable():
    import polars as pl

    from workbench.sider.rapport import resultater_vist

    tab = pl.DataFrame({"gruppe": ["SEL §84", "SEL §85"], "borgere": [3, 162], "forbedret": [2, 54],
                        "uaendret": [0, 47], "forvaerret": [0, 42], "maal": [9, 379], "opnaaet": [8, 287],
                        "ikke_opnaaet": [1, 92]})
    v = resultater_vist(tab, graense=5)
    r84 = v.row(0, named=True)
    assert r84["Ikke opnået"] == "<5"
    # with "Mål afgjort" shown, "Opnået" must be hidden (else 9 − 8 = 1 is read off)
    assert not (r84["Mål afgjort"].isdigit() and r84["Opnået"].isdigit())
    r85 = v.row(1, named=True)
    assert (r85["Mål afgjort"], r85["Opnået"], r85["Ikke opnået"]) == ("379", "287", "92")
    assert r84["Borgere"] == "<5" and r85["Borgere"] == "162"


def test_oekonomi_cli_budget_columns_equal_the_page(demo_kommune, capsys):
    """Contract `oekonomi`: budget and forbrug with prognose per paragraf, the Økonomi page's numbers."""
    import io

    import polars as pl

    from workbench.data.dataset import open_dataset, udtraeksdato
    from workbench.sider import oekonomi

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    p = parse_periode(str(paa.year))
    assert main(["oekonomi", str(demo_kommune), "--periode", str(paa.year), "--format", "csv"]) == 0
    cli = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema_length=None)
    page = oekonomi.side(ds, p, paa).budget.tabel.select("paragraf", "budget", "forbrug", "prognose_tempo")
    j = cli.join(page, left_on="gruppe", right_on="paragraf", how="inner")
    assert j.height > 0 and j.filter(pl.col("budget").is_not_null()).height > 0
    for c in ("budget", "forbrug", "prognose_tempo"):
        assert j[c].to_list() == pytest.approx(j[f"{c}_right"].to_list(), nan_ok=True)
