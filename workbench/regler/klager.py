"""Klagesagsstatistik per paragraf and year (issue 22, klager table).

modtagne: klager received (modtaget) in the year; afgjorte: decided (afgjort) in the year, by year
of afgjort. Ankestyrelsen's results are counted for instans 'Ankestyrelsen' only.
Omgørelsesprocent as Ankestyrelsen publishes it: (ændret + ophævet + hjemvist) ÷ realitetsbehandlede,
where realitetsbehandlede = stadfæstet + ændret + ophævet + hjemvist (afviste are not realitetsbehandlet);
None when there are none.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from workbench.regler import paragraffer

OMGJORT = ("Ændret", "Ophævet", "Hjemvist")
REALITET = ("Stadfæstet", *OMGJORT)
RESULTATER = {"Stadfæstet": "stadfaestet", "Ændret": "aendret", "Ophævet": "ophaevet",
              "Hjemvist": "hjemvist", "Afvist": "afvist"}
COLUMNS = ("paragraf", "aar", "modtagne", "afgjorte", *RESULTATER.values(), "omgoerelsesprocent")
DEFINITION = ("Omgørelsesprocent: ændrede, ophævede og hjemviste afgørelser i procent af de "
              "realitetsbehandlede klager i Ankestyrelsen (stadfæstede, ændrede, ophævede og hjemviste; "
              "afviste klager tæller ikke med).")


@dataclass(frozen=True)
class Klagestatistik:
    per_paragraf_aar: pl.DataFrame  # COLUMNS


def klagestatistik(klager: pl.LazyFrame) -> Klagestatistik:
    k = klager.with_columns(pl.col("paragraf").cast(pl.String), pl.col("resultat").cast(pl.String),
                            pl.col("instans").cast(pl.String))
    modtagne = k.group_by("paragraf", pl.col("modtaget").dt.year().alias("aar")).agg(
        pl.len().cast(pl.Int64).alias("modtagne"))
    ast = pl.col("instans") == "Ankestyrelsen"
    afgjorte = k.filter(pl.col("afgjort").is_not_null()).group_by(
        "paragraf", pl.col("afgjort").dt.year().alias("aar")).agg(
        pl.len().cast(pl.Int64).alias("afgjorte"),
        *[(ast & (pl.col("resultat") == r)).sum().cast(pl.Int64).alias(name) for r, name in RESULTATER.items()],
    )
    out = modtagne.join(afgjorte, on=["paragraf", "aar"], how="full", coalesce=True).with_columns(
        pl.col("modtagne", "afgjorte", *RESULTATER.values()).fill_null(0))
    realitet = pl.sum_horizontal(*[pl.col(RESULTATER[r]) for r in REALITET])
    omgjort = pl.sum_horizontal(*[pl.col(RESULTATER[r]) for r in OMGJORT])
    out = out.with_columns(
        pl.when(realitet > 0).then(100 * omgjort / realitet).alias("omgoerelsesprocent")
    ).select(COLUMNS).sort(paragraffer.orden(), "aar")  # §82 before §100
    return Klagestatistik(out.collect())
