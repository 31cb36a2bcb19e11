"""One niveau per borger × undertema (issue 11 item 3): Udforsk (filters/udforsk), Kort (the same
borger_status), the borger page (forloeb.borger_niveauer / borger_goals) and the `forloeb` command
(JSON) give the same niveau for every pair of the kommune demo, through their own code paths."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout

import polars as pl

from workbench.regler import filters as F
from workbench.regler import maalstatus
from workbench.sider import forloeb, udforsk
from workbench.cli import main
from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.regler.filters import Filters

AD = "Aktivitet og deltagelse"


def _udforsk_pairs(ds, paa) -> dict[tuple[str, str], int]:
    lv = F.latest_niveauer(ds, paa).collect()
    return {(b, u): int(n) for b, u, n in lv.iter_rows()}


def test_every_goal_and_every_borger_page_agrees_with_udforsk(demo_kommune):
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    u = _udforsk_pairs(ds, paa)
    assert len(u) > 1000
    # goal status (vectorised over all borgere): seneste_niveau is the same niveau
    g = maalstatus.goal_status(ds.indsatsmaal, ds.funktionsevne, paa).select(
        "borger_id", pl.col("undertema").cast(pl.String), "seneste_niveau").collect()
    assert g.height > 500
    for b, ut, n in g.iter_rows():
        assert u.get((b, ut)) == n, (b, ut)
    # the borger page's per-undertema niveau (with its date) for a spread of borgere
    ids = ds.borgere.select("borger_id").collect()["borger_id"].sort().to_list()[::20]
    for b in ids:
        page = forloeb.borger_niveauer(ds, b, paa).collect()
        mine = {ut: n for (bb, ut), n in u.items() if bb == b}
        assert dict(page.select("undertema", "niveau").iter_rows()) == mine, b
        assert (page["niveau_dato"] <= paa).all()


def test_forloeb_command_and_udforsk_distribution_agree(demo_kommune):
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    u = _udforsk_pairs(ds, paa)
    # pick borgere with a later Ikke vurderet after an assessed niveau on some undertema (the case the
    # two old rules disagreed on), plus a few others
    fe = ds.funktionsevne.filter((pl.col("omraade").cast(pl.String) == AD) & (pl.col("dato") <= paa)).collect()
    last = fe.sort("dato").group_by("borger_id", "undertema").agg(pl.col("niveau").last().alias("sidst"),
                                                                  pl.col("niveau").drop_nulls().len().alias("n"))
    tricky = last.filter(pl.col("sidst").is_null() & (pl.col("n") > 0))["borger_id"].unique().sort().to_list()
    assert tricky, "the demo should have later Ikke vurderet rows"
    for b in tricky[:8] + ["B000106"]:
        buf = io.StringIO()
        with redirect_stdout(buf):
            assert main(["forloeb", str(demo_kommune), b, "--format", "json"]) == 0
        js = json.loads(buf.getvalue())
        for goal in js["indsatsmaal"]:
            assert goal["seneste_niveau"] == u.get((b, goal["undertema"])), (b, goal["maal_id"])
            assert "vurdering" in goal and "vurderingsdato" in goal
        # the latest assessed niveau read off the JSON rows (worst of the day) equals Udforsk's
        rows = [r for r in js["funktionsevne"] if r["omraade"] == AD and r["niveau"] is not None]
        latest: dict[str, tuple[str, int]] = {}
        for r in rows:
            cur = latest.get(r["undertema"])
            if cur is None or r["dato"] > cur[0] or (r["dato"] == cur[0] and r["niveau"] > cur[1]):
                latest[r["undertema"]] = (r["dato"], r["niveau"])
        assert {ut: n for ut, (_, n) in latest.items()} == {ut: n for (bb, ut), n in u.items() if bb == b}, b
    # Udforsk's distribution for one undertema counts the same niveauer (population on paa)
    f = Filters(paa=paa)
    ut = last.group_by("undertema").len().sort("len", descending=True)["undertema"][0]
    fd = udforsk.funktionsevne_fordeling(ds, f, [ut]).collect()
    pop = set(F.population(ds, f).collect()["borger_id"].to_list())
    want: dict[str, int] = {}
    for b in pop:
        n = u.get((b, ut))
        key = F.IKKE_VURDERET if n is None else str(n)
        want[key] = want.get(key, 0) + 1
    assert dict(fd.select("niveau", "borgere").iter_rows()) == want
    # and Kort/Udforsk's borger_status (the niveau filter) agrees pair by pair
    st = F.borger_status(ds, Filters(paa=paa, undertema=ut)).select("borger_id", "niveau").collect()
    for b, n in st.iter_rows():
        assert n == (str(u[(b, ut)]) if (b, ut) in u else F.IKKE_VURDERET)


def test_stale_filter_in_distribution(demo_kommune):
    """'vurderet inden for de seneste N måneder' moves stale niveauer to Ikke vurderet in Udforsk."""
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    fe = ds.funktionsevne.filter(pl.col("niveau").is_not_null()).collect()
    ut = fe.group_by(pl.col("undertema").cast(pl.String)).len().sort("len", descending=True)["undertema"][0]
    alle = udforsk.funktionsevne_fordeling(ds, Filters(paa=paa), [ut]).collect()
    nyere = udforsk.funktionsevne_fordeling(ds, Filters(paa=paa, vurderet_maaneder=6), [ut]).collect()
    assert alle["borgere"].sum() == nyere["borgere"].sum()  # the same population
    iv = lambda df: df.filter(pl.col("niveau") == F.IKKE_VURDERET)["borgere"].sum()  # noqa: E731
    assert paa == dt.date(2026, 10, 31)
    since = dt.date(2026, 4, 30)  # six calendar months before 31-10-2026 (there is no 31-04)
    pop = F.population(ds, Filters(paa=paa)).collect()
    stale = (forloeb.niveau.niveau_paa(ds.funktionsevne, paa, [ut]).filter(pl.col("niveau_dato") < since)
             .join(pop.lazy(), on="borger_id", how="semi").collect().height)
    assert stale > 0 and iv(nyere) == iv(alle) + stale
