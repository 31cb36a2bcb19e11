"""Cached computations of the Tilbud page (workbench/sider/tilbud.py over the principal's scoped data),
through the one scoped cache (ui.cache): keyed on dataset version + principal scope + dates; the page
only formats and renders what these return.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.data.dataset import Dataset
from workbench.regler import access, suppression
from workbench.sider import tilbud
from workbench.ui import data
from workbench.ui.cache import afgraenset


@afgraenset(spinner=None, max_entries=2)
def _alle_ids(ds: Dataset) -> frozenset[str]:
    return frozenset(ds.tilbud.select("tilbud_id").collect()["tilbud_id"].cast(pl.String).to_list())


def kendte(tilbud_id: str) -> list[str]:
    """[tilbud_id] when it is a tilbud of the dataset (whatever the principal's scope), else []: what the
    access log may keep unmasked as a P-nummer (accesslog `behold`)."""
    return [tilbud_id] if tilbud_id in _alle_ids(access.ADMIN) else []


@afgraenset(spinner=None, max_entries=8)
def _liste(ds: Dataset, paa: dt.date) -> pl.DataFrame:
    return tilbud.liste(ds, paa).collect()


def liste(principal: access.Principal, paa: dt.date) -> pl.DataFrame:
    """Every tilbud the principal may see, with borgere on paa (tilbud.liste)."""
    return _liste(principal, paa)


# Key figures of every tilbud of a type (whole dataset, cached under access.ADMIN; only aggregates of
# it are shown), shared by every user and every tilbud of the type: _peers(access.ADMIN, tilbudstype, paa).
_peers = afgraenset(tilbud.peer_noegletal, spinner="Sammenligner med tilbud af samme type …", max_entries=16)

_rapport = afgraenset(tilbud.rapport, spinner="Beregner tilbuddets tal …", max_entries=16)


def rapport(principal: access.Principal, tilbud_id: str, paa: dt.date, fra: dt.date, til: dt.date) -> tilbud.Rapport:
    """tilbud.rapport on the principal's scoped data, without the peer comparison (`sammenligning`,
    drawn last on the page so the rest shows first). ValueError for a tilbud outside the scope."""
    return _rapport(principal, tilbud_id, paa, fra, til)


def sammenligning(principal: access.Principal, tilbud_id: str, paa: dt.date) -> tilbud.Sammenligning | None:
    """The peer comparison (aggregates only, computed on the whole dataset) for roles with
    `tilbudstal` and a tilbud in their scope; None otherwise."""
    if not access.can(principal, "tilbudstal"):
        return None
    typ = tilbud.tilbudstype_af(data.scoped_dataset(principal), tilbud_id)  # ValueError outside the scope
    ds_alle = data.scoped_dataset(access.ADMIN)
    table = _peers.med(ds_alle, access.ADMIN, typ, paa)
    # the own figures as the principal may see them (suppressed for a role without the borger list)
    return tilbud.sammenligning_for(tilbud.sammenligning(ds_alle, tilbud_id, paa, peers=table),
                                    suppression.for_principal(principal))
