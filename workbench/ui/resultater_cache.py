"""Cached computations of the Resultater page (workbench/sider/resultater.py over the principal's scoped
data), through the one scoped cache (ui.cache): keyed on dataset version + principal scope + paragraf,
dates and undertemaer; the page only formats and renders what these return.

For a principal whose scope holds every borger of the version (data.hele_versionen) the default views are read from
the version's precomputation when it matches (workbench.sider.forudberegning), else computed live by
the same function (forudberegning.beregn).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import forudberegning, resultater
from workbench.ui import data
from workbench.ui.cache import afgraenset


@dataclass(frozen=True)
class Resultater:
    pr: str
    fra: dt.date
    til: dt.date
    undertemaer: tuple[str, ...]
    tabel: pl.DataFrame
    trend: pl.DataFrame


@afgraenset(spinner="Beregner resultater …", max_entries=16)
def _resultater(ds: Dataset, pr: str, fra: dt.date, til: dt.date, undertemaer: tuple[str, ...],
                hele: bool = False) -> Resultater:
    n = forudberegning.Noegle(pr, fra, til, tuple(undertemaer))
    forud = forudberegning.laes(ds, n) if hele else None
    tabel, trend = forud if forud is not None else forudberegning.beregn(ds, n)
    return Resultater(pr, fra, til, undertemaer, tabel, trend)


def resultater_for(principal: access.Principal, pr: str, fra: dt.date, til: dt.date,
                   undertemaer: tuple[str, ...] = ()) -> Resultater:
    return _resultater(principal, pr, fra, til, tuple(undertemaer), data.hele_versionen(principal))


def borgere_i_gruppe(principal: access.Principal, pr: str, gruppe: str, fra: dt.date, til: dt.date,
                     undertemaer: tuple[str, ...] = ()) -> pl.DataFrame:
    ds = data.scoped_dataset(principal)
    return resultater.borgere_i_gruppe(ds, pr, gruppe, fra, til, list(undertemaer) or None).collect()
