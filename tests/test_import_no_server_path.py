"""Issue 23 item 8: an Import error shown on the page names no server path."""

from __future__ import annotations

import pytest

from workbench.data import importer
from workbench.data.dataset import DatasetError
from workbench.format.messages import for_browser


def test_import_error_on_page_has_no_server_path(tmp_path):
    missing = tmp_path / "hemmelig" / "kilde"
    with pytest.raises(DatasetError) as got:
        importer.import_dataset(missing, tmp_path / "data")
    assert str(tmp_path) in str(got.value)  # the library message names the path...
    shown = for_browser(got.value)
    assert str(tmp_path) not in shown and "/" not in shown and shown.endswith("kilde")  # ...the page does not


def test_import_view_shows_errors_through_for_browser():
    from pathlib import Path

    src = (Path(__file__).resolve().parents[1] / "workbench" / "ui" / "import_view.py").read_text()
    assert "str(exc)" not in src and "{exc}" not in src  # every message goes through for_browser
