"""Benchmark case 'pivot': the Udforsk crosstab with three active filters, warm cache.

Query: borgere (distinct) per kommune x paragraf on a reference date, for borgere with
- paragraf in SEL §85 / §107 / §108 (ydelse filter),
- primary målgruppe in the DST categories Nedsat funktionsevne or Sindslidelse,
- age band 25-34, 35-49 or 50-64,
with row, column and grand totals as distinct counts.

Variants:
- polars: workbench.sider.udforsk.crosstab on a Dataset whose tables were collected into memory once
  (as the app's scoped_dataset does); only the pivot is timed.
- duckdb: the same query in SQL on the same Parquet files, loaded once into in-memory DuckDB tables.
The two results are checked to agree cell by cell before anything is reported.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from workbench.vaerktoej.bench import Context, case, measure
from workbench.data.config import load_config
from workbench.data.dataset import Dataset, open_dataset, resolve_dir, table_file
from workbench.sider.udforsk import crosstab
from workbench.regler.filters import Filters

PAA = dt.date(2025, 6, 30)
FILTERS = Filters(paa=PAA, paragraffer=("SEL §85", "SEL §107", "SEL §108"),
                  kategorier=("Nedsat funktionsevne", "Sindslidelse"), aldersgrupper=("25-34", "35-49", "50-64"))
BANDS = {"25-34": (25, 34), "35-49": (35, 49), "50-64": (50, 64)}


def in_memory(data_dir: str | Path) -> Dataset:
    ds = open_dataset(data_dir)
    names = list(ds.tables)
    frames = pl.collect_all([ds.tables[n] for n in names])
    return ds.replace(**{n: df.lazy() for n, df in zip(names, frames)})


def polars_cells(ds: Dataset) -> pl.DataFrame:
    """kommunekode-less form for comparison: row (kommune name), col (paragraf), borgere incl. totals."""
    ct = crosstab(ds, FILTERS, "kommune", "paragraf", "borgere")
    cells = ct.cells.select("row", "col", pl.col("borgere").cast(pl.Int64))
    rows = ct.row_totals.select("row", pl.lit("I alt").alias("col"), pl.col("borgere").cast(pl.Int64))
    cols = ct.col_totals.select(pl.lit("I alt").alias("row"), "col", pl.col("borgere").cast(pl.Int64))
    total = pl.DataFrame({"row": ["I alt"], "col": ["I alt"], "borgere": [ct.total[1]]})
    return pl.concat([cells, rows, cols, total]).sort("row", "col")


def _sql_list(values) -> str:
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


def duckdb_connection(data_dir: str | Path):
    import duckdb

    d = resolve_dir(data_dir)
    con = duckdb.connect()
    for t in ("borgere", "ydelser", "maalgrupper"):
        f = table_file(d, t)
        if f is None or f.suffix != ".parquet":
            raise ValueError(f"{d}: benchmarken kræver {t}.parquet")
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet('{str(f).replace(chr(39), chr(39) * 2)}')")
    codes = load_config().codes
    kat = pl.DataFrame({"maalgruppe": list(codes.maalgruppe_kategori),
                        "kategori": list(codes.maalgruppe_kategori.values())})
    con.register("kat_df", kat.to_arrow())
    con.execute("CREATE TABLE kat AS SELECT * FROM kat_df")
    from workbench.data.geo import kommuner

    con.register("kom_df", kommuner().select("kommunekode", "navn").to_arrow())
    con.execute("CREATE TABLE kom AS SELECT * FROM kom_df")
    return con


def duckdb_sql() -> str:
    paa = PAA.isoformat()
    age = f"(date_part('year', DATE '{paa}') - date_part('year', foedselsdato) - " \
          f"CASE WHEN strftime(DATE '{paa}', '%m%d') < strftime(foedselsdato, '%m%d') THEN 1 ELSE 0 END)"
    bands = " OR ".join(f"alder BETWEEN {lo} AND {hi}" for lo, hi in BANDS.values())
    return f"""
    WITH b AS (
      SELECT borger_id, handlekommune AS kommunekode, {age} AS alder FROM borgere
    ), prim AS (  -- the latest primary målgruppe on the reference date (ties: last by name, as in Polars)
      SELECT borger_id, maalgruppe FROM (
        SELECT borger_id, CAST(maalgruppe AS VARCHAR) AS maalgruppe,
               row_number() OVER (PARTITION BY borger_id ORDER BY dato DESC, CAST(maalgruppe AS VARCHAR) DESC) AS rn
        FROM maalgrupper WHERE primaer AND dato <= DATE '{paa}')
      WHERE rn = 1
    ), pop AS (
      SELECT b.borger_id, COALESCE(k.navn, b.kommunekode) AS kommune
      FROM b JOIN prim USING (borger_id) JOIN kat USING (maalgruppe)
      LEFT JOIN kom k ON k.kommunekode = b.kommunekode
      WHERE kat.kategori IN {_sql_list(FILTERS.kategorier)} AND ({bands})
    ), f AS (
      SELECT pop.borger_id, pop.kommune, CAST(y.paragraf AS VARCHAR) AS paragraf
      FROM ydelser y JOIN pop USING (borger_id)
      WHERE y.startdato <= DATE '{paa}' AND (y.slutdato IS NULL OR y.slutdato >= DATE '{paa}')
        AND (y.slutdato IS NULL OR y.slutdato >= y.startdato)
        AND CAST(y.paragraf AS VARCHAR) IN {_sql_list(FILTERS.paragraffer)}
    )
    SELECT COALESCE(kommune, 'I alt') AS "row", COALESCE(paragraf, 'I alt') AS col,
           CAST(count(DISTINCT borger_id) AS BIGINT) AS borgere
    FROM f GROUP BY CUBE (kommune, paragraf)
    ORDER BY "row", col
    """


def duckdb_cells(con) -> pl.DataFrame:
    return pl.from_arrow(con.sql(duckdb_sql()).to_arrow_table()).sort("row", "col")


@case("pivot", "Udforsk-krydstabel kommune x paragraf, 3 aktive filtre, varm cache (polars/duckdb)")
def pivot_case(ctx: Context) -> list[dict]:
    ds = in_memory(ctx.data_dir)
    con = duckdb_connection(ctx.data_dir)
    try:
        p = polars_cells(ds)
        d = duckdb_cells(con)
        if not p.equals(d):
            raise AssertionError(f"polars og duckdb giver forskellige krydstabeller ({p.height} / {d.height} celler)")
        mp = measure(lambda: crosstab(ds, FILTERS, "kommune", "paragraf", "borgere"), ctx.repeats)
        md = measure(lambda: con.sql(duckdb_sql()).fetchall(), ctx.repeats)
    finally:
        con.close()
    target = 200.0 if ctx.skala == "kommune" else 1000.0
    note = f"mål < {target:.0f} ms: {'ok' if mp['median_ms'] < target else 'OVERSKREDET'}; samme celler som duckdb"
    return [
        {"case": "pivot", "variant": "polars", "median_ms": mp["median_ms"], "min_ms": mp["min_ms"],
         "rows": p.height, "note": note},
        {"case": "pivot", "variant": "duckdb", "median_ms": md["median_ms"], "min_ms": md["min_ms"],
         "rows": d.height, "note": "samme SQL på de samme Parquet-filer, indlæst i DuckDB-tabeller én gang"},
    ]
