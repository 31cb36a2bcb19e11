"""Stikprøver for ledelsestilsyn: seeded, order independent, N per stratum."""

from __future__ import annotations

import datetime as dt
import io
import random
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.regler import stikproeve
from workbench.cli import main
from workbench.data.dataset import open_dataset

ROOT = Path(__file__).resolve().parents[1]
PAA = dt.date(2024, 6, 1)
PARAGRAFFER = ["SEL §85", "SEL §108", "SEL §104", "ABL §105/SEL §85"]
SAGSBEHANDLERE = ["SB1", "SB2", "SB3", "SB4"]


def write_dataset(out: Path, shuffle_seed: int | None = None) -> Path:
    """60 borgere with 1-3 ydelser each (some ended, some future); rows shuffled when asked."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "borger_x", out)
    borgere, ydelser = [], []
    for i in range(60):
        bid = f"B{i:03d}"
        sb = None if i % 17 == 0 else SAGSBEHANDLERE[i % len(SAGSBEHANDLERE)]
        borgere.append({"borger_id": bid, "foedselsdato": "1980-01-01", "handlekommune": "0101",
                        "sagsbehandler": sb, "team": f"Team {i % 2 + 1}"})
        for j in range(1 + i % 3):
            p = PARAGRAFFER[(i + j) % len(PARAGRAFFER)]
            start, slut = "2023-01-01", None
            if j == 2:
                slut = "2024-01-31"  # ended before PAA: not a case
            if i % 11 == 0 and j == 0:
                start = "2024-09-01"  # starts after PAA: not a case
            ydelser.append({"ydelse_id": f"Y{i:03d}{j}", "borger_id": bid, "paragraf": p, "ydelse": "Støtte",
                            "startdato": start, "slutdato": slut, "tilbud_id": f"T{(i + j) % 5}"})
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(borgere)
        random.Random(shuffle_seed + 1).shuffle(ydelser)
    (out / "borgere.csv").unlink()
    (out / "ydelser.csv").unlink()
    pl.DataFrame(borgere).write_csv(out / "borgere.csv")
    pl.DataFrame(ydelser).write_csv(out / "ydelser.csv")
    return out


@pytest.fixture
def ds_dir(tmp_path) -> Path:
    return write_dataset(tmp_path / "ds")


def sample(directory: Path, pr: str, antal: int = 3, seed: int | str = 7) -> pl.DataFrame:
    return stikproeve.stikproeve(open_dataset(directory), pr, antal, seed, PAA)


@pytest.mark.parametrize("pr", list(stikproeve.STRATA))
def test_same_seed_same_sample_and_stratum_column_first(ds_dir, pr):
    a, b = sample(ds_dir, pr), sample(ds_dir, pr)
    assert a.equals(b)
    assert a.columns[:3] == [pr, "nr", "borger_id"]
    assert {"handlekommune", "paragraf", "ydelse_id", "sager_i_stratum"} <= set(a.columns)
    assert a.height > 0


@pytest.mark.parametrize("pr", list(stikproeve.STRATA))
def test_order_independent(ds_dir, tmp_path, pr):
    shuffled = write_dataset(tmp_path / "shuffled", shuffle_seed=3)
    assert (ds_dir / "ydelser.csv").read_bytes() != (shuffled / "ydelser.csv").read_bytes()
    assert sample(ds_dir, pr).equals(sample(shuffled, pr))


def test_different_seed_gives_different_sample(ds_dir):
    picks = {tuple(sample(ds_dir, "sagsbehandler", 3, seed)["borger_id"]) for seed in range(5)}
    assert len(picks) > 1


@pytest.mark.parametrize("pr", list(stikproeve.STRATA))
def test_n_per_stratum(ds_dir, pr):
    ds = open_dataset(ds_dir)
    pop = stikproeve.population(ds, pr, PAA).collect()
    sizes = dict(pop.group_by(pr).len().iter_rows())
    s = stikproeve.stikproeve(ds, pr, 3, 7, PAA)
    got = dict(s.group_by(pr).len().iter_rows())
    assert got == {k: min(3, n) for k, n in sizes.items()}
    for stratum, group in s.group_by(pr):
        assert group["nr"].to_list() == list(range(1, group.height + 1))
        assert set(group["sager_i_stratum"]) == {sizes[stratum[0]]}
    # every sampled case is a real case of that stratum
    assert s.select(pr, "borger_id").join(pop.select(pr, "borger_id"), on=[pr, "borger_id"], how="anti",
                                          nulls_equal=True).height == 0


def test_cases_are_active_on_the_reference_date(ds_dir):
    pop = stikproeve.population(open_dataset(ds_dir), "sagsbehandler", PAA).collect()
    ids = set(pop["borger_id"])
    assert "B000" not in ids  # its only ydelse starts after PAA
    assert "B001" in ids
    ydelse_ids = {y for text in pop["ydelse_id"] for y in text.split(", ")}
    assert not any(y.endswith("2") for y in ydelse_ids)  # j == 2 ended before PAA
    assert pop["borger_id"].n_unique() == pop.height  # a case per borger


def test_paragraf_case_is_borger_times_paragraf(ds_dir):
    pop = stikproeve.population(open_dataset(ds_dir), "paragraf", PAA).collect()
    assert pop.select("paragraf", "borger_id").is_unique().all()
    b001 = pop.filter(pl.col("borger_id") == "B001")
    assert sorted(b001["paragraf"].cast(pl.String)) == sorted(["SEL §108", "SEL §104"])
    # strata in the contract's paragraf order, not alphabetical
    order = pop["paragraf"].unique(maintain_order=True).cast(pl.String).to_list()
    assert order.index("SEL §85") < order.index("SEL §104")


def test_larger_n_extends_the_sample(ds_dir):
    small = sample(ds_dir, "team", 2).select("team", "borger_id")
    large = sample(ds_dir, "team", 5).select("team", "borger_id")
    assert small.join(large, on=["team", "borger_id"], how="anti").height == 0
    assert large.height > small.height


def test_borger_without_sagsbehandler_is_its_own_stratum(ds_dir):
    s = sample(ds_dir, "sagsbehandler", 10)
    assert s.filter(pl.col("sagsbehandler").is_null()).height > 0
    assert s["sagsbehandler"].to_list()[-1] is None  # null stratum last


def test_case_key_is_stable():
    # sha256 of "7|SB1|B001": independent of Polars' own hash, so a sample can be re-drawn years later
    assert stikproeve.case_key(7, "SB1", "B001") == stikproeve.case_key("7", "SB1", "B001")
    assert stikproeve.case_key(7, "SB1", "B001") != stikproeve.case_key(8, "SB1", "B001")
    assert len(stikproeve.case_key(7, None, "B001")) == 64


def test_bad_arguments():
    ds = open_dataset(ROOT / "tests" / "fixtures" / "borger_x")
    with pytest.raises(ValueError, match="stratum"):
        stikproeve.stikproeve(ds, "kommune", 1, 1, PAA)
    with pytest.raises(ValueError, match="antal"):
        stikproeve.stikproeve(ds, "team", 0, 1, PAA)


def test_borger_x_on_and_after_followup():
    ds = open_dataset(ROOT / "tests" / "fixtures" / "borger_x")
    on = stikproeve.stikproeve(ds, "sagsbehandler", 1, 1, dt.date(2023, 6, 1)).rows(named=True)
    assert len(on) == 1
    row = on[0]
    assert (row["sagsbehandler"], row["borger_id"], row["paragraf"], row["ydelse_id"]) == ("Z", "X", "SEL §85", "Y1")
    assert (row["handlekommune"], row["team"], row["sager_i_stratum"]) == ("0250", "Voksen 1", 1)
    assert (row["startdato"], row["slutdato"]) == (dt.date(2023, 1, 1), dt.date(2023, 6, 1))
    assert stikproeve.stikproeve(ds, "sagsbehandler", 1, 1, dt.date(2023, 6, 2)).height == 0


def test_cli_stikproeve_csv(ds_dir, capsys):
    assert main(["stikproeve", str(ds_dir), "--pr", "sagsbehandler", "--antal", "2", "--seed", "7",
                 "--paa", "2024-06-01"]) == 0
    out = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema=False)
    assert out.columns[:3] == ["sagsbehandler", "nr", "borger_id"]
    expected = sample(ds_dir, "sagsbehandler", 2)
    assert out["borger_id"].to_list() == expected["borger_id"].to_list()


@pytest.mark.parametrize("argv", [
    ["--pr", "kommune", "--antal", "1", "--seed", "1"],
    ["--pr", "team", "--antal", "0", "--seed", "1"],
    ["--pr", "team", "--antal", "1"],
    ["--pr", "team", "--antal", "1", "--seed", "1", "--paa", "2024-02-30"],
])
def test_cli_stikproeve_bad_arguments_exit_2(ds_dir, capsys, argv):
    assert main(["stikproeve", str(ds_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_stikproeve_requires_the_capability(ds_dir, capsys, monkeypatch):
    from workbench.regler import access
    from workbench.commands import stikproeve as command

    who = access.Principal(username="sb1", rolle="sagsbehandler", sagsbehandler="SB1")
    assert not access.can(who, "stikproeve")
    monkeypatch.setattr(command, "principal", lambda args: who)
    assert main(["stikproeve", str(ds_dir), "--pr", "team", "--antal", "1", "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "stikproeve" in err


def test_missing_context_is_null_not_empty(ds_dir):
    text = (ds_dir / "ydelser.csv").read_text().replace(",T1\n", ",\n")
    (ds_dir / "ydelser.csv").write_text(text)
    pop = stikproeve.population(open_dataset(ds_dir), "team", PAA).collect()
    assert pop["tilbud_id"].null_count() > 0 and (pop["tilbud_id"] == "").sum() == 0


def test_a_period_that_ends_before_it_starts_is_never_drawn(ds_dir):
    """A ydelse with slutdato before startdato covers no day, also with --fra/--til (periods.active_between);
    before, the period test for fra..til let it in when both ends fell inside the window."""
    yd = pl.read_csv(ds_dir / "ydelser.csv", infer_schema_length=0)
    bad = {"ydelse_id": "YBAD", "borger_id": "B000", "paragraf": "SEL §85", "ydelse": "Støtte",
           "startdato": "2024-05-20", "slutdato": "2024-03-01", "tilbud_id": "T1"}
    pl.concat([yd, pl.DataFrame([bad], schema={c: pl.String for c in yd.columns})], how="diagonal") \
        .write_csv(ds_dir / "ydelser.csv")
    pop = stikproeve.population(open_dataset(ds_dir), "sagsbehandler", PAA,
                                fra=dt.date(2024, 1, 1), til=dt.date(2024, 6, 1)).collect()
    ydelse_ids = {y for text in pop["ydelse_id"] for y in text.split(", ")}
    assert "YBAD" not in ydelse_ids
    assert "B000" not in set(pop["borger_id"])  # its other ydelse starts after the window
    assert "Y0011" in ydelse_ids or "Y0010" in ydelse_ids  # the window itself still draws cases


def _per_case_oracle(pr: str, c: str) -> pl.Expr:
    """The joined context column as one expression per case (what population computed before it made
    the values distinct and sorted over the whole frame): the oracle its faster form must equal."""
    joined = pl.col(c).cast(pl.String).drop_nulls().unique().sort().str.join(stikproeve.SEP)
    return pl.when(joined == "").then(None).otherwise(joined).alias(c)


@pytest.mark.parametrize("pr", list(stikproeve.STRATA))
def test_joined_context_equals_the_per_case_expression(pr):
    """Several ydelser per case, repeated values, nulls, an empty text, Danish letters (sorted as text,
    Å after Z) and a null stratum (no tilbud): every context column is the per-case expression's text."""
    from workbench.data.dataset import Dataset

    y = pl.DataFrame({
        "borger_id": ["B1", "B1", "B1", "B1", "B2", "B2", "B3", "B3", "B4"],
        "paragraf": ["SEL §85", "SEL §85", "SEL §107", "SEL §85", "SEL §108", "SEL §108", "SEL §85", "SEL §104",
                     "SEL §85"],
        "ydelse_id": ["Y9", "Y1", "Y5", "Y1", "Y2", "Y3", "Y4", "Y6", "Y7"],
        "ydelse": ["Åben", "Zebra", None, "Zebra", "", "", "Støtte", "støtte", None],
        "tilbud_id": ["T2", "T1", None, None, None, None, "T3", "T3", "T1"],
        "startdato": [dt.date(2024, 1, d) for d in (5, 1, 2, 3, 4, 6, 7, 8, 9)],
        "slutdato": [None, dt.date(2024, 12, 31), None, None, dt.date(2025, 1, 1), None, None, None, None],
    })
    b = pl.DataFrame({"borger_id": ["B1", "B2", "B3", "B4"], "handlekommune": ["0101"] * 4,
                      "sagsbehandler": ["SB1", None, "SB1", "SB2"], "team": ["T", "T", None, "T"]})
    ds = Dataset(Path("."), "t", {"ydelser": y.lazy(), "borgere": b.lazy()}, {})
    got = stikproeve.population(ds, pr, PAA).collect()
    unit = ["borger_id"] if pr in ("sagsbehandler", "team") else ["borger_id", pr]
    ctx = [c for c in ("paragraf", "ydelse_id", "ydelse", "tilbud_id") if c not in unit]
    yy = y.with_columns(pl.col("paragraf").cast(pl.Enum(sorted(set(y["paragraf"])))))
    want = (yy.join(b, on="borger_id").group_by(unit).agg(_per_case_oracle(pr, c) for c in ctx)
            .with_columns(pl.col(c).cast(pl.String) for c in unit))
    assert got.height == want.height == yy.join(b, on="borger_id").select(unit).unique().height
    assert (got.select(*unit, *ctx).with_columns(pl.col(c).cast(pl.String) for c in unit)
            .sort(unit, nulls_last=True).equals(want.select(*unit, *ctx).sort(unit, nulls_last=True)))
    if pr == "tilbud_id":  # B2's case without a tilbud is one case in the null stratum
        assert got.filter(pl.col("tilbud_id").is_null())["borger_id"].to_list() == ["B1", "B2"]
    if pr == "paragraf":
        b1 = got.filter((pl.col("borger_id") == "B1") & (pl.col("paragraf") == "SEL §85")).row(0, named=True)
        assert (b1["ydelse_id"], b1["ydelse"], b1["tilbud_id"]) == ("Y1, Y9", "Zebra, Åben", "T1, T2")


@pytest.mark.parametrize("pr", list(stikproeve.CHOICES))
@pytest.mark.parametrize("period", [None, (dt.date(2023, 6, 1), dt.date(2024, 3, 1))])
def test_stikproeve_is_draw_of_the_population(ds_dir, tmp_path, pr, period):
    """stikproeve draws on each case's stratum and borger and builds the context for the drawn cases
    only: exactly draw(population(...)), also with borgere left out and over a period."""
    ds = open_dataset(write_dataset(tmp_path / "shuffled", shuffle_seed=5))
    fra, til = period or (None, None)
    for antal, seed, udeluk in ((2, 7, ()), (4, "x", ("B001", "B004", "B017")), (100, 3, ())):
        got = stikproeve.stikproeve(ds, pr, antal, seed, PAA, fra, til, udeluk)
        want = stikproeve.draw(stikproeve.population(ds, pr, PAA, fra, til), pr, antal, seed, udeluk)
        assert got.schema == want.schema
        assert got.equals(want), (pr, antal, seed)
        assert got.height > 0
