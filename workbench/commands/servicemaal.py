"""`ffb-workbench servicemaal DIR --periode YYYY|YYYY-MM|YYYY-Qn [--format csv|json|table]`
(spec/DATA_CONTRACT.md).

Sagsbehandlingstid per paragraf (workbench.regler.servicemaal) for the ydelser granted in the period,
and with the optional `klager` table the klagesagsstatistik (workbench.regler.klager) for the years
the period touches. Data the dataset lacks (ydelser.ansoegningsdato, klager) are named in one Danish
line, exit 0 — never a silent empty table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys

import polars as pl

from workbench.commands.common import add_dir, add_format, scoped
from workbench.format.output import emit, to_json_text
from workbench.regler import klager as klagerregel
from workbench.regler import servicemaal as regel
from workbench.regler.periods import add_months, month_end

TABLES = ("borgere", "ydelser", "klager")


def parse_periode(text: str) -> tuple[dt.date, dt.date]:
    """YYYY | YYYY-MM | YYYY-Qn -> (first day, last day); ValueError (exit 2) otherwise."""
    t = text.strip()
    if m := re.fullmatch(r"(\d{4})", t):
        y = int(m[1])
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    if m := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", t):
        start = dt.date(int(m[1]), int(m[2]), 1)
        return start, month_end(start)
    if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", t):
        start = dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return start, month_end(add_months(start, 2))
    raise ValueError(f"ugyldig periode '{text}' (brug ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-Kn som 2024-Q1)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--periode", required=True, metavar="PERIODE", help="ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-Qn")
    add_format(p, default="csv", choices=("csv", "json", "table"))


def run(args: argparse.Namespace) -> int:
    fra, til = parse_periode(args.periode)  # ValueError -> exit 2, one line
    ds, _who = scoped(args, TABLES)
    har_ansoegning, har_klager = pl.collect_all([
        ds.ydelser.select(pl.col("ansoegningsdato").is_not_null().any()),
        ds.tables["klager"].select(pl.len() > 0),
    ])
    har_ansoegning, har_klager = bool(har_ansoegning.item()), bool(har_klager.item())
    mangler = [n for n, ok in (("ydelser.ansoegningsdato", har_ansoegning), ("tabellen klager", har_klager)) if not ok]
    if not har_ansoegning and not har_klager:
        sys.stdout.write(f"Servicemål og klagesagsstatistik kan ikke beregnes: datasættet mangler "
                         f"{' og '.join(mangler)}.\n")
        return 0
    if mangler:
        sys.stderr.write(f"servicemaal: datasættet mangler {mangler[0]}; den del udelades.\n")
    sm = regel.sagsbehandlingstid(ds.ydelser, fra, til, regel.load_servicemaal()) if har_ansoegning else None
    ks = None
    if har_klager:
        ks = klagerregel.klagestatistik(ds.tables["klager"]).per_paragraf_aar.filter(
            pl.col("aar").is_between(fra.year, til.year))
    out = sys.stdout
    if args.format == "json":
        result = {"periode": {"fra": fra.isoformat(), "til": til.isoformat()}}
        if sm is not None:
            result["servicemaal"] = sm.per_paragraf.to_dicts()
            result["ansoegning_efter_bevilling"] = sm.ugyldige.height
        if ks is not None:
            result["klager"] = ks.to_dicts()
            result["omgoerelsesprocent_definition"] = klagerregel.DEFINITION
        out.write(to_json_text(result) + "\n")
        return 0
    if sm is not None:
        if args.format == "table":
            out.write(f"Sagsbehandlingstid {fra.isoformat()}..{til.isoformat()}\n")
        emit(sm.per_paragraf, args.format, out)
        if sm.ugyldige.height:
            sys.stderr.write(f"servicemaal: {sm.ugyldige.height} ydelser har ansøgningsdato efter "
                             f"bevillingsdato og er udeladt.\n")
    if ks is not None:
        if sm is not None:
            out.write("\n")
        if args.format == "table":
            out.write(f"Klagesagsstatistik\n{klagerregel.DEFINITION}\n")
        emit(ks, args.format, out)
    return 0
