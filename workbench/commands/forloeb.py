"""`ffb-workbench forloeb DIR BORGER_ID [--paa DATO] [--format json|table]` (spec/DATA_CONTRACT.md).

One borger's progression: funktionsevne, indsatsmål with udgangsniveau / seneste_niveau / status,
ydelser and støttebehov, as it stood on the reference date. An unknown borger (or one outside the
--bruger's scope) is bad input: exit 2 with one line.
"""

from __future__ import annotations

import argparse
import sys

import polars as pl

from workbench.lager import accesslog
from workbench.commands.common import add_dir, add_format, add_paa, paa, scoped
from workbench.format.output import emit, to_json_text
from workbench.sider.forloeb import forloeb

SECTIONS = (("funktionsevne", "Funktionsevne"), ("indsatsmaal", "Indsatsmål"), ("ydelser", "Ydelser"),
            ("stoettebehov", "Støttebehov"))


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("borger_id", metavar="BORGER_ID")
    add_paa(p)
    add_format(p, default="json", choices=("json", "table"))


def run(args: argparse.Namespace) -> int:
    ds, who = scoped(args, ("borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal", "opfoelgninger",
                            "ydelser", "tilbud"), borger_id=args.borger_id,
                      verify_only_these=True)
    on = paa(args, ds)
    result = forloeb(ds, args.borger_id, on)
    # Every look at an individual borger is logged (before anything is shown).
    accesslog.record(args.dir, who, accesslog.VIS_BORGER, [args.borger_id], detalje=f"CLI forloeb {on.isoformat()}")
    out = sys.stdout
    if args.format == "json":
        out.write(to_json_text(result) + "\n")
        return 0
    out.write(f"Borger {result['borger_id']} pr. {on.isoformat()}\n")
    for key, title in SECTIONS:
        rows = result[key]
        out.write(f"\n{title} ({len(rows)})\n")
        if rows:
            emit(pl.DataFrame(rows, infer_schema_length=None), "table", out)
    return 0
