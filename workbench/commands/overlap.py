"""`ffb-workbench overlap DIR [--paa DATO] [--format csv|json|table] [--strict]` (spec/DATA_CONTRACT.md)."""

from __future__ import annotations

import argparse

from workbench.commands.common import add_dir, add_format, add_paa, paa, scoped
from workbench.output import emit
from workbench.overlap import load_rules, overlap_report


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    add_paa(p)
    add_format(p)
    p.add_argument("--strict", action="store_true", help="afslut med kode 1, når der findes overlap")


def run(args: argparse.Namespace) -> int:
    on = paa(args)
    rules = load_rules()
    ds, _ = scoped(args)
    df = overlap_report(ds.ydelser, on, rules).collect()
    emit(df, args.format)
    return 1 if args.strict and df.height else 0
