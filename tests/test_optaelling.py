"""Monthly counts per paragraf (`optaelling`) and the Overblik KPIs, against hand-computed numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import polars as pl
import pytest

from workbench.regler import optaelling, periods
from workbench.cli import main
from workbench.data.config import load_config

D = dt.date
PAA = D(2024, 12, 31)
ROOT = Path(__file__).resolve().parents[1]


def ydelser(*rows: tuple) -> pl.LazyFrame:
    """rows: (borger_id, paragraf, startdato, slutdato|None)."""
    enum = load_config().codes.enum("paragraffer")
    return pl.LazyFrame(
        {
            "ydelse_id": [f"Y{i}" for i in range(len(rows))],
            "borger_id": [r[0] for r in rows],
            "paragraf": [r[1] for r in rows],
            "startdato": [r[2] for r in rows],
            "slutdato": [r[3] for r in rows],
        },
        schema={"ydelse_id": pl.String, "borger_id": pl.String, "paragraf": enum,
                "startdato": pl.Date, "slutdato": pl.Date},
    )


def table(lf: pl.LazyFrame, fra: str, til: str, paa: dt.date = PAA) -> dict[tuple[str, str], dict]:
    df = optaelling.optaelling(lf, D.fromisoformat(fra + "-01"), D.fromisoformat(til + "-01"), paa).collect()
    assert df.columns == list(optaelling.COLUMNS)
    return {(r["maaned"], str(r["paragraf"])): r for r in df.to_dicts()}


def row(t: dict, maaned: str, paragraf: str = "SEL §85") -> dict:
    return t[(maaned, paragraf)]


# --- coverage ------------------------------------------------------------------------------------


def test_one_day_ydelse():
    t = table(ydelser(("A", "SEL §85", D(2024, 3, 15), D(2024, 3, 15))), "2024-03", "2024-04")
    mar, apr = row(t, "2024-03"), row(t, "2024-04")
    assert (mar["borgere"], mar["tilgang"], mar["afgang"]) == (1, 1, 0)
    assert mar["helaarspersoner"] == pytest.approx(1 / 31)
    assert (apr["borgere"], apr["tilgang"], apr["afgang"], apr["helaarspersoner"]) == (0, 0, 1, 0.0)


def test_month_boundaries_are_inclusive():
    t = table(ydelser(
        ("A", "SEL §85", D(2024, 1, 31), D(2024, 2, 1)),   # last day of Jan + first day of Feb
        ("B", "SEL §85", D(2024, 1, 1), D(2024, 3, 31)),   # ends on the last day of March
        ("C", "SEL §85", D(2024, 5, 1), None),             # starts the day after April
    ), "2024-01", "2024-05")
    assert row(t, "2024-01")["borgere"] == 2
    assert row(t, "2024-01")["helaarspersoner"] == pytest.approx((1 + 31) / 31)
    assert row(t, "2024-02")["borgere"] == 2
    assert row(t, "2024-02")["helaarspersoner"] == pytest.approx((1 + 29) / 29)
    assert row(t, "2024-03")["borgere"] == 1
    apr = row(t, "2024-04")
    assert (apr["borgere"], apr["afgang"], apr["tilgang"]) == (0, 1, 0)
    may = row(t, "2024-05")
    assert (may["borgere"], may["tilgang"], may["helaarspersoner"]) == (1, 1, 1.0)


def test_leap_day_february_2024():
    t = table(ydelser(
        ("A", "SEL §108", D(2024, 2, 1), D(2024, 2, 29)),  # the whole leap February
        ("B", "SEL §108", D(2024, 2, 29), D(2024, 2, 29)),  # the leap day alone
        ("C", "SEL §108", D(2023, 2, 1), D(2023, 2, 28)),  # the whole February 2023
    ), "2023-02", "2024-03")
    feb24 = row(t, "2024-02", "SEL §108")
    assert feb24["borgere"] == 2
    assert feb24["helaarspersoner"] == pytest.approx((29 + 1) / 29)
    assert row(t, "2023-02", "SEL §108")["helaarspersoner"] == pytest.approx(1.0)
    assert row(t, "2024-03", "SEL §108")["afgang"] == 2


def test_days_after_reference_date_never_count():
    # issue 11 item 2: a closed ydelse running past the reference date counts only through it, one
    # starting after it not at all, and a month after the reference date's month is refused.
    lf = ydelser(
        ("A", "SEL §108", D(2024, 3, 1), D(2024, 3, 31)),   # ends after paa
        ("B", "SEL §108", D(2024, 3, 20), D(2024, 3, 25)),  # starts after paa
    )
    t = table(lf, "2024-02", "2024-03", paa=D(2024, 3, 15))
    mar = row(t, "2024-03", "SEL §108")
    assert mar["borgere"] == 1
    assert mar["tilgang"] == 1
    assert mar["helaarspersoner"] == pytest.approx(15 / 31)
    with pytest.raises(ValueError, match="ligger efter referencedatoens måned"):
        table(lf, "2024-03", "2024-04", paa=D(2024, 3, 15))
    with pytest.raises(ValueError):
        table(lf, "2024-04", "2024-04", paa=D(2024, 3, 31))
    # the last day of the reference month is fine
    assert row(table(lf, "2024-03", "2024-03", paa=D(2024, 3, 31)), "2024-03", "SEL §108")["borgere"] == 2


def test_open_ydelse_runs_through_reference_date():
    lf = ydelser(("A", "SEL §107", D(2024, 1, 10), None))
    t = table(lf, "2024-01", "2024-03", paa=D(2024, 3, 15))
    assert row(t, "2024-01", "SEL §107")["helaarspersoner"] == pytest.approx(22 / 31)
    assert row(t, "2024-02", "SEL §107")["helaarspersoner"] == pytest.approx(1.0)
    assert row(t, "2024-03", "SEL §107")["helaarspersoner"] == pytest.approx(15 / 31)
    # a later reference date keeps it running
    t2 = table(lf, "2024-04", "2024-04", paa=D(2024, 4, 30))
    assert row(t2, "2024-04", "SEL §107")["borgere"] == 1
    # an open ydelse starting after the reference date covers nothing
    t3 = table(ydelser(("A", "SEL §107", D(2024, 5, 1), None)), "2024-04", "2024-04", paa=D(2024, 4, 30))
    assert t3 == {}


def test_open_ydelse_default_reference_date_is_today():
    this_month = dt.date.today().replace(day=1)
    lf = ydelser(("A", "SEL §85", D(2020, 1, 1), None))
    df = optaelling.optaelling(lf, this_month, this_month, dt.date.today()).collect()
    assert df["borgere"].to_list() == [1]
    assert df["helaarspersoner"][0] == pytest.approx(dt.date.today().day / periods.month_end(this_month).day)


def test_two_ydelser_same_paragraf_same_month_count_once():
    lf = ydelser(
        ("A", "SEL §85", D(2024, 3, 1), D(2024, 3, 10)),
        ("A", "SEL §85", D(2024, 3, 20), D(2024, 3, 25)),
        ("A", "SEL §104", D(2024, 3, 5), D(2024, 3, 6)),
    )
    t = table(lf, "2024-03", "2024-03")
    assert row(t, "2024-03")["borgere"] == 1
    assert row(t, "2024-03")["helaarspersoner"] == pytest.approx(16 / 31)
    assert row(t, "2024-03", "SEL §104")["borgere"] == 1
    total = optaelling.monthly_counts(lf, D(2024, 3, 1), D(2024, 3, 1), PAA, by=()).collect()
    assert total["borgere"].to_list() == [1]  # one borger under two paragraffer is one borger


def test_overlapping_ydelser_days_counted_once():
    lf = ydelser(
        ("A", "SEL §85", D(2024, 3, 1), D(2024, 3, 20)),
        ("A", "SEL §85", D(2024, 3, 10), D(2024, 3, 31)),   # overlaps 10..20
        ("A", "SEL §85", D(2024, 3, 12), D(2024, 3, 14)),   # inside both
        ("B", "SEL §85", D(2024, 3, 1), D(2024, 3, 15)),
        ("B", "SEL §85", D(2024, 3, 16), D(2024, 3, 31)),   # handover D -> D+1
    )
    t = table(lf, "2024-03", "2024-03")
    assert row(t, "2024-03")["borgere"] == 2
    assert row(t, "2024-03")["helaarspersoner"] == pytest.approx(2.0)


def test_tilgang_afgang_across_gap_month():
    lf = ydelser(
        ("A", "SEL §85", D(2024, 1, 5), D(2024, 1, 20)),
        ("A", "SEL §85", D(2024, 3, 1), D(2024, 3, 2)),    # back after an empty February
        ("B", "SEL §85", D(2023, 12, 1), D(2024, 1, 31)),  # already there the month before --fra
        ("C", "SEL §85", D(2023, 11, 1), D(2023, 12, 31)),  # left before --fra
    )
    t = table(lf, "2024-01", "2024-04")
    got = [(row(t, m)["borgere"], row(t, m)["tilgang"], row(t, m)["afgang"])
           for m in ("2024-01", "2024-02", "2024-03", "2024-04")]
    assert got == [(2, 1, 1), (0, 0, 2), (1, 1, 0), (0, 0, 1)]


def test_slut_before_start_covers_nothing():
    lf = ydelser(("A", "SEL §85", D(2024, 3, 20), D(2024, 3, 1)), ("B", "SEL §103", D(2024, 3, 1), D(2024, 3, 1)))
    t = table(lf, "2024-03", "2024-03")
    assert list(t) == [("2024-03", "SEL §103")]


def test_sorted_by_month_then_paragraf_enum_order():
    lf = ydelser(
        ("A", "SEL §107", D(2024, 1, 1), D(2024, 2, 29)),
        ("B", "ABL §105/SEL §85", D(2024, 1, 1), D(2024, 2, 29)),
        ("C", "SEL §85", D(2024, 1, 1), D(2024, 2, 29)),
    )
    df = optaelling.optaelling(lf, D(2024, 1, 1), D(2024, 2, 1), PAA).collect()
    assert df.select("maaned", pl.col("paragraf").cast(pl.String)).rows() == [
        ("2024-01", "SEL §85"), ("2024-01", "ABL §105/SEL §85"), ("2024-01", "SEL §107"),
        ("2024-02", "SEL §85"), ("2024-02", "ABL §105/SEL §85"), ("2024-02", "SEL §107"),
    ]


def naive(rows: list[tuple], fra: dt.date, til: dt.date, paa: dt.date) -> dict[tuple[str, str], tuple]:
    """Day-by-day reference implementation (slow, obviously right)."""
    days: dict[tuple[str, str, str], set] = {}
    for b, p, s, e in rows:
        e = min(e or paa, paa)  # days after the reference date never count
        d = s
        while d <= e:
            days.setdefault((d.strftime("%Y-%m"), p, b), set()).add(d)
            d += dt.timedelta(days=1)
    ms = [m.strftime("%Y-%m") for m in periods.months(periods.add_months(fra, -1), til)]
    out = {}
    paragraffer = {p for (m, p, _) in days if m in ms}
    for i, m in enumerate(ms[1:], start=1):
        ndays = periods.month_end(D.fromisoformat(m + "-01")).day
        for p in paragraffer:
            now = {b for (mm, pp, b) in days if mm == m and pp == p}
            before = {b for (mm, pp, b) in days if mm == ms[i - 1] and pp == p}
            hp = sum(len(v) for (mm, pp, _), v in days.items() if mm == m and pp == p) / ndays
            out[(m, p)] = (len(now), hp, len(now - before), len(before - now))
    return out


@pytest.mark.parametrize("seed", [7, 11, 2024])
def test_matches_day_by_day_reference_on_random_data(seed):
    rng = random.Random(seed)
    paras = ["SEL §85", "ABL §105/SEL §85", "SEL §107", "SEL §108"]
    rows = []
    for _ in range(250):
        s = D(2023, 10, 1) + dt.timedelta(days=rng.randrange(0, 500))
        e = None if rng.random() < 0.15 else s + dt.timedelta(days=rng.randrange(-5, 120))
        rows.append((f"B{rng.randrange(40)}", rng.choice(paras), s, e))
    fra, til, paa = D(2024, 1, 1), D(2024, 9, 1), D(2024, 9, 17)
    got = table(ydelser(*rows), "2024-01", "2024-09", paa=paa)
    want = naive(rows, fra, til, paa)
    assert set(got) == set(want)
    for key, (b, hp, tg, ag) in want.items():
        r = got[key]
        assert (r["borgere"], r["tilgang"], r["afgang"]) == (b, tg, ag), key
        assert r["helaarspersoner"] == pytest.approx(hp), key
    # the Total line: the same with every paragraf folded into one
    total = optaelling.monthly_counts(ydelser(*rows), fra, til, paa, by=()).collect()
    want_total = naive([(b, "alle", s, e) for b, _, s, e in rows], fra, til, paa)
    assert total.height == 9
    for r in total.to_dicts():
        b, hp, tg, ag = want_total[(r["maaned"], "alle")]
        assert (r["borgere"], r["tilgang"], r["afgang"]) == (b, tg, ag), r["maaned"]
        assert r["helaarspersoner"] == pytest.approx(hp)


def test_fra_after_til_is_an_error():
    with pytest.raises(ValueError):
        optaelling.optaelling(ydelser(), D(2024, 5, 1), D(2024, 4, 1), PAA)


# --- the seed 002 table and KPIs -----------------------------------------------------------------


def test_month_table_total_is_unique_borgere_not_column_sum():
    lf = ydelser(
        ("A", "SEL §85", D(2024, 1, 1), D(2024, 2, 29)),
        ("A", "SEL §104", D(2024, 1, 1), D(2024, 1, 31)),
        ("B", "SEL §104", D(2024, 2, 1), D(2024, 2, 29)),
    )
    per = optaelling.monthly_counts(lf, D(2024, 1, 1), D(2024, 2, 1), PAA).collect()
    tot = optaelling.monthly_counts(lf, D(2024, 1, 1), D(2024, 2, 1), PAA, by=()).collect()
    t = optaelling.month_table(per, tot, month_label=lambda m: f"m{m}")
    assert t.columns == ["Paragraf", "m2024-01", "m2024-02"]
    assert t.rows() == [("SEL §85", 1, 1), ("SEL §104", 1, 1), ("Total", 1, 2)]


def test_kpis_hand_computed():
    paa = D(2024, 3, 15)
    lf = ydelser(
        ("A", "SEL §85", D(2024, 1, 1), None),                # active, open
        ("A", "SEL §104", D(2024, 3, 1), D(2024, 3, 31)),     # active; A already had a course: not new
        ("B", "SEL §107", D(2024, 3, 5), D(2024, 3, 10)),     # new and ended in March
        ("C", "SEL §108", D(2023, 6, 1), D(2024, 3, 15)),     # active on paa, ends on paa
        ("D", "SEL §85", D(2024, 3, 10), D(2024, 3, 1)),      # slut < start: nothing
        ("E", "SEL §85", D(2024, 2, 1), D(2024, 2, 29)),
        ("E", "SEL §85", D(2024, 3, 1), D(2024, 3, 31)),      # handover: E's course neither new nor ended
        ("F", "SEL §85", D(2024, 3, 20), D(2024, 4, 30)),     # starts after paa: not new yet
    )
    per, total = (f.collect() for f in optaelling.overblik(lf, D(2024, 2, 1), D(2024, 3, 1), paa))
    aktive = optaelling.aktive_ydelser(lf, paa).collect().item()
    k = optaelling.noegletal(total, "2024-03", aktive)
    assert k.borgere == 4           # A, B, C, E (F starts after paa)
    assert k.aktive_ydelser == 4    # A x2, C, E (March)
    assert k.tilgang == 1           # B: under no paragraf in February
    assert k.afgang == 0            # everyone of February is still there in March
    # helårspersoner: the sum over paragraffer, each through paa (15 March) at most:
    # §85 A 15 + E 15, §104 A 15, §107 B 6, §108 C 15
    assert k.helaarspersoner == pytest.approx((15 + 15 + 15 + 6 + 15) / 31)
    # the KPI is the Total row of the table for the same month
    mar = per.filter(pl.col("maaned") == "2024-03")
    assert k.helaarspersoner == pytest.approx(mar["helaarspersoner"].sum())
    # afgang per the contract: had it last month, not this month (B's §107 ended 10 March -> April)
    k_apr = optaelling.noegletal(optaelling.overblik(lf, D(2024, 4, 1), D(2024, 4, 1), D(2024, 4, 30))[1].collect(),
                                 "2024-04", 0)
    assert k_apr.afgang == 3  # B (ended 10 March), C (15 March), E (31 March): afgang in April, not March
    assert k_apr.tilgang == 0   # F continues into April but started in March


def test_filter_kommuner_betalingskommune_falls_back_to_handlekommune():
    lf = ydelser(*[(b, "SEL §85", D(2024, 1, 1), None) for b in "ABC"])
    borgere = pl.LazyFrame({"borger_id": ["A", "B", "C"], "handlekommune": ["0250", "0250", "0101"],
                            "betalingskommune": [None, "0101", "0101"]})
    ids = lambda f: sorted(f.collect()["borger_id"].to_list())  # noqa: E731
    assert ids(optaelling.filter_kommuner(lf, borgere)) == ["A", "B", "C"]
    assert ids(optaelling.filter_kommuner(lf, borgere, handlekommuner=["0250"])) == ["A", "B"]
    assert ids(optaelling.filter_kommuner(lf, borgere, betalingskommuner=["0250"])) == ["A"]
    assert ids(optaelling.filter_kommuner(lf, borgere, ["0250"], ["0101"])) == ["B"]


# --- command line --------------------------------------------------------------------------------


@pytest.fixture
def cli_dir(borger_x_dir: Path) -> Path:
    """Borger X plus hand-made ydelser for borger X and a second borger."""
    b = borger_x_dir / "borgere.csv"
    b.write_text(b.read_text(encoding="utf-8") + "Y,,1980-05-05,M,0250,0101,Z,Voksen 1\n", encoding="utf-8")
    (borger_x_dir / "ydelser.csv").write_text(
        "ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato\n"
        "Y1,X,SEL §85,Støtte til administration,2023-01-01,2023-06-01\n"
        "Y2,Y,§107,Midlertidigt ophold,2023-02-29,\n"            # invalid date: rejected on load
        "Y3,Y,SEL §107,Midlertidigt ophold,2023-05-31,\n"
        "Y4,Y,SEL §107,Midlertidigt ophold,2023-06-10,2023-06-20\n",  # inside the open one
        encoding="utf-8")
    return borger_x_dir


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["optaelling", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_csv(cli_dir, capsys):
    code, out, err = run_cli(capsys, str(cli_dir), "--fra", "2023-05", "--til", "2023-07", "--paa", "2023-07-10")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(optaelling.COLUMNS)
    got = [(r["maaned"], r["paragraf"], r["borgere"], r["tilgang"], r["afgang"]) for r in rows]
    assert got == [
        ("2023-05", "SEL §85", "1", "0", "0"), ("2023-05", "SEL §107", "1", "1", "0"),
        ("2023-06", "SEL §85", "1", "0", "0"), ("2023-06", "SEL §107", "1", "0", "0"),
        ("2023-07", "SEL §85", "0", "0", "1"), ("2023-07", "SEL §107", "1", "0", "0"),
    ]
    hp = {(r["maaned"], r["paragraf"]): float(r["helaarspersoner"]) for r in rows}
    assert hp[("2023-06", "SEL §85")] == pytest.approx(1 / 30)
    assert hp[("2023-05", "SEL §107")] == pytest.approx(1 / 31)
    assert hp[("2023-06", "SEL §107")] == pytest.approx(1.0)      # Y4 inside Y3: not 41/30
    assert hp[("2023-07", "SEL §107")] == pytest.approx(10 / 31)  # open through --paa


def test_cli_json(cli_dir, capsys):
    code, out, _ = run_cli(capsys, str(cli_dir), "--fra", "2023-01", "--til", "2023-01", "--format", "json")
    assert code == 0
    assert json.loads(out) == [{"maaned": "2023-01", "paragraf": "SEL §85", "borgere": 1,
                                "helaarspersoner": 1.0, "tilgang": 1, "afgang": 0}]


@pytest.mark.parametrize("argv", [
    ["--fra", "2023-13", "--til", "2023-12"],
    ["--fra", "januar", "--til", "2023-12"],
    ["--fra", "2023-01-15", "--til", "2023-12"],
    ["--fra", "2023-06", "--til", "2023-01"],
    ["--til", "2023-01"],
    ["--fra", "2023-01", "--til", "2023-02", "--paa", "31-02-2023"],
    ["--fra", "2023-01", "--til", "2023-03", "--paa", "2023-02-28"],  # --til after the reference month
])
def test_cli_bad_input_exits_2(borger_x_dir, capsys, argv):
    code, out, err = run_cli(capsys, str(borger_x_dir), *argv)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_module_exit_2_on_bad_fra(borger_x_dir):
    import subprocess
    import sys

    python = ROOT / ".venv" / "bin" / "python"
    res = subprocess.run([str(python) if python.exists() else sys.executable, "-m", "workbench", "optaelling",
                          str(borger_x_dir), "--fra", "2023-00", "--til", "2023-02"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == ["fejl: ugyldig måned '2023-00' (brug ÅÅÅÅ-MM)"]


def test_cli_til_after_default_reference_date_exits_2(borger_x_dir, capsys):
    """Without --paa the reference date is the udtraeksdato (Borger X: latest event 1 Jun 2023): a
    month after it is bad input, one Danish line, exit 2."""
    code, out, err = run_cli(capsys, str(borger_x_dir), "--fra", "2023-05", "--til", "2023-07")
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [
        "fejl: til-måneden 2023-07 ligger efter referencedatoens måned (2023-06, referencedato 2023-06-01); "
        "dage efter referencedatoen tælles ikke"]


def test_borger_x_story(borger_x_dir, capsys):
    """Seed 003: the §85 support from 1 Jan 2023 ends on the follow-up date 1 Jun 2023."""
    code, out, _ = run_cli(capsys, str(borger_x_dir), "--fra", "2023-05", "--til", "2023-07", "--paa", "2023-07-31")
    assert code == 0
    rows = [r.split(",") for r in out.strip().splitlines()[1:]]
    assert [(r[0], r[2], r[5]) for r in rows] == [("2023-05", "1", "0"), ("2023-06", "1", "0"), ("2023-07", "0", "1")]


def test_danish_formatting_helpers():
    from workbench.ui.widgets import dansk_maaned, dansk_tal, small_count

    assert dansk_tal(1234567.891) == "1.234.568"
    assert dansk_tal(1234.56, 1) == "1.234,6"
    assert dansk_tal(None) == "–"
    assert dansk_tal("<5") == "<5"
    assert dansk_maaned("2024-02") == "februar 2024"
    assert dansk_maaned(D(2024, 12, 9), kort=True) == "dec. 2024"
    assert [small_count(v, 5) for v in (0, 1, 4, 5, 1500)] == ["0", "<5", "<5", "5", "1.500"]
