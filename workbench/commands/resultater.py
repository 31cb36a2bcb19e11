"""`ffb-workbench resultater DIR --pr tilbud|tilbudstype|paragraf|maalgruppe|sagsbehandler|team
[--fra DATO] [--til DATO] [--tema NAVN ...] [--kvartal] [--format csv|json|table]` (spec/DATA_CONTRACT.md).

Progression and goal attainment per group: workbench.sider.resultater.resultater, the same function the
Resultater page shows (--kvartal: the trend per quarter). Default period: the 365 days up to the
reference date (--paa, else the dataset's udtraeksdato).
"""

from __future__ import annotations

import argparse

from workbench.sider import resultater
from workbench.commands.common import add_dir, add_format, add_paa, explicit_date, paa, scoped
from workbench.format.output import emit
from workbench.regler.periods import parse_date
from workbench.sider.tilbud import standard_periode


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--pr", required=True, choices=tuple(resultater.GRUPPER), help="gruppering")
    p.add_argument("--fra", default=None, metavar="DATO", help="periodens første dag (standard: 365 dage før --til)")
    p.add_argument("--til", default=None, metavar="DATO", help="periodens sidste dag (standard: referencedatoen)")
    p.add_argument("--tema", action="append", default=None, metavar="NAVN",
                   help="kun dette tema eller undertema (kan gentages), fx 'Varetage egen sundhed'")
    p.add_argument("--kvartal", action="store_true", help="udvikling pr. kvartal i perioden")
    add_paa(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    ds, who = scoped(args, ("borgere", "maalgrupper", "funktionsevne", "indsatsmaal", "ydelser", "tilbud"))
    on = paa(args, ds)
    til = explicit_date(ds, parse_date(args.til), "--til", args) if args.til else on  # after the extraction -> exit 2
    fra = parse_date(args.fra) if args.fra else standard_periode(til)[0]
    if fra > til:
        raise ValueError(f"--fra ({fra.isoformat()}) ligger efter --til ({til.isoformat()})")
    ut = resultater.undertemaer_for(args.tema) if args.tema else None
    fn = resultater.trend if args.kvartal else resultater.resultater
    # counts 1..g-1 suppressed for a role without the borger list (as on the page)
    emit(resultater.for_principal(fn(ds, args.pr, fra, til, ut).collect(), who), args.format)
    return 0
