"""`ffb-workbench forloeb` (not built yet)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rest", nargs="*")


def run(args: argparse.Namespace) -> int:
    raise ValueError("kommandoen 'forloeb' er ikke bygget endnu")
