"""`ffb-workbench demo --out DIR [--skala kommune|region|national] [--seed N]`: the synthetic demo dataset."""

from __future__ import annotations

import argparse
import time

from workbench.vaerktoej import synth


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="mappe, som datasættet skrives til")
    p.add_argument("--skala", choices=synth.SKALAER, default="kommune",
                   help="kommune (ca. 800 borgere), region (ca. 16.000) eller national (ca. 100.000)")
    p.add_argument("--seed", type=int, default=1, help="samme seed giver de samme filer (standard 1)")


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    manifest = synth.write_demo(args.out, skala=args.skala, seed=args.seed, progress=args.skala != "kommune")
    # the whole version's heavy default views, once per version (workbench.sider.forudberegning)
    from workbench.sider import forudberegning

    t1 = time.perf_counter()
    forudberegning.skriv(args.out)
    forud_s = time.perf_counter() - t1
    seconds = time.perf_counter() - t0
    print(f"Demodatasæt skrevet til {args.out} (skala {args.skala}, seed {args.seed}, "
          f"udtræksdato {manifest['udtraek_dato']})")
    print("Rækker pr. tabel:")
    for name, n in manifest["rows"].items():
        print(f"  {name:<15} {n:>10,}".replace(",", "."))
    print("Plantede fejl:")
    for kind, n in manifest["counts"].items():
        extra = f" ({manifest['databrud']['maaned']})" if kind == "databrud" else ""
        print(f"  {kind:<24} {n:>5}{extra}")
    print(f"Manifest: {synth.MANIFEST}")
    print(f"Forudberegnet: Resultater pr. paragraf og statusrapportens afsnit ({forud_s:.1f} s, {forudberegning.MAPPE}/)")
    print(f"Tid: {seconds:.1f} s")
    return 0
