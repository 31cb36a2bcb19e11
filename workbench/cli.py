"""`ffb-workbench` command line (spec/DATA_CONTRACT.md).

Exit codes: 0 success, 1 findings with --strict, 2 bad input (one line on stderr, no traceback).
Each subcommand lives in workbench/commands/<name>.py with add_arguments(parser) and run(args) -> int.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from workbench.data.config import ConfigError
from workbench.data.dataset import DatasetError

COMMANDS = {
    "demo": ("demo", "skriv et syntetisk demodatasæt"),
    "import": ("import_", "valider og gem et datasæt som en ny version"),
    "versioner": ("versioner", "en data-mappes versioner (nyeste først)"),
    "rul-tilbage": ("rul_tilbage", "gør en tidligere version aktuel igen"),
    "overlap": ("overlap", "overlappende ydelser"),
    "kvalitet": ("kvalitet", "datakvalitet (opmærkninger)"),
    "optaelling": ("optaelling", "månedlig optælling pr. paragraf"),
    "forloeb": ("forloeb", "én borgers forløb mod indsatsmålene"),
    "stikproeve": ("stikproeve", "stikprøve til ledelsestilsyn"),
    "tilbud": ("tilbud", "ét tilbuds borgere, udvikling, målopfyldelse, opfølgning og belægning"),
    "resultater": ("resultater", "udvikling og målopfyldelse pr. gruppe"),
    "rapport": ("rapport", "statusrapport som PDF/HTML"),
    "oekonomi": ("oekonomi", "udgift, helårspersoner og enhedsudgift pr. gruppe i en periode"),
    "sagsoverblik": ("sagsoverblik", "hvad myndighed skal gøre næste gang: opfølgninger, VUM, bevillinger og fejl"),
    "servicemaal": ("servicemaal", "sagsbehandlingstid mod servicemål og klagesagsstatistik"),
    "bench": ("bench", "benchmark"),
    "brugere": ("brugere", "brugere og roller"),
    "adgangslog": ("adgangslog", "adgangslog: udtræk og sletning efter opbevaringsperiode"),
}


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def build_parser(only: str | None = None) -> Parser:
    """The parser; with `only`, just that subcommand's module is imported (the others keep their
    name and help text, so `--help` and unknown-command errors still list them)."""
    parser = Parser(prog="ffb-workbench", description="FFB Workbench")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, (module, helptext) in COMMANDS.items():
        p = sub.add_parser(name, help=helptext, description=helptext)
        p.add_argument("--bruger", default=None,
                       help="kør som denne konfigurerede bruger (udeladt: admin, lokal dataejer)")
        if only is None or name == only:
            mod = importlib.import_module(f"workbench.commands.{module}")
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def _command_name(argv: list[str]) -> str:
    """The subcommand named in argv ('' when none: the parser reports it)."""
    return next((a for a in argv if not a.startswith("-")), "")


def _log_refusal(args, exc: BaseException) -> None:
    """A refused CLI read is logged (issue 23): not permitted for the role, or an unknown/out-of-scope
    borger, tilbud or user. Never raises: the refusal itself is what the user sees."""
    from pathlib import Path

    d = getattr(args, "dir", None) if args is not None else None
    from data_model.paths import is_object_url

    if not d or not (is_object_url(d) or Path(d).is_dir()) or not (isinstance(exc, PermissionError) or str(exc).startswith("ukendt ")):
        return
    try:
        from workbench.format.messages import one_line
        from workbench.lager import accesslog, users
        from workbench.regler import access

        name = getattr(args, "bruger", None)
        try:
            who = users.cli_principal(name, d)
        except Exception:
            who = access.Principal(str(name or "(ukendt)")[:64], "")
        ids = [getattr(args, k) for k in ("borger_id", "borger") if isinstance(getattr(args, k, None), str)]
        accesslog.record(d, who, accesslog.ADGANG_NAEGTET, ids,
                         detalje=f"kommandolinje {_command_name(getattr(args, '_argv', []))}: {one_line(exc)}")
    except Exception:  # noqa: BLE001 - logging a refusal must not turn it into another error
        pass


def _unreadable_input(args, exc: BaseException) -> str | None:
    """A library error (Polars, pyarrow, fastexcel) raised while a command read its dataset lazily, e.g.
    a Parquet file whose pages are broken behind an intact footer: the file that cannot be read in full,
    as one Danish line (workbench.data.dataset.broken_file), or None when every file reads (a bug)."""
    module = type(exc).__module__ or ""
    if not module.startswith(("polars", "pyarrow", "fastexcel", "pyo3_runtime")):
        return None
    d = getattr(args, "dir", None) if args is not None else None
    if not isinstance(d, str):
        return None
    try:
        from workbench.data.dataset import broken_file

        found = broken_file(d)
    except Exception:  # noqa: BLE001 - the search is a courtesy on the error path
        return None
    if found is None:
        return None
    from workbench.format.messages import one_line

    return one_line(found)


def main(argv: list[str] | None = None) -> int:
    """Run one command. Its warnings are printed when it ends (exit 0/1); a failure prints one line."""
    from workbench.format.messages import samlede_advarsler

    with samlede_advarsler() as advarsler:
        return _main(argv, advarsler)


def _main(argv: list[str] | None, advarsler) -> int:
    args = None
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = build_parser(_command_name(argv)).parse_args(argv)
        args._argv = list(argv)  # as typed (bench writes it into docs/BENCHMARKS.md)
        code = int(args._run(args) or 0)
        advarsler.udskriv()
        return code
    except UsageError as exc:
        from workbench.format.messages import one_line

        print(one_line(exc), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except (DatasetError, ConfigError, ValueError, OSError) as exc:
        if os.environ.get("FFB_WORKBENCH_DEBUG"):
            raise
        from workbench.format.messages import one_line

        _log_refusal(args, exc)
        print(f"fejl: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("afbrudt", file=sys.stderr)
        return 130
    except (SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # an internal error is still one line unless debugging (also a Rust panic)
        if os.environ.get("FFB_WORKBENCH_DEBUG"):
            raise
        unreadable = _unreadable_input(args, exc)
        if unreadable is not None:  # bad input found only when the data were read: exit 2
            print(f"fejl: {unreadable}", file=sys.stderr)
            return 2
        from workbench.format.messages import one_line

        print(f"intern fejl: {type(exc).__name__}: {one_line(exc) if str(exc) else ''}", file=sys.stderr)
        return 3


def entry() -> None:
    """The process entry (`ffb-workbench`, `python -m workbench`): main(), then exit_now."""
    exit_now(main())


def exit_now(code: int) -> None:
    """End the process with `code` without the interpreter's teardown, which frees every module and
    object one by one: ~40-50 ms CPU once Polars is loaded, as much as a short command's own work.

    What the teardown does that matters is done first: stdout and stderr are flushed and the atexit
    handlers run (logging, weakref finalizers such as temporary directories). The normal exit is kept
    when the fast one could lose something: another Python thread still running, SQLAlchemy loaded (its
    pooled connections, e.g. PostgreSQL's, are closed by the teardown), or a flush that fails (a closed
    pipe: Python reports it as it always has)."""
    import atexit
    import threading

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - the interpreter's own exit reports it
        sys.exit(code)
    if threading.active_count() > 1 or any(m == "sqlalchemy" or m.startswith("sqlalchemy.") for m in sys.modules):
        sys.exit(code)
    atexit._run_exitfuncs()
    atexit._clear()  # run once: a failing flush below falls back to the normal exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    entry()
