"""Cached data of the borger page: forloeb.borger_side (one borger's rows and every section on a date),
through the one scoped cache (ui.cache): keyed on the dataset version, the principal's scope, the borger
and the reference date. A reload, a widget change on the page or a visit back no longer recomputes them
(~0,15-0,3 s server CPU per view on the national demo). The view is still logged on every new view
(borger_view._log_view): the cache holds numbers, not the access log.
"""

from __future__ import annotations

import datetime as dt

from workbench.data.config import codes as load_codes
from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import forloeb
from workbench.ui import borger_charts
from workbench.ui.cache import afgraenset

# forloeb.borger_side(scoped dataset, borger_id, paa); a ValueError (unknown borger) is raised, not cached
side = afgraenset(forloeb.borger_side, spinner=None, max_entries=64)


def _diagrammer(ds: Dataset, principal: access.Principal, borger_id: str, paa: dt.date) -> borger_charts.Diagrammer:
    return borger_charts.diagrammer(side.med(ds, principal, borger_id, paa), paa, load_codes())


# the page's charts as Vega-Lite specs for the same key: a reload or a widget change on the page no longer
# builds and converts them (~0,25 s server CPU per view with nine charts)
diagrammer = afgraenset(_diagrammer, spinner=None, max_entries=64, med_principal=True)
