"""`ffb-workbench stikproeve DIR --pr sagsbehandler|team|paragraf|tilbud --antal N --seed S
[--fra DATO --til DATO] [--udeluk-seneste-dage D] [--paa DATO] [--format csv|json|table]`.

A reproducible sample of cases for ledelsestilsyn (workbench/regler/stikproeve.py), one row per sampled case.
Only cases active in the period (default: on the reference date, the dataset's udtraeksdato) are
drawn; --udeluk-seneste-dage leaves out borgere in audits created in the last D days (stored audits
in the data directory's database, workbench/lager/tilsyn_store.py).
"""

from __future__ import annotations

import argparse
import datetime as dt

from workbench.regler import access, stikproeve
from workbench.lager import accesslog
from workbench.commands.common import (add_dir, add_format, add_paa, log_read, paa, positive_int, principal,
                                       warn_rejected)
from workbench.data.dataset import open_dataset
from workbench.format.output import emit
from workbench.regler.periods import parse_date


READS = ("borgere", "ydelser", "tilbud")  # the tables the draw reads


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--pr", required=True, choices=stikproeve.CHOICES, help="stratum: én stikprøve pr. værdi")
    p.add_argument("--antal", required=True, type=positive_int, metavar="N", help="højst N sager pr. stratum")
    p.add_argument("--seed", required=True, metavar="S", help="samme seed giver samme stikprøve")
    p.add_argument("--fra", default=None, metavar="DATO", help="periodens start (sager aktive i perioden)")
    p.add_argument("--til", default=None, metavar="DATO", help="periodens slut (standard: referencedatoen)")
    p.add_argument("--udeluk-seneste-dage", dest="udeluk_dage", type=positive_int, default=None, metavar="D",
                   help="udeluk borgere fra tilsyn oprettet de seneste D dage")
    add_paa(p)
    add_format(p)


def excluded(data_dir: str, days: int | None, today: dt.date | None = None) -> tuple[str, ...]:
    """Borger ids audited in the last `days` days (stored audits of the data directory)."""
    if not days:
        return ()
    from data_model.db import engine_for
    from workbench.lager import tilsyn_store

    since = (today or dt.date.today()) - dt.timedelta(days=days)
    return tilsyn_store.audited_since(engine_for(data_dir), since)


def run(args: argparse.Namespace) -> int:
    who = principal(args)
    access.require(who, "stikproeve")  # ledelsestilsyn: leder af myndighed and admin
    raw = open_dataset(args.dir, reads=READS)  # checksums of the files it reads (others if read)
    on = paa(args, raw)
    fra = parse_date(args.fra) if args.fra else None
    til = parse_date(args.til) if args.til else None
    warn_rejected(raw, READS)
    ds = access.scope(raw, who)
    udeluk = excluded(args.dir, args.udeluk_dage)
    sample = stikproeve.stikproeve(ds, args.pr, args.antal, args.seed, on, fra, til, udeluk)
    log_read(args, who, sample, f"stikproeve --pr {args.pr} --antal {args.antal} --seed {args.seed}",
             accesslog.STIKPROEVE)
    emit(sample, args.format)
    return 0
