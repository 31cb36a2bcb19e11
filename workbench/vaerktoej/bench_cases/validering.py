"""Benchmark case 'validering': the validating loader (workbench.data.dataset.type_table) against
dataframely (`Schema.filter(df, cast=True)`) on the largest table, funktionsevne, in one process.

Two inputs: the typed Parquet rows as they are, and the same rows as text (as from a CSV) with about
1 % invalid cells. dataframely is not a dependency: the variants run only when it is importable
(`pip install dataframely`), otherwise they are a note row. Both must accept the same number of rows
before a time is reported. What dataframely does not do is said in the note: it cannot parse text
(Polars 2 removed casting strings to dates), knows no Danish date forms, short forms or UUID codes,
and reports failures per rule, not a reason per row.
"""

from __future__ import annotations

import polars as pl

from workbench.vaerktoej.bench import Context, case, measure
from workbench.vaerktoej.bench_cases.proces import _parquet


def _with_errors(raw: pl.DataFrame) -> pl.DataFrame:
    i = pl.int_range(pl.len())
    txt = raw.with_columns(pl.all().cast(pl.String))
    return txt.with_columns(pl.when(i % 100 == 0).then(pl.lit("x")).otherwise(pl.col("niveau")).alias("niveau"))


def _schema(codes):
    import dataframely as dy

    class Funktionsevne(dy.Schema):
        borger_id = dy.String(nullable=False)
        dato = dy.Date(nullable=False)
        omraade = dy.Enum(list(codes.omraader), nullable=False)
        tema = dy.Enum(list(codes.temaer), nullable=False)
        undertema = dy.Enum(list(codes.undertemaer), nullable=False)
        niveau = dy.Int64(nullable=True, min=0, max=4)
        sagsafgoerelse_id = dy.String(nullable=True)

    return Funktionsevne


@case("validering", "validerende indlæsning af funktionsevne: egen type_table mod dataframely (hvis installeret)")
def validering_case(ctx: Context) -> list[dict]:
    from data_model.contract import TABLES
    from workbench.data.config import codes as load_codes
    from workbench.data.dataset import type_table

    codes = load_codes()
    raw = pl.read_parquet(_parquet(ctx.data_dir, "funktionsevne"))
    table = TABLES["funktionsevne"]

    def own(src: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        return tuple(pl.collect_all(list(type_table(src.lazy(), table, codes, "funktionsevne"))))

    rows = []
    bad = _with_errors(raw)
    acc, rej = own(raw)
    m = measure(lambda: own(raw), ctx.repeats)
    rows.append({"variant": "polars", "median_ms": m["median_ms"], "min_ms": m["min_ms"], "rows": acc.height, "note": "typede rækker (Parquet)"})
    acc_bad, rej_bad = own(bad)
    m = measure(lambda: own(bad), ctx.repeats)
    rows.append({"variant": "polars-tekst", "median_ms": m["median_ms"], "min_ms": m["min_ms"], "rows": acc_bad.height,
                 "note": f"som tekst med 1 % ugyldige niveauer: {rej_bad.height} afvist med begrundelse pr. række"})
    try:
        schema = _schema(codes)
    except ImportError:
        rows.append({"variant": "dataframely", "note": "sprunget over: dataframely er ikke installeret"})
        return rows
    good, _fail = schema.filter(raw, cast=True)
    if good.height != acc.height:
        raise AssertionError(f"dataframely accepterer {good.height} rækker, type_table {acc.height}")
    m = measure(lambda: schema.filter(raw, cast=True), ctx.repeats)
    rows.append({"variant": "dataframely", "median_ms": m["median_ms"], "min_ms": m["min_ms"], "rows": good.height,
                 "note": "typede rækker; tjekker kun typer, kodelister og 0-4 (ingen parsning)"})
    try:
        schema.filter(bad, cast=True)
        note = "tekstkilde: kørte"
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        note = f"tekstkilde: fejler ({type(exc).__name__}: {str(exc).splitlines()[0][:80]})"
    rows.append({"variant": "dataframely-tekst", "note": note})
    return rows
