"""Borgerforløb: one borger's case over time (deep link ?borger=ID). All logic in workbench.ui.borger_view."""

from workbench.ui import borger_view

borger_view.render()
