"""`ffb-workbench brugere DIR list|opret|opret-admin|ret|aktiver|deaktiver|adgangskode|laas-op|demo`.

Users live in the database of DIR (DATABASE_URL, or the SQLite file in DIR). Needs the capability
'brugere' (the CLI without --bruger acts as admin: the local data owner). Passwords are never
command-line arguments: they are asked for on the terminal (twice), or read as the first line of
stdin when stdin is not a terminal (for scripts: `printf '%s\n' "$PW" | ffb-workbench brugere ...`).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from workbench.lager import users
from workbench.commands.common import add_format, state_engine
from workbench.format.output import emit

ACTIONS = ("list", "opret", "opret-admin", "ret", "aktiver", "deaktiver", "adgangskode", "laas-op", "demo")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="data-mappe (brugerne ligger i dens database)")
    p.add_argument("handling", choices=ACTIONS)
    p.add_argument("brugernavn", nargs="?", default=None)
    p.add_argument("--rolle", default=None)
    p.add_argument("--navn", default=None)
    p.add_argument("--email", default=None)
    p.add_argument("--oidc-sub", default=None)
    p.add_argument("--kommuner", default=None, help="kommunekoder, kommasepareret")
    p.add_argument("--sagsbehandler", default=None)
    p.add_argument("--team", default=None)
    p.add_argument("--tilbud", default=None, help="tilbud-id'er, kommasepareret")
    p.add_argument("--uden-adgangskode", action="store_true", help="opret uden lokal adgangskode (kun OIDC)")
    add_format(p, default="table")


def read_password(confirm: bool = True) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        pw = getpass.getpass("Adgangskode: ")
        if confirm and getpass.getpass("Gentag adgangskode: ") != pw:
            raise ValueError("de to adgangskoder er ikke ens")
        return pw
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    eng, who = state_engine(args, "brugere")
    action = args.handling
    if action == "list":
        emit(users.users_frame(eng), args.format)
        return 0
    if action == "demo":
        from workbench.data.dataset import open_dataset

        if not users.is_demo_dataset(args.dir):
            raise ValueError(f"brugere demo: {args.dir} er ikke demodata (skrevet af 'ffb-workbench demo'); "
                             "demobrugere oprettes kun til demodata")

        created = users.ensure_demo_users(eng, open_dataset(args.dir))
        print(f"demobrugere oprettet: {', '.join(created) if created else 'ingen (findes allerede)'}")
        return 0
    name = (args.brugernavn or "").strip().lower()
    if not name:
        raise ValueError(f"brugere {action}: brugernavn mangler")
    if action == "opret-admin":
        users.create_first_admin(eng, name, read_password(), navn=args.navn or "")
        print(f"administrator oprettet: {name}")
        return 0
    if action == "opret":
        if not args.rolle:
            raise ValueError("brugere opret: --rolle mangler")
        pw = None if args.uden_adgangskode else read_password()
        users.create_user(eng, name, args.rolle, pw, navn=args.navn or "", email=args.email,
                          oidc_sub=args.oidc_sub, kommuner=args.kommuner or "", sagsbehandler=args.sagsbehandler,
                          team=args.team, tilbud_ids=args.tilbud or "", af=who)
        print(f"oprettet: {name} ({args.rolle})")
    elif action == "ret":
        changes = {k: v for k, v in dict(rolle=args.rolle, navn=args.navn, email=args.email, oidc_sub=args.oidc_sub,
                                          kommuner=args.kommuner, sagsbehandler=args.sagsbehandler, team=args.team,
                                          tilbud_ids=args.tilbud).items() if v is not None}
        if not changes:
            raise ValueError("brugere ret: intet at ændre (brug fx --rolle, --kommuner, --tilbud)")
        users.update_user(eng, name, af=who, **changes)
        print(f"ændret: {name}")
    elif action in ("aktiver", "deaktiver"):
        users.update_user(eng, name, af=who, aktiv=(action == "aktiver"))
        print(f"{action}et: {name}")
    elif action == "adgangskode":
        users.set_password(eng, name, read_password(), af=who)
        print(f"ny adgangskode sat: {name}")
    elif action == "laas-op":
        users.unlock(eng, name, af=who)
        print(f"låst op: {name}")
    return 0
