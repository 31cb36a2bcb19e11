"""Overlapping ydelser (spec/DATA_CONTRACT.md "Periods and overlaps"; config/overlap_rules.yaml).

Hand-made datasets: Borger X (seed 003) as the base, with the ydelser of each case written over it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.regler import overlap as ov
from workbench.cli import main
from workbench.data.config import ConfigError
from workbench.data.dataset import open_dataset
from workbench.data.paths import CONFIG_DIR

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "borger_x"
YCOLS = ["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato", "slutdato", "registreringsdato",
         "bevillingsdato", "tilbud_id", "sagsafgoerelse_id", "timer_pr_uge", "maanedlig_udgift"]
P85, ABL, P107, P108, P103 = "SEL §85", "ABL §105/SEL §85", "SEL §107", "SEL §108", "SEL §103"
ADM, DAGL = "Støtte til administration", "Støtte til daglige opgaver i hjemmet"
D = dt.date


def Y(yid, borger, paragraf, start, slut="", ydelse=None, tilbud="1000000001", udgift="3650"):
    names = {P85: ADM, ABL: DAGL, P107: "Midlertidigt ophold", P108: "Længerevarende ophold", P103: "Service"}
    return {"ydelse_id": yid, "borger_id": borger, "paragraf": paragraf, "ydelse": ydelse or names[paragraf],
            "startdato": start, "slutdato": slut, "registreringsdato": start, "bevillingsdato": start,
            "tilbud_id": tilbud, "sagsafgoerelse_id": "S1", "timer_pr_uge": "", "maanedlig_udgift": udgift}


def write_csv(path: Path, rows: list[dict], cols: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


def make_dir(tmp_path: Path, ydelser: list[dict], borgere: list[str] = ("X",), name: str = "ds") -> Path:
    d = tmp_path / name
    shutil.copytree(FIXTURE, d)
    (d / "expected_forloeb.json").unlink()
    (d / "README.md").unlink()
    bcols = ["borger_id", "cpr", "foedselsdato", "koen", "handlekommune", "betalingskommune", "sagsbehandler", "team"]
    write_csv(d / "borgere.csv", [
        {"borger_id": b, "cpr": "", "foedselsdato": "1990-01-01", "koen": "K",
         "handlekommune": "0250" if i % 2 == 0 else "0101", "betalingskommune": "", "sagsbehandler": "Z", "team": "T"}
        for i, b in enumerate(borgere)], bcols)
    write_csv(d / "ydelser.csv", ydelser, YCOLS)
    return d


def pairs(tmp_path, ydelser, paa=D(2024, 1, 1), borgere=("X",), rules=None) -> list[tuple]:
    ds = open_dataset(make_dir(tmp_path, ydelser, borgere))
    df = ov.overlap_report(ds.ydelser, paa, rules).collect()
    return [tuple(r) for r in df.iter_rows()]


# --- periods ---------------------------------------------------------------------------------------

def test_handover_d_to_d_plus_1_is_no_overlap(tmp_path):
    rows = pairs(tmp_path, [Y("Y1", "X", P85, "2023-01-01", "2023-03-31"), Y("Y2", "X", ABL, "2023-04-01", "2023-12-31")])
    assert rows == []


def test_same_day_handover_is_one_day(tmp_path):
    rows = pairs(tmp_path, [Y("Y1", "X", P85, "2023-01-01", "2023-03-31"), Y("Y2", "X", ABL, "2023-03-31", "2023-12-31")])
    assert rows == [("X", "SEL85_ABL105", "Y1", P85, "Y2", ABL, D(2023, 3, 31), D(2023, 3, 31), 1)]
    # the same with the later ydelse first by id (both interval ends are tested)
    rows = pairs(tmp_path / "rev", [Y("Y2", "X", P85, "2023-01-01", "2023-03-31"),
                                    Y("Y1", "X", ABL, "2023-03-31", "2023-12-31")])
    assert rows == [("X", "SEL85_ABL105", "Y1", ABL, "Y2", P85, D(2023, 3, 31), D(2023, 3, 31), 1)]
    assert pairs(tmp_path / "rev2", [Y("Y2", "X", P85, "2023-01-01", "2023-03-30"),
                                     Y("Y1", "X", ABL, "2023-03-31", "2023-12-31")]) == []


def test_overlap_is_inclusive_both_ends(tmp_path):
    rows = pairs(tmp_path, [Y("Y1", "X", P107, "2023-01-01", "2023-01-10"), Y("Y2", "X", P108, "2023-01-05", "2023-02-28")])
    assert rows == [("X", "SEL107_SEL108", "Y1", P107, "Y2", P108, D(2023, 1, 5), D(2023, 1, 10), 6)]


def test_open_end_runs_through_reference_date(tmp_path):
    yd = [Y("Y1", "X", P85, "2023-01-01"), Y("Y2", "X", P107, "2023-06-01")]
    rows = pairs(tmp_path, yd, paa=D(2023, 6, 10))
    assert rows == [("X", "SEL85_SEL107", "Y1", P85, "Y2", P107, D(2023, 6, 1), D(2023, 6, 10), 10)]
    # Before Y2 starts there is nothing to overlap with.
    assert pairs(tmp_path / "b", yd, paa=D(2023, 5, 31)) == []
    assert pairs(tmp_path / "c", yd, paa=D(2023, 6, 1))[0][-1] == 1


def test_slut_before_start_never_overlaps(tmp_path):
    rows = pairs(tmp_path, [Y("Y1", "X", P85, "2023-05-01", "2023-04-01"), Y("Y2", "X", ABL, "2023-01-01", "2023-12-31")])
    assert rows == []


def test_three_mutually_overlapping_give_three_pairs(tmp_path):
    rows = pairs(tmp_path, [
        Y("Y1", "X", P85, "2023-01-01", "2023-12-31"),
        Y("Y2", "X", P107, "2023-03-01", "2023-06-30"),
        Y("Y3", "X", P108, "2023-06-01", "2023-12-31"),
    ])
    assert [(r[1], r[2], r[4], r[8]) for r in rows] == [
        ("SEL107_SEL108", "Y2", "Y3", 30),
        ("SEL85_SEL107", "Y1", "Y2", 122),
        ("SEL85_SEL108", "Y1", "Y3", 214),
    ]


def test_three_dobbelt_give_all_three_pairs(tmp_path):
    rows = pairs(tmp_path, [Y(f"Y{i}", "X", P85, "2023-01-01", "2023-01-31") for i in (1, 2, 3)])
    assert [(r[1], r[2], r[4]) for r in rows] == [("DOBBELT", "Y1", "Y2"), ("DOBBELT", "Y1", "Y3"), ("DOBBELT", "Y2", "Y3")]


def test_allowed_pair_not_reported(tmp_path):
    # §103 beskyttet beskæftigelse next to §85 støtte is normal; §85 with two different ydelser too.
    rows = pairs(tmp_path, [
        Y("Y1", "X", P85, "2023-01-01", "2023-12-31"),
        Y("Y2", "X", P103, "2023-01-01", "2023-12-31"),
        Y("Y3", "X", P85, "2023-01-01", "2023-12-31", ydelse=DAGL),
    ])
    assert rows == []


def test_dobbelt_needs_same_paragraf_and_same_ydelse(tmp_path):
    rows = pairs(tmp_path, [
        Y("Y1", "X", P85, "2023-01-01", "2023-12-31", ydelse=DAGL),
        Y("Y2", "X", P85, "2023-12-31", "2024-03-31", ydelse=DAGL),
        Y("Y3", "X", ABL, "2025-01-01", "2025-01-31", ydelse=DAGL),
        Y("Y4", "X", P85, "2025-01-01", "2025-01-31", ydelse=ADM),
    ], paa=D(2025, 6, 1))
    assert [(r[1], r[2], r[4], r[8]) for r in rows] == [("DOBBELT", "Y1", "Y2", 1), ("SEL85_ABL105", "Y3", "Y4", 31)]
    # a before b by ydelse_id even when b is the §85
    assert rows[1][3] == ABL and rows[1][5] == P85


def test_different_borgere_never_paired_and_same_ids_kept_apart(tmp_path):
    rows = pairs(tmp_path, [
        Y("Y1", "A", P85, "2023-01-01", "2023-12-31"),
        Y("Y2", "B", ABL, "2023-01-01", "2023-12-31"),   # other borger: no pair with A's Y1
        Y("Y1", "C", P107, "2023-01-01", "2023-01-31"),  # the same ids in two more borgere
        Y("Y2", "C", P108, "2023-01-31", "2023-12-31"),
        Y("Y1", "D", P107, "2023-02-01", "2023-02-28"),
        Y("Y2", "D", P108, "2023-02-27", "2023-12-31"),
    ], borgere=("A", "B", "C", "D"))
    assert [(r[0], r[2], r[4], r[8]) for r in rows] == [("C", "Y1", "Y2", 1), ("D", "Y1", "Y2", 2)]


def test_order_by_string_ids_and_sort_and_csv_columns(tmp_path, capsys):
    d = make_dir(tmp_path, [
        Y("Y9", "B2", P85, "2023-01-01", "2023-12-31"),
        Y("Y10", "B2", P108, "2023-02-01", "2023-02-28"),   # 'Y10' < 'Y9' as strings
        Y("Y11", "B2", ABL, "2023-03-01", "2023-03-31"),
        Y("Y2", "B1", P107, "2023-01-01", "2023-01-31"),
        Y("Y1", "B1", P108, "2023-01-15", "2023-12-31"),
    ], borgere=("B1", "B2"))
    assert main(["overlap", str(d), "--paa", "2024-01-01", "--format", "csv"]) == 0
    text = capsys.readouterr().out
    lines = text.strip().splitlines()
    assert lines[0] == ("borger_id,regel,ydelse_id_a,paragraf_a,ydelse_id_b,paragraf_b,"
                        "overlap_start,overlap_slut,overlap_dage")
    got = [tuple(r) for r in csv.reader(io.StringIO(text))][1:]
    assert got == [
        ("B1", "SEL107_SEL108", "Y1", P108, "Y2", P107, "2023-01-15", "2023-01-31", "17"),
        ("B2", "SEL85_ABL105", "Y11", ABL, "Y9", P85, "2023-03-01", "2023-03-31", "31"),
        ("B2", "SEL85_SEL108", "Y10", P108, "Y9", P85, "2023-02-01", "2023-02-28", "28"),
    ]


def test_json_and_table_formats(tmp_path, capsys):
    d = make_dir(tmp_path, [Y("Y1", "X", P85, "2023-01-01", "2023-01-31"), Y("Y2", "X", ABL, "2023-01-31", "")])
    assert main(["overlap", str(d), "--paa", "2023-02-15", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == [{"borger_id": "X", "regel": "SEL85_ABL105", "ydelse_id_a": "Y1", "paragraf_a": P85,
                     "ydelse_id_b": "Y2", "paragraf_b": ABL, "overlap_start": "2023-01-31",
                     "overlap_slut": "2023-01-31", "overlap_dage": 1}]
    assert main(["overlap", str(d), "--paa", "15-02-2023", "--format", "table"]) == 0
    assert "SEL85_ABL105" in capsys.readouterr().out


# --- rules from config -----------------------------------------------------------------------------

def test_shipped_rule_ids():
    rules = ov.load_rules()
    assert [r.id for r in rules] == ["SEL85_ABL105", "SEL85_SEL107", "SEL85_SEL108", "SEL107_SEL108",
                                     "BOTILBUD_ABL105", "DOBBELT"]
    for r in rules:
        assert r.min_dage == 1 and r.alvor in ov.ALVOR and r.forklaring and r.ret
    by_id = {r.id: r for r in rules}
    assert by_id["SEL85_ABL105"].paragraffer_a == (P85,) and by_id["SEL85_ABL105"].paragraffer_b == (ABL,)
    assert by_id["DOBBELT"].samme_paragraf and by_id["DOBBELT"].samme_ydelse


def test_botilbud_with_abl105_is_two_homes(tmp_path):
    """Contract: BOTILBUD_ABL105 = SEL §107 or §108 with ABL §105/SEL §85 (two homes at once)."""
    rows = pairs(tmp_path, [
        Y("Y1", "X", ABL, "2023-01-01", ""),                      # bolig, open: runs to paa
        Y("Y2", "X", P107, "2023-03-10", "2023-03-19"),           # a temporary stay inside it: 10 days
        Y("Y3", "X", P108, "2023-12-31", ""),                     # a §108 from 31-12: 2 days to paa 01-01-2024
        Y("Y4", "X", P103, "2023-01-01", ""),                     # dagtilbud next to it: never an overlap
    ])
    got = [r for r in rows if r[1] == "BOTILBUD_ABL105"]
    assert got == [("X", "BOTILBUD_ABL105", "Y1", ABL, "Y2", P107, D(2023, 3, 10), D(2023, 3, 19), 10),
                   ("X", "BOTILBUD_ABL105", "Y1", ABL, "Y3", P108, D(2023, 12, 31), D(2024, 1, 1), 2)]
    # handover D -> D+1 from the bolig to a §108 is no overlap
    assert pairs(tmp_path / "h", [Y("Y1", "X", ABL, "2023-01-01", "2023-06-30"),
                                  Y("Y2", "X", P108, "2023-07-01", "")]) == []


def test_overlaps_are_potentielle_not_fejl():
    """Like FLIS the shipped rules report *potentielle* overlaps: advarsel, worded so, and §85 during a
    stay explains that §85 delivered by the botilbud belongs to the stay."""
    rules = {r.id: r for r in ov.load_rules()}
    assert {r.alvor for r in rules.values()} == {"advarsel"}
    for r in rules.values():
        assert "otentielt overlap" in r.titel and "otentielt overlap" in r.forklaring
    for rid in ("SEL85_SEL107", "SEL85_SEL108"):
        assert "hører til opholdet" in rules[rid].forklaring and "botilbuddet selv" in rules[rid].forklaring


def test_cli_overlap_reports_botilbud_abl105(tmp_path, capsys):
    d = make_dir(tmp_path, [Y("Y1", "X", ABL, "2023-01-01", "2023-12-31"), Y("Y2", "X", P108, "2023-06-01", "")])
    assert main(["overlap", str(d), "--paa", "2024-01-01", "--format", "csv"]) == 0
    out = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["regel"], r["ydelse_id_a"], r["ydelse_id_b"], r["overlap_dage"]) for r in out] == [
        ("BOTILBUD_ABL105", "Y1", "Y2", "214")]


def test_rule_match_is_gone():
    assert not hasattr(ov, "_rule_match") and not hasattr(ov, "_side")


def _config_copy(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, d)
    (d / "overlap_rules.yaml").write_text(text, encoding="utf-8")
    return d


def test_unknown_paragraf_is_config_error_naming_file_and_key(tmp_path):
    d = _config_copy(tmp_path, """
