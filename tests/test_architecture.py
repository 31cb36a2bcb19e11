"""The structure drawing is enforced: `lint-imports` checks the layer contract in pyproject.toml
([tool.importlinter]); scripts/importcirkler.py prints module-level import circles."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_kept():
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout



# Pages that still hold Polars expressions, with how many lines (issue 21: moving them into their
# views is not finished). A ratchet: a page not listed may hold none, a listed page may not grow, and a
# page that shrinks must have its number lowered here (0: remove the line).
POLARS_I_SIDER = {"kvalitet.py": 37, "overblik.py": 25, "resultater.py": 14, "tilbud.py": 42, "tilsyn.py": 9}


def test_pages_hold_no_polars_expressions():
    """Pages only lay out a view's result: no `pl.` / `polars` in pages/*.py beyond the listed debt."""
    import re

    offenders = {}
    for f in sorted((ROOT / "pages").glob("*.py")):
        lines = [i for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"(^|[^\w.])pl\.\w|^\s*(import polars|from polars)", line)]
        if lines:
            offenders[f.name] = len(lines)
    assert offenders == POLARS_I_SIDER, f"Polars-udtryk i sider (fil: linjer) {offenders}; gæld {POLARS_I_SIDER}"


def test_objects_shared_through_cache_resource_are_frozen():
    """Dataset and Crosstab are shared across sessions (cache_resource): assigning a field raises."""
    import dataclasses

    import pytest

    from workbench.data.dataset import Dataset
    from workbench.sider.udforsk import Crosstab

    for cls in (Dataset, Crosstab):
        obj = object.__new__(cls)
        name = dataclasses.fields(cls)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, None)
