"""`ffb-workbench tilbud DIR TILBUD_ID [--paa DATO] [--fra DATO] [--til DATO] [--format json|table]`
(spec/DATA_CONTRACT.md).

One tilbud as it stood on the reference date: workbench.sider.tilbud.rapport, the same function the Tilbud
page shows. An unknown tilbud (or one outside the --bruger's scope) is bad input: exit 2, one line.
The peer comparison is computed on the unscoped dataset and gives aggregates only.
"""

from __future__ import annotations

import argparse
import sys

import polars as pl

from workbench.regler import access
from workbench.lager import accesslog
from workbench.sider import tilbud
from workbench.commands.common import add_dir, add_format, add_paa, explicit_date, paa, scoped
from workbench.data.dataset import open_dataset
from workbench.format.output import emit, to_json_text
from workbench.regler.periods import parse_date

TABLES = ("borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal", "ydelser", "tilbud")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("tilbud_id", metavar="TILBUD_ID", help="tilbuddets P-nummer")
    add_paa(p)
    p.add_argument("--fra", default=None, metavar="DATO", help="målopfyldelse fra (standard: 365 dage før --paa)")
    p.add_argument("--til", default=None, metavar="DATO", help="målopfyldelse til (standard: --paa)")
    add_format(p, default="json", choices=("json", "table"))


def run(args: argparse.Namespace) -> int:
    ds, who = scoped(args, TABLES)
    on = paa(args, ds)
    fra = parse_date(args.fra) if args.fra else None
    til = explicit_date(ds, parse_date(args.til), "--til", args) if args.til else None
    peers = open_dataset(args.dir) if access.can(who, "tilbudstal") else None
    r = tilbud.rapport(ds, args.tilbud_id, on, fra, til, ds_alle=peers)  # ValueError -> exit 2
    ids = sorted(set(r.borgere["borger_id"].to_list()) | set(r.maal_i_periode["borger_id"].to_list()))
    if ids and access.individual_access(who):
        # Every look at individual borgere is logged (before anything is shown).
        accesslog.record(args.dir, who, accesslog.VIS_BORGER, ids,
                         detalje=f"CLI tilbud {args.tilbud_id} {on.isoformat()}", behold=[r.header.tilbud_id])
    r = tilbud.for_principal(r, who)  # counts 1..g-1 suppressed for a role without the borger list
    result = tilbud.to_json(r)
    out = sys.stdout
    if args.format == "json":
        out.write(to_json_text(result) + "\n")
        return 0
    out.write(f"Tilbud {r.header.tilbud_id} {r.header.navn} ({r.header.tilbudstype}, {r.header.pladser or '–'} "
              f"pladser) pr. {on.isoformat()}\n")
    sections = [("Borgere nu", r.borgere), ("Udvikling i funktionsevne pr. tema", r.udvikling_tema),
                ("Målopfyldelse", r.maalopfyldelse), ("Opfølgning inden for 30 dage", r.kommende),
                ("Overskredne opfølgninger", r.overskredne), ("Belægning", r.belaegning)]
    for title, df in sections:
        out.write(f"\n{title} ({df.height})\n")
        if df.height:
            emit(df, "table", out)
    out.write(f"\nLiggetid: {r.liggetid}\n")
    if r.sammenligning is not None:
        out.write(f"\nSammenligning med {r.sammenligning.tilbud_i_alt} tilbud af typen {r.sammenligning.tilbudstype}\n")
        emit(pl.DataFrame([vars(t) for t in r.sammenligning.tal]), "table", out)
    return 0
