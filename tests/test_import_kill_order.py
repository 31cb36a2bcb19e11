"""Issue 23 item 8: a kill between the history write and CURRENT never leaves history naming a
version that never became current; a kill after CURRENT is repaired by the next import."""

from __future__ import annotations

import datetime as dt

import pytest

from test_access import write_dataset
from workbench.data import importer


class Killed(BaseException):
    pass


def test_kill_before_current_leaves_no_phantom_history(tmp_path, monkeypatch):
    src = write_dataset(tmp_path / "kilde")
    d = tmp_path / "data"
    importer.import_dataset(src, d, now=dt.datetime(2026, 1, 1, 12))
    first = importer.current_version(d)
    real = importer._write_atomic

    def kill_at_current(path, text):
        if path.name == importer.CURRENT:
            raise Killed()
        return real(path, text)

    monkeypatch.setattr(importer, "_write_atomic", kill_at_current)
    with pytest.raises(Killed):
        importer.import_dataset(src, d, now=dt.datetime(2026, 1, 2, 12))
    assert importer.current_version(d) == first
    assert [r["version"] for r in importer.read_history(d)] == [first]


def test_kill_after_current_is_repaired_by_the_next_import(tmp_path, monkeypatch):
    src = write_dataset(tmp_path / "kilde")
    d = tmp_path / "data"
    importer.import_dataset(src, d, now=dt.datetime(2026, 1, 1, 12))

    def killed(*a, **k):
        raise Killed()

    with monkeypatch.context() as m:
        m.setattr(importer, "_append_history", killed)
        with pytest.raises(Killed):
            importer.import_dataset(src, d, now=dt.datetime(2026, 1, 2, 12))
    second = importer.current_version(d)
    assert second not in [r["version"] for r in importer.read_history(d)]
    importer.import_dataset(src, d, now=dt.datetime(2026, 1, 3, 12))
    versions = [r["version"] for r in importer.read_history(d)]
    assert second in versions and len(versions) == 3
