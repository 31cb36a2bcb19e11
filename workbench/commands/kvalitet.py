"""`ffb-workbench kvalitet DIR [--paa DATO] [--format csv|json|table] [--strict] [--kroner]` (spec/DATA_CONTRACT.md).

Columns regel, tabel, noegle, besked; the rules are in config/quality_rules.yaml (incl. the
8-talskontrol against betalinger and databrud, workbench/regler/reconcile.py). --kroner (an extra
option; without it the output is the contract's, unchanged) adds a last column `kroner`: the
8-talskontrol findings' kroner at stake as a number (empty for the other rules), as the Kvalitet page.
A role without the borger list (analytiker) gets no findings (their keys and messages name borgere,
ydelser and goals): one row per rule with fund and borgere and a total row 'I alt', suppressed by
workbench.regler.suppression.
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_report_arguments, emit_report, log_read, paa, scoped
from workbench.format.output import emit
from workbench.regler import access, suppression
from workbench.regler.kvalitet import REPORT_COLUMNS, findings, load_quality_config, materialise, per_rule_with_total


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_report_arguments(p, strict_help="afslut med kode 1, når der er fund")
    p.add_argument("--kroner", action="store_true",
                   help="tilføj kolonnen kroner: 8-talskontrollens kroner i spil som tal (tom for andre regler)")


def run(args: argparse.Namespace) -> int:
    cfg = load_quality_config()
    ds, who = scoped(args)
    on = paa(args, ds)
    found = findings(materialise(ds), on, cfg).collect()
    if not access.can(who, suppression.BORGERLISTE):
        per_rule, total = per_rule_with_total(found, cfg)
        shown = suppression.suppress_rows(per_rule, "borgere", ["fund"], total=total,
                                          visning=suppression.for_principal(who))
        log_read(args, who, shown, f"kvalitet --paa {on.isoformat()} pr. regel, diskretioneret")
        emit(shown, args.format)
        return 1 if args.strict and found.height else 0
    df = found.select(REPORT_COLUMNS + (["kroner"] if args.kroner else []))  # the contract's columns first
    log_read(args, who, found, f"kvalitet --paa {on.isoformat()}")
    return emit_report(df, args)
