"""Picker choices shared by the Økonomi, Servicemål og klager and Rapporter pages: years, handlekommuner
in the principal's part of the data (cached through the one scoped cache, ui.cache) and their labels."""

from __future__ import annotations

import datetime as dt

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.sider import rapport
from workbench.ui.cache import afgraenset


@afgraenset(spinner=None, max_entries=8)
def _kommuner(ds: Dataset) -> tuple[str, ...]:
    return tuple(rapport.kommuner_i(ds))  # a tuple: the cached value is shared read-only


def kommuner(principal: access.Principal) -> tuple[str, ...]:
    """The handlekommuner in the principal's part of the data (sorted)."""
    return _kommuner(principal)


def aar(paa: dt.date, n: int = 4) -> list[str]:
    """Year choices: the reference date's year and the n-1 before, newest first."""
    return [str(paa.year - i) for i in range(n)]


def kommune_label(code: str | None) -> str:
    if not code:
        return "Alle kommuner"
    from workbench.data.geo import kommune_navne

    return f"{kommune_navne().get(code, code)} ({code})"
