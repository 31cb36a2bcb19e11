"""`ffb-workbench bench [--skala kommune|region|national] [--repeats N] [--case NAME ...] [--format ...]`.

Runs the registered benchmark cases (workbench/vaerktoej/bench.py, workbench/vaerktoej/bench_cases/) and prints the table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl

from workbench.vaerktoej import bench
from workbench.commands.common import positive_int
from workbench.format.output import emit


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--skala", choices=bench.SKALAER, default="kommune")
    p.add_argument("--repeats", type=positive_int, default=5, metavar="N", help="målinger pr. variant (median)")
    p.add_argument("--case", dest="cases", action="append", default=None, metavar="NAME",
                   help="kør kun denne case (kan gentages)")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="brug dette datasæt i stedet for det cachede demodatasæt for skalaen")
    p.add_argument("--list", action="store_true", help="vis de registrerede cases og stop")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--rapport", default=None, metavar="FIL.md",
                   help="skriv resultatet som Markdown (standard for --skala national: docs/BENCHMARKS.md)")


def run(args: argparse.Namespace) -> int:
    if args.list:
        cases = bench.discover()
        emit(pl.DataFrame({"case": list(cases), "beskrivelse": [c.description for c in cases.values()]},
                          schema={"case": pl.String, "beskrivelse": pl.String}).sort("case"), args.format)
        return 0
    data = None
    if args.data:
        from workbench.data.dataset import resolve_dir

        data = resolve_dir(args.data)
    # nargs via repeated --case; also accept "--case a,b"
    names = [n for c in (args.cases or []) for n in c.split(",") if n] or None
    t0 = time.perf_counter()
    df = bench.run(args.skala, args.repeats, names, data_dir=data)
    rapport = args.rapport or (str(bench.ROOT / "docs" / "BENCHMARKS.md") if args.skala == "national" else None)
    if rapport:
        command = "ffb-workbench " + " ".join(getattr(args, "_argv", ["bench"]))
        Path(rapport).write_text(bench.markdown(df, command, time.perf_counter() - t0), encoding="utf-8")
    if args.format == "table":
        df = df.with_columns(pl.col("median_ms", "min_ms", "cpu_ms", "peak_mb", "ratio").round(2))
    emit(df, args.format)
    return 0
