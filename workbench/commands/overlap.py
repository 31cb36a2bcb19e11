"""`ffb-workbench overlap DIR [--paa DATO] [--format csv|json|table] [--strict]` (spec/DATA_CONTRACT.md).

A role without the borger list (analytiker, config/roles.yaml) gets no pairs (they name borgere, even
pseudonymised): one row per rule with borgere, pairs, days and kroner and a total row 'I alt',
suppressed by workbench.regler.suppression (borgere 1..4 '<5', the rest of such a row 'x', and
complementary cells so the total does not give a hidden row away).
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_report_arguments, emit_report, log_read, paa, scoped
from workbench.format.output import emit
from workbench.regler import access, suppression
from workbench.regler.overlap import load_rules, overlap_pairs, overlap_report, per_rule_with_total


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_report_arguments(p, strict_help="afslut med kode 1, når der findes overlap")


def run(args: argparse.Namespace) -> int:
    rules = load_rules()
    ds, who = scoped(args, ("borgere", "ydelser"), verify_only_these=True)
    on = paa(args, ds)
    if not access.can(who, suppression.BORGERLISTE):
        pairs = overlap_pairs(ds.ydelser, on, rules).collect()
        per_rule, total = per_rule_with_total(pairs)
        shown = suppression.suppress_rows(per_rule, "borgere", ["par"], ["dage", "kroner"], total=total,
                                          visning=suppression.for_principal(who))
        log_read(args, who, shown, f"overlap --paa {on.isoformat()} pr. regel, diskretioneret")
        emit(shown, args.format)
        return 1 if args.strict and pairs.height else 0
    df = overlap_report(ds.ydelser, on, rules).collect()
    log_read(args, who, df, f"overlap --paa {on.isoformat()}")
    return emit_report(df, args)
