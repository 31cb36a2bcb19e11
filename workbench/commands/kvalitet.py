"""`ffb-workbench kvalitet DIR [--paa DATO] [--format csv|json|table] [--strict] [--kroner]` (spec/DATA_CONTRACT.md).

Columns regel, tabel, noegle, besked; the rules are in config/quality_rules.yaml (incl. the
8-talskontrol against betalinger and databrud, workbench/regler/reconcile.py). --kroner (an extra
option; without it the output is the contract's, unchanged) adds a last column `kroner`: the
8-talskontrol findings' kroner at stake as a number (empty for the other rules), as the Kvalitet page.
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_report_arguments, emit_report, log_read, paa, scoped
from workbench.regler.kvalitet import REPORT_COLUMNS, findings, load_quality_config, materialise


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_report_arguments(p, strict_help="afslut med kode 1, når der er fund")
    p.add_argument("--kroner", action="store_true",
                   help="tilføj kolonnen kroner: 8-talskontrollens kroner i spil som tal (tom for andre regler)")


def run(args: argparse.Namespace) -> int:
    cfg = load_quality_config()
    ds, who = scoped(args)
    on = paa(args, ds)
    found = findings(materialise(ds), on, cfg).collect()
    df = found.select(REPORT_COLUMNS + (["kroner"] if args.kroner else []))  # the contract's columns first
    log_read(args, who, found, f"kvalitet --paa {on.isoformat()}")
    return emit_report(df, args)
