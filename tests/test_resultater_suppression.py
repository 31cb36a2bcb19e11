"""Issue 23 item 3 / issue 20 item 7: the Resultater table for a role without the borger list (page and
`resultater --bruger analytiker`) hides no count that is a row total minus its shown parts.

Found on the kommune demo: SEL §84 showed maal 9, opnaaet 8, ikke_opnaaet '<5', afventer 0, ... so the
hidden count was 9 - 8 = 1 (and the same through the vurdering columns and andel_opnaaet 0,89)."""

from __future__ import annotations

import polars as pl

from workbench.regler import access, suppression
from workbench.sider import resultater

ANALYTIKER = access.Principal("a", "analytiker")


def _row(**kw) -> dict:
    base = {c: 0 for c in resultater.COLUMNS if c not in ("gruppe", "andel_forbedret", "andel_opnaaet")}
    return {"gruppe": "SEL §84", **base, **kw}


def _recoverable(shown: dict, exact: dict) -> list[str]:
    """Counts hidden in `shown` that one row total minus the shown parts gives back."""
    out = []
    for tot, parts in resultater.GRUPPER_I_RAEKKE:
        hidden = [p for p in parts if shown[p] in ("x", f"<{suppression.threshold()}")]
        if len(hidden) == 1 and shown[tot] not in ("x", f"<{suppression.threshold()}"):
            out.append(hidden[0])
    return out


def test_a_count_that_is_the_total_minus_the_rest_is_hidden():
    rows = [_row(borgere=3, forbedret=2, en_vurdering=1, maal=9, opnaaet=8, ikke_opnaaet=1,
                 vurdering_opnaaet=8, vurdering_ikke_opnaaet=1),
            _row(gruppe="SEL §85", borgere=40, forbedret=30, uaendret=10, maal=50, opnaaet=30, ikke_opnaaet=20,
                 vurdering_opnaaet=30, vurdering_ikke_opnaaet=20)]
    df = pl.DataFrame(rows).with_columns(
        (pl.col("forbedret") / (pl.col("forbedret") + pl.col("uaendret") + pl.col("forvaerret"))).alias("andel_forbedret"),
        (pl.col("opnaaet") / (pl.col("opnaaet") + pl.col("ikke_opnaaet") + pl.col("overskredet"))).alias("andel_opnaaet"),
    ).select(resultater.COLUMNS)
    vist = resultater.for_principal(df, ANALYTIKER)
    for shown, exact in zip(vist.to_dicts(), df.to_dicts()):
        assert _recoverable(shown, exact) == [], (shown["gruppe"], shown)
    s84 = vist.row(0, named=True)
    assert s84["ikke_opnaaet"] == "<5" and s84["opnaaet"] == "x" and s84["andel_opnaaet"] == "x"
    s85 = vist.row(1, named=True)
    assert s85["opnaaet"] == "30" and s85["maal"] == "50"  # nothing small: nothing hidden
    # the exact role gets the frame unchanged
    assert resultater.for_principal(df, access.Principal("b", "admin")).equals(df)


def test_demo_resultater_for_analytiker_gives_no_hidden_count_back(demo_kommune):
    import datetime as dt

    from workbench.data.dataset import open_dataset, udtraeksdato

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    for pr in ("paragraf", "tilbud", "maalgruppe"):
        df = resultater.resultater(ds, pr, dt.date(paa.year - 1, paa.month, 1), paa).collect()
        vist = resultater.for_principal(df, ANALYTIKER)
        for shown, exact in zip(vist.to_dicts(), df.to_dicts()):
            assert _recoverable(shown, exact) == [], (pr, shown["gruppe"])
