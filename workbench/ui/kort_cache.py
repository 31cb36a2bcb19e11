"""Cached numbers of the Kort page: the kommune values and the tilbud points of the filtered population
(workbench.sider.udforsk.kommune_values / tilbud_points, collected), through the one scoped cache
(ui.cache): keyed on the dataset version, the principal's scope, the filters and the measure.

A reload or a page switch back (same filters) no longer recomputes them (~0,25 s server CPU per Kort
visit on the national demo); a new dataset version is a new key.
"""

from __future__ import annotations

import polars as pl

from workbench.data.dataset import Dataset
from workbench.regler.filters import Filters
from workbench.sider import udforsk
from workbench.ui.cache import afgraenset


@afgraenset(spinner=None, max_entries=32)
def kommune_values(ds: Dataset, f: Filters, measure: str) -> pl.DataFrame:
    """udforsk.kommune_values(scoped dataset, f, measure), collected: kommunekode, vaerdi, borgere."""
    return udforsk.kommune_values(ds, f, measure).collect()


@afgraenset(spinner=None, max_entries=32)
def tilbud_points(ds: Dataset, f: Filters) -> pl.DataFrame:
    """udforsk.tilbud_points(scoped dataset, f), collected."""
    return udforsk.tilbud_points(ds, f).collect()
