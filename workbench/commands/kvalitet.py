"""`ffb-workbench kvalitet DIR [--paa DATO] [--format csv|json|table] [--strict]` (spec/DATA_CONTRACT.md).

Columns regel, tabel, noegle, besked; the rules are in config/quality_rules.yaml (incl. the
8-talskontrol against betalinger and databrud, workbench/reconcile.py).
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_report_arguments, emit_report, paa, scoped
from workbench.kvalitet import kvalitet_report, load_quality_config, materialise


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_report_arguments(p, strict_help="afslut med kode 1, når der er fund")


def run(args: argparse.Namespace) -> int:
    cfg = load_quality_config()
    ds, _ = scoped(args)
    on = paa(args, ds)
    df = kvalitet_report(materialise(ds), on, cfg).collect()
    return emit_report(df, args)
