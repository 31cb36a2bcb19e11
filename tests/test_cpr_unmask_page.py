"""Issue 21: 'Vis fuldt CPR' (regler/access.py, config/roles.yaml cpr_unmask) is on the borger page:
masked by default, the full number only after a reason, and the unmasking is logged."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from data_model.db import engine_for
from tests import helpers
from workbench.lager import accesslog

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "sidefiler" / "borger.py")


def test_borger_page_unmasks_cpr_with_a_logged_reason(borger_x_dir, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(borger_x_dir))
    full = pl.read_parquet(borger_x_dir / "borgere.parquet").filter(pl.col("borger_id") == "X")["cpr"][0] \
        if (borger_x_dir / "borgere.parquet").is_file() else None
    at = helpers.run_page(PAGE, {"borger": "X"})
    assert at.header[0].value == "Borger X"
    assert any(e.label == "Vis fuldt CPR" for e in at.expander)
    shown = "\n".join(m.value for m in at.markdown)
    assert "-xxxx" in shown
    if full:
        assert full not in shown
    at.text_input(key="cpr_X_begrundelse").input("Opfølgning på henvendelse fra borger")
    at.button[[b.label for b in at.button].index("Vis fuldt CPR")].click()
    at.run()
    codes = [c.value for c in at.code]
    assert codes and re.fullmatch(r"\d{6}-\d{4}", codes[0]), codes
    if full:
        assert codes[0].replace("-", "") == re.sub(r"\D", "", full)
    log = accesslog.entries(engine_for(borger_x_dir), handling=accesslog.VIS_CPR)
    assert log.height == 1 and log["borger_ids"][0] == "X" and "Opfølgning" in log["detalje"][0]
