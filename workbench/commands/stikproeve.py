"""`ffb-workbench stikproeve DIR --pr sagsbehandler|team|paragraf|tilbud_id --antal N --seed S`.

A reproducible sample of cases for ledelsestilsyn (workbench/stikproeve.py), one row per sampled case.
"""

from __future__ import annotations

import argparse

from workbench import access, stikproeve
from workbench import accesslog
from workbench.commands.common import (add_dir, add_format, add_paa, log_read, paa, positive_int, principal,
                                       warn_rejected)
from workbench.dataset import open_dataset
from workbench.output import emit


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--pr", required=True, choices=tuple(stikproeve.STRATA), help="stratum: én stikprøve pr. værdi")
    p.add_argument("--antal", required=True, type=positive_int, metavar="N", help="højst N sager pr. stratum")
    p.add_argument("--seed", required=True, metavar="S", help="samme seed giver samme stikprøve")
    add_paa(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    who = principal(args)
    access.require(who, "stikproeve")  # ledelsestilsyn: leder af myndighed and admin
    raw = open_dataset(args.dir)
    on = paa(args, raw)
    warn_rejected(raw, ("borgere", "ydelser", "tilbud"))
    ds = access.scope(raw, who)
    sample = stikproeve.stikproeve(ds, args.pr, args.antal, args.seed, on)
    log_read(args, who, sample, f"stikproeve --pr {args.pr} --antal {args.antal} --seed {args.seed}",
             accesslog.STIKPROEVE)
    emit(sample, args.format)
    return 0
