"""The one scoped cache of the pages' views (issue 21: UI plumbing once).

`afgraenset(view)` caches a view function of workbench/sider/ (view(ds, *args) -> a frozen result)
per (dataset version of the principal's scoped dataset, principal.key, the other arguments) and
hands the view the principal's scoped dataset (workbench.ui.data.scoped_dataset). The arguments are
keyed as they are: a dt.date is hashed as a date (never turned into ISO text and parsed back), a
frozen dataclass (Periode, Filters, suppression.Visning) by its fields. The arguments are bound to
the view's signature first, so a default left out and the same default given are one key.

Results live in st.cache_resource (shared read-only between sessions: callers never mutate them),
bounded by max_entries, behind a Danish spinner text (or none for quick ones). A new dataset version,
another principal scope or another argument is another key: old numbers are never shown for new
data, and one scope's numbers never for another scope.

    results = afgraenset(kvalitet.beregn, spinner="Beregner overlap og datakvalitet …", max_entries=8)
    results(principal, paa)            # the page: scoped dataset looked up here
    results.med(ds, principal, paa)    # the same cache key, on a scoped dataset already at hand
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Generic, TypeVar

import streamlit as st

from workbench.data.dataset import Dataset
from workbench.regler import access
from workbench.ui import data

R = TypeVar("R")

_navne: set[str] = set()  # one cache per name: two views never share a Streamlit function key


class Afgraenset(Generic[R]):
    """A view cached per (scoped dataset version, principal.key, bound arguments). Call it with the
    principal and the view's arguments after `ds` (and after `principal` for med_principal views)."""

    def __init__(self, view: Callable[..., R], *, spinner: str | None, max_entries: int,
                 med_principal: bool, navn: str | None) -> None:
        if not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError("afgraenset: max_entries skal være et positivt heltal")
        navn = navn or f"{view.__module__}.{view.__qualname__}"
        if "<lambda>" in navn or "<locals>" in navn:
            raise ValueError(f"afgraenset: giv {navn} et navn (navn=...)")
        if navn in _navne:
            raise ValueError(f"afgraenset: {navn} er allerede cachet")
        _navne.add(navn)
        self.view = view
        self.navn = navn
        self._skip = 2 if med_principal else 1  # leading parameters handed over, not keyed
        self._signature = inspect.signature(view)

        def cached(version: str, principal_key: str, args: tuple, kwargs: tuple, _ds: Dataset,
                   _principal: access.Principal) -> R:
            lead = (_ds, _principal) if med_principal else (_ds,)
            return self.view(*lead, *args, **dict(kwargs))  # looked up per miss: a test may count the misses

        # Streamlit keys a cached function on (module, qualname, source): the same closure for every
        # view would share one cache, so each gets its own qualname.
        cached.__qualname__ = f"afgraenset[{navn}]"
        cached.__name__ = cached.__qualname__
        self._cached = st.cache_resource(show_spinner=spinner if spinner else False,
                                         max_entries=max_entries)(cached)

    def _key(self, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, tuple]:
        bound = self._signature.bind(*([None] * self._skip), *args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.args[self._skip:]), tuple(sorted(bound.kwargs.items()))

    def med(self, ds: Dataset, principal: access.Principal, *args: Any, **kwargs: Any) -> R:
        """The cached view on `ds`, which must be data.scoped_dataset(principal) (e.g. looked up in
        the thread that starts a background computation)."""
        a, kw = self._key(args, kwargs)
        return self._cached(ds.version, principal.key, a, kw, ds, principal)

    def __call__(self, principal: access.Principal, *args: Any, **kwargs: Any) -> R:
        return self.med(data.scoped_dataset(principal), principal, *args, **kwargs)


def afgraenset(view: Callable[..., R] | None = None, *, spinner: str | None = "Beregner …",
               max_entries: int = 16, med_principal: bool = False, navn: str | None = None):
    """Cache `view(ds, *args)` (or `view(ds, principal, *args)` with med_principal) on the principal's
    scoped dataset: afgraenset(view, ...) or as a decorator @afgraenset(...). spinner: the Danish text
    shown while it computes (None: no spinner, for quick views); navn: the cache's name (default the
    view's module and name; required for a lambda)."""
    def wrap(fn: Callable[..., R]) -> Afgraenset[R]:
        return Afgraenset(fn, spinner=spinner, max_entries=max_entries, med_principal=med_principal, navn=navn)

    return wrap(view) if view is not None else wrap
