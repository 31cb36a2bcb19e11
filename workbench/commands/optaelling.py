"""`ffb-workbench optaelling DIR --fra YYYY-MM --til YYYY-MM [--paa DATO] [--format csv|json|table] [--flis]`.

Monthly unique borgere per paragraf with helårspersoner, tilgang and afgang (workbench/regler/optaelling.py,
spec/DATA_CONTRACT.md). --flis (an extra option; without it the output is the contract's, unchanged):
the same table counted without the ydelser FLIS removes before publishing (workbench/regler/flis.py,
contract "8-talskontrol": the FLIS-corrected count), as the Overblik page's FLIS-korrigeret cards.
"""

from __future__ import annotations

import argparse

from workbench.commands.common import add_dir, add_format, add_paa, paa, scoped
from workbench.regler import flis
from workbench.regler.optaelling import check_months, optaelling
from workbench.format.output import emit
from workbench.regler.periods import parse_month


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
    ds, who = scoped(args, ("borgere", "ydelser"))
    on = paa(args, ds)
    check_months(fra, til, on)  # fra after til, or til after the reference date's month -> exit 2
    ydelser = flis.korrigeret(ds.ydelser, flis.markerede(ds)) if args.flis else ds.ydelser
    emit(for_principal(optaelling(ydelser, fra, til, on).collect(), who), args.format)
    return 0


def for_principal(df, who):
    """A role without the borger list (analytiker) never gets exact counts 1..g-1 (issue 23): borgere,
    tilgang and afgang read '<g', and helårspersoner of a suppressed month/paragraf read 'x'."""
    import polars as pl

    from workbench.regler import suppression

    vis = suppression.for_principal(who)
    if vis.eksakt:
        return df
    df = suppression.suppress_table(df, ["helaarspersoner"], count_col="borgere", visning=vis)
    # per paragraf, borgere(m) = borgere(m-1) + tilgang(m) - afgang(m): the month's flows hidden together
    # (suppression.suppress_flow), in the command's row order
    df = df.with_row_index("_r")
    df = pl.concat([suppression.suppress_flow(g.sort("maaned"), "borgere", "tilgang", "afgang", vis)
                    for _, g in df.group_by("paragraf", maintain_order=True)]).sort("_r").drop("_r")
    return suppression.suppress_table(df, ["borgere"], visning=vis)
