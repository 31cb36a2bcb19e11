"""Shared pieces of the subcommands: dataset + principal, output format, reference date."""

from __future__ import annotations

import argparse
import datetime as dt

from workbench import access
from workbench.dataset import Dataset, open_dataset
from workbench.output import FORMATS
from workbench.periods import parse_date


def add_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="datasæt-mappe eller data-mappe skrevet af import")


def add_format(p: argparse.ArgumentParser, default: str = "csv", choices: tuple[str, ...] = FORMATS) -> None:
    p.add_argument("--format", choices=choices, default=default)


def add_paa(p: argparse.ArgumentParser) -> None:
    p.add_argument("--paa", default=None, metavar="DATO", help="referencedato (standard: i dag)")


def paa(args: argparse.Namespace) -> dt.date:
    return parse_date(getattr(args, "paa", None))


def principal(args: argparse.Namespace) -> access.Principal:
    """The CLI acts as --bruger, or as admin when run locally by the data owner."""
    from workbench import users  # issue 7: resolves configured users

    return users.cli_principal(getattr(args, "bruger", None), args.dir if hasattr(args, "dir") else None)


def warn_rejected(ds: Dataset) -> None:
    """One stderr line when rows were rejected at load: they are never dropped silently."""
    import sys

    counts = ds.rejected_counts()
    if counts:
        total = sum(counts.values())
        per = ", ".join(f"{name}: {n}" for name, n in counts.items())
        print(f"advarsel: {total} række(r) afvist ved indlæsning ({per}); se 'ffb-workbench kvalitet {ds.path}'",
              file=sys.stderr)


def scoped(args: argparse.Namespace) -> tuple[Dataset, access.Principal]:
    ds = open_dataset(args.dir)
    warn_rejected(ds)
    who = principal(args)
    return access.scope(ds, who), who
