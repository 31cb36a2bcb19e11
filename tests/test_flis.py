"""The FLIS-corrected count (issue 22; contract "8-talskontrol": borgere and helårspersoner after leaving
out the rows FLIS marks and removes, beside the raw count): regler.flis is the one owner of which rows;
the `optaelling --flis` command and the Overblik page (test_overblik_page) count with it."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import polars as pl

from tests.test_kvalitet import P85, P107, P108, ADM, base_rows, make_dir, ydelse
from workbench.cli import main
from workbench.data.dataset import open_dataset
from workbench.regler import flis, optaelling

D = dt.date
PAA = D(2023, 12, 31)


def _dir(tmp_path):
    """X valid §85 (kept); U under 18 at start (removed); V an unknown ydelse name (removed) plus a valid
    §85 Jan-Jun (kept: V counts until June); G an FFB ydelsesgruppe instead of a ydelse (removed);
    W §85's ydelse under §107 (an advarsel, kept); X2 ends before it starts (removed, covers nothing)."""
    b = base_rows("borgere")
    b += [{**b[0], "borger_id": k, "cpr": "", "foedselsdato": f} for k, f in
          (("U", "2006-01-02"), ("V", "1985-03-03"), ("G", "1982-02-02"), ("W", "1980-01-01"))]
    return make_dir(tmp_path, borgere=b, ydelser=[
        ydelse("X1", "X", P85, ADM, "2023-01-01", ""),
        ydelse("U1", "U", P85, ADM, "2023-06-01", ""),
        ydelse("V1", "V", P85, "Bostøtte", "2023-01-01", ""),
        ydelse("V2", "V", P85, ADM, "2023-01-01", "2023-06-30"),
        ydelse("G1", "G", P85, "Socialpædagogisk støtte", "2023-02-01", ""),
        ydelse("W1", "W", P107, ADM, "2023-01-01", ""),
        ydelse("X2", "X", P108, "Længerevarende ophold", "2023-05-01", "2023-04-01"),
    ])


def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()
    return {(r["maaned"], r["paragraf"]): r for r in json.loads(out.getvalue())}


def test_marked_rows_are_the_ones_flis_removes(tmp_path):
    ds = open_dataset(_dir(tmp_path))
    got = dict(flis.markerede(ds).collect().select("ydelse_id", "aarsag").rows())
    assert got == {"U1": "under_18", "V1": "ugyldig_ydelse", "G1": "ugyldig_ydelse", "X2": "slut_foer_start"}
    kept = flis.korrigeret(ds.ydelser, flis.markerede(ds)).collect()["ydelse_id"].cast(pl.String).to_list()
    assert sorted(kept) == ["V2", "W1", "X1"]


def test_corrected_count_hand_computed_and_command_agrees(tmp_path):
    d = _dir(tmp_path)
    ds = open_dataset(d)
    per, total = optaelling.overblik(flis.korrigeret(ds.ydelser, flis.markerede(ds)), D(2023, 3, 1),
                                     D(2023, 12, 1), PAA)
    tot = {r["maaned"]: r for r in total.collect().to_dicts()}
    # December: raw §85 X, U, V (V1), G = 4 and §107 W; corrected §85 only X (V2 ended in June)
    assert (tot["2023-12"]["borgere"], tot["2023-12"]["helaarspersoner"]) == (2, 2.0)
    assert tot["2023-03"]["borgere"] == 3  # X, V (V2), W; G and V1 left out
    _, raw = optaelling.overblik(ds.ydelser, D(2023, 12, 1), D(2023, 12, 1), PAA)
    assert (raw.collect()["borgere"][0], raw.collect()["helaarspersoner"][0]) == (5, 5.0)
    # the command: --flis gives the corrected table, without it the contract's raw table, unchanged
    base = ["optaelling", str(d), "--fra", "2023-03", "--til", "2023-12", "--paa", PAA.isoformat(),
            "--format", "json"]
    k, r = _cli(base + ["--flis"]), _cli(base)
    assert list(next(iter(r.values()))) == list(optaelling.COLUMNS)
    assert (k[("2023-12", P85)]["borgere"], r[("2023-12", P85)]["borgere"]) == (1, 4)
    assert (k[("2023-07", P85)]["afgang"], r[("2023-07", P85)]["afgang"]) == (1, 0)  # V leaves after June
    assert k[("2023-12", P107)]["borgere"] == r[("2023-12", P107)]["borgere"] == 1
    want = {(m, str(p)): (b, h) for m, p, b, h in
            per.collect().select("maaned", "paragraf", "borgere", "helaarspersoner").rows()}
    assert {key: (v["borgere"], v["helaarspersoner"]) for key, v in k.items()} == want


def test_forklaring_is_one_danish_sentence_naming_what_is_left_out():
    text = flis.FORKLARING
    assert text.count(". ") == 0 and text.endswith(".")
    for word in ("ugyldige ydelseskoder", "under 18 år", "slutter før", "overlap"):
        assert word in text
