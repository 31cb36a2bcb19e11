"""Who may see what: the Principal and row-level scoping of a Dataset.

Every query path (pages, exports, CLI) scopes the dataset with `scope(dataset, principal)` before
anything else. (Issue 7 fills in the roles; until then every principal is treated as admin.)
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.dataset import Dataset


@dataclass(frozen=True)
class Principal:
    username: str
    rolle: str
    kommuner: tuple[str, ...] = ()
    sagsbehandler: str | None = None
    team: str | None = None
    tilbud_ids: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable cache key for the scope."""
        return "|".join([self.username, self.rolle, ",".join(self.kommuner), self.sagsbehandler or "",
                         self.team or "", ",".join(self.tilbud_ids)])


ADMIN = Principal(username="admin", rolle="admin")


def scope(dataset: Dataset, principal: Principal) -> Dataset:
    """The part of the dataset the principal may see."""
    return dataset


def can(principal: Principal, capability: str) -> bool:
    """Capabilities: 'borgerliste', 'borgerside', 'cpr', 'adgangslog', 'eksport'."""
    return True


def page_allowed(principal: Principal, page_key: str) -> bool:
    """Whether the page shows in the navigation for this principal."""
    return True
