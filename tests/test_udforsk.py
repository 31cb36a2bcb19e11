"""Udforsk measures, crosstab totals, distribution and borger list against hand-computed numbers."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import polars as pl
import pytest

from test_filters import PAA, UT, make_ds, sample_tables
from workbench.sider import udforsk as E
from workbench.format import export as X
from workbench.regler.filters import IKKE_VURDERET, Filters

D = dt.date


@pytest.fixture
def ds():
    return make_ds(**sample_tables())


def by_row(ct: E.Crosstab) -> dict[str, float]:
    return dict(ct.row_totals.select("row", "vaerdi").iter_rows())


def test_borgere_per_paragraf_total_is_distinct(ds):
    ct = E.crosstab(ds, Filters(paa=PAA), "paragraf", None, "borgere")
    assert by_row(ct) == {"SEL §108": 2, "SEL §85": 3}
    assert ct.total == (4.0, 4)  # B1 has both paragraffer: 4 borgere, not 5
    assert ct.row_values == ["SEL §85", "SEL §108"]  # config order
    wide = ct.wide()
    assert wide.columns == ["Paragraf", "Antal borgere"]
    assert wide.rows()[-1] == ("I alt", 4.0)


def test_ydelser_udgift_helaarspersoner_on_a_date(ds):
    f = Filters(paa=PAA)
    assert by_row(E.crosstab(ds, f, "paragraf", None, "ydelser")) == {"SEL §108": 2, "SEL §85": 3}
    assert by_row(E.crosstab(ds, f, "paragraf", None, "udgift")) == {"SEL §108": 60000, "SEL §85": 11000}
    assert E.crosstab(ds, f, "paragraf", None, "udgift").total[0] == 71000
    assert by_row(E.crosstab(ds, f, "paragraf", None, "helaarspersoner")) == {"SEL §108": 2, "SEL §85": 3}


def test_helaarspersoner_over_an_interval(ds):
    f = Filters(fra=D(2024, 1, 1), paa=PAA)  # 182 days
    got = by_row(E.crosstab(ds, f, "paragraf", None, "helaarspersoner"))
    assert got["SEL §108"] == pytest.approx(364 / 182)
    assert got["SEL §85"] == pytest.approx((30 + 181 + 1 + 182) / 182)
    # udgift: average month = sum(udgift x days) / days
    udg = by_row(E.crosstab(ds, f, "paragraf", None, "udgift"))
    assert udg["SEL §85"] == pytest.approx((5000 * 30 + 6000 * 181 + 4000 * 1 + 2000 * 182) / 182)


def test_crosstab_cells_and_distinct_totals_with_any_maalgruppe(ds):
    ct = E.crosstab(ds, Filters(paa=PAA, kun_primaer=False), "paragraf", "maalgruppe", "borgere")
    cells = {(r, c): v for r, c, v, _ in ct.cells.iter_rows()}
    assert cells[("SEL §108", "Angst")] == 1 and cells[("SEL §108", "Misbrug")] == 1
    assert cells[("SEL §108", "Udviklingshæmning")] == 1
    assert by_row(ct)["SEL §108"] == 2  # B1 appears under two målgrupper, counted once in the total
    col = dict(ct.col_totals.select("col", "vaerdi").iter_rows())
    assert col["Angst"] == 1 and col["Hjemløshed"] == 1 and col["Depression"] == 1
    assert ct.total[1] == 4
    wide = ct.wide()
    assert wide.columns[0] == "Paragraf" and wide.columns[-1] == "I alt"
    assert wide.filter(pl.col("Paragraf") == "I alt")["I alt"].item() == 4
    # helårspersoner is not inflated by a borger's second målgruppe in the totals
    hp = E.crosstab(ds, Filters(paa=PAA, kun_primaer=False), "paragraf", "maalgruppe", "helaarspersoner")
    # B1 has §108 and §85 on the date: a helårsperson under each paragraf, and the total is the sum over
    # paragraffer (optaelling's rule, as on Overblik) — but never inflated by B1's second målgruppe
    assert by_row(hp)["SEL §108"] == 2 and hp.total[0] == 5
    assert hp.total[0] == pytest.approx(sum(by_row(hp).values()))


def test_primary_maalgruppe_and_category_dimension(ds):
    ct = E.crosstab(ds, Filters(paa=PAA), "kategori", None, "borgere")
    assert by_row(ct) == {"Sindslidelse": 1, "Nedsat funktionsevne": 2, "Særlige sociale problemer": 1}
    ct2 = E.crosstab(ds, Filters(paa=PAA), "maalgruppe", None, "borgere")
    assert "Misbrug" not in by_row(ct2) and by_row(ct2)["Angst"] == 1 and by_row(ct2)["Autismespektrum"] == 1


def test_niveau_dimension_keeps_ikke_vurderet_apart(ds):
    ct = E.crosstab(ds, Filters(paa=PAA), "niveau", "kommune", "borgere", undertema=UT)
    rows = by_row(ct)
    assert rows == {"3 Svært nedsat funktionsevne": 1, "1 Let nedsat funktionsevne": 1, IKKE_VURDERET: 2}
    assert ct.row_values == ["1 Let nedsat funktionsevne", "3 Svært nedsat funktionsevne", IKKE_VURDERET]
    assert ct.col_values == ["Aarhus", "København"]
    cells = {(r, c): v for r, c, v, _ in ct.cells.iter_rows()}
    assert cells[(IKKE_VURDERET, "København")] == 1 and cells[(IKKE_VURDERET, "Aarhus")] == 1


def test_the_done_question(ds):
    """Primary målgruppe category Sindslidelse, §108, niveau 3 on Varetage egen sundhed, per kommune."""
    f = Filters(paa=PAA, kategorier=("Sindslidelse",), paragraffer=("SEL §108",), undertema=UT, niveauer=("3",))
    ct = E.crosstab(ds, f, "kommune", None, "borgere")
    assert by_row(ct) == {"København": 1}


def test_other_dimensions(ds):
    f = Filters(paa=PAA)
    assert by_row(E.crosstab(ds, f, "aldersgruppe", None)) == {"18-24": 1, "25-34": 1, "35-49": 1, "65-79": 1}
    assert by_row(E.crosstab(ds, f, "koen", None)) == {"Kvinde": 2, "Mand": 2}
    assert by_row(E.crosstab(ds, f, "region", None)) == {"Region Hovedstaden": 2, "Region Midtjylland": 2}
    assert by_row(E.crosstab(ds, f, "driftsform", None)) == {"Kommunal": 2, "Privat": 3}
    assert by_row(E.crosstab(ds, f, "tilbudstype", None))["Mobilt tilbud"] == 3
    assert by_row(E.crosstab(ds, f, "tilbud", None))["Bofællesskabet Lyngen (T108)"] == 2
    assert by_row(E.crosstab(ds, f, "stoettebehov", None)) == {
        "Let støttebehov": 1, "Moderat støttebehov": 1, "Højt støttebehov": 1, IKKE_VURDERET: 1}
    assert by_row(E.crosstab(ds, f, "ydelse", None))["Støtte til administration"] == 3


def test_time_dimension_distinct_totals(ds):
    f = Filters(fra=D(2024, 1, 1), paa=PAA)
    ct = E.crosstab(ds, f, "paragraf", "kvartal", "borgere")
    assert ct.col_values == ["2024-K1", "2024-K2"]
    cells = {(r, c): v for r, c, v, _ in ct.cells.iter_rows()}
    assert cells[("SEL §85", "2024-K1")] == 2  # B1 (Y6), B4 (Y4)
    assert cells[("SEL §85", "2024-K2")] == 3  # + B3
    assert by_row(ct)["SEL §85"] == 3  # not 5
    hp = E.crosstab(ds, f, "paragraf", "kvartal", "helaarspersoner")
    hcells = {(r, c): v for r, c, v, _ in hp.cells.iter_rows()}
    assert hcells[("SEL §108", "2024-K1")] == pytest.approx(2.0)  # both all quarter (91 days)
    assert by_row(hp)["SEL §108"] == pytest.approx(2.0)
    m = E.crosstab(ds, f, "maaned", None, "borgere")
    assert m.row_values[0] == "2024-01" and m.row_values[-1] == "2024-06" and len(m.row_values) == 6


def test_buckets_clip_to_period():
    b = E.buckets(D(2024, 2, 15), D(2024, 5, 10), "kvartal")
    assert b.rows() == [("2024-K1", D(2024, 2, 15), D(2024, 3, 31), 46), ("2024-K2", D(2024, 4, 1), D(2024, 5, 10), 40)]


def test_funktionsevne_fordeling_never_averages_ikke_vurderet(ds):
    long = E.funktionsevne_fordeling(ds, Filters(paa=PAA)).collect()
    got = {(u, n): c for u, n, c in long.iter_rows()}
    assert got[(UT, "3")] == 1 and got[(UT, "1")] == 1 and got[(UT, IKKE_VURDERET)] == 2
    assert got[("Varetage økonomi", "0")] == 1 and got[("Varetage økonomi", IKKE_VURDERET)] == 3
    # every undertema adds up to the population; nobody-assessed undertemaer are left out
    assert long.group_by("undertema").agg(pl.col("borgere").sum())["borgere"].to_list() == [4, 4]
    assert long["niveau"].dtype == pl.String
    wide = E.fordeling_wide(long)
    assert wide.columns == ["Undertema", "0", "1", "2", "3", "4", IKKE_VURDERET, "I alt"]
    assert wide.filter(pl.col("Undertema") == UT).row(0)[1:] == (0, 1, 0, 1, 0, 2, 4)


def test_borger_liste_behind_a_cell(ds):
    lst = E.borger_liste(ds, Filters(paa=PAA), "paragraf", "kommune", "SEL §85", "Aarhus").collect()
    assert lst["borger_id"].to_list() == ["B3", "B4"]
    assert lst["link"].to_list() == ["borger?borger=B3", "borger?borger=B4"]
    assert lst.filter(pl.col("borger_id") == "B4")["tilbud"].item() == "Bostøtten"
    everyone = E.borger_liste(ds, Filters(paa=PAA), "paragraf", None, "I alt", None).collect()
    assert everyone["borger_id"].to_list() == ["B1", "B2", "B3", "B4"]
    assert everyone.filter(pl.col("borger_id") == "B1")["paragraffer"].item() == "SEL §85, SEL §108" or \
        everyone.filter(pl.col("borger_id") == "B1")["paragraffer"].item() == "SEL §108, SEL §85"


def test_unknown_dimension_and_measure_raise(ds):
    with pytest.raises(ValueError):
        E.crosstab(ds, Filters(paa=PAA), "skostørrelse", None)
    with pytest.raises(ValueError):
        E.crosstab(ds, Filters(paa=PAA), "paragraf", None, "gennemsnit")


# -- export -------------------------------------------------------------------------------------

def test_xlsx_export_readable_with_meta_sheet_and_escaping():
    df = pl.DataFrame({"Paragraf": ["SEL §85", "=HYPERLINK(\"x\")", "I alt"], "Antal borgere": ["12", "<5", "-3"],
                       "Note": ["+45 1234", "@sum", "-tekst"]})
    meta = X.standard_meta(Filters(paa=PAA).describe(), "v123", {"Diskretionering": "<5"})
    data = X.to_xlsx_bytes({"Krydstabel": df}, meta)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Krydstabel", "Filtre"]
    ws = wb["Krydstabel"]
    assert [c.value for c in ws[1]] == ["Paragraf", "Antal borgere", "Note"]
    assert ws["A3"].value == "'=HYPERLINK(\"x\")" and ws["A3"].data_type == "s"
    assert ws["B2"].value == 12 and ws["B3"].value == "<5" and ws["B4"].value == -3
    assert ws["C2"].value == "'+45 1234" and ws["C3"].value == "'@sum" and ws["C4"].value == "'-tekst"
    meta_rows = {r[0]: r[1] for r in wb["Filtre"].iter_rows(min_row=2, values_only=True)}
    assert meta_rows["Dataversion"] == "v123" and meta_rows["Periode"] == "30-06-2024"


def test_csv_export_escapes_and_uses_danish_headers():
    df = pl.DataFrame({"borger_id": ["=1+1", "B2"], "dato": [D(2024, 6, 30), None]})
    out = X.to_csv_bytes(X.rename_headers(df, {"borger_id": "Borger-id", "dato": "Dato"}))
    text = out.decode("utf-8-sig")
    assert text.splitlines() == ["Borger-id;Dato", "'=1+1;30-06-2024", "B2;"]


def test_pivot_bench_case_polars_and_duckdb_agree(demo_kommune):
    from workbench.vaerktoej.bench import Context
    from workbench.vaerktoej.bench_cases.pivot import pivot_case

    rows = pivot_case(Context("kommune", demo_kommune, 1))
    assert [r["variant"] for r in rows] == ["polars", "duckdb"]
    assert all(r["case"] == "pivot" and r["median_ms"] > 0 and r["rows"] > 1 for r in rows)
    assert rows[0]["rows"] == rows[1]["rows"]


def test_helaarspersoner_counts_a_borgers_overlapping_days_once():
    tables = sample_tables()
    for y in tables["ydelser"]:
        if y["ydelse_id"] == "Y5":
            y["startdato"] = D(2024, 6, 1)  # now overlaps Y4 (ends 29-06-2024) for 29 days
    ds2 = make_ds(**tables)
    f = Filters(fra=D(2024, 1, 1), paa=PAA)  # 182 days
    got = by_row(E.crosstab(ds2, f, "paragraf", None, "helaarspersoner"))
    # B3 30 days, B4 union of Y4+Y5 = the whole 182 days (not 181 + 30), B1 182 days
    assert got["SEL §85"] == pytest.approx((30 + 182 + 182) / 182)
    # I alt: the sum over paragraffer (B1 counts under §85 and §108), as optaelling and Overblik
    assert E.crosstab(ds2, f, "paragraf", None, "helaarspersoner").total[0] == pytest.approx(
        (30 + 182 + 182) / 182 + got["SEL §108"])
    assert got["SEL §108"] == pytest.approx((182 + 182) / 182)
