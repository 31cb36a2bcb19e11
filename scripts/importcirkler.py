"""The structure drawing: print every import circle between modules of workbench + data_model.

Usage: .venv/bin/python scripts/importcirkler.py   (exit 1 when a circle exists)
"""

from __future__ import annotations

import sys

import grimp


def circles() -> list[list[str]]:
    graph = grimp.build_graph("workbench", "data_model")
    modules = sorted(graph.modules)
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.find_modules_directly_imported_by(v)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for m in modules:
        if m not in index:
            visit(m)
    return out


if __name__ == "__main__":
    found = circles()
    for c in found:
        print(" ↔ ".join(c))
    print(f"{len(found)} importcirkler")
    sys.exit(1 if found else 0)
