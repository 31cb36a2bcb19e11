"""`ffb-workbench versioner DIR [--format table|csv|json]`: the versions of a data directory, newest first.

Columns: version, oprettet, aktuel (true/false), bruger, udtraeksdato, laest, accepteret, afvist,
kilde, filer (file name:sha256 prefix).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.data import importer
from workbench.commands.common import add_dir, add_format
from workbench.data.dataset import DatasetError
from workbench.data.paths import is_object_url
from workbench.format.export import escape_frame
from workbench.format.output import emit


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    add_format(p, default="table")


def run(args: argparse.Namespace) -> int:
    d = args.dir if is_object_url(args.dir) else Path(args.dir)  # s3://bucket/prefix stays text
    if isinstance(d, Path) and not d.is_dir():
        raise DatasetError(f"mappen findes ikke: {d}")
    if importer.current_version(d) is None:
        raise DatasetError(f"{d} er ikke en data-mappe skrevet af import (ingen CURRENT)")
    df = importer.versions_frame(d)
    emit(escape_frame(df) if args.format == "csv" else df, args.format)
    return 0
