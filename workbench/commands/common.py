"""Shared pieces of the subcommands: dataset + principal, output format, reference date, findings
reports (--strict), the state database of a data directory."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from workbench.regler import access
from workbench.data.dataset import Dataset, open_dataset, udtraeksdato, udtraeksdato_erklaeret
from workbench.data.paths import is_object_url
from workbench.format.output import FORMATS, emit
from workbench.regler.periods import Periode, check_dato, check_periode, parse_date

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy.engine import Engine


def add_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="datasæt-mappe eller data-mappe skrevet af import")


def add_format(p: argparse.ArgumentParser, default: str = "csv", choices: tuple[str, ...] = FORMATS) -> None:
    p.add_argument("--format", choices=choices, default=default)


def add_paa(p: argparse.ArgumentParser) -> None:
    p.add_argument("--paa", default=None, metavar="DATO", help="referencedato (standard: datasættets udtræksdato)")


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ikke et heltal: '{text}'") from None
    if n < 1:
        raise argparse.ArgumentTypeError("skal være mindst 1")
    return n


def add_report_arguments(p: argparse.ArgumentParser, strict_help: str) -> None:
    """DIR, --paa, --format and --strict: a findings report (overlap, kvalitet)."""
    add_dir(p)
    add_paa(p)
    add_format(p)
    p.add_argument("--strict", action="store_true", help=strict_help)


def emit_report(df: pl.DataFrame, args: argparse.Namespace) -> int:
    """Print a findings report; exit code 1 with --strict when it has any rows, else 0."""
    emit(df, args.format)
    return 1 if args.strict and df.height else 0


def paa(args: argparse.Namespace, ds: Dataset) -> dt.date:
    """--paa, else the dataset's udtraeksdato (workbench.data.dataset.udtraeksdato: one default for the
    app and every command)."""
    given = getattr(args, "paa", None)
    return explicit_date(ds, parse_date(given), "--paa", args) if given else udtraeksdato(ds)


def explicit_date(ds: Dataset, dato: dt.date, hvad: str, args: argparse.Namespace | None = None) -> dt.date:
    """An explicit --paa/--til validated through the period owner (workbench.regler.periods.check_dato):
    later than today or a declared udtraeksdato -> ValueError (exit 2); later than a derived one ->
    one warning line on stderr, except with --format json: that output is read by programs, which
    often capture both streams (the contract's own Borger X check does), and the date is allowed."""
    from workbench.format.messages import advarsel as advar

    advarsel = check_dato(dato, udtraeksdato(ds), udtraeksdato_erklaeret(ds), hvad)
    if advarsel and getattr(args, "format", None) != "json":
        advar(advarsel)
    return dato


def periode_paa(ds: Dataset, p: Periode, given_paa: str | None,
                args: argparse.Namespace | None = None) -> tuple[dt.date, dt.date]:
    """(reference date, udtraeksdato) for a --periode command: --paa validated, and a period that starts
    after the reference date is bad input."""
    udtraek = udtraeksdato(ds)
    on = explicit_date(ds, parse_date(given_paa), "--paa", args) if given_paa else udtraek
    check_periode(p, on)
    return on, udtraek


def principal(args: argparse.Namespace) -> access.Principal:
    """The CLI acts as --bruger, or as admin when run locally by the data owner."""
    if getattr(args, "bruger", None) is None:
        return access.ADMIN  # users.cli_principal(None) without importing the user database
    from workbench.lager import users  # issue 7: resolves configured users

    return users.cli_principal(getattr(args, "bruger", None), args.dir if hasattr(args, "dir") else None)


def warn_rejected(ds: Dataset, tables: Sequence[str] | None = None) -> None:
    """One stderr line when rows of the tables a command reads (None: all) were rejected at load:
    they are never dropped silently. Counting re-parses a table, so only the tables used are counted."""
    from workbench.format.messages import advarsel

    counts = ds.rejected_counts(tables)
    if counts:
        total = sum(counts.values())
        per = ", ".join(f"{name}: {n}" for name, n in counts.items())
        advarsel(f"advarsel: {total} række(r) afvist ved indlæsning ({per}); se 'ffb-workbench kvalitet {ds.path}'")


def scoped(args: argparse.Namespace, tables: Sequence[str] | None = None,
           borger_id: str | None = None, verify_only_these: bool = False) -> tuple[Dataset, access.Principal]:
    """The dataset scoped to the principal; warns about rejected rows in `tables` (scoping starts
    from borgere, so commands name it too). `borger_id`: only that borger is needed (forloeb), so
    every table is narrowed to it first and the files are read for that borger only.
    `verify_only_these`: `tables` are all the command reads, so only their typed files are checked on
    open; another file is checked if and when it is read (workbench.data.manifest.open_trusted)."""
    ds = open_dataset(args.dir, reads=tables if verify_only_these else None)
    warn_rejected(ds, tables)
    who = principal(args)
    if borger_id is not None:
        ds = ds.only_borger(borger_id)
    return access.scope(ds, who), who


def state_engine(args: argparse.Namespace, capability: str) -> tuple[Engine, access.Principal]:
    """The database of the data directory args.dir (users, access log), for a principal that holds
    `capability`."""
    if not is_object_url(args.dir) and not Path(args.dir).is_dir():  # s3://: its state is local (state_dir)
        raise ValueError(f"mappen findes ikke: {args.dir}")
    who = principal(args)
    access.require(who, capability)
    from data_model.db import engine_for

    return engine_for(args.dir), who


def log_read(args: argparse.Namespace, who: access.Principal, df: pl.DataFrame, command: str,
             handling: str | None = None) -> None:
    """One access-log entry for a CLI read of borger-level data: the borger ids in the output (column
    borger_id), the command and the row count. Every command that prints borgere calls it."""
    from workbench.lager import accesslog

    ids = df["borger_id"].drop_nulls().unique().sort().to_list() if "borger_id" in df.columns else []
    accesslog.record(args.dir, who, handling or accesslog.VIS_LISTE, [str(b) for b in ids],
                     detalje=f"CLI {command} ({df.height} rækker, {getattr(args, 'format', '')})")
