"""The dataset loader against the data contract: CSV variants, XLSX, code lists, rejected rows, errors."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest

from workbench.data.dataset import validate_and_write_manifest
from workbench.data.dataset import DatasetError, open_dataset, peek_version, resolve_dir

YDELSER_HEADER = ("ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato,registreringsdato,bevillingsdato,"
                  "tilbud_id,sagsafgoerelse_id,timer_pr_uge,maanedlig_udgift")


def put(directory: Path, table: str, text: str | bytes, *, encoding: str = "utf-8", suffix: str = ".csv") -> Path:
    """Replace a table file of the dataset (removing any other format of the same table)."""
    for ext in (".csv", ".parquet", ".xlsx"):
        (directory / f"{table}{ext}").unlink(missing_ok=True)
    path = directory / f"{table}{suffix}"
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def ydelser_rows(*rows: str, header: str = YDELSER_HEADER, sep: str = ",") -> str:
    return "\n".join([header.replace(",", sep), *rows]) + "\n"


def collect(ds, table: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return ds.tables[table].collect(), ds.rejected[table].collect()


# --- the canonical example ------------------------------------------------------------------------

def test_borger_x_loads_without_rejections(borger_x_dir):
    ds = open_dataset(borger_x_dir)
    assert ds.rejected_counts() == {}
    y = ds.ydelser.collect()
    assert y.row(0, named=True)["paragraf"] == "SEL §85"
    assert y["startdato"].to_list() == [dt.date(2023, 1, 1)]
    assert ds.funktionsevne.collect().filter(pl.col("undertema") == "Varetage økonomi")["niveau"].to_list() == [2, 0]
    assert not ds.has("betalinger") and ds.betalinger.collect().height == 0


# --- CSV variants ---------------------------------------------------------------------------------

def test_utf8_bom_header_is_recognised(borger_x_dir):
    text = (borger_x_dir / "borgere.csv").read_text(encoding="utf-8")
    put(borger_x_dir, "borgere", b"\xef\xbb\xbf" + text.encode("utf-8"))
    acc, rej = collect(open_dataset(borger_x_dir), "borgere")
    assert acc["borger_id"].to_list() == ["X"] and rej.height == 0


def test_cp1252_with_danish_letters(borger_x_dir):
    text = ("borger_id;dato;omraade;tema;undertema;niveau;sagsafgoerelse_id\n"
            "X;01-01-2023;Aktivitet og deltagelse;Samfundsliv;Varetage økonomi;3;S1\n")
    raw = text.encode("cp1252")
    assert b"\xf8" in raw  # ø as one cp1252 byte: not valid UTF-8
    put(borger_x_dir, "funktionsevne", raw)
    acc, rej = collect(open_dataset(borger_x_dir), "funktionsevne")
    assert rej.height == 0
    assert acc.row(0, named=True)["undertema"] == "Varetage økonomi"
    assert acc.row(0, named=True)["niveau"] == 3


def test_semicolon_separator_with_decimal_comma(borger_x_dir):
    put(borger_x_dir, "ydelser", ydelser_rows(
        "Y1;X;SEL §85;Støtte til administration;01-01-2023;;;;1000000001;S1;2,5;4.800,50",
        "Y2;X;SEL §85;Støtte til administration;01-01-2023;;;;1000000001;S1;10;1200",
        sep=";"))
    acc, rej = collect(open_dataset(borger_x_dir), "ydelser")
    assert rej.height == 0
    assert acc["timer_pr_uge"].to_list() == [2.5, 10.0]
    assert acc["maanedlig_udgift"].to_list() == [4800.5, 1200.0]


@pytest.mark.parametrize("text", ["2023-03-15", "15-03-2023", "15.03.2023", "2023-03-15 00:00:00"])
def test_three_date_formats(borger_x_dir, text):
    put(borger_x_dir, "ydelser", ydelser_rows(f"Y1,X,SEL §85,Støtte til administration,{text},,,,,,,"))
    acc, rej = collect(open_dataset(borger_x_dir), "ydelser")
    assert rej.height == 0
    assert acc["startdato"].to_list() == [dt.date(2023, 3, 15)]


def test_empty_cell_is_null(borger_x_dir):
    put(borger_x_dir, "ydelser", ydelser_rows("Y1,X,SEL §85,Støtte til administration,2023-01-01, ,,,,,,"))
    acc, rej = collect(open_dataset(borger_x_dir), "ydelser")
    row = acc.row(0, named=True)
    assert rej.height == 0
    assert row["slutdato"] is None and row["tilbud_id"] is None and row["timer_pr_uge"] is None


def test_empty_niveau_means_ikke_vurderet_not_zero(borger_x_dir):
    acc, _ = collect(open_dataset(borger_x_dir), "funktionsevne")
    described = acc.filter(pl.col("omraade") != "Aktivitet og deltagelse")
    assert described.height > 0 and described["niveau"].null_count() == described.height


def test_xlsx_table(borger_x_dir):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    for ext in (".csv", ".parquet"):
        (borger_x_dir / f"ydelser{ext}").unlink(missing_ok=True)
    wb = xlsxwriter.Workbook(str(borger_x_dir / "ydelser.xlsx"))
    ws = wb.add_worksheet("Ydelser")
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    ws.write_row(0, 0, ["ydelse_id", "borger_id", "paragraf", "ydelse", "startdato", "slutdato", "tilbud_id",
                        "maanedlig_udgift", "Ekstra kolonne"])
    ws.write_row(1, 0, ["Y1", "X", "§85", "Støtte til administration"])
    ws.write_datetime(1, 4, dt.datetime(2023, 1, 1), date_fmt)
    ws.write_string(1, 5, "01.06.2023")
    ws.write_number(1, 6, 1000000001)
    ws.write_number(1, 7, 4800.5)
    ws.write_string(1, 8, "behold mig")
    ws.write_row(2, 0, ["Y2", "X", "§999", "Støtte til administration", "2023-01-01"])
    wb.close()
    acc, rej = collect(open_dataset(borger_x_dir), "ydelser")
    row = acc.row(0, named=True)
    assert row["paragraf"] == "SEL §85"
    assert (row["startdato"], row["slutdato"]) == (dt.date(2023, 1, 1), dt.date(2023, 6, 1))
    assert row["tilbud_id"] == "1000000001" and row["maanedlig_udgift"] == 4800.5
    assert row["ekstra_kolonne"] == "behold mig"
    assert rej["raekke"].to_list() == [3] and "paragraf" in rej["fejl"][0]


# --- code lists -----------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling,canonical", [
    ("§85", "SEL §85"),
    ("85", "SEL §85"),
    ("SEL §85", "SEL §85"),
    ("§§ 105/85", "ABL §105/SEL §85"),
    ("§§105/85", "ABL §105/SEL §85"),
    ("ABL §105 + SEL §85", "ABL §105/SEL §85"),
    ("SEL 108", "SEL §108"),
    ("sel §107", "SEL §107"),
    ("STU", "STU"),
])
def test_paragraf_aliases(borger_x_dir, spelling, canonical):
    put(borger_x_dir, "ydelser", ydelser_rows(f'Y1,X,"{spelling}",Støtte til administration,2023-01-01,,,,,,,'))
    acc, rej = collect(open_dataset(borger_x_dir), "ydelser")
    assert rej.height == 0
    assert acc["paragraf"].cast(pl.String).to_list() == [canonical]


def test_uuid_codes_and_short_forms_accepted(borger_x_dir):
    put(borger_x_dir, "maalgrupper",
        "borger_id,maalgruppe,primaer,dato,sagsafgoerelse_id\n"
        "X,851b2a9d-cde2-4d5d-8f33-d03789022cbb,true,2023-01-01,S1\n"
        "X,851B2A9D-CDE2-4D5D-8F33-D03789022CBB,nej,2023-01-01,S1\n")
    put(borger_x_dir, "stoettebehov",
        "borger_id,dato,stoettebehov,tema,sagsafgoerelse_id\n"
        "X,2023-01-01,dd628e73-d6c9-4837-a2b8-aa62d73bd6ae,,S1\n"
        "X,2023-06-01,Intet,,S2\n")
    ds = open_dataset(borger_x_dir)
    mg, mg_rej = collect(ds, "maalgrupper")
    sb, sb_rej = collect(ds, "stoettebehov")
    assert mg_rej.height == 0 and sb_rej.height == 0
    assert mg["maalgruppe"].cast(pl.String).to_list() == ["Anden psykisk vanskelighed"] * 2
    assert mg["primaer"].to_list() == [True, False]
    assert sb["stoettebehov"].cast(pl.String).to_list() == ["Let støttebehov", "Intet støttebehov"]


def test_bad_rows_rejected_with_row_number_and_reason(borger_x_dir):
    put(borger_x_dir, "ydelser", ydelser_rows(
        "Y1,X,SEL §85,Støtte til administration,2023-01-01,,,,,,,",  # row 2: fine
        "Y2,X,SEL §999,Støtte til administration,2023-01-01,,,,,,,",  # row 3: unknown paragraf
        "Y3,X,SEL §85,Støtte til administration,2023-02-30,,,,,,,",  # row 4: no such date
        "Y4,X,SEL §85,Støtte til administration,15-03-23,,,,,,,",  # row 5: two-digit year
        "Y5,X,SEL §85,,2023-01-01,,,,,,,",  # row 6: required ydelse missing
        "Y6,X,SEL §85,Påfundet ydelse,2023-01-01,2022-01-01,,,,,,",  # row 7: accepted (kvalitet flags it)
    ))
    put(borger_x_dir, "maalgrupper",
        "borger_id,maalgruppe,primaer,dato,sagsafgoerelse_id\n"
        "X,Anden psykisk vanskelighed,true,2023-01-01,S1\n"
        "X,Ukendt målgruppe,true,2023-01-01,S1\n")
    ds = open_dataset(borger_x_dir)
    acc, rej = collect(ds, "ydelser")
    assert acc["ydelse_id"].to_list() == ["Y1", "Y6"]
    reasons = dict(zip(rej["raekke"].to_list(), rej["fejl"].to_list()))
    assert sorted(reasons) == [3, 4, 5, 6]
    assert reasons[3].startswith("paragraf:") and "SEL §999" in reasons[3]
    assert reasons[4].startswith("startdato:") and "2023-02-30" in reasons[4]
    assert reasons[5].startswith("startdato:")
    assert "ydelse: mangler" in reasons[6]
    # the rejected row shows the cells as they came
    assert rej.filter(pl.col("raekke") == 3)["paragraf"].to_list() == ["SEL §999"]
    mg, mg_rej = collect(ds, "maalgrupper")
    assert mg.height == 1 and mg_rej["raekke"].to_list() == [3]
    assert "maalgruppe" in mg_rej["fejl"][0] and "Ukendt målgruppe" in mg_rej["fejl"][0]


def test_text_kinds_are_validated_in_csv(borger_x_dir):
    """kommune, cpr and maaned are text columns but still checked (regression: CSV skipped them)."""
    put(borger_x_dir, "borgere",
        "borger_id,cpr,foedselsdato,koen,handlekommune\n"
        "A,010190-1234,1990-01-01,K,250\n"
        "B,12345,1990-01-01,M,0250\n"
        "C,,1990-01-01,M,Aarhus\n")
    put(borger_x_dir, "betalinger",
        "borger_id,paragraf,maaned,beloeb\nA,§85,2023-01,100\nA,§85,2023-13,100\n")
    ds = open_dataset(borger_x_dir)
    acc, rej = collect(ds, "borgere")
    assert acc.rows() == [("A", "0101901234", dt.date(1990, 1, 1), "K", "0250", None, None, None)]
    assert dict(zip(rej["raekke"], rej["fejl"])) == {3: "cpr: ugyldig værdi '12345'",
                                                     4: "handlekommune: ugyldig værdi 'Aarhus'"}
    pay, pay_rej = collect(ds, "betalinger")
    assert pay["maaned"].to_list() == ["2023-01"] and pay_rej["raekke"].to_list() == [3]


def test_niveau_outside_0_to_4_rejected(borger_x_dir):
    put(borger_x_dir, "funktionsevne",
        "borger_id,dato,omraade,tema,undertema,niveau\n"
        "X,2023-01-01,Aktivitet og deltagelse,Samfundsliv,Varetage økonomi,4\n"
        "X,2023-01-01,Aktivitet og deltagelse,Samfundsliv,Varetage økonomi,5\n"
        "X,2023-01-01,Aktivitet og deltagelse,Samfundsliv,Varetage økonomi,2.5\n")
    acc, rej = collect(open_dataset(borger_x_dir), "funktionsevne")
    assert acc["niveau"].to_list() == [4]
    assert rej["raekke"].to_list() == [3, 4]


def test_rows_read_equal_accepted_plus_rejected(borger_x_dir):
    rows = [f"Y{i},X,{'SEL §85' if i % 3 else 'nonsens'},Støtte til administration,2023-01-01,,,,,,," for i in range(30)]
    put(borger_x_dir, "ydelser", ydelser_rows(*rows) + "\n\n")  # trailing blank lines are not records
    acc, rej = collect(open_dataset(borger_x_dir), "ydelser")
    assert acc.height + rej.height == 30
    assert rej.height == 10
    assert set(acc["ydelse_id"]) | set(rej["ydelse_id"]) == {f"Y{i}" for i in range(30)}


def test_extra_columns_kept(borger_x_dir):
    put(borger_x_dir, "ydelser", ydelser_rows(
        "Y1,X,SEL §85,Støtte til administration,2023-01-01,,,,,,,,intern note",
        "Y2,X,nonsens,Støtte til administration,2023-01-01,,,,,,,,anden note",
        header=YDELSER_HEADER + ",Intern Bemærkning"))
    acc, rej = collect(open_dataset(borger_x_dir), "ydelser")
    assert acc["intern_bemaerkning"].to_list() == ["intern note"]
    assert rej["intern_bemaerkning"].to_list() == ["anden note"]


def test_parquet_roundtrip_keeps_types(borger_x_dir, tmp_path):
    ds = open_dataset(borger_x_dir)
    out = tmp_path / "pq"
    out.mkdir()
    for name in ds.files:
        ds.tables[name].collect().write_parquet(out / f"{name}.parquet")
    again = open_dataset(out)
    assert again.rejected_counts() == {}
    for name in ds.files:
        assert again.tables[name].collect().equals(ds.tables[name].collect()), name


# --- refused input --------------------------------------------------------------------------------

def test_missing_required_column_names_table_and_column(borger_x_dir):
    put(borger_x_dir, "ydelser", "ydelse_id,borger_id,ydelse,startdato\nY1,X,Støtte,2023-01-01\n")
    with pytest.raises(DatasetError) as exc:
        open_dataset(borger_x_dir)
    assert "ydelser" in str(exc.value) and "'paragraf'" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_required_table(borger_x_dir):
    (borger_x_dir / "tilbud.csv").unlink()
    with pytest.raises(DatasetError, match="tilbud"):
        open_dataset(borger_x_dir)


def test_missing_optional_table_is_fine(borger_x_dir):
    (borger_x_dir / "opfoelgninger.csv").unlink()
    ds = open_dataset(borger_x_dir)
    assert not ds.has("opfoelgninger") and ds.opfoelgninger.collect().height == 0


def test_missing_dir(tmp_path):
    with pytest.raises(DatasetError, match="findes ikke"):
        open_dataset(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DatasetError, match="ikke en mappe"):
        open_dataset(tmp_path / "file.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="ingen datasæt-filer"):
        open_dataset(tmp_path / "empty")


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_garbage_file_is_a_dataset_error(borger_x_dir, suffix):
    rng_bytes = bytes((i * 7919 + 13) % 256 for i in range(4096)) + os.urandom(512)
    put(borger_x_dir, "ydelser", rng_bytes, suffix=suffix)
    with pytest.raises(DatasetError) as exc:
        ds = open_dataset(borger_x_dir)
        ds.ydelser.collect()
    assert "ydelser" in str(exc.value)


def test_empty_csv_file(borger_x_dir):
    put(borger_x_dir, "borgere", b"")
    with pytest.raises(DatasetError, match="borgere"):
        open_dataset(borger_x_dir)


def test_duplicate_column_names_refused(borger_x_dir):
    put(borger_x_dir, "tilbud", "tilbud_id,navn,Navn,tilbudstype\n1,a,b,Mobilt tilbud\n")
    with pytest.raises(DatasetError, match="samme navn"):
        open_dataset(borger_x_dir)


def test_resolve_dir_follows_current(borger_x_dir, tmp_path, data_location):
    """CURRENT names the version that is read, in a folder and in s3://bucket/prefix (data_location);
    CURRENT naming a missing version is refused."""
    import shutil

    from workbench.data import manifest, objektlager

    version = tmp_path / "v0001-20260101T000000"
    shutil.copytree(borger_x_dir, version)
    validate_and_write_manifest(version)  # in object storage the manifest marks a version as whole
    data = data_location
    if objektlager.is_url(data):
        for f in sorted(p for p in version.rglob("*") if p.is_file()):
            objektlager.put(data, f"versions/{version.name}/{f.relative_to(version).as_posix()}", f.read_bytes())
        current = lambda text: objektlager.put(data, "CURRENT", text.encode())  # noqa: E731
    else:
        (Path(data) / "versions").mkdir(parents=True)
        shutil.copytree(version, Path(data) / "versions" / version.name)
        current = (Path(data) / "CURRENT").write_text
    current("v0001-20260101T000000\n")
    if objektlager.is_url(data):
        assert resolve_dir(data).parent == objektlager.cache_root(data)
    else:
        assert resolve_dir(data) == Path(data) / "versions" / "v0001-20260101T000000"
    assert open_dataset(data).borgere.collect().height == 1
    assert peek_version(data) == open_dataset(data).version
    current("v0009-20260101T000000\n")
    with pytest.raises(DatasetError, match="CURRENT"):
        open_dataset(data)


def test_typed_parquet_is_still_checked(borger_x_dir):
    """A Parquet file with proper dtypes still gets range and text checks (niveau 0-4, kommunekode)."""
    for f in ("funktionsevne.csv", "borgere.csv"):
        (borger_x_dir / f).unlink()
    pl.DataFrame({
        "borger_id": ["X", "X"], "dato": [dt.date(2023, 1, 1)] * 2, "omraade": ["Aktivitet og deltagelse"] * 2,
        "tema": ["Samfundsliv"] * 2, "undertema": ["Varetage økonomi"] * 2, "niveau": [2, 9],
    }).write_parquet(borger_x_dir / "funktionsevne.parquet")
    pl.DataFrame({"borger_id": ["X", "Y"], "foedselsdato": [dt.date(1990, 1, 1)] * 2,
                  "handlekommune": ["250", "Aarhus"]}).write_parquet(borger_x_dir / "borgere.parquet")
    ds = open_dataset(borger_x_dir)
    fe, fe_rej = collect(ds, "funktionsevne")
    assert fe["niveau"].to_list() == [2] and fe_rej["raekke"].to_list() == [3]
    b, b_rej = collect(ds, "borgere")
    assert b["handlekommune"].to_list() == ["0250"] and b_rej["borger_id"].to_list() == ["Y"]


# --- the reference date (contract, "The reference date") -------------------------------------------

def test_udtraeksdato_is_latest_event_date_capped_at_today(tmp_path):
    import datetime as dt

    from workbench.data.dataset import udtraeksdato

    from tests.helpers import mini_dataset

    d = mini_dataset(tmp_path / "ds")
    ds = open_dataset(d)
    # registreringsdato 05-03-2024 is the latest event
    assert udtraeksdato(ds, today=dt.date(2026, 1, 1)) == dt.date(2024, 3, 5)
    # never after today
    assert udtraeksdato(ds, today=dt.date(2024, 3, 1)) == dt.date(2024, 3, 1)
    # scoping (fewer rows) does not move it: one reference date per dataset
    scoped = ds.replace(ydelser=ds.ydelser.filter(False))
    assert udtraeksdato(scoped, today=dt.date(2026, 1, 1)) == dt.date(2024, 3, 5)
    # datasaet.yaml wins
    (d / "datasaet.yaml").write_text("udtraeksdato: 31-10-2024\n", encoding="utf-8")
    assert udtraeksdato(open_dataset(d), today=dt.date(2026, 1, 1)) == dt.date(2024, 10, 31)
