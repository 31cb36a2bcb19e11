"""`ffb-workbench overlap DIR [--paa DATO] [--format csv|json|table] [--strict]` (spec/DATA_CONTRACT.md)."""

from __future__ import annotations

import argparse

from workbench.commands.common import add_report_arguments, emit_report, log_read, paa, scoped
from workbench.regler.overlap import load_rules, overlap_report


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_report_arguments(p, strict_help="afslut med kode 1, når der findes overlap")


def run(args: argparse.Namespace) -> int:
    rules = load_rules()
    ds, who = scoped(args, ("borgere", "ydelser"))
    on = paa(args, ds)
    df = overlap_report(ds.ydelser, on, rules).collect()
    log_read(args, who, df, f"overlap --paa {on.isoformat()}")
    return emit_report(df, args)
