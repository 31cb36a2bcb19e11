"""Kort's view helpers: the map's numbers as export tables (kommuner and tilbud), suppressed for the
export's visning like every export (workbench.regler.suppression, the one owner). The values themselves
come from workbench.sider.udforsk (kommune_values, tilbud_points)."""

from __future__ import annotations

from typing import Callable, Mapping

import polars as pl

from workbench.regler import suppression

MAX_TILBUD_VALG = 100
"""Tilbud in the Kort page's 'Vælg tilbud' list at most; with more, a search (navn or P-nummer) narrows it."""


def eksport_tabeller(kv: pl.DataFrame, tp: pl.DataFrame, measure: str, label: str, fmt: Callable[[float], str],
                     navne: Mapping[str, str], visning: suppression.Visning) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kommuner, tilbud) as text tables: kv is kommunekode, value, borgere; tp has navn, tilbud_id, borgere."""
    emask = suppression.list_mask([int(b) for b in kv["borgere"].to_list()], visning=visning)
    kommuner = pl.DataFrame({
        "Kommune": [navne.get(code, code) for code in kv["kommunekode"].to_list()],
        "Kommunekode": kv["kommunekode"].to_list(),
        label: [suppression.cell_text(state, fmt(v or 0.0), is_count=measure == "borgere", visning=visning)
                for v, state in zip(kv[kv.columns[1]].to_list(), emask)],
    }, schema={"Kommune": pl.String, "Kommunekode": pl.String, label: pl.String})
    tmask = suppression.list_mask([int(b) for b in tp["borgere"].to_list()], visning=visning)
    tilbud = pl.DataFrame({
        "Tilbud": tp["navn"].to_list(), "P-nummer": tp["tilbud_id"].to_list(),
        "Borgere": [suppression.cell_text(state, str(b), visning=visning)
                    for b, state in zip(tp["borgere"].to_list(), tmask)],
    }, schema={"Tilbud": pl.String, "P-nummer": pl.String, "Borgere": pl.String})
    return kommuner, tilbud
