"""`ffb-workbench optaelling DIR --fra YYYY-MM --til YYYY-MM [--paa DATO] [--format csv|json|table] [--flis]`.

Monthly unique borgere per paragraf with helårspersoner, tilgang and afgang (workbench/regler/optaelling.py,
spec/DATA_CONTRACT.md). --flis (an extra option; without it the output is the contract's, unchanged):
the same table counted without the ydelser FLIS removes before publishing (workbench/regler/flis.py,
contract "8-talskontrol": the FLIS-corrected count), as the Overblik page's FLIS-korrigeret cards.
The table is the Overblik view's (workbench.sider.overblik.optaelling_tabel): a role without the borger
list (analytiker) gets counts 1..g-1 as '<g' and the helårspersoner beside them as 'x'.
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_dir, add_format, add_paa, paa, scoped
from workbench.format.output import emit
from workbench.regler import suppression
from workbench.regler.optaelling import check_months
from workbench.regler.periods import month_end, parse_month, periode_fra_til
from workbench.sider import overblik as view


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--fra", required=True, metavar="ÅÅÅÅ-MM", help="første måned")
    p.add_argument("--til", required=True, metavar="ÅÅÅÅ-MM", help="sidste måned")
    add_paa(p)
    add_format(p)
    p.add_argument("--flis", action="store_true",
                   help="FLIS-korrigeret: tæl uden de ydelser, FLIS fjerner før offentliggørelse (ugyldige "
                        "ydelseskoder, borgere under 18 år ved startdatoen, slutdato før startdato)")


def run(args: argparse.Namespace) -> int:
    fra, til = parse_month(args.fra), parse_month(args.til)  # ValueError -> exit 2
    check_months(fra, til, til)  # order first, before the data are read
    ds, who = scoped(args, ("borgere", "ydelser"), verify_only_these=True)
    on = paa(args, ds)
    check_months(fra, til, on)  # fra after til, or til after the reference date's month -> exit 2
    # the Overblik page's view: the same rows, suppressed for a role without the borger list (issue 23)
    emit(view.optaelling_tabel(ds, periode_fra_til(fra, month_end(til)), on, suppression.for_principal(who),
                               flis_korrigeret=args.flis), args.format)
    return 0
