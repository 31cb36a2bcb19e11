"""`ffb-workbench servicemaal DIR --periode YYYY|YYYY-MM|YYYY-Qn [--paa DATO] [--format csv|json|table]`
(spec/DATA_CONTRACT.md).

The Servicemål og klager page's numbers (workbench.sider.servicemaal.side, the same view): sagsbehandlingstid
per paragraf for the ydelser granted in the period's counted days, and with the optional `klager` table the
klagesagsstatistik for the years the period touches. Data the dataset lacks (ydelser.ansoegningsdato,
klager) are named in one Danish line, exit 0 — never a silent empty table. A role without the borger list
(analytiker) gets the counts 1..g-1 as '<g' and the figures beside them as 'x' (workbench.regler.suppression).
"""

from __future__ import annotations

import argparse
import sys

from workbench.commands.common import add_dir, add_format, add_paa, explicit_date, scoped
from workbench.data.dataset import udtraeksdato
from workbench.format.output import emit, to_json_text
from workbench.regler import klager as klagerregel
from workbench.regler import suppression
from workbench.regler.periods import parse_date, parse_periode
from workbench.sider import servicemaal as view

TABLES = ("borgere", "ydelser", "klager")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--periode", required=True, metavar="PERIODE", help="ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-Qn")
    add_paa(p)
    add_format(p, default="csv", choices=("csv", "json", "table"))


def run(args: argparse.Namespace) -> int:
    periode = parse_periode(args.periode)  # ValueError -> exit 2, one line
    ds, who = scoped(args, TABLES)
    paa = explicit_date(ds, parse_date(args.paa), "--paa", args) if args.paa else udtraeksdato(ds)
    res = view.side(ds, periode, paa, suppression.for_principal(who))
    if len(res.mangler) == 2:
        sys.stdout.write(f"Servicemål og klagesagsstatistik kan ikke beregnes: datasættet mangler "
                         f"{' og '.join(res.mangler)}.\n")
        return 0
    if res.mangler:
        sys.stderr.write(f"servicemaal: datasættet mangler {res.mangler[0]}; den del udelades.\n")
    sm, ks = res.servicemaal_tabel(), res.klager_tabel()
    fra, til = periode.fra, periode.til
    out = sys.stdout
    if args.format == "json":
        result = {"periode": {"fra": fra.isoformat(), "til": til.isoformat()}}
        if sm is not None:
            result["servicemaal"] = sm.to_dicts()
            result["ansoegning_efter_bevilling"] = res.ugyldige
        if ks is not None:
            result["klager"] = ks.to_dicts()
            result["omgoerelsesprocent_definition"] = klagerregel.DEFINITION
        out.write(to_json_text(result) + "\n")
        return 0
    if sm is not None:
        if args.format == "table":
            out.write(f"Sagsbehandlingstid {fra.isoformat()}..{til.isoformat()}\n")
        emit(sm, args.format, out)
        if res.ugyldige:
            sys.stderr.write(f"servicemaal: {res.ugyldige} ydelser har ansøgningsdato efter "
                             f"bevillingsdato og er udeladt.\n")
    if ks is not None:
        if sm is not None:
            out.write("\n")
        if args.format == "table":
            out.write(f"Klagesagsstatistik\n{klagerregel.DEFINITION}\n")
        emit(ks, args.format, out)
    return 0
