"""`ffb-workbench adgangslog DIR udtraek --borger ID | vis [...] | purge [--foer DATO] | verificer`.

`verificer` checks the log's hash chain: exit 0 and the head hash when whole, exit 1 and one line
per break when any entry was changed, removed, inserted or reordered.

`udtraek` is the per-borger report for an indsigtsanmodning ("hvem har set mine data").
`purge` is the only way entries are ever deleted: those older than the retention period
(config/roles.yaml sikkerhed.adgangslog_opbevaring_aar), never newer; the purge is logged itself.
Needs the capability 'adgangslog' (the CLI without --bruger acts as admin, the local data owner).
"""

from __future__ import annotations

import argparse

from workbench.lager import accesslog
from workbench.format.export import escape_frame
from workbench.commands.common import add_format, state_engine
from workbench.format.output import emit
from workbench.regler.periods import parse_date


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="data-mappe (loggen ligger i dens database)")
    p.add_argument("handling", choices=("udtraek", "vis", "purge", "verificer"))
    p.add_argument("--borger", default=None, help="udtraek/vis: borger-id")
    p.add_argument("--foer", default=None, metavar="DATO", help="purge: slet poster før denne dato "
                   "(standard og seneste tilladte: i dag minus opbevaringsperioden)")
    p.add_argument("--fra", default=None, metavar="DATO")
    p.add_argument("--til", default=None, metavar="DATO")
    p.add_argument("--bruger-filter", default=None, help="vis: kun denne brugers poster")
    p.add_argument("--handling-filter", default=None, help="vis: kun denne handling")
    add_format(p)


def run(args: argparse.Namespace) -> int:
    eng, who = state_engine(args, "adgangslog")
    if args.handling == "verificer":
        report = accesslog.verify(eng)
        print(report.linje())
        for line in report.fejl[1:]:
            print(f"  {line}")
        return 0 if report.ok else 1
    if args.handling == "purge":
        foer = parse_date(args.foer) if args.foer else None
        n = accesslog.purge(eng, who, foer)
        print(f"{n} poster slettet (ældre end opbevaringsperioden)")
        return 0
    if args.handling == "udtraek":
        if not args.borger:
            raise ValueError("adgangslog udtraek: --borger mangler")
        df = accesslog.borger_report(eng, args.borger)
        accesslog.log(eng, who, accesslog.UDTRAEK, [args.borger], detalje=f"CLI {args.format}", kilde="cli")
    else:
        df = accesslog.entries(eng, fra=parse_date(args.fra) if args.fra else None,
                               til=parse_date(args.til) if args.til else None, bruger=args.bruger_filter,
                               handling=args.handling_filter, borger_id=args.borger)
    emit(escape_frame(df, keep_numbers=False), args.format)
    return 0
