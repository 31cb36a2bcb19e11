"""`ffb-workbench import SRC_DIR --til DATA_DIR [--mapping FILE.yaml] [--udtraeksdato DATO]
[--accepter-afvisninger] [--toerkoersel]`: validate and store a new version.

Exit 0 when the version landed (even with quarantined rows) or the dry run finished, 2 when refused
whole (nothing changed): unreadable file, missing required column, a rejection rate over the
threshold in config/import.yaml without --accepter-afvisninger, another import holding the lock.
The import is written to the access log of the data directory.
"""

from __future__ import annotations

import argparse
import sys

import polars as pl

from workbench.regler import access
from workbench.data import importer
from workbench.format.output import emit, to_json_text
from workbench.regler.periods import parse_date

HANDLING_IMPORT = importer.HANDLING_IMPORT


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", metavar="SRC_DIR", help="datasæt-mappe (CSV/Parquet/XLSX efter datakontrakten)")
    p.add_argument("--til", required=True, metavar="DATA_DIR", help="data-mappe; importen bliver en ny version")
    p.add_argument("--mapping", default=None, metavar="FILE.yaml", help="kolonnenavne og værdier, der skal oversættes")
    p.add_argument("--udtraeksdato", default=None, metavar="DATO",
                   help="datasættets udtræksdato (gemmes i versionens datasaet.yaml)")
    p.add_argument("--accepter-afvisninger", action="store_true",
                   help="importér selv om en tabel har flere afviste rækker end grænsen i config/import.yaml")
    p.add_argument("--toerkoersel", action="store_true", help="valider og rapportér uden at skrive noget")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    bruger = getattr(args, "bruger", None)
    who = None
    if bruger is not None:
        # A new version changes the data for every user: only an administrator may land one.
        from workbench.lager import users

        who = users.cli_principal(bruger, args.til)
        if who.rolle != "admin":
            raise access.AccessDenied(f"brugeren '{who.username}' ({who.rolle}) må ikke importere data")
        bruger = who.username
    udtraek = parse_date(args.udtraeksdato) if args.udtraeksdato else None
    result = importer.import_dataset(args.src, args.til, mapping=args.mapping, bruger=bruger or "admin",
                                     udtraeksdato=udtraek, accepter_afvisninger=args.accepter_afvisninger,
                                     toerkoersel=args.toerkoersel)
    if not args.toerkoersel:
        from data_model.db import engine_for

        # under the data-directory lock: two first imports must not create the state database at once
        with importer.data_dir_lock(importer.Path(args.til), wait=60):
            importer.record_history(engine_for(args.til), importer.Path(args.til),
                                    {**result.as_dict(), "handling": "import", "bruger": bruger or "admin"})
            log(args.til, who, f"version {result.version} fra {result.kilde}: "
                               f"{sum(t.laest for t in result.tabeller)} læst, {result.afvist} afvist")
        from workbench.sider import forudberegning

        note = forudberegning.efter_import(result.version_dir)  # the heavy default views, once per version
        if note:
            result.noter.append(note)
    if args.format == "json":
        sys.stdout.write(to_json_text(result.as_dict()) + "\n")
        return 0
    frame = result.frame()
    emit(frame.with_columns(pl.col("karantaene").fill_null("-")) if args.format == "table" else frame, args.format)
    if args.format == "table":
        total = result.frame().select("laest", "accepteret", "afvist").sum().row(0)
        if result.toerkoersel:
            print("Tørkørsel: intet er skrevet.")
            if result.over_graense:
                print(f"Importen ville blive afvist: for mange afviste rækker i {', '.join(result.over_graense)}.")
        else:
            print(f"Version {result.version} gemt i {result.version_dir} (nu den aktuelle version).")
        print(f"Læst {total[0]} rækker: {total[1]} accepteret, {total[2]} afvist.")
        if result.afvist and not result.toerkoersel:
            print(f"Afviste rækker (med raekke og fejl) ligger i karantæne: {result.karantaene_dir}")
        elif not result.afvist:
            print("Ingen rækker i karantæne.")
        skipped = sum(t.tomme_raekker for t in result.tabeller)
        if skipped:
            print(f"{skipped} helt tomme rækker sprunget over.")
        for note in result.noter:
            print(f"Bemærk: {note}")
    return 0


def log(data_dir: str, who: access.Principal | None, detalje: str, handling: str = HANDLING_IMPORT) -> None:
    """The import/rollback in the data directory's access log (public accesslog API)."""
    from workbench.lager import accesslog

    accesslog.record(data_dir, who or access.ADMIN, handling, detalje=detalje)
