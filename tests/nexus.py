"""Write a contract dataset in a Nexus-like dialect (for the import tests and the national measure):
';' separator, decimal comma, Windows-1252, DD-MM-YYYY dates, renamed columns, Ja/Nej, short FFB forms
and paragraf spellings, and (optionally) every `broken_every`-th row broken on a required date.

    broken = nexus_export(src_dir, out_dir, broken_every=100)   # {table: [0-based row indices broken]}
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data_model.contract import TABLES

# contract column -> the name the source system uses (the Import page must map these back)
RENAMES = {
    "borgere": {"borger_id": "Borger ID", "cpr": "CPR-nummer", "foedselsdato": "Fødselsdato", "koen": "Køn",
                "handlekommune": "Handlekommune", "sagsbehandler": "Sagsbehandler ID"},
    "maalgrupper": {"borger_id": "Borger ID", "maalgruppe": "Målgruppe", "primaer": "Primær", "dato": "Dato"},
    "funktionsevne": {"borger_id": "Borger ID", "omraade": "Område", "niveau": "Funktionsevneniveau"},
    "stoettebehov": {"borger_id": "Borger ID", "stoettebehov": "Støttebehov"},
    "indsatsmaal": {"maal_id": "Mål ID", "borger_id": "Borger ID", "maaltype": "Måltype", "startdato": "Start dato",
                    "opfoelgningsdato": "Opfølgning"},
    "opfoelgninger": {"maal_id": "Mål ID"},
    "ydelser": {"ydelse_id": "Ydelse ID", "borger_id": "Borger ID", "paragraf": "Paragraf tekst",
                "ydelse": "Ydelsesnavn", "startdato": "Start dato", "slutdato": "Slut dato",
                "bevillingsdato": "Bevilget", "timer_pr_uge": "Timer ugentligt",
                "maanedlig_udgift": "Månedlig udgift kr"},
    "tilbud": {"tilbud_id": "P-nummer", "tilbudstype": "Tilbud type"},
    "betalinger": {"borger_id": "Borger ID", "beloeb": "Beløb kr"},
}
# columns the suggestion leaves unmatched; the user corrects them on the page
NEEDS_CORRECTION = {"ydelser": {"Bevilget": "bevillingsdato"}}
BROKEN_DATE = {"borgere": "foedselsdato", "maalgrupper": "dato", "funktionsevne": "dato", "stoettebehov": "dato",
               "indsatsmaal": "startdato", "opfoelgninger": "dato", "ydelser": "startdato"}
SHORT = {"Intet støttebehov": "Intet", "Let støttebehov": "Let", "Moderat støttebehov": "Moderat",
         "Højt støttebehov": "Højt", "Fuldstændigt støttebehov": "Fuldstændigt",
         "Udvikle funktionsevne": "Udvikle", "Fastholde funktionsevne": "Fastholde",
         "Begrænse tab af funktionsevne": "Begrænse tab"}


def _text(df: pl.DataFrame, table: str) -> pl.DataFrame:
    out = []
    for c, t in df.schema.items():
        col = pl.col(c)
        if t == pl.Date():
            e = col.dt.strftime("%d-%m-%Y")
        elif t == pl.Boolean():
            e = pl.when(col).then(pl.lit("Ja")).otherwise(pl.lit("Nej"))
        elif t.is_float():
            e = col.cast(pl.String).str.replace(".", ",", literal=True)
        elif c == "paragraf":
            e = (col.cast(pl.String).replace({"ABL §105/SEL §85": "§§ 105/85"})
                 .str.replace("^SEL §", "§ "))
        elif c in ("stoettebehov", "maaltype"):
            e = col.cast(pl.String).replace(SHORT)
        else:
            e = col.cast(pl.String)
        out.append(e.alias(c))
    return df.select(out)


def nexus_export(src: Path, out: Path, broken_every: int | None = 100) -> dict[str, list[int]]:
    out.mkdir(parents=True, exist_ok=True)
    broken: dict[str, list[int]] = {}
    for name in TABLES:
        f = src / f"{name}.parquet"
        if not f.is_file():
            continue
        df = _text(pl.read_parquet(f), name)
        rows: list[int] = []
        if broken_every and name in BROKEN_DATE:
            rows = list(range(broken_every // 2, df.height, broken_every))
            col = BROKEN_DATE[name]
            df = df.with_row_index("__i").with_columns(
                pl.when(pl.col("__i").is_in(rows)).then(pl.lit("31-02-2023")).otherwise(pl.col(col)).alias(col)
            ).drop("__i")
        broken[name] = rows
        df = df.rename({k: v for k, v in RENAMES.get(name, {}).items() if k in df.columns})
        text = df.write_csv(separator=";", null_value="")
        (out / f"Nexus_{name}_udtraek.csv").write_bytes(text.encode("cp1252"))
    return broken
