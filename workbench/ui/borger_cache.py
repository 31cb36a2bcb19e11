"""Cached data of the borger page: forloeb.borger_side (one borger's rows and every section on a date),
through the one scoped cache (ui.cache): keyed on the dataset version, the principal's scope, the borger
and the reference date. A reload, a widget change on the page or a visit back no longer recomputes them
(~0,15-0,3 s server CPU per view on the national demo). The view is still logged on every new view
(borger_view._log_view): the cache holds numbers, not the access log.
"""

from __future__ import annotations

from workbench.sider import forloeb
from workbench.ui.cache import afgraenset

# forloeb.borger_side(scoped dataset, borger_id, paa); a ValueError (unknown borger) is raised, not cached
side = afgraenset(forloeb.borger_side, spinner=None, max_entries=64)