regler:
  - id: R1
    paragraffer_a: [SEL §85]
    paragraffer_b: [SEL §999]
    forklaring: x
    ret: y
""")
    with pytest.raises(ConfigError) as exc:
        ov.load_rules(d)
    assert "overlap_rules.yaml" in str(exc.value) and "regler[0].paragraffer_b" in str(exc.value)
    assert "SEL §999" in str(exc.value)


@pytest.mark.parametrize("body, key", [
    ("regler: []", "regler"),
    ("regler:\n  - paragraffer_a: alle\n    paragraffer_b: alle\n    forklaring: x\n    ret: y", "regler[0].id"),
    ("regler:\n  - id: R\n    paragraffer_a: alle\n    paragraffer_b: alle\n    min_dage: 0\n    forklaring: x\n    ret: y",
     "regler[0].min_dage"),
    ("regler:\n  - id: R\n    paragraffer_a: alle\n    paragraffer_b: alle\n    alvor: slem\n    forklaring: x\n    ret: y",
     "regler[0].alvor"),
    ("regler:\n  - id: R\n    paragraffer_a: alle\n    forklaring: x\n    ret: y", "regler[0].paragraffer_b"),
])
def test_bad_rules_name_the_key(tmp_path, body, key):
    with pytest.raises(ConfigError) as exc:
        ov.load_rules(_config_copy(tmp_path, body))
    assert "overlap_rules.yaml" in str(exc.value) and key in str(exc.value)


def test_pair_matching_two_rules_gives_two_rows_and_min_dage(tmp_path):
    d = _config_copy(tmp_path, """
