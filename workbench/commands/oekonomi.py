"""`ffb-workbench oekonomi DIR --periode YYYY|YYYY-MM|YYYY-Qn [--pr paragraf|tilbudstype|konto|tilbud]
[--paa DATO] [--format csv|json|table]`: the Økonomi page's udgift, borgere, helårspersoner and unit
costs per group (workbench.sider.oekonomi.tabel; spec/DATA_CONTRACT.md). A period that starts after the
reference date, or a --paa after a declared udtraeksdato, is bad input (exit 2).
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_dir, add_format, add_paa, periode_paa, scoped
from workbench.format.output import emit
from workbench.regler.periods import parse_periode
from workbench.sider import oekonomi


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--periode", required=True, metavar="ÅÅÅÅ|ÅÅÅÅ-MM|ÅÅÅÅ-Qn", help="år, kvartal eller måned")
    p.add_argument("--pr", choices=tuple(oekonomi.PR), default="paragraf")
    add_paa(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    periode = parse_periode(args.periode)  # ValueError -> exit 2
    ds, who = scoped(args, ("borgere", "ydelser", "betalinger"))
    on, _ = periode_paa(ds, periode, args.paa, args)
    emit(oekonomi.tabel_for(oekonomi.tabel(ds, periode, on, args.pr), who), args.format)
    return 0
