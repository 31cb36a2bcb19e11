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



# Pages that hold Polars expressions, with how many lines. Issue 21 is done: every page lays out its
# view's result (workbench/sider/), so the dict is empty and no page may hold Polars again.
POLARS_I_SIDER: dict[str, int] = {}


def test_pages_hold_no_polars_expressions():
    """Pages only lay out a view's result: no `pl.` / `polars` in sidefiler/*.py (POLARS_I_SIDER is empty)."""
    import re

    offenders = {}
    for f in sorted((ROOT / "sidefiler").glob("*.py")):
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


def _choice_widget_calls_without_placeholder() -> list[str]:
    import ast

    files = sorted((ROOT / "sidefiler").glob("*.py")) + sorted((ROOT / "workbench").rglob("*.py")) + [ROOT / "app.py"]
    missing = []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("selectbox", "multiselect") \
                    and not any(k.arg == "placeholder" for k in node.keywords):
                missing.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    return missing


def test_choice_widgets_pass_a_danish_placeholder():
    """Nothing patches Streamlit: every selectbox/multiselect passes placeholder= itself (Streamlit's
    own is English), normally through workbench.ui.widgets.vaelg / vaelg_flere."""
    assert _choice_widget_calls_without_placeholder() == []


def test_no_patched_framework_internals():
    """No page detection by call-stack walk, no PagesManager flag, no monkeypatched widget class."""
    import re

    pattern = re.compile(r"_getframe|PagesManager|streamlit\.(runtime|elements)\b|Mixin\.\w+\s*=")
    hits = [f"{f.relative_to(ROOT)}:{i}" for f in [ROOT / "app.py", *sorted((ROOT / "workbench").rglob("*.py"))]
            for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert hits == []


def test_no_pages_folder_next_to_app_py():
    """Streamlit's legacy multipage mode (a page file run without app.py's sign-in and role gate) is keyed
    on a folder named 'pages' next to the main script; the page files live in sidefiler/ instead."""
    from workbench.ui.pages import PAGES

    assert not (ROOT / "pages").exists()
    assert {Path(f).parent.as_posix() for _, f, *_ in PAGES} == {"sidefiler"}
    assert sorted(Path(f).name for _, f, *_ in PAGES) == sorted(p.name for p in (ROOT / "sidefiler").glob("*.py"))


def test_downloads_only_through_the_one_export_button():
    """Issue 21: every download goes through workbench.ui.eksport.eksport_knap, which logs the click;
    no page or widget calls Streamlit's download_button itself."""
    import re

    offenders = []
    for f in [*(ROOT / "sidefiler").glob("*.py"), *(ROOT / "workbench").rglob("*.py"), ROOT / "app.py"]:
        if f.name == "eksport.py" and f.parent.name == "ui":
            continue
        if re.search(r"\.download_button\(", f.read_text(encoding="utf-8")):
            offenders.append(str(f.relative_to(ROOT)))
    assert offenders == []
