"""Access-log hook for pages (issue 7 writes the entries to the database).

Call for every borger page view, search, export, unmask and sample:
    log_action("vis_borger", borger_ids=["B1"], detalje="...")
"""

from __future__ import annotations

from typing import Iterable


def log_action(action: str, borger_ids: Iterable[str] = (), detalje: str = "") -> None:
    return None
