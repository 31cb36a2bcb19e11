"""Filter model: every filter against a small hand-made dataset, and the URL round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from data_model.contract import TABLES, schema
from workbench.regler import filters as F
from workbench.data.config import codes as load_codes
from workbench.data.dataset import Dataset
from workbench.regler.filters import Filters

D = dt.date
PAA = D(2024, 6, 30)
UT = "Varetage egen sundhed"


def make_ds(**tables: list[dict]) -> Dataset:
    """A typed Dataset from lists of row dicts (missing tables are empty, missing columns null)."""
    codes = load_codes()
    frames = {}
    for name in TABLES:
        sch = schema(name, codes)
        rows = tables.get(name, [])
        frames[name] = pl.DataFrame([{c: r.get(c) for c in sch.names()} for r in rows], schema=sch, orient="row").lazy()
    return Dataset(Path("."), "test-v1", frames, {}, {})


def sample_tables() -> dict[str, list[dict]]:
    """Four borgere in population on 30-06-2024 (B5's only ydelse ended in 2023).
    B1 has two målgrupper: Angst (primary, Sindslidelse) and Misbrug (not primary)."""
    return dict(
        borgere=[
            dict(borger_id="B1", foedselsdato=D(1990, 7, 1), koen="K", handlekommune="0101", betalingskommune="0147",
                 sagsbehandler="S1", team="T1"),
            dict(borger_id="B2", foedselsdato=D(1950, 1, 1), koen="M", handlekommune="0101", sagsbehandler="S2",
                 team="T1"),
            dict(borger_id="B3", foedselsdato=D(2000, 6, 30), koen="K", handlekommune="0751",
                 betalingskommune="0751", sagsbehandler="S1", team="T2"),
            dict(borger_id="B4", foedselsdato=D(1980, 1, 1), koen="M", handlekommune="0751", sagsbehandler="S3",
                 team="T2"),
            dict(borger_id="B5", foedselsdato=D(1985, 1, 1), koen="K", handlekommune="0101", sagsbehandler="S1",
                 team="T1"),
        ],
        tilbud=[
            dict(tilbud_id="T108", navn="Bofællesskabet Lyngen",
                 tilbudstype="Almindeligt længerevarende botilbud til voksne", postnr="2100", kommunekode="0101",
                 driftsform="Kommunal", pladser=20),
            dict(tilbud_id="T85", navn="Bostøtten", tilbudstype="Mobilt tilbud", postnr="8000",
                 kommunekode="0751", driftsform="Privat", lat=56.15, lon=10.2),
        ],
        ydelser=[
            dict(ydelse_id="Y1", borger_id="B1", paragraf="SEL §108", ydelse="Længerevarende ophold",
                 startdato=D(2023, 1, 1), tilbud_id="T108", maanedlig_udgift=30000.0),
            dict(ydelse_id="Y2", borger_id="B2", paragraf="SEL §108", ydelse="Længerevarende ophold",
                 startdato=D(2024, 1, 1), slutdato=D(2024, 12, 31), tilbud_id="T108", maanedlig_udgift=30000.0),
            dict(ydelse_id="Y3", borger_id="B3", paragraf="SEL §85", ydelse="Støtte til administration",
                 startdato=D(2024, 6, 1), tilbud_id="T85", maanedlig_udgift=5000.0),
            dict(ydelse_id="Y4", borger_id="B4", paragraf="SEL §85", ydelse="Støtte til daglige opgaver i hjemmet",
                 startdato=D(2022, 1, 1), slutdato=D(2024, 6, 29), tilbud_id="T85", maanedlig_udgift=6000.0),
            dict(ydelse_id="Y5", borger_id="B4", paragraf="SEL §85", ydelse="Støtte til administration",
                 startdato=D(2024, 6, 30), tilbud_id="T85", maanedlig_udgift=4000.0),
            dict(ydelse_id="Y6", borger_id="B1", paragraf="SEL §85", ydelse="Støtte til administration",
                 startdato=D(2024, 1, 1), tilbud_id="T85", maanedlig_udgift=2000.0),
            dict(ydelse_id="Y7", borger_id="B5", paragraf="SEL §85", ydelse="Støtte til administration",
                 startdato=D(2022, 1, 1), slutdato=D(2023, 12, 31), tilbud_id="T85", maanedlig_udgift=1000.0),
        ],
        maalgrupper=[
            dict(borger_id="B1", maalgruppe="Angst", primaer=True, dato=D(2023, 1, 1)),
            dict(borger_id="B1", maalgruppe="Misbrug", primaer=False, dato=D(2023, 1, 1)),
            dict(borger_id="B2", maalgruppe="Udviklingshæmning", primaer=True, dato=D(2020, 1, 1)),
            dict(borger_id="B3", maalgruppe="Depression", primaer=False, dato=D(2024, 1, 1)),
            dict(borger_id="B3", maalgruppe="Hjemløshed", primaer=True, dato=D(2024, 1, 1)),
            dict(borger_id="B4", maalgruppe="Autismespektrum", primaer=True, dato=D(2020, 1, 1)),
            dict(borger_id="B4", maalgruppe="Angst", primaer=True, dato=D(2024, 7, 15)),  # after the reference date
        ],
        funktionsevne=[
            dict(borger_id="B1", dato=D(2023, 1, 1), omraade="Aktivitet og deltagelse", tema="Egenomsorg",
                 undertema=UT, niveau=2),
            dict(borger_id="B1", dato=D(2024, 3, 1), omraade="Aktivitet og deltagelse", tema="Egenomsorg",
                 undertema=UT, niveau=3),
            dict(borger_id="B2", dato=D(2024, 2, 1), omraade="Aktivitet og deltagelse", tema="Egenomsorg",
                 undertema=UT, niveau=None),  # Ikke vurderet
            dict(borger_id="B4", dato=D(2024, 1, 1), omraade="Aktivitet og deltagelse", tema="Egenomsorg",
                 undertema=UT, niveau=1),
            dict(borger_id="B4", dato=D(2024, 7, 1), omraade="Aktivitet og deltagelse", tema="Egenomsorg",
                 undertema=UT, niveau=4),  # after the reference date
            dict(borger_id="B4", dato=D(2024, 1, 1), omraade="Aktivitet og deltagelse", tema="Samfundsliv",
                 undertema="Varetage økonomi", niveau=0),
        ],
        stoettebehov=[
            dict(borger_id="B1", dato=D(2024, 1, 1), stoettebehov="Højt støttebehov"),
            dict(borger_id="B2", dato=D(2023, 1, 1), stoettebehov="Moderat støttebehov"),
            dict(borger_id="B4", dato=D(2024, 1, 1), stoettebehov="Let støttebehov"),
            dict(borger_id="B4", dato=D(2024, 2, 1), stoettebehov="Højt støttebehov", tema="Egenomsorg"),
        ],
    )


@pytest.fixture
def ds() -> Dataset:
    return make_ds(**sample_tables())


def pop(ds: Dataset, **kw) -> list[str]:
    kw.setdefault("paa", PAA)
    return F.population(ds, Filters(**kw)).collect()["borger_id"].to_list()


def test_population_is_borgere_with_an_active_ydelse(ds):
    assert pop(ds) == ["B1", "B2", "B3", "B4"]
    # the day before: B4's Y4 still runs, Y5 has not started; B3 started 01-06
    assert pop(ds, paa=D(2024, 6, 29)) == ["B1", "B2", "B3", "B4"]
    assert pop(ds, paa=D(2024, 5, 31)) == ["B1", "B2", "B4"]


def test_interval_period(ds):
    assert pop(ds, fra=D(2023, 1, 1), paa=D(2023, 12, 31)) == ["B1", "B4", "B5"]


@pytest.mark.parametrize("kw,expected", [
    (dict(paragraffer=("SEL §108",)), ["B1", "B2"]),
    (dict(ydelser=("Støtte til administration",)), ["B1", "B3", "B4"]),
    (dict(tilbudstyper=("Mobilt tilbud",)), ["B1", "B3", "B4"]),
    (dict(tilbud=("T108",)), ["B1", "B2"]),
    (dict(driftsformer=("Privat",)), ["B1", "B3", "B4"]),
    # ydelse-level filters hold on the same ydelse: no §108 ydelse is delivered by a private tilbud
    (dict(paragraffer=("SEL §108",), driftsformer=("Privat",)), []),
    (dict(kommuner=("0101",)), ["B1", "B2"]),
    (dict(kommunetype="betaling", kommuner=("0147",)), ["B1"]),
    (dict(kommunetype="betaling", kommuner=("0101",)), ["B2"]),  # empty betalingskommune -> handlekommune
    (dict(regioner=("1082",)), ["B3", "B4"]),
    (dict(maalgrupper=("Angst",)), ["B1"]),  # B4's primary Angst is dated after the reference date
    (dict(maalgrupper=("Misbrug",)), []),  # not primary
    (dict(maalgrupper=("Misbrug",), kun_primaer=False), ["B1"]),
    (dict(maalgrupper=("Psykiske vanskeligheder",)), ["B1"]),  # a branch matches its sub-målgrupper
    (dict(kategorier=("Sindslidelse",)), ["B1"]),
    (dict(kategorier=("Sindslidelse",), kun_primaer=False), ["B1", "B3"]),
    (dict(kategorier=("Særlige sociale problemer",)), ["B3"]),
    (dict(undertema=UT, niveauer=("3",)), ["B1"]),
    (dict(undertema=UT, niveauer=("1",)), ["B4"]),  # the niveau 4 of 01-07 is after the reference date
    (dict(undertema=UT, niveauer=(F.IKKE_VURDERET,)), ["B2", "B3"]),  # empty niveau and never assessed
    (dict(undertema=UT, niveauer=("4",)), []),
    (dict(stoettebehov=("Højt støttebehov",)), ["B1"]),  # B4's Højt is for one tema, not overall
    (dict(stoettebehov=("Let støttebehov",)), ["B4"]),
    (dict(stoettebehov=(F.IKKE_VURDERET,)), ["B3"]),
    (dict(aldersgrupper=("18-24",)), ["B3"]),  # 24th birthday on the reference date
    (dict(aldersgrupper=("25-34",)), ["B1"]),  # turns 34 the day after
    (dict(aldersgrupper=("65-79",)), ["B2"]),
    (dict(koen=("K",)), ["B1", "B3"]),
    (dict(sagsbehandlere=("S1",)), ["B1", "B3"]),
    (dict(teams=("T2",)), ["B3", "B4"]),
    (dict(kategorier=("Sindslidelse",), paragraffer=("SEL §108",), undertema=UT, niveauer=("3",)), ["B1"]),
])
def test_each_filter(ds, kw, expected):
    assert pop(ds, **kw) == expected


def test_apply_narrows_tables(ds):
    f = Filters(paa=PAA, paragraffer=("SEL §108",))
    out = F.apply(ds, f)
    assert sorted(out.borgere.collect()["borger_id"]) == ["B1", "B2"]
    assert sorted(out.ydelser.collect()["ydelse_id"]) == ["Y1", "Y2"]  # only the matching ydelser
    assert set(out.maalgrupper.collect()["borger_id"]) == {"B1", "B2"}
    assert out.ydelser.collect_schema() == ds.ydelser.collect_schema()
    assert out.version == ds.version


def test_aldersgruppe_labels_follow_config():
    labels = F.aldersgruppe_labels()
    assert labels[0] == "18-24" and labels[-1] == "80+"
    df = pl.DataFrame({"a": [17, 18, 24, 25, 80, 104]}).select(F.aldersgruppe_expr(pl.col("a")))
    assert df.to_series().to_list() == [None, "18-24", "18-24", "25-34", "80+", "80+"]


# -- URL round trip ----------------------------------------------------------------------------------

def test_query_params_round_trip():
    f = Filters(paa=PAA, fra=D(2024, 1, 1), kommunetype="betaling", kommuner=("0101", "0751"), regioner=("1084",),
                paragraffer=("SEL §108",), ydelser=("Akut rådgivning, omsorg og støtte",), maalgrupper=("Angst",),
                kategorier=("Sindslidelse",), kun_primaer=False, tilbudstyper=("Mobilt tilbud",), tilbud=("T1",),
                driftsformer=("Privat",), undertema=UT, niveauer=("3", F.IKKE_VURDERET),
                stoettebehov=("Højt støttebehov",), aldersgrupper=("80+",), koen=("K",), sagsbehandlere=("S1",),
                teams=("Team Nord",), vurderet_maaneder=12)
    params = f.to_query_params()
    assert params["vurderet"] == "12"
    assert params["paragraf"] == ["SEL §108"] and params["paa"] == "2024-06-30"
    back, notices = Filters.from_query_params(params)
    assert notices == []
    assert back == f
    assert Filters().to_query_params() == {}
    assert Filters.from_query_params({}) == (Filters(), [])


def test_query_params_single_strings_and_short_forms():
    f, notices = Filters.from_query_params({"kategori": "Sindslidelse", "paragraf": "SEL §108",
                                            "undertema": UT, "niveau": ["3", "iv"], "paa": "30-06-2024"})
    assert notices == []
    assert f == Filters(paa=PAA, kategorier=("Sindslidelse",), paragraffer=("SEL §108",), undertema=UT,
                        niveauer=("3", F.IKKE_VURDERET))


@pytest.mark.parametrize("params,fragment", [
    ({"foo": "1"}, "Ukendt parameter 'foo'"),
    ({"paa": "2024-13-45"}, "Ugyldig dato"),
    ({"paragraf": "§999"}, "Ukendt værdi for 'paragraf'"),
    ({"kommune": "9999"}, "Ukendt værdi for 'kommune'"),
    ({"niveau": "7", "undertema": UT}, "Ukendt værdi for 'niveau'"),
    ({"niveau": "3"}, "kræver et undertema"),
    ({"undertema": "Flyve"}, "Ukendt undertema"),
    ({"primaer": "måske"}, "primaer"),
    ({"kommunetype": "x"}, "kommunetype"),
    ({"fra": "2025-01-01", "paa": "2024-01-01"}, "efter slutdatoen"),
    ({"alder": "17-19"}, "Ukendt værdi for 'alder'"),
    ({"vurderet": "tolv"}, "Ugyldig værdi for 'vurderet'"),
    ({"vurderet": "0"}, "Ugyldig værdi for 'vurderet'"),
])
def test_malformed_params_give_notices_not_errors(params, fragment):
    f, notices = Filters.from_query_params(params)
    assert any(fragment in n for n in notices), notices
    assert isinstance(f, Filters)
    assert f.niveauer == () or f.undertema  # niveau without undertema is dropped


def test_malformed_keeps_valid_parts():
    f, notices = Filters.from_query_params({"paragraf": ["SEL §108", "SEL §999"], "bogus": "x"}, extra_keys={"raekker"})
    assert f.paragraffer == ("SEL §108",)
    assert len(notices) == 2
    f2, n2 = Filters.from_query_params({"raekker": "kommune"}, extra_keys={"raekker"})
    assert n2 == [] and f2 == Filters()


def test_describe_lists_every_filter_in_danish():
    rows = dict(Filters(paa=PAA, kommuner=("0101",), kategorier=("Sindslidelse",)).describe())
    assert rows["Periode"] == "30-06-2024"
    assert rows["Kommune"] == "København (0101)"
    assert rows["Paragraf"] == "alle"
    assert "ubekræftet" in next(k for k in rows if k.startswith("Målgruppekategori"))


# -- niveau: one owner (workbench.regler.niveau), stale levels can be left out ------------------------------

def test_later_ikke_vurderet_does_not_erase_the_niveau():
    """Issue 11 item 3: a later Ikke vurderet row does not erase an earlier niveau (the old filters
    code let it win and showed Ikke vurderet)."""
    t = sample_tables()
    t["funktionsevne"].append(dict(borger_id="B1", dato=D(2024, 5, 1), omraade="Aktivitet og deltagelse",
                                   tema="Egenomsorg", undertema=UT, niveau=None))
    ds = make_ds(**t)
    got = dict(F.latest_niveau(ds, PAA, UT).collect().iter_rows())
    assert got == {"B1": "3", "B4": "1"}
    st = F.borger_status(ds, Filters(paa=PAA, undertema=UT)).collect()
    assert dict(st.select("borger_id", "niveau").iter_rows())["B1"] == "3"
    assert pop(ds, undertema=UT, niveauer=("3",)) == ["B1"]


def test_vurderet_inden_for_leaves_stale_levels_out(ds):
    """'vurderet inden for de seneste N måneder': B1 assessed 01-03-2024, B4 01-01-2024 (reference
    30-06-2024). With 5 months (from 30-01-2024) B4's niveau is stale and counts as Ikke vurderet."""
    def niveauer(**kw):
        st = F.borger_status(ds, Filters(paa=PAA, undertema=UT, **kw)).collect()
        return dict(st.filter(pl.col("borger_id").is_in(["B1", "B4"])).select("borger_id", "niveau").iter_rows())

    assert niveauer() == {"B1": "3", "B4": "1"}
    assert niveauer(vurderet_maaneder=6) == {"B1": "3", "B4": "1"}     # from 30-12-2023
    assert niveauer(vurderet_maaneder=5) == {"B1": "3", "B4": F.IKKE_VURDERET}
    assert niveauer(vurderet_maaneder=4) == {"B1": "3", "B4": F.IKKE_VURDERET}  # from 29-02-2024 (no 30-02)
    assert niveauer(vurderet_maaneder=3) == {"B1": F.IKKE_VURDERET, "B4": F.IKKE_VURDERET}  # from 30-03-2024
    assert pop(ds, undertema=UT, niveauer=("1",), vurderet_maaneder=5) == []
    assert F.Filters(vurderet_maaneder=5).active() == ["vurderet_maaneder"]
    assert dict(F.Filters(paa=PAA, vurderet_maaneder=5).describe())["Funktionsevne vurderet inden for"] == \
        "de seneste 5 måneder"
