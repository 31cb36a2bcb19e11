"""The borger page (sidefiler/borger.py calls `render()`): search, header, timeline, step charts, goal
table, støttebehov, data-quality/overlap findings and the fælles sagsgennemgang.

Deep link: `?borger=ID` (and optionally `&paa=ÅÅÅÅ-MM-DD`). A CPR number is never put in the URL: it
is only typed into the search box and shown masked (ddmmåå-xxxx).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from workbench.regler import access, cpr
from workbench.lager import accesslog
from workbench.sider import forloeb
from workbench.data.config import codes as load_codes
from workbench.data.dataset import Dataset
from workbench.regler.periods import dansk_dato, parse_date
from workbench.ui import audit, auth, borger_cache, data, vega
from workbench.ui import borger_charts as charts
from workbench.ui.review_form import review_section
from workbench.format.dansk import DATO, DATO_INPUT, TOM

PAA_KEY = "borger_paa"
SEARCH_KEY = "borger_soeg"
LOGGED_KEY = "borger_vist_logget"  # session: the (borger_id, paa) views already logged
KOEN = {"K": "Kvinde", "M": "Mand"}
def reference_date() -> dt.date:
    """The reference-date picker: default the dataset's udtraeksdato (data.data_date(), the same default
    as every page and command), or `?paa=` from a deep link."""
    default = data.data_date()
    raw = st.query_params.get("paa")
    if raw:
        try:
            default = parse_date(raw)
        except ValueError:
            st.warning(f"Ugyldig dato i adressen: {raw}; viser datasættets udtræksdato ({dansk_dato(default)}).")
    return st.date_input("Referencedato (vis forløbet, som det stod på dagen)", value=default,
                         min_value=dt.date(2000, 1, 1), max_value=dt.date.today() + dt.timedelta(days=5 * 366),
                         format=DATO_INPUT, key=PAA_KEY)


def _open(borger_id: str) -> None:
    st.query_params["borger"] = borger_id


def search(ds: Dataset) -> None:
    """Search box: a borger id (or part of it), six digits of a CPR (ddmmåå) or a full CPR."""
    query = st.text_input("Søg borger (borger-id eller CPR-nummer)", key=SEARCH_KEY,
                          placeholder="fx B00012 eller ddmmåå-xxxx")
    if not query.strip():
        return
    full_cpr = forloeb.cpr_digits(query) is not None
    raw = data.opened_dataset().borgere.select("borger_id", "cpr") if full_cpr else None
    hits = forloeb.search_borgere(ds.borgere, query, raw_borgere=raw).collect()
    audit.log_action(accesslog.SOEG, borger_ids=hits["borger_id"].to_list(),
                     detalje="søgning på CPR" if (full_cpr or query.strip()[:1].isdigit()) else "søgning på borger-id")
    if hits.height == 0:
        st.info("Ingen borgere fundet (eller ingen, du har adgang til).")
        return
    st.caption(f"{hits.height} borger(e) fundet" + (" (de første 25)" if hits.height == 25 else ""))
    for row in hits.iter_rows(named=True):
        c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
        c1.markdown(f"**{row['borger_id']}**")
        c2.markdown(f"CPR {cpr.mask(row['cpr']) or '–'}")
        c3.markdown(f"Født {dansk_dato(row['foedselsdato'])} · {kommune_text(row['handlekommune'])}")
        c4.button("Åbn", key=f"borger_aabn_{row['borger_id']}", on_click=_open, args=(row["borger_id"],))


def _log_view(borger_id: str, paa: dt.date) -> None:
    """Log the view once per borger and reference date in this session (reruns from widgets are not
    new views)."""
    seen: set = st.session_state.setdefault(LOGGED_KEY, set())
    if (borger_id, paa) not in seen:
        audit.log_action(accesslog.VIS_BORGER, borger_ids=[borger_id], detalje=f"referencedato {paa.isoformat()}")
        seen.add((borger_id, paa))


def kommune_text(kode: str | None) -> str:
    """'Frederikssund (0250)': the name people know, the code for the case system; '–' when none."""
    if not kode:
        return "–"
    from workbench.data import geo

    navn = geo.kommune_navne().get(str(kode))
    return f"{navn} ({kode})" if navn else str(kode)


def header(head: dict, paa: dt.date) -> None:
    st.header(f"Borger {head['borger_id']}")
    mg = head["maalgrupper"]
    mg_text = ", ".join(f"**{m['maalgruppe']}** (primær)" if m["primaer"] else m["maalgruppe"] for m in mg) or "–"
    c = st.columns(4)
    c[0].metric("Alder", f"{head['alder']} år" if head["alder"] is not None else "–")
    c[1].metric("Køn", KOEN.get(head["koen"] or "", "–"))
    c[2].metric("Handlekommune", kommune_text(head["handlekommune"]))
    c[3].metric("Sagsbehandler", head["sagsbehandler"] or "–")
    st.markdown(f"Målgrupper: {mg_text}" + (f" · Team: {head['team']}" if head.get("team") else ""))
    auth.cpr_display(head["cpr"], head["borger_id"])  # masked; 'Vis fuldt CPR' with a logged reason (cpr_unmask)
    st.caption(f"Forløbet vist som det stod {dansk_dato(paa)}.")


def goal_table_frame(goals: pl.DataFrame) -> pl.DataFrame:
    """The goal table as shown: the niveau with the date of the assessment used, the status measured on
    funktionsevne (judged at the follow-up, with the assessment it was judged on) and the recorded
    vurdering from opfoelgninger side by side."""
    niv = lambda c: pl.col(c).cast(pl.String).fill_null(TOM)  # noqa: E731
    dato = lambda c: pl.col(c).dt.strftime(DATO)  # noqa: E731
    with_date = lambda n, d: pl.when(pl.col(n).is_not_null()).then(  # noqa: E731
        pl.format("{} ({})", niv(n), dato(d))).otherwise(pl.lit(TOM))
    return goals.select(
        pl.col("undertema").alias("Undertema"), pl.col("maaltype").alias("Måltype"),
        with_date("udgangsniveau", "udgangsniveau_dato").alias("Udgangsniveau"),
        with_date("seneste_niveau", "seneste_niveau_dato").alias("Seneste niveau"),
        niv("forventet_niveau").alias("Forventet"),
        pl.col("status").alias("Status (målt)"),
        with_date("maalt_niveau", "maalt_dato").alias("Målt på"),
        pl.when(pl.col("vurdering").is_not_null()).then(pl.format("{} ({})", pl.col("vurdering"), dato("vurderingsdato")))
        .otherwise(pl.lit(TOM)).alias("Registreret vurdering"),
        pl.col("startdato").dt.strftime(DATO).alias("Start"),
        pl.col("opfoelgningsdato").dt.strftime(DATO).fill_null("ingen").alias("Opfølgning"),
        pl.col("maal_id").alias("Mål"),
    )


def _goal_table(goals: pl.DataFrame, labels: dict[int, str]) -> None:
    table = goal_table_frame(goals).to_pandas()
    st.dataframe(table.style.map(charts.status_colour, subset=["Status (målt)"]), hide_index=True, width="stretch")
    st.caption("Niveau: " + " · ".join(f"{k} {v}" for k, v in sorted(labels.items())) + " (– = ingen vurdering). "
               "Datoen i parentes er datoen for den vurdering, niveauet bygger på. Status er målt på funktionsevnen "
               "ved opfølgningsdatoen (eller den første vurdering efter den, hvis opfølgningen kom for sent); "
               "registreret vurdering er den seneste opfølgning, der er registreret på målet.")
    if not goals["vurderbar"].all():
        st.caption("Mål uden forventet niveau (eller Fastholde uden udgangsniveau) kan ikke måles og vises aldrig "
                   "som opnået.")


def findings_section(side: forloeb.BorgerSide) -> None:
    """Potentielle overlappende ydelser and data-quality findings for this borger (workbench.regler.overlap,
    workbench.regler.kvalitet: the same functions as the Kvalitet page and the CLI)."""
    st.subheader("Datakvalitet og overlap")
    df = side.overlap
    if df.height:
        st.markdown(f"**Potentielle overlappende ydelser ({df.height})**")
        st.dataframe(df.drop("borger_id"), hide_index=True, width="stretch")
    else:
        st.caption("Ingen overlappende ydelser.")
    found = side.findings
    if found.height:
        st.markdown(f"**Opmærkninger ({found.height})**")
        st.dataframe(found, hide_index=True, width="stretch")
    else:
        st.caption("Ingen opmærkninger.")


def forloeb_sections(side: forloeb.BorgerSide, paa: dt.date, dia: charts.Diagrammer) -> None:
    """Ydelser, indsatsmål, funktionsevne and støttebehov; the charts from `dia` (borger_cache.diagrammer)."""
    codes = load_codes()
    labels = codes.niveau_label
    fe, goals, yd, sb, niveauer = side.funktionsevne, side.goals, side.ydelser, side.stoettebehov, side.niveauer
    domain = dia.domain

    st.subheader("Ydelser")
    if domain[1] < paa:
        st.caption(f"Forløbet er afsluttet; tidsakserne slutter {dansk_dato(domain[1])} (referencedato "
                   f"{dansk_dato(paa)}).")
    if dia.ydelser is not None:
        vega.vis(st, dia.ydelser, width="stretch")
        st.dataframe(yd.select(
            pl.col("paragraf").alias("Paragraf"), pl.col("ydelse").alias("Ydelse"),
            pl.col("tilbud").fill_null(pl.col("tilbud_id")).alias("Tilbud"),
            pl.col("startdato").dt.strftime(DATO).alias("Start"),
            pl.col("slutdato").dt.strftime(DATO).fill_null("løbende").alias("Slut"),
        ), hide_index=True, width="stretch")
    else:
        st.caption("Ingen ydelser på referencedatoen.")

    st.subheader("Indsatsmål")
    if goals.height:
        _goal_table(goals, labels)
    else:
        st.caption("Ingen indsatsmål på referencedatoen.")

    st.subheader("Funktionsevne over tid")
    if not dia.niveau:
        st.caption("Ingen vurderinger af aktivitet og deltagelse endnu.")
    for ut, spec in dia.niveau:
        ut_goals = goals.filter(pl.col("undertema") == ut)
        st.markdown(f"**{ut}**")
        for g in ut_goals.iter_rows(named=True):
            forventet = "–" if g["forventet_niveau"] is None else g["forventet_niveau"]
            st.caption(f"Mål {g['maal_id']}: {g['maaltype']}, forventet niveau {forventet}, start "
                       f"{dansk_dato(g['startdato'])}, opfølgning {dansk_dato(g['opfoelgningsdato']) or 'ingen'} "
                       f"– {g['status']}")
        now = niveauer.filter(pl.col("undertema") == ut)
        if now.height:
            st.caption(f"Niveau {dansk_dato(paa)}: {now['niveau'][0]} {labels[int(now['niveau'][0])]} "
                       f"(vurderet {dansk_dato(now['niveau_dato'][0])}).")
        vega.vis(st, spec, width="stretch")

    st.subheader("Støttebehov over tid")
    if dia.stoettebehov is not None:
        vega.vis(st, dia.stoettebehov, width="stretch")
        last = sb.filter(pl.col("tema").is_null()).tail(1)
        if last.height:
            st.caption(f"Seneste samlede vurdering: {last['stoettebehov'][0]} ({dansk_dato(last['dato'][0])}).")
    else:
        st.caption("Ingen støttebehovsvurderinger endnu.")


def render() -> None:
    principal = auth.require_page("borger")
    st.title("Borgerforløb")
    if not access.can(principal, "borgerside"):
        asked = st.query_params.get("borger")
        audit.log_action(accesslog.ADGANG_NAEGTET, borger_ids=[asked] if asked else [],
                         detalje="borgerside uden rettighed")
        st.error("Din rolle giver ikke adgang til enkelte borgeres forløb.")
        st.stop()
    ds = data.scoped_dataset(principal)
    top = st.columns([1, 2])
    with top[0]:
        paa = reference_date()
    with top[1]:
        search(ds)
    borger_id = st.query_params.get("borger")
    if not borger_id:
        st.info("Søg efter en borger, eller åbn en borger fra en liste.")
        return
    if not forloeb.borger_exists(ds, borger_id):
        # out of scope or unknown (the message does not tell which): a refused read, logged
        audit.log_action(accesslog.ADGANG_NAEGTET, borger_ids=[borger_id], detalje="borger uden for adgang eller ukendt")
        st.warning(f"Borger {borger_id} findes ikke, eller du har ikke adgang til borgeren.")
        return
    _log_view(borger_id, paa)
    side = borger_cache.side.med(ds, principal, borger_id, paa)  # forloeb.borger_side, cached
    header(side.header, paa)
    forloeb_sections(side, paa, borger_cache.diagrammer.med(ds, principal, borger_id, paa))
    findings_section(side)
    review_section(principal, side.data, borger_id, paa)
