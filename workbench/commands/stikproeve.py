"""`ffb-workbench stikproeve DIR --pr sagsbehandler|team|paragraf|tilbud_id --antal N --seed S`.

A reproducible sample of cases for ledelsestilsyn (workbench/sampling.py), one row per sampled case.
"""

from __future__ import annotations

import argparse

from workbench import access, sampling
from workbench.commands.common import warn_rejected, add_dir, add_format, add_paa, paa, principal
from workbench.dataset import open_dataset
from workbench.output import emit


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ikke et heltal: '{text}'") from None
    if n < 1:
        raise argparse.ArgumentTypeError("skal være mindst 1")
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--pr", required=True, choices=tuple(sampling.STRATA), help="stratum: én stikprøve pr. værdi")
    p.add_argument("--antal", required=True, type=_positive, metavar="N", help="højst N sager pr. stratum")
    p.add_argument("--seed", required=True, metavar="S", help="samme seed giver samme stikprøve")
    add_paa(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    on = paa(args)
    who = principal(args)
    access.require(who, "stikproeve")  # ledelsestilsyn: leder af myndighed and admin
    raw = open_dataset(args.dir)
    warn_rejected(raw)
    ds = access.scope(raw, who)
    emit(sampling.stikproeve(ds, args.pr, args.antal, args.seed, on), args.format)
    return 0
