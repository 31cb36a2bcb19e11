"""workbench.ui.vega: the spec the borger page sends from its cache equals st.altair_chart's element for
the same chart (Altair's validating conversion), chart by chart, on Borger X."""

from __future__ import annotations

import json

import pyarrow as pa

from streamlit.testing.v1 import AppTest


def _both_ways(data_dir: str) -> None:
    """Every chart of Borger X's page twice: st.altair_chart(live chart), then vega.vis(cached spec)."""
    import datetime as dt

    import polars as pl
    import streamlit as st

    from workbench.data.config import codes as load_codes
    from workbench.data.dataset import open_dataset
    from workbench.sider import forloeb
    from workbench.ui import borger_charts as charts
    from workbench.ui import vega

    paa, codes = dt.date(2023, 6, 2), load_codes()
    side = forloeb.borger_side(open_dataset(data_dir), "X", paa)
    dia = charts.diagrammer(side, paa, codes)
    fe, goals, sb = side.funktionsevne, side.goals, side.stoettebehov
    rang = {v: k for k, v in codes.stoettebehov_rang.items() if v is not None}
    live = [charts.timeline_chart(side.ydelser, paa, dia.domain)]
    live += [charts.niveau_chart(fe.filter(pl.col("undertema") == ut), goals.filter(pl.col("undertema") == ut), paa,
                                 codes.niveau_label, dia.domain) for ut, _spec in dia.niveau]
    live += [charts.stoettebehov_chart(forloeb.stoettebehov_segments(sb, paa, codes), paa, rang, dia.domain)]
    cached = [dia.ydelser, *(spec for _ut, spec in dia.niveau), dia.stoettebehov]
    for chart, spec in zip(live, cached, strict=True):
        st.altair_chart(chart, width="stretch")
        vega.vis(st, spec, width="stretch")
    vega.vis(st, dia.ydelser, width="stretch")  # a second use of the same cached spec: not mutated by the first


def _sent(el) -> tuple:
    """What the browser gets, with each dataset's name replaced by its content (the names are hashes:
    Streamlit's of its Arrow bytes, vega.spec's its own)."""
    p = el.proto
    text, tables = p.spec, {}
    for d in p.datasets:
        rows = pa.ipc.open_stream(d.data.data).read_all()
        key = f"D{len(tables)}:{rows.schema}:{rows.to_pylist()}"
        tables[key] = rows
        text = text.replace(d.name, f"D{len(tables) - 1}")
    return (json.loads(text), sorted(tables), p.data.data, p.use_container_width, p.theme, p.selection_mode,
            p.form_id)


def test_cached_specs_send_what_altair_chart_sends(borger_x_dir):
    at = AppTest.from_function(_both_ways, args=(str(borger_x_dir),), default_timeout=120).run()
    assert not at.exception, [e.message for e in at.exception]
    els = at.get("vega_lite_chart")
    assert len(els) == 2 * 3 + 1  # ydelser, Varetage økonomi, støttebehov (as the page test counts)
    for live, cached in zip(els[0:6:2], els[1:6:2]):
        assert _sent(cached) == _sent(live)
        assert len(live.proto.datasets) > 0  # the data went as Arrow, not inline
    assert _sent(els[6]) == _sent(els[1])
