"""Issue 24 item 1 (Rapporter's first visit): the report's kvalitet section may read the Kvalitet page's
already computed findings and overlap pairs; the report is the same as when it computes them itself."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.data.dataset import open_dataset, udtraeksdato
from workbench.regler import kvalitet, overlap
from workbench.sider import rapport


@pytest.mark.slow
def test_report_with_precomputed_findings_equals_the_live_report(demo_kommune):
    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    when = dt.datetime(2026, 11, 1, 12, 0)
    for periode in (str(paa.year), f"{paa.year}-K2"):
        live = rapport.render_html(rapport.build(ds, "administrativ", periode, paa, genereret=when))
        fund = (kvalitet.findings(ds, paa).collect(), overlap.overlap_pairs(ds.ydelser, paa).collect())
        reused = rapport.render_html(rapport.build(ds, "administrativ", periode, paa, genereret=when,
                                                   kvalitet_fund=fund))
        assert reused == live, periode
        assert "Datakvalitet: fund pr. regel" in live
    # a kommune's report never takes the whole dataset's findings
    kommune = rapport.kommuner_i(ds)[0]
    empty = (fund[0].head(0), fund[1].head(0))
    a = rapport.render_html(rapport.build(ds, "administrativ", str(paa.year), paa, kommune, genereret=when))
    b = rapport.render_html(rapport.build(ds, "administrativ", str(paa.year), paa, kommune, genereret=when,
                                          kvalitet_fund=empty))
    assert a == b