regler:
  - id: BOTILBUD
    paragraffer_a: [SEL §107, SEL §108]
    paragraffer_b: [SEL §107, SEL §108]
    min_dage: 1
    forklaring: x
    ret: y
  - id: LANG
    paragraffer_a: [SEL §107]
    paragraffer_b: [SEL §108]
    min_dage: 10
    alvor: info
    forklaring: x
    ret: y
""")
    rules = ov.load_rules(d)
    yd = [Y("Y1", "X", P107, "2023-01-01", "2023-01-31"), Y("Y2", "X", P108, "2023-01-22", ""),
          Y("Y3", "X", P108, "2023-01-31", "2023-02-28")]
    rows = pairs(tmp_path, yd, rules=rules)
    assert [(r[1], r[2], r[4], r[8]) for r in rows] == [
        ("BOTILBUD", "Y1", "Y2", 10), ("BOTILBUD", "Y1", "Y3", 1), ("BOTILBUD", "Y2", "Y3", 29),
        ("LANG", "Y1", "Y2", 10),
    ]


def test_rules_read_from_config_dir_env(tmp_path, monkeypatch, capsys):
    d = _config_copy(tmp_path, "regler:\n  - id: KUN103\n    paragraffer_a: [SEL §103]\n    paragraffer_b: [SEL §85]\n"
                               "    forklaring: x\n    ret: y\n")
    monkeypatch.setenv("FFB_WORKBENCH_CONFIG", str(d))
    data = make_dir(tmp_path, [Y("Y1", "X", P85, "2023-01-01", "2023-12-31"), Y("Y2", "X", P103, "2023-01-01", "2023-01-02"),
                               Y("Y3", "X", ABL, "2023-01-01", "2023-12-31")])
    assert main(["overlap", str(data), "--paa", "2024-01-01"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[1:] == ["X,KUN103,Y1,SEL §85,Y2,SEL §103,2023-01-01,2023-01-02,2"]


# --- money at stake --------------------------------------------------------------------------------

def test_money_cheaper_ydelse_daily_cost_times_days(tmp_path):
    ds = open_dataset(make_dir(tmp_path, [
        Y("Y1", "A", P85, "2023-01-01", "2023-01-10", udgift="3650", tilbud="T1"),     # 120 kr/day
        Y("Y2", "A", ABL, "2023-01-01", "2023-12-31", udgift="36500", tilbud="T2"),    # 1200 kr/day
        Y("Y3", "B", P107, "2023-01-01", "2023-01-05", udgift="7300", tilbud="T2"),    # 240 kr/day
        Y("Y4", "B", P108, "2023-01-05", "2023-03-01", udgift="", tilbud="T3"),        # unknown cost
        Y("Y5", "B", P85, "2023-02-01", "2023-02-28", udgift="", tilbud=""),           # §85 in §108, no cost at all
    ], borgere=("A", "B")))
    p = ov.overlap_pairs(ds.ydelser, D(2024, 1, 1))
    detail = p.collect()
    assert detail.select("regel", "kroner").rows() == [
        ("SEL85_ABL105", pytest.approx(10 * 120.0)), ("SEL107_SEL108", pytest.approx(1 * 240.0)),
        ("SEL85_SEL108", 0.0)]
    per_rule = {r["regel"]: r for r in ov.money_per_rule(p).collect().to_dicts()}
    assert per_rule["SEL85_ABL105"]["kroner"] == pytest.approx(1200.0)
    assert per_rule["SEL85_ABL105"]["dage"] == 10 and per_rule["SEL85_ABL105"]["par"] == 1
    kom = {r["handlekommune"]: r["kroner"] for r in ov.money_per_kommune(p, ds.borgere).collect().to_dicts()}
    assert kom == {"0250": pytest.approx(1200.0), "0101": pytest.approx(240.0)}
    til = {r["tilbud_id"]: (r["par"], r["kroner"]) for r in ov.money_per_tilbud(p).collect().to_dicts()}
    assert til == {"T1": (1, pytest.approx(1200.0)), "T2": (2, pytest.approx(1440.0)), "T3": (2, pytest.approx(240.0)),
                   None: (1, 0.0)}
    flis = ov.by_paragraf_pair(p).collect()
    assert flis.filter(pl.col("regel") == "SEL85_ABL105").select("ydelse_a", "ydelse_b", "borgere").rows() == [
        (ADM, DAGL, 1)]
    trend = ov.per_month(p).collect()
    assert trend.select("maaned", "regel", "par").rows() == [
        ("2023-01", "SEL107_SEL108", 1), ("2023-01", "SEL85_ABL105", 1), ("2023-02", "SEL85_SEL108", 1)]


# --- exit codes ------------------------------------------------------------------------------------

def test_strict_exit_codes(tmp_path, capsys):
    found = make_dir(tmp_path, [Y("Y1", "X", P85, "2023-01-01", "2023-01-31"), Y("Y2", "X", ABL, "2023-01-31", "")], name="a")
    clean = make_dir(tmp_path, [Y("Y1", "X", P85, "2023-01-01", "2023-01-30"), Y("Y2", "X", ABL, "2023-01-31", "")], name="b")
    assert main(["overlap", str(found), "--paa", "2023-02-01", "--strict"]) == 1
    assert main(["overlap", str(found), "--paa", "2023-02-01"]) == 0
    assert main(["overlap", str(clean), "--paa", "2023-02-01", "--strict"]) == 0
    capsys.readouterr()


def test_bad_input_exit_2(tmp_path, capsys):
    assert main(["overlap", str(tmp_path / "findes_ikke")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    d = make_dir(tmp_path, [Y("Y1", "X", P85, "2023-01-01")])
    assert main(["overlap", str(d), "--paa", "31-31-2023"]) == 2
    assert "ugyldig dato" in capsys.readouterr().err


# --- scale: vectorised, no per-row Python --------------------------------------------------------------

def test_many_borgere_vectorised():
    n = 20_000
    base = D(2022, 1, 1)
    rows = []
    for i in range(n):
        b = f"B{i:05d}"
        rows.append((f"{b}-1", b, P85, ADM, base, base + dt.timedelta(days=99), 1000.0))
        # every other borger moves into a §108 on day 100 (handover) or day 99 (one day's overlap)
        rows.append((f"{b}-2", b, P108, "Længerevarende ophold", base + dt.timedelta(days=99 + i % 2), None, 2000.0))
    cols = ["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato", "slutdato", "maanedlig_udgift"]
    lf = pl.LazyFrame(rows, schema=dict(zip(cols, [pl.String] * 4 + [pl.Date, pl.Date, pl.Float64])), orient="row")
    lf = lf.with_columns(pl.lit(None, pl.String).alias("tilbud_id"))
    out = ov.overlap_report(lf, D(2023, 1, 1)).collect()
    assert out.height == n // 2
    assert out["overlap_dage"].unique().to_list() == [1]


# --- the planted defects of the demo dataset -------------------------------------------------------------

def _manifest(demo: Path) -> dict:
    path = demo / "demo_manifest.json"
    if not path.is_file():
        pytest.skip("demo_manifest.json er ikke skrevet af workbench.vaerktoej.synth endnu")
    return json.loads(path.read_text(encoding="utf-8"))


# --- benchmark variants agree ------------------------------------------------------------------------

EDGE_CASES = [
    Y("Y1", "A", P85, "2023-01-01", "2023-03-31"), Y("Y2", "A", ABL, "2023-04-01", "2023-12-31"),    # handover
    Y("Y1", "B", P85, "2023-01-01", "2023-03-31"), Y("Y2", "B", ABL, "2023-03-31", "2023-12-31"),    # one day
    Y("Y1", "C", P85, "2023-01-01", ""), Y("Y2", "C", P107, "2023-06-01", ""),                       # open ends
    Y("Y3", "C", P108, "2023-06-20", ""),                                                             # three-way
    Y("Y1", "D", P85, "2023-05-01", "2023-04-01"), Y("Y2", "D", ABL, "2023-01-01", "2023-12-31"),    # slut < start
    Y("Y1", "E", P103, "2023-01-01", ""), Y("Y2", "E", P85, "2023-01-01", ""),                       # allowed
    Y("Y10", "F", P85, "2023-01-01", ""), Y("Y9", "F", P85, "2023-02-01", "2023-02-01"),             # DOBBELT
    Y("Y11", "F", P85, "2023-01-01", "", ydelse=DAGL),
]


def test_bench_variants_agree(tmp_path):
    from workbench.vaerktoej.bench_cases import overlap as bench_overlap

    src = open_dataset(make_dir(tmp_path, EDGE_CASES, borgere=("A", "B", "C", "D", "E", "F")))
    data = tmp_path / "parquet"
    data.mkdir()
    src.ydelser.collect().write_parquet(data / "ydelser.parquet")
    frames = [fn(data, "2023-07-01") for fn in bench_overlap.VARIANTS.values()]
    assert bench_overlap.results_equal(*frames)
    want = ov.overlap_report(src.ydelser, D(2023, 7, 1)).collect()
    assert bench_overlap.normalised(frames[0]).equals(bench_overlap.normalised(want))
    assert [(r[0], r[1], r[2], r[4], r[8]) for r in want.iter_rows()] == [
        ("B", "SEL85_ABL105", "Y1", "Y2", 1),
        ("C", "SEL107_SEL108", "Y2", "Y3", 12),
        ("C", "SEL85_SEL107", "Y1", "Y2", 31),
        ("C", "SEL85_SEL108", "Y1", "Y3", 12),
        ("F", "DOBBELT", "Y10", "Y9", 1),
    ]
    # the check can fail: a different result set is not equal
    assert not bench_overlap.results_equal(frames[0], frames[1].head(4))
    assert bench_overlap.run_duckdb(str(data), "2023-07-01") == 5


def test_bench_case_registered(tmp_path):
    from workbench.vaerktoej import bench

    cases = bench.discover()
    assert "overlap" in cases and cases["overlap"].module == "workbench.vaerktoej.bench_cases.overlap"


def test_demo_kommune_finds_exactly_the_planted_overlaps(demo_kommune):
    manifest = _manifest(demo_kommune)
    paa = D.fromisoformat(manifest["udtraek_dato"])
    ds = open_dataset(demo_kommune)
    got = ov.overlap_report(ds.ydelser, paa).collect()
    found = {(r["regel"], r["borger_id"], r["ydelse_id_a"], r["ydelse_id_b"]) for r in got.iter_rows(named=True)}
    planted = {(p["regel"], p["borger_id"], p["ydelse_id_a"], p["ydelse_id_b"]) for p in manifest["overlaps"]}
    assert planted, "the manifest lists no planted overlaps"
    assert found == planted
    assert got.height == len(planted)
    # every shipped rule, BOTILBUD_ABL105 (two homes at once) included, is planted and found
    assert {r.id for r in ov.load_rules()} == {p[0] for p in planted}
    assert len([p for p in found if p[0] == "BOTILBUD_ABL105"]) == manifest["counts"]["BOTILBUD_ABL105"] > 0
    # the legitimate concurrent ydelser and handovers the generator made on purpose are not reported
    for kind in ("samtidige", "overdragelser"):
        for p in manifest.get("legitime", {}).get(kind, []):
            assert (p["borger_id"], p["ydelse_id_a"], p["ydelse_id_b"]) not in {(f[1], f[2], f[3]) for f in found}
    # every planted pair has money at stake (the demo has monthly costs on every ydelse)
    pairs = ov.overlap_pairs(ds.ydelser, paa)
    assert ov.money_per_rule(pairs).collect()["kroner"].min() > 0


def test_demo_kommune_cli_strict(demo_kommune, capsys):
    paa = _manifest(demo_kommune)["udtraek_dato"]
    assert main(["overlap", str(demo_kommune), "--paa", paa, "--strict"]) == 1
    assert len(capsys.readouterr().out.strip().splitlines()) == 1 + len(_manifest(demo_kommune)["overlaps"])
    assert main(["kvalitet", str(demo_kommune), "--paa", paa, "--strict", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)


def test_bench_case_on_demo(demo_kommune):
    from workbench.vaerktoej import bench

    manifest = _manifest(demo_kommune)
    table = bench.run("kommune", 1, ["overlap"], data_dir=demo_kommune)
    assert table["variant"].to_list() == ["polars", "duckdb", "pandas"]
    assert table["rows"].to_list() == [len(manifest["overlaps"])] * 3
    assert table["note"].str.contains("samme rækker").all()
    assert (table["peak_mb"] > 0).all() and table["median_ms"].is_not_null().all()


def test_exact_duplicate_rows_give_each_pair_once(tmp_path):
    """An exact duplicate ydelse row (kvalitet: dublet) pairs like its twin, once; a row that shares
    the ydelse_id but differs is a period of its own. overlap_pairs removes the copies from the pairs,
    the same rows as making the periods distinct first (what _periods did before)."""
    rows = [Y("Y1", "X", P85, "2023-01-01"), Y("Y2", "X", P85, "2023-06-01", "2023-12-31"),
            Y("Y3", "X", P85, "2023-03-01", "2023-08-31"), Y("Y9", "Z", P108, "2023-01-01"),
            Y("Y8", "Z", P107, "2023-02-01", "2023-03-31")]
    dup = rows + [dict(rows[1]), dict(rows[1]), dict(rows[3]), {**rows[2], "maanedlig_udgift": "99"}]
    ds = open_dataset(make_dir(tmp_path, dup, borgere=("X", "Z")))
    got = ov.overlap_pairs(ds.ydelser, D(2024, 1, 1)).collect()
    want = ov.overlap_pairs(ds.ydelser.unique(), D(2024, 1, 1)).collect()
    # the same rows (two rows that tie on the sort keys, Y1-Y3 and Y1-Y3', come in either order, as before;
    # kroner to 6 decimals: its last bit varies between runs of the same query, before this change too)
    def rows(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(pl.col("kroner").round(6)).sort(df.columns)

    assert rows(got).equals(rows(want)) and got.height == 6
    assert got.select(ov.SORT).equals(got.select(ov.SORT).sort(ov.SORT))
    assert got.select(ov.SORT + ["maanedlig_udgift_a", "maanedlig_udgift_b"]).is_unique().all()
    # Y3 twice (3650 and 99 a month): both periods pair with Y1 and Y2
    assert got.filter((pl.col("ydelse_id_a") == "Y1") & (pl.col("ydelse_id_b") == "Y3")).height == 2
    assert got.filter(pl.col("ydelse_id_a") == "Y2").height == 2
    assert got.filter(pl.col("borger_id") == "Z").height == 1
