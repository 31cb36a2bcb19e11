"""Altair charts sent as the Vega-Lite spec st.altair_chart would send, built once and cacheable.

st.altair_chart converts the chart on every script run: Altair deep-copies the chart, validates it
against the Vega-Lite JSON schema and Streamlit serialises each data frame to Arrow. On the borger
page (up to nine charts) that was ~0,25 s server CPU per view. `spec(chart)` builds the same spec
once, without the schema validation, so a page can keep specs in a cache and `vis` them on every run.

What is sent is what st.altair_chart sends (tests/test_vega.py compares the elements chart by chart):
each Polars frame as a named dataset in Arrow IPC bytes, the spec without Altair's default theme
(Streamlit uses the 'none' theme), `$schema` and `datasets` last. It touches no process-wide Altair
setting (theme or data transformer, which Streamlit switches while other sessions convert charts):
the frames are replaced by named data on a copy of the chart before Altair serialises it.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import altair as alt
import polars as pl
import pyarrow as pa


def _arrow_bytes(df: pl.DataFrame) -> bytes:
    if any(isinstance(t, (pl.List, pl.Array)) for t in df.dtypes):
        raise ValueError("vega.spec: lister i diagrammets data understøttes ikke")  # Arrow JS: no large_list
    table = df.to_arrow()
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _named(chart: Any, datasets: dict[str, bytes]) -> Any:
    """A shallow copy of the chart (and of its layers, recursively) with every Polars frame replaced by
    alt.NamedData of its Arrow bytes, named by their hash (the same frame content: one dataset)."""
    chart = chart.copy(deep=False)
    data = getattr(chart, "data", alt.Undefined)
    if isinstance(data, pl.DataFrame):
        raw = _arrow_bytes(data)
        name = "data-" + hashlib.sha256(raw).hexdigest()[:32]
        datasets[name] = raw
        chart.data = alt.NamedData(name=name)
    elif data is not alt.Undefined and not isinstance(data, alt.NamedData):
        raise TypeError(f"vega.spec: data af typen {type(data).__name__} understøttes ikke (kun Polars)")
    layers = getattr(chart, "layer", alt.Undefined)
    if layers is not alt.Undefined:
        chart.layer = [_named(sub, datasets) for sub in layers]
    return chart


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec st.altair_chart sends for `chart` (named datasets as Arrow bytes, no theme
    config); Altair's schema validation left out."""
    datasets: dict[str, bytes] = {}
    named = _named(chart, datasets)
    # not top level: Altair adds neither its active theme nor $schema (added here, as at top level)
    out = named.to_dict(validate=False, context={"top_level": False})
    out.setdefault("$schema", alt.SCHEMA_URL)
    out["datasets"] = datasets
    return out


def vis(container, vega_spec: dict[str, Any], **kwargs: Any):
    """Draw a spec from `spec` (e.g. a cached one, never mutated: Streamlit patches its copy)."""
    return container.vega_lite_chart(spec=copy.deepcopy(vega_spec), **kwargs)
