"""`ffb-workbench import SRC_DIR --til DATA_DIR [--mapping FILE.yaml]`: validate and store a new version.

Exit 0 when the version landed (even with quarantined rows), 2 when refused whole (nothing changed).
"""

from __future__ import annotations

import argparse
import sys

import polars as pl

from workbench import access, importer
from workbench.output import emit, to_json_text


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", metavar="SRC_DIR", help="datasæt-mappe (CSV/Parquet/XLSX efter datakontrakten)")
    p.add_argument("--til", required=True, metavar="DATA_DIR", help="data-mappe; importen bliver en ny version")
    p.add_argument("--mapping", default=None, metavar="FILE.yaml", help="kolonnenavne og værdier, der skal oversættes")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    bruger = getattr(args, "bruger", None)
    if bruger is not None:
        # A new version changes the data for every user: only an administrator may land one.
        from workbench import users

        who = users.cli_principal(bruger, args.til)
        if who.rolle != "admin":
            raise access.AccessDenied(f"brugeren '{who.username}' ({who.rolle}) må ikke importere data")
        bruger = who.username
    result = importer.import_dataset(args.src, args.til, mapping=args.mapping, bruger=bruger or "admin")
    if args.format == "json":
        sys.stdout.write(to_json_text(result.as_dict()) + "\n")
        return 0
    frame = result.frame()
    emit(frame.with_columns(pl.col("karantaene").fill_null("-")) if args.format == "table" else frame, args.format)
    if args.format == "table":
        total = result.frame().select("laest", "accepteret", "afvist").sum().row(0)
        print(f"Version {result.version} gemt i {result.version_dir} (nu den aktuelle version).")
        print(f"Læst {total[0]} rækker: {total[1]} accepteret, {total[2]} afvist.")
        if result.afvist:
            print(f"Afviste rækker (med raekke og fejl) ligger i karantæne: {result.karantaene_dir}")
        else:
            print("Ingen rækker i karantæne.")
        skipped = sum(t.tomme_raekker for t in result.tabeller)
        if skipped:
            print(f"{skipped} helt tomme rækker sprunget over.")
        for note in result.noter:
            print(f"Bemærk: {note}")
    return 0
