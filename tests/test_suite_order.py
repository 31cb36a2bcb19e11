"""The suite's own scheduling (tests/conftest.py): files with browser tests first, then files with slow
tests, then the rest by number of tests; and xdist keeps that order (no reordering by size)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import conftest

ROOT = Path(__file__).resolve().parents[1]


class Item:
    def __init__(self, nodeid: str, *marks: str):
        self.nodeid = nodeid
        self.marks = set(marks)

    def get_closest_marker(self, name: str):
        return pytest.mark.__getattr__(name) if name in self.marks else None


def test_browser_then_slow_files_first_and_every_test_kept():
    items = [Item("tests/test_a.py::t1"), Item("tests/test_a.py::t2"), Item("tests/test_a.py::t3"),
             Item("tests/test_b.py::t1"), Item("tests/test_c.py::t1", "slow"), Item("tests/test_c.py::t2"),
             Item("tests/test_d.py::t1", "browser", "slow"), Item("tests/test_e.py::t1"),
             Item("tests/test_e.py::t2"), Item("tests/test_f.py::t1", "slow")]
    before = list(items)
    conftest.pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == [
        "tests/test_d.py::t1",                                             # browser
        "tests/test_c.py::t1", "tests/test_c.py::t2", "tests/test_f.py::t1",  # slow: more tests first
        "tests/test_a.py::t1", "tests/test_a.py::t2", "tests/test_a.py::t3",  # the rest: more tests first
        "tests/test_e.py::t1", "tests/test_e.py::t2", "tests/test_b.py::t1"]
    assert sorted(map(id, items)) == sorted(map(id, before))  # nothing dropped, nothing added


def test_xdist_keeps_the_order():
    """Without --no-loadscope-reorder, --dist loadfile sorts the files by number of tests again."""
    opts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "--no-loadscope-reorder" in opts["addopts"].split()
