"""`ffb-workbench sagsoverblik DIR [--sagsbehandler ID | --team T] [--dage N] [--paa DATO]
[--format csv|json|table] [--fordeling]` (spec/DATA_CONTRACT.md).

What myndighed must do next: workbench.sider.sagsoverblik.sagsoverblik, the same function the
Sagsoverblik page shows; one row per borger x task sorted by frist (columns start sagsbehandler,
borger_id, opgave, frist, noegle). --fordeling: instead the distribution of active cases, tasks and
overdue tasks per sagsbehandler and team. The row scope of --bruger applies (a sagsbehandler sees only
her own borgere).
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_dir, add_format, add_paa, log_read, paa, positive_int, scoped
from workbench.format.output import emit
from workbench.regler.kvalitet import materialise
from workbench.sider import sagsoverblik as so


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--sagsbehandler", default=None, metavar="ID", help="kun denne sagsbehandlers borgere")
    who.add_argument("--team", default=None, metavar="T", help="kun dette teams borgere")
    p.add_argument("--dage", type=positive_int, default=so.DAGE, metavar="N",
                   help=f"opfølgninger og bevillinger, der forfalder inden for N dage (standard {so.DAGE})")
    add_paa(p)
    add_format(p)
    p.add_argument("--fordeling", action="store_true",
                   help="fordelingen af aktive sager, opgaver og overskredne opgaver pr. sagsbehandler og team")


def run(args: argparse.Namespace) -> int:
    ds, who = scoped(args)
    on = paa(args, ds)
    ds = materialise(ds)
    res = so.sagsoverblik(ds, on, args.dage, args.sagsbehandler, args.team)
    if args.fordeling:
        emit(so.fordeling(ds, res, args.sagsbehandler, args.team), args.format)
        return 0
    log_read(args, who, res.opgaver, f"sagsoverblik --paa {on.isoformat()}")
    emit(res.opgaver, args.format)
    return 0
