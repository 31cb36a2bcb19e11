"""`ffb-workbench rul-tilbage DIR VERSION`: make an earlier version of a data directory current again.

Atomic (CURRENT replaced under the data-directory lock); recorded in the import history and the
access log. Unknown version: exit 2 with one Danish line. Only an administrator (the CLI without
--bruger acts as admin).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.regler import access
from workbench.data import importer
from workbench.commands.common import add_dir
from workbench.commands.import_ import log

HANDLING_RUL_TILBAGE = importer.HANDLING_RUL_TILBAGE


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("version", metavar="VERSION", help="versions-id, fx v0002-20261123T120000 (se 'versioner')")


def run(args: argparse.Namespace) -> int:
    who = access.ADMIN
    if getattr(args, "bruger", None) is not None:
        from workbench.lager import users

        who = users.cli_principal(args.bruger, args.dir)
        if who.rolle != "admin":
            raise access.AccessDenied(f"brugeren '{who.username}' ({who.rolle}) må ikke rulle data tilbage")
    from data_model.db import engine_for

    record = importer.rul_tilbage(args.dir, args.version, bruger=who.username)
    with importer.data_dir_lock(Path(args.dir), wait=60):
        importer.record_history(engine_for(args.dir), Path(args.dir), record)
        log(args.dir, who, f"aktuel version {record['version']} (før: {record['forrige_version']})",
            handling=HANDLING_RUL_TILBAGE)
    print(f"Version {record['version']} er nu den aktuelle (før: {record['forrige_version']}).")
    return 0
