"""The shared sidebar filter panel for every analytic page.

    from workbench.ui.filter_panel import filter_panel
    f = filter_panel(ds, principal)          # renders the sidebar, returns workbench.regler.filters.Filters

State: the canonical Filters live under the non-widget session key `_ffb_filtre` (widget state is
dropped when a page is left) and are mirrored into st.query_params after every run, so the URL is
a bookmark of the view. A URL whose filter parameters differ from the canonical state (a bookmark,
a deep link, a link from another page) replaces it. Unknown or malformed parameters give a Danish
st.warning and are dropped from the URL; they never raise.

Other helpers: current_filters(), set_filters(f) (e.g. a map click), view_params(...) /
write_view_params(...) for page-specific view settings (Udforsk rows/columns/measure).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping

import polars as pl
import streamlit as st

from workbench.regler import access
from workbench.data import geo
from workbench.data.config import load_config
from workbench.data.dataset import Dataset
from workbench.regler.filters import (FILTER_PARAMS, IKKE_VURDERET, KOEN_LABEL, KOMMUNETYPER, NIVEAUER, Filters,
                               aldersgruppe_labels, niveau_label, vurderet_tekst)
from workbench.regler.periods import dansk_dato
from workbench.ui import data
from workbench.ui.widgets import vaelg, vaelg_flere
from workbench.format.dansk import DATO_INPUT

STATE = "_ffb_filtre"
NOTICES = "_ffb_filtre_beskeder"
PREFIX = "fp_"
ALLE = "(alle)"
VURDERET_VALG = (3, 6, 12, 18, 24, 36)  # 'vurderet inden for de seneste N måneder' offered in the panel
INGEN = "(intet valgt)"

# widget key -> Filters field (multiselects)
MULTI = {
    "kommuner": "kommuner", "regioner": "regioner", "paragraffer": "paragraffer", "ydelser": "ydelser",
    "maalgrupper": "maalgrupper", "kategorier": "kategorier", "tilbudstyper": "tilbudstyper", "tilbud": "tilbud",
    "driftsformer": "driftsformer", "niveauer": "niveauer", "stoettebehov": "stoettebehov",
    "aldersgrupper": "aldersgrupper", "koen": "koen", "sagsbehandlere": "sagsbehandlere", "teams": "teams",
}


def _qp_dict() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}


def current_filters() -> Filters:
    """The canonical filters of this session (defaults when none were set yet), with the dataset's
    udtraeksdato as the default reference date."""
    f = st.session_state.get(STATE) or Filters()
    return f.with_(udtraeksdato=data.data_date())


def _reset_widgets() -> None:
    for key in [k for k in st.session_state.keys() if str(k).startswith(PREFIX)]:
        del st.session_state[key]


def set_filters(f: Filters) -> None:
    """Replace the canonical filters (the widgets are re-seeded on the next run), and the URL."""
    st.session_state[STATE] = f
    _reset_widgets()
    _write_query_params(f)


def _write_query_params(f: Filters, keep: Iterable[str] | None = None) -> None:
    """Mirror f into the URL. keep: the non-filter parameters to keep (None = every non-filter one)."""
    current = _qp_dict()
    keep_set = set(keep) if keep is not None else {k for k in current if k not in FILTER_PARAMS}
    new: dict[str, str | list[str]] = {k: v for k, v in current.items() if k in keep_set}
    new.update(f.to_query_params())
    norm_new = {k: ([v] if isinstance(v, str) else list(v)) for k, v in new.items()}
    if norm_new != current:
        st.query_params.from_dict(new)


@st.cache_data(show_spinner=False, max_entries=16)
def _options(version: str, principal_key: str, _ds: Dataset) -> dict[str, list]:
    """Values present in the (scoped) dataset for the free-text filters; cached per dataset version."""
    b = _ds.borgere.select("handlekommune", "betalingskommune", "sagsbehandler", "team").collect()
    t = _ds.tilbud.select("tilbud_id", "navn").collect().sort("navn", "tilbud_id")
    y = _ds.ydelser.select(pl.col("ydelse").unique()).collect()
    kommuner = sorted({k for k in b["handlekommune"].to_list() + b["betalingskommune"].to_list() if k})
    return {
        "kommuner": kommuner,
        "sagsbehandlere": sorted({s for s in b["sagsbehandler"].to_list() if s}),
        "teams": sorted({s for s in b["team"].to_list() if s}),
        "tilbud": list(zip(t["tilbud_id"].to_list(), t["navn"].to_list())),
        "ydelser": sorted({s for s in y["ydelse"].to_list() if s}),
    }


def _seed(f: Filters) -> None:
    """Put the canonical values into widget keys that are missing (first run, or page re-entered)."""
    codes = load_config().codes
    values = {PREFIX + k: list(getattr(f, name)) for k, name in MULTI.items()}
    end = f.paa or data.data_date()  # no date chosen: the dataset's udtraeksdato, never today
    values.update({
        PREFIX + "periodetype": "Periode" if f.fra else "Skæringsdato",
        PREFIX + "paa": end,
        PREFIX + "fra": f.fra or end.replace(day=1, month=1),
        PREFIX + "kommunetype": f.kommunetype,
        PREFIX + "kun_primaer": f.kun_primaer,
        PREFIX + "omraade": codes.undertema_omraade(f.undertema) if f.undertema else ALLE,
        PREFIX + "tema": codes.undertema_tema[f.undertema] if f.undertema else ALLE,
        PREFIX + "undertema": f.undertema or INGEN,
        PREFIX + "vurderet_maaneder": f.vurderet_maaneder,
    })
    for key, value in values.items():
        if key not in st.session_state:
            st.session_state[key] = value


def _multi(container, label: str, key: str, options: list, fmt=None, help: str | None = None) -> list:
    k = PREFIX + key
    chosen = list(st.session_state.get(k, []))
    opts = list(options) + [v for v in chosen if v not in options]  # a bookmarked value absent from the data
    kwargs = {"format_func": fmt} if fmt else {}
    return vaelg_flere(container, label, opts, key=k, placeholder="Alle", help=help, select_all=False, **kwargs)


def _select(container, label: str, key: str, options: list, fmt=None) -> str:
    k = PREFIX + key
    if st.session_state.get(k) not in options:
        st.session_state[k] = options[0]
    kwargs = {"format_func": fmt} if fmt else {}
    return vaelg(container, label, options, key=k, **kwargs)


def _reset_all() -> None:
    """'Nulstil filtre': keep the period, drop every other filter (session, widgets and URL)."""
    cur = current_filters()
    set_filters(Filters(paa=cur.paa, fra=cur.fra, udtraeksdato=cur.udtraeksdato))


def filter_panel(ds: Dataset, principal: access.Principal | None = None, extra_keys: Iterable[str] = (),
                 container=None) -> Filters:
    """Render the filter panel in the sidebar and return the canonical Filters (also in the URL).
    extra_keys: page-specific query parameters that are not filters (left alone, no warning)."""
    codes = load_config().codes
    extra = set(extra_keys)
    sb = container or st.sidebar
    qp = _qp_dict()
    filter_qp = {k: v for k, v in qp.items() if k not in extra}
    canonical: Filters | None = st.session_state.get(STATE)
    if canonical is None or filter_qp:
        parsed, notices = Filters.from_query_params(filter_qp, codes, extra_keys=extra)
        if canonical is None or parsed != canonical:
            canonical = parsed
            st.session_state[STATE] = canonical
            _reset_widgets()
        if notices:
            st.session_state[NOTICES] = notices
    for notice in st.session_state.pop(NOTICES, []):
        st.warning(notice, icon=":material/warning:")

    _seed(canonical)
    opts = _options(ds.version, principal.key if principal else "", ds)
    navne = geo.kommune_navne()
    regioner = geo.regioner()

    sb.header("Filtre")
    with sb.expander("Periode", expanded=True):
        ptype = st.radio("Periode", ["Skæringsdato", "Periode"], key=PREFIX + "periodetype", horizontal=True,
                         label_visibility="collapsed")
        if ptype == "Periode":
            fra = st.date_input("Fra", key=PREFIX + "fra", format=DATO_INPUT)
            paa = st.date_input("Til (skæringsdato)", key=PREFIX + "paa", format=DATO_INPUT)
        else:
            fra = None
            paa = st.date_input("Skæringsdato", key=PREFIX + "paa", format=DATO_INPUT,
                                help="Borgere med en ydelse denne dag; alder, målgruppe, støttebehov og "
                                     "funktionsevne gælder på denne dato. Standard er datasættets "
                                     f"udtræksdato ({dansk_dato(data.data_date())}).")
    with sb.expander("Kommune og region"):
        ktype = st.radio("Kommune efter", list(KOMMUNETYPER), format_func=KOMMUNETYPER.get,
                         key=PREFIX + "kommunetype", horizontal=True)
        kommuner = _multi(st, "Kommune", "kommuner", opts["kommuner"], fmt=lambda k: f"{navne.get(k, k)} ({k})")
        regs = _multi(st, "Region", "regioner", list(regioner), fmt=lambda r: regioner.get(r, r))
    with sb.expander("Ydelse og tilbud"):
        paragraffer = _multi(st, "Paragraf", "paragraffer", list(codes.paragraffer))
        ydelser = _multi(st, "Ydelse", "ydelser", opts["ydelser"])
        tilbudstyper = _multi(st, "Tilbudstype", "tilbudstyper", list(codes.tilbudstyper))
        tnavn = dict(opts["tilbud"])
        tilbud = _multi(st, "Tilbud", "tilbud", [t for t, _ in opts["tilbud"]],
                        fmt=lambda t: f"{tnavn.get(t, '?')} ({t})")
        driftsformer = _multi(st, "Driftsform", "driftsformer", list(codes.driftsformer),
                              help=_unconfirmed_help("driftsformer"))
    with sb.expander("Målgruppe"):
        kun_primaer = st.toggle("Kun primær målgruppe", key=PREFIX + "kun_primaer",
                                help="Til: borgerens primære målgruppe. Fra: alle borgerens målgrupper.")
        maalgrupper = _multi(st, "Målgruppe (FFB)", "maalgrupper", list(codes.maalgrupper),
                             help="Vælger du en overordnet målgruppe, tæller dens undergrupper med.")
        kategorier = _multi(st, "Målgruppekategori (DST)", "kategorier", list(codes.maalgruppe_kategorier),
                            help=_unconfirmed_help("maalgruppe_kategorier"))
        if "maalgruppe_kategorier" in codes.unconfirmed:
            st.caption("⚠ Koblingen FFB-målgruppe → DST-kategori er ubekræftet (ikke fra en officiel kilde).")
    with sb.expander("Funktionsevne og støttebehov"):
        omraade = _select(st, "Område", "omraade", [ALLE] + list(codes.omraader))
        temaer = [t for t in codes.temaer if omraade == ALLE or codes.tema_omraade[t] == omraade]
        tema = _select(st, "Tema", "tema", [ALLE] + temaer)
        uts = [u for u in codes.undertemaer if (tema == ALLE and codes.undertema_tema[u] in temaer)
               or codes.undertema_tema[u] == tema]
        undertema = _select(st, "Undertema", "undertema", [INGEN] + uts)
        if undertema != INGEN:
            niveauer = _multi(st, "Funktionsevneniveau (seneste vurdering på skæringsdatoen)", "niveauer",
                              list(NIVEAUER), fmt=lambda n: niveau_label(n, codes))
        else:
            niveauer = []
        vurderet_opts = [None, *VURDERET_VALG]
        if canonical.vurderet_maaneder not in vurderet_opts:  # a bookmarked value outside the list
            vurderet_opts.append(canonical.vurderet_maaneder)
        vurderet = _select(st, "Funktionsevne vurderet inden for", "vurderet_maaneder", vurderet_opts,
                           fmt=lambda n: "alle vurderinger" if n is None else vurderet_tekst(n))
        if vurderet is not None:
            st.caption("Et niveau, der er vurderet før, tæller som Ikke vurderet.")
        stoettebehov = _multi(st, "Støttebehov", "stoettebehov", list(codes.stoettebehov))
    with sb.expander("Borger og sagsbehandling"):
        aldersgrupper = _multi(st, "Aldersgruppe", "aldersgrupper", aldersgruppe_labels())
        koen = _multi(st, "Køn", "koen", ["K", "M"], fmt=lambda k: KOEN_LABEL.get(k, k))
        sagsbehandlere = _multi(st, "Sagsbehandler", "sagsbehandlere", opts["sagsbehandlere"])
        teams = _multi(st, "Team", "teams", opts["teams"])

    keep_paa = canonical.paa
    standard = data.data_date()
    paa_value = paa if isinstance(paa, dt.date) else None
    if keep_paa is None and paa_value == standard:
        paa_value = None  # the default stays floating: a bookmark without paa means the dataset's udtraeksdato
    new = Filters(
        paa=paa_value, udtraeksdato=standard, fra=fra if isinstance(fra, dt.date) else None, kommunetype=ktype,
        kommuner=tuple(kommuner), regioner=tuple(regs), paragraffer=tuple(paragraffer), ydelser=tuple(ydelser),
        maalgrupper=tuple(maalgrupper), kategorier=tuple(kategorier), kun_primaer=bool(kun_primaer),
        tilbudstyper=tuple(tilbudstyper), tilbud=tuple(tilbud), driftsformer=tuple(driftsformer),
        undertema=None if undertema == INGEN else undertema,
        niveauer=tuple(niveauer) if undertema != INGEN else (), stoettebehov=tuple(stoettebehov),
        aldersgrupper=tuple(aldersgrupper), koen=tuple(koen), sagsbehandlere=tuple(sagsbehandlere),
        teams=tuple(teams), vurderet_maaneder=vurderet,
    )
    if new.fra is not None and new.fra > new.reference_date():
        sb.warning("Periodens start ligger efter slutdatoen – perioden ignoreres.")
        new = new.with_(fra=None)
    st.session_state[STATE] = new
    n = len(new.active())
    sb.caption(f"{n} aktive filtre." if n != 1 else "1 aktivt filter.")
    sb.button("Nulstil filtre", on_click=_reset_all, key="ffb_nulstil_filtre", icon=":material/filter_alt_off:")
    _write_query_params(new, keep=extra)
    return new


def _unconfirmed_help(name: str) -> str | None:
    source = load_config().codes.unconfirmed.get(name)
    return f"Listen er ubekræftet: {source}" if source else None


def summary(f: Filters) -> str:
    """One line for captions: the period and the active filters."""
    parts = [f"{k}: {v}" for k, v in f.describe() if v != "alle" and k not in ("Kommune efter", "Målgruppe tæller")]
    return " · ".join(parts)


# -- page view parameters (not filters) -------------------------------------------------------------

def view_params(page: str, spec: Mapping[str, tuple[list[str], str | None]]) -> dict[str, str | None]:
    """Page view settings (e.g. Udforsk rows/columns/measure) from the URL or the session.
    spec: name -> (allowed values, default). Invalid URL values give a warning and the default."""
    key = f"_ffb_visning_{page}"
    state: dict = st.session_state.get(key) or {}
    qp = _qp_dict()
    changed = False
    for name, (allowed, default) in spec.items():
        if name in qp:
            value = qp[name][-1]
            if value in allowed:
                if state.get(name) != value:
                    state[name] = value
                    changed = True
                    st.session_state.pop(f"vw_{page}_{name}", None)
            else:
                st.warning(f"Ugyldig værdi for '{name}' i adressen: '{value[:40]}' – ignoreret.",
                           icon=":material/warning:")
                state.setdefault(name, default)
        else:
            state.setdefault(name, default)
    st.session_state[key] = state
    del changed
    return dict(state)


def write_view_params(page: str, values: Mapping[str, str | None]) -> None:
    """Store the page view settings and mirror them into the URL (None = parameter absent)."""
    st.session_state[f"_ffb_visning_{page}"] = dict(values)
    for name, value in values.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


def view_widget_key(page: str, name: str) -> str:
    """Widget key for a view setting; seeded from the view state when missing."""
    return f"vw_{page}_{name}"


def seed_view_widget(page: str, name: str, value) -> str:
    k = view_widget_key(page, name)
    if k not in st.session_state:
        st.session_state[k] = value
    return k


__all__ = ["filter_panel", "current_filters", "set_filters", "summary", "view_params", "write_view_params",
           "seed_view_widget", "FILTER_PARAMS", "IKKE_VURDERET"]
