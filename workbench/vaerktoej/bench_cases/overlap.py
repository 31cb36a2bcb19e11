"""Benchmark case 'overlap': the inclusive-range self-join of ydelser within borger, three ways.

Variants (same Parquet file, same rules from config/overlap_rules.yaml, same reference date):
- polars: workbench.regler.overlap.overlap_report (join on borger_id, interval filter, rule list exploded);
- duckdb: the same self-join in SQL (one SELECT per rule, UNION ALL);
- pandas: a straightforward merge on borger_id and boolean masks.
The three result sets are checked to hold the same rows before anything is reported.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from workbench.vaerktoej.bench import Context, case, measure, run_subprocess
from workbench.data.dataset import resolve_dir, table_file
from workbench.regler.overlap import CSV_COLUMNS, SORT, OverlapRule, load_rules, overlap_report

# A fixed reference date keeps the runs comparable (open ydelser run through it); the demo data's
# extract date (demo_manifest.json) when there is one.
PAA = "2025-12-31"


def reference_date(data_dir: str | Path) -> str:
    import json

    manifest = resolve_dir(data_dir) / "demo_manifest.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["udtraek_dato"])
    except (OSError, ValueError, KeyError):
        return PAA


def _ydelser_file(data_dir: str | Path) -> Path:
    f = table_file(resolve_dir(data_dir), "ydelser")
    if f is None or f.suffix != ".parquet":
        raise ValueError(f"{data_dir}: benchmarken kræver ydelser.parquet")
    return f


def _paa(paa: str | dt.date) -> dt.date:
    return paa if isinstance(paa, dt.date) else dt.date.fromisoformat(paa)


def overlap_polars_df(data_dir: str | Path, paa: str | dt.date = PAA) -> pl.DataFrame:
    lf = pl.scan_parquet(_ydelser_file(data_dir))
    return overlap_report(lf, _paa(paa), load_rules()).collect()


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _sql_side(col: str, paragraffer: tuple[str, ...] | None) -> str:
    return "TRUE" if paragraffer is None else f"{col} IN {_sql_list(paragraffer)}"


def _sql_rule(r: OverlapRule) -> str:
    a, b = "paragraf_a", "paragraf_b"
    cond = (f"(({_sql_side(a, r.paragraffer_a)} AND {_sql_side(b, r.paragraffer_b)}) OR "
            f"({_sql_side(a, r.paragraffer_b)} AND {_sql_side(b, r.paragraffer_a)}))")
    if r.samme_paragraf:
        cond += f" AND {a} = {b}"
    if r.samme_ydelse:
        cond += " AND ydelse_a = ydelse_b"
    cond += f" AND overlap_dage >= {int(r.min_dage)}"
    rid = r.id.replace("'", "''")
    return f"SELECT borger_id, '{rid}' AS regel, {', '.join(CSV_COLUMNS[2:])} FROM p WHERE {cond}"


def overlap_duckdb_df(data_dir: str | Path, paa: str | dt.date = PAA) -> pl.DataFrame:
    import duckdb

    f = str(_ydelser_file(data_dir)).replace("'", "''")
    day = _paa(paa).isoformat()
    sql = f"""
    WITH y AS (
      SELECT DISTINCT CAST(borger_id AS VARCHAR) AS borger_id, CAST(ydelse_id AS VARCHAR) AS ydelse_id,
             CAST(paragraf AS VARCHAR) AS paragraf, CAST(ydelse AS VARCHAR) AS ydelse,
             CAST(startdato AS DATE) AS startdato,
             COALESCE(CAST(slutdato AS DATE), DATE '{day}') AS slut
      FROM read_parquet('{f}')
      WHERE startdato IS NOT NULL AND COALESCE(CAST(slutdato AS DATE), DATE '{day}') >= CAST(startdato AS DATE)
    ), p AS (
      SELECT a.borger_id,
             a.ydelse_id AS ydelse_id_a, a.paragraf AS paragraf_a, a.ydelse AS ydelse_a,
             b.ydelse_id AS ydelse_id_b, b.paragraf AS paragraf_b, b.ydelse AS ydelse_b,
             greatest(a.startdato, b.startdato) AS overlap_start,
             least(a.slut, b.slut) AS overlap_slut,
             CAST(date_diff('day', greatest(a.startdato, b.startdato), least(a.slut, b.slut)) + 1 AS BIGINT)
               AS overlap_dage
      FROM y a JOIN y b
        ON a.borger_id = b.borger_id AND a.ydelse_id < b.ydelse_id
       AND a.startdato <= b.slut AND b.startdato <= a.slut
    )
    {' UNION ALL '.join(_sql_rule(r) for r in load_rules())}
    ORDER BY borger_id, regel, ydelse_id_a, ydelse_id_b
    """
    con = duckdb.connect()
    try:
        return pl.from_arrow(con.sql(sql).to_arrow_table())
    finally:
        con.close()


def overlap_pandas_df(data_dir: str | Path, paa: str | dt.date = PAA) -> pl.DataFrame:
    import pandas as pd

    day = pd.Timestamp(_paa(paa))
    y = pd.read_parquet(_ydelser_file(data_dir), columns=["borger_id", "ydelse_id", "paragraf", "ydelse",
                                                          "startdato", "slutdato"])
    for c in ("borger_id", "ydelse_id", "paragraf", "ydelse"):
        y[c] = y[c].astype(str)
    y["startdato"] = pd.to_datetime(y["startdato"])
    y["slut"] = pd.to_datetime(y["slutdato"]).fillna(day)
    y = y[y["startdato"].notna() & (y["slut"] >= y["startdato"])].drop(columns="slutdato").drop_duplicates()
    p = y.merge(y, on="borger_id", suffixes=("_a", "_b"))
    p = p[(p["ydelse_id_a"] < p["ydelse_id_b"]) & (p["startdato_a"] <= p["slut_b"]) & (p["startdato_b"] <= p["slut_a"])]
    p = p.assign(
        overlap_start=p[["startdato_a", "startdato_b"]].max(axis=1),
        overlap_slut=p[["slut_a", "slut_b"]].min(axis=1),
    )
    p = p.assign(overlap_dage=(p["overlap_slut"] - p["overlap_start"]).dt.days + 1)
    parts = []
    for r in load_rules():
        def side(col: str, ps: tuple[str, ...] | None) -> pd.Series:
            return pd.Series(True, index=p.index) if ps is None else p[col].isin(ps)

        m = (side("paragraf_a", r.paragraffer_a) & side("paragraf_b", r.paragraffer_b)) | (
            side("paragraf_a", r.paragraffer_b) & side("paragraf_b", r.paragraffer_a))
        if r.samme_paragraf:
            m &= p["paragraf_a"] == p["paragraf_b"]
        if r.samme_ydelse:
            m &= p["ydelse_a"] == p["ydelse_b"]
        m &= p["overlap_dage"] >= r.min_dage
        parts.append(p[m].assign(regel=r.id))
    out = pd.concat(parts) if parts else p.head(0).assign(regel="")
    out = out[CSV_COLUMNS].sort_values(SORT, kind="stable")
    df = pl.from_pandas(out.reset_index(drop=True))
    return df.with_columns(pl.col("overlap_start", "overlap_slut").cast(pl.Date),
                           pl.col("overlap_dage").cast(pl.Int64))


# Subprocess entry points (peak memory): the number of overlap rows.
def run_polars(data_dir: str, paa: str = PAA) -> int:
    return overlap_polars_df(data_dir, paa).height


def run_duckdb(data_dir: str, paa: str = PAA) -> int:
    return overlap_duckdb_df(data_dir, paa).height


def run_pandas(data_dir: str, paa: str = PAA) -> int:
    return overlap_pandas_df(data_dir, paa).height


def normalised(df: pl.DataFrame) -> pl.DataFrame:
    """The contract columns with plain types, sorted: the form in which the variants must agree."""
    return df.select(
        *[pl.col(c).cast(pl.String) for c in CSV_COLUMNS[:6]],
        pl.col("overlap_start").cast(pl.Date), pl.col("overlap_slut").cast(pl.Date),
        pl.col("overlap_dage").cast(pl.Int64),
    ).sort(CSV_COLUMNS)


def results_equal(*frames: pl.DataFrame) -> bool:
    first = normalised(frames[0])
    return all(normalised(f).equals(first) for f in frames[1:])


VARIANTS = {"polars": overlap_polars_df, "duckdb": overlap_duckdb_df, "pandas": overlap_pandas_df}


@case("overlap", "overlappende ydelser: selv-join inden for borger med inklusive perioder (polars/duckdb/pandas)")
def overlap_case(ctx: Context) -> list[dict]:
    paa = reference_date(ctx.data_dir)
    results = {name: fn(ctx.data_dir, paa) for name, fn in VARIANTS.items()}
    if not results_equal(*results.values()):
        counts = ", ".join(f"{k}={v.height}" for k, v in results.items())
        raise AssertionError(f"polars, duckdb og pandas giver forskellige overlap ({counts})")
    rows = []
    for name, fn in VARIANTS.items():
        m = measure(lambda fn=fn: fn(ctx.data_dir, paa), ctx.repeats)
        sub = run_subprocess(f"{__name__}:run_{name}", ctx.data_dir, paa)
        rows.append({"variant": name, "median_ms": m["median_ms"], "min_ms": m["min_ms"], "peak_mb": sub["peak_mb"],
                     "rows": m["result"].height, "note": f"samme rækker i alle tre varianter; referencedato {paa}"})
    return rows
