"""Small shared render helpers for the pages: KPI cards, Danish number/date/month formatting and
page state that survives a page switch.

    from workbench.ui.widgets import Kpi, kpi_cards, dansk_tal, dansk_maaned, persisted, remember

Formatting: thousands '.', decimal ',' ('1.234,5'); dates dd-mm-åååå; months 'januar 2025' or
'jan. 2025'. Values that are already text (e.g. a suppression label) pass through unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import streamlit as st

from workbench.format.dansk import vega_tal
from workbench.format.output import dansk_tal  # noqa: F401  (re-exported for pages)
from workbench.regler.periods import dansk_dato  # noqa: F401  (re-exported for pages)
from workbench.regler.periods import MAANEDER, MAANEDER_KORT, dansk_maaned, dansk_maaned_expr  # noqa: F401  (one owner: periods)

STATE_PREFIX = "_ffb_side_"  # non-widget session keys that keep page state across page switches


# --------------------------------------------------------------------------------------------
# formatting


def small_count(value: int | None, graense: int | None = None, visning=None) -> str:
    """A borger count for display, suppressed by workbench.regler.suppression.antal (the label lives there)."""
    from workbench.regler import suppression

    return suppression.antal(value, visning or suppression.suppressed(graense))


# --------------------------------------------------------------------------------------------
# the dataset's date in the sidebar (every page: called from app.py, the page shell)


def data_pr_tekst(dato: dt.date) -> str:
    return f"Data pr. {dansk_dato(dato)}"


def sidebar_data_date(container=None) -> dt.date:
    """'Data pr. dd-mm-åååå' in the sidebar: the dataset's udtraeksdato (workbench.ui.data.data_date),
    the default reference date of every page and command. Returns the date."""
    from workbench.ui import data

    dato = data.data_date()
    (container or st.sidebar).caption(data_pr_tekst(dato),
                                      help="Datasættets udtræksdato: standard-referencedatoen på alle sider og "
                                           "i kommandolinjen. Ydelser uden slutdato løber til og med den.")
    return dato


# --------------------------------------------------------------------------------------------
# choice widgets with Danish placeholders (Streamlit's own is "Choose an option" / "Choose options")

VAELG_EN = "Vælg …"
VAELG_FLERE = "Vælg en eller flere …"


def vaelg(container, label: str, options, placeholder: str = VAELG_EN, **kwargs):
    """`container.selectbox` with a Danish placeholder (shown while nothing is chosen)."""
    return container.selectbox(label, options, placeholder=placeholder, **kwargs)


def vaelg_flere(container, label: str, options, placeholder: str = VAELG_FLERE, **kwargs):
    """`container.multiselect` with a Danish placeholder (shown while nothing is chosen)."""
    return container.multiselect(label, options, placeholder=placeholder, **kwargs)


def borger_link_kolonne(label: str = "Borger"):
    """The column config of a workbench.format.dansk.borger_link column: a link showing only the id."""
    from workbench.format.dansk import BORGER_LINK_TEKST

    return st.column_config.LinkColumn(label, display_text=BORGER_LINK_TEKST)


# --------------------------------------------------------------------------------------------
# KPI cards


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str  # already formatted (dansk_tal / small_count)
    help: str | None = None
    delta: str | None = None
    delta_color: str = "normal"


def kpi_cards(items: Sequence[Kpi], container=None) -> None:
    """One bordered st.metric card per item, side by side."""
    if not items:
        return
    cols = (container or st).columns(len(items))
    for col, k in zip(cols, items):
        col.metric(k.label, k.value, delta=k.delta, delta_color=k.delta_color, help=k.help, border=True)


# --------------------------------------------------------------------------------------------
# page state that survives page switches (Streamlit drops widget keys of pages not rendered)


def persisted(key: str, default: Any, options: Sequence[Any] | None = None) -> str:
    """Seed the widget key `key` from its remembered value (or `default`) before the widget is
    drawn, and return the key. With `options`, a remembered value that is no longer offered falls
    back to `default` (multiselect values: the ones no longer offered are dropped)."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(STATE_PREFIX + key, default)
    if options is not None:
        value = st.session_state[key]
        allowed = list(options)
        if isinstance(value, list):
            kept = [v for v in value if v in allowed]
            if kept != value:
                st.session_state[key] = kept
        elif value not in allowed:
            st.session_state[key] = default
    return key


def remember(*keys: str) -> None:
    """Copy the widgets' current values to non-widget keys (call after drawing them)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[STATE_PREFIX + key] = st.session_state[key]


# --------------------------------------------------------------------------------------------
# table display


def dansk_kolonner(df, cols: Sequence[str], decimaler: int = 0):
    """Polars DataFrame with `cols` as Danish number text ('1.234'); text already there (suppression labels)
    passes through. For tables whose suppressed columns are text already."""
    from workbench.format.output import dansk_kolonne

    return df.with_columns(dansk_kolonne(df[c], decimaler) for c in cols if c in df.columns)


FOERSTE_RAEKKER = 100
"""How many rows a long table shows before 'Vis alle N rækker' (the browser draws every row it is sent:
a 2.800-row table is most of a page's first visit)."""


def foerste_raekker(df, key: str, n: int | None = None, container=None, **kwargs) -> bool:
    """st.dataframe of the first `n` (default FOERSTE_RAEKKER) rows of `df` (Polars), with a toggle 'Vis alle N rækker' under it
    when there are more: every row stays one click away (and in the page's export). kwargs go to
    st.dataframe. Returns whether all rows are shown."""
    from workbench.format.dansk import tal

    n = FOERSTE_RAEKKER if n is None else n
    c = container or st
    if df.height <= n:
        c.dataframe(df, **kwargs)
        return True
    table = c.container()
    alle = c.toggle(f"Vis alle {tal(df.height)} rækker", key=key)
    table.dataframe(df if alle else df.head(n), **kwargs)
    if not alle:
        table.caption(f"Viser de første {tal(n)} af {tal(df.height)} rækker.")
    return bool(alle)


DANSK_TAL_EXPR = vega_tal(0)
"""A Vega label expression: whole axis numbers with Danish thousands separators ('1.500.000')."""

DANSK_MAANED_EXPR = ("['jan.', 'feb.', 'mar.', 'apr.', 'maj', 'jun.', 'jul.', 'aug.', 'sep.', 'okt.', 'nov.', 'dec.']"
                     "[month(datum.value)] + ' ' + year(datum.value)")
"""A Vega label expression for a time axis of months: 'mar. 2025'."""


def paa_fra_adresse() -> dt.date:
    """The reference date a page starts on: `?paa=` from the address when it parses, else the data's
    date (with a Danish warning for a malformed one). Pages with a date picker start from this."""
    from workbench.regler.periods import parse_date
    from workbench.ui import data

    seneste = data.data_date()
    raw = st.query_params.get("paa")
    try:
        return parse_date(raw) if raw else seneste
    except ValueError:
        st.warning(f"Ugyldig dato i adressen: {raw}; viser {dansk_dato(seneste)}.")
        return seneste
