"""Cached computations of the Resultater page (workbench/sider/resultater.py over the principal's scoped
data), through the one scoped cache (ui.cache): keyed on dataset version + principal scope + paragraf,
dates and undertemaer; the page only formats and renders what these return.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import resultater
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
def _resultater(ds: Dataset, pr: str, fra: dt.date, til: dt.date, undertemaer: tuple[str, ...]) -> Resultater:
    ut = list(undertemaer) or None
    goals = resultater.maal_status(ds, pr, fra, til).collect().lazy()  # once for the table and the trend
    tabel, trend = pl.collect_all([resultater.resultater(ds, pr, fra, til, ut, goals),
                                   resultater.trend(ds, pr, fra, til, ut, goals)])
    return Resultater(pr, fra, til, undertemaer, tabel, trend)


def resultater_for(principal: access.Principal, pr: str, fra: dt.date, til: dt.date,
                   undertemaer: tuple[str, ...] = ()) -> Resultater:
    return _resultater(principal, pr, fra, til, tuple(undertemaer))


def borgere_i_gruppe(principal: access.Principal, pr: str, gruppe: str, fra: dt.date, til: dt.date,
                     undertemaer: tuple[str, ...] = ()) -> pl.DataFrame:
    ds = data.scoped_dataset(principal)
    return resultater.borgere_i_gruppe(ds, pr, gruppe, fra, til, list(undertemaer) or None).collect()
