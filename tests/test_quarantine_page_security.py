"""Issue 23 items 5 and 8: the Import page's quarantine download masks CPR for every role and its
download is logged with the borger ids it holds."""

from __future__ import annotations

import polars as pl

from workbench.data import importer
from workbench.ui import import_view


def test_quarantine_download_masks_cpr_and_names_borgere():
    rejected = {"borgere": pl.DataFrame({"raekke": [2, 3], "fejl": ["x", "y"], "borger_id": ["B1", "B2"],
                                         "cpr": ["0101901234", "0202902345"]})}
    data = importer.quarantine_csv(rejected, None, True).decode("utf-8")
    assert "0101901234" not in data and "010190-xxxx" in data
    assert import_view.quarantine_borger_ids(rejected) == ["B1", "B2"]


def test_page_serves_quarantine_masked_and_logs_ids():
    from pathlib import Path

    src = Path(import_view.__file__).read_text(encoding="utf-8")
    assert 'access.can(principal, "cpr_unmask")' not in src  # no full CPR without a reason
    # both quarantine downloads go through the one export button with the borger ids they hold
    assert src.count("borger_ids=q_ids") == 2 and "download_button" not in src
