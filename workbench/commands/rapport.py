"""`ffb-workbench rapport DIR --periode YYYY-MM|YYYY --niveau politisk|administrativ|drift
[--kommune KODE] [--paa DATO] --out FILE.pdf|FILE.html`: the statusrapport (workbench/sider/rapport.py).

Cron-safe: no streamlit, no questions, the file is written atomically (temp file + rename).
A malformed period, unknown kommune or an --out that is neither .pdf nor .html -> exit 2, one line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from workbench.commands.common import add_dir, add_paa, periode_paa, scoped
from workbench.regler.periods import parse_periode
from workbench.sider.rapport import NIVEAUER


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_dir(p)
    p.add_argument("--periode", required=True, metavar="ÅÅÅÅ|ÅÅÅÅ-MM|ÅÅÅÅ-Kn", help="år, kvartal eller måned")
    p.add_argument("--niveau", required=True, choices=NIVEAUER)
    p.add_argument("--kommune", default=None, metavar="KODE", help="handlekommune (fx 0250); udeladt: alle")
    add_paa(p)
    p.add_argument("--out", required=True, metavar="FIL", help="FIL.pdf eller FIL.html")


def run(args: argparse.Namespace) -> int:
    from workbench.sider import rapport

    periode = parse_periode(args.periode)  # ValueError -> exit 2
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "html"):
        raise ValueError(f"--out skal slutte på .pdf eller .html, ikke '{out.name}'")
    kommune = args.kommune
    if kommune is not None:
        kommune = kommune.strip()
        if not (kommune.isdigit() and len(kommune) <= 4):
            raise ValueError(f"ukendt kommune '{args.kommune}' (brug en kommunekode, fx 0250)")
        kommune = kommune.zfill(4)
    if not out.parent.exists():
        raise ValueError(f"mappen findes ikke: {out.parent}")
    t0 = time.perf_counter()
    ds, _ = scoped(args, ("borgere", "ydelser"))
    on, udtraek = periode_paa(ds, periode, args.paa, args)  # after the extraction -> exit 2
    from data_model.db import engine_for

    r = rapport.build(ds, args.niveau, periode, on, kommune, udtraek=udtraek, engine=engine_for(args.dir))
    html = rapport.render_html(r)
    data = html.encode("utf-8") if fmt == "html" else rapport.udskrift.to_pdf(html)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    print(f"Statusrapport ({args.niveau}, {periode.label()}) skrevet til {out} på {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    return 0
