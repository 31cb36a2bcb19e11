"""Benchmark case 'load': open a dataset and collect every table (the cost every page pays first).

Variants
- polars: open_dataset + collect all typed tables (and the rejected rows), warm, median of repeats;
- polars-kold: the same as the first call in a fresh process (imports excluded), with its peak memory;
- polars-uden-validering: read the files as stored, no typing or code lists (the validation overhead);
- duckdb / pandas: read the same files into memory with those engines (reading only, no validation).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.vaerktoej.bench import Context, case, measure, run_subprocess
from workbench.data.dataset import open_dataset, read_raw, resolve_dir, table_file
from data_model.contract import TABLES


def _files(data_dir: str | Path) -> list[Path]:
    directory = resolve_dir(data_dir)
    return [f for name in TABLES if (f := table_file(directory, name)) is not None]


def load_polars(data_dir: str | Path) -> int:
    """Rows accepted over all tables after open_dataset + collect (rejected rows are collected too)."""
    ds = open_dataset(data_dir)
    frames = pl.collect_all([*ds.tables.values(), *ds.rejected.values()])
    return sum(f.height for f in frames[: len(ds.tables)])


def load_raw(data_dir: str | Path) -> int:
    frames = pl.collect_all([read_raw(f) for f in _files(data_dir)])
    return sum(f.height for f in frames)


def load_duckdb(data_dir: str | Path) -> int:
    import duckdb

    con = duckdb.connect()
    rows = 0
    for f in _files(data_dir):
        if f.suffix == ".parquet":
            rel = con.read_parquet(str(f))
        elif f.suffix == ".csv":
            rel = con.read_csv(str(f), all_varchar=True)
        else:
            continue
        rows += rel.to_arrow_table().num_rows
    con.close()
    return rows


def load_pandas(data_dir: str | Path) -> int:
    import pandas as pd

    rows = 0
    for f in _files(data_dir):
        if f.suffix == ".parquet":
            df = pd.read_parquet(f)
        elif f.suffix == ".csv":
            df = pd.read_csv(f, sep=None, engine="python", dtype=str, encoding_errors="replace")
        else:
            df = pd.read_excel(f, dtype=str)
        rows += len(df)
    return rows


def _variant(name: str, fn, ctx: Context, target: str, note: str | None = None) -> dict:
    m = measure(lambda: fn(ctx.data_dir), ctx.repeats)
    sub = run_subprocess(target, ctx.data_dir)
    return {"variant": name, "median_ms": m["median_ms"], "min_ms": m["min_ms"], "peak_mb": sub["peak_mb"],
            "rows": m["result"], "note": note}


@case("load", "open_dataset + collect af alle tabeller (varm og kold proces) mod duckdb/pandas-læsning")
def load(ctx: Context) -> list[dict]:
    mod = __name__
    rows = [_variant("polars", load_polars, ctx, f"{mod}:load_polars", "typet og valideret")]
    cold = run_subprocess(f"{mod}:load_polars", ctx.data_dir)
    rows.append({"variant": "polars-kold", "median_ms": cold["wall_ms"], "min_ms": cold["wall_ms"],
                 "peak_mb": cold["peak_mb"], "rows": cold["rows"], "note": "første kald i ny proces"})
    rows.append(_variant("polars-uden-validering", load_raw, ctx, f"{mod}:load_raw", "kun læsning"))
    for name, fn in (("duckdb", load_duckdb), ("pandas", load_pandas)):
        try:
            rows.append(_variant(name, fn, ctx, f"{mod}:{fn.__name__}", "kun læsning"))
        except ImportError as exc:
            rows.append({"variant": name, "note": f"ikke installeret ({exc.name})"})
    return rows
