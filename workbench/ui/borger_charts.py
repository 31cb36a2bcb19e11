"""Altair charts for the borger page: ydelser timeline, funktionsevne step charts, støttebehov.

Inputs are collected Polars frames from workbench.sider.forloeb; nothing here reads data itself.
Danish labels, dd-mm-åååå dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import polars as pl

from workbench.data.config import CodeLists
from workbench.regler.periods import active_on
from workbench.sider import forloeb
from workbench.sider.forloeb import niveau_segments
from workbench.ui import vega
from workbench.format.dansk import DATO

DATE_FORMAT = DATO
STATUS_COLOURS = {"Opnået": "#1e8449", "Afventer opfølgning": "#b9770e", "Ikke opnået": "#c0392b",
                  "Opfølgning overskredet": "#922b21"}


def _label_expr(labels: dict[int, str], numbered: bool = True) -> str:
    """A Vega expression that turns the axis value 0..4 into '0 Ingen nedsat funktionsevne' etc."""
    parts = [f"datum.value == {k} ? '{(str(k) + ' ') if numbered else ''}{v}'" for k, v in sorted(labels.items())]
    return " : ".join(parts) + " : ''"


def _x(field: str = "fra", title: str | None = None, domain: tuple[dt.date, dt.date] | None = None) -> alt.X:
    scale = alt.Scale(domain=[d.isoformat() for d in domain]) if domain else alt.Undefined
    return alt.X(f"{field}:T", title=title, axis=alt.Axis(format=DATE_FORMAT, labelAngle=0), scale=scale)


def time_domain(paa: dt.date, *frames_and_cols: tuple[pl.DataFrame, str], open_until_paa: bool = True,
                margin_days: int = 60) -> tuple[dt.date, dt.date]:
    """One time axis for all charts of a borger: from the first dated event to the reference date, or,
    when nothing runs any more (open_until_paa False), to a little after the last event, so a case
    that ended years ago is not squeezed into the left edge of the charts."""
    dates = [d for df, col in frames_and_cols if col in df.columns for d in df[col].drop_nulls().to_list()
             if d <= paa]
    if not dates:
        return paa - dt.timedelta(days=365), paa
    start, last = min(dates), max(dates)
    if open_until_paa or last >= paa:
        end = paa
    else:
        end = min(paa, last + dt.timedelta(days=max(margin_days, (last - start).days // 6)))
    if end <= start:
        start = end - dt.timedelta(days=30)
    return start, end


def timeline_chart(ydelser: pl.DataFrame, paa: dt.date, domain: tuple[dt.date, dt.date] | None = None) -> alt.Chart:
    """Gantt of the ydelser by paragraf, coloured by paragraf, labelled with the tilbud name.
    An open ydelse (or one ending after the reference date) is drawn up to the reference date."""
    df = ydelser.with_columns(
        pl.min_horizontal(pl.coalesce(pl.col("slutdato"), pl.lit(paa)), pl.lit(paa)).alias("slut_vist"),
        pl.col("tilbud").fill_null(pl.col("tilbud_id")).fill_null("ukendt tilbud").alias("tilbud_navn"),
        pl.col("startdato").dt.strftime(DATE_FORMAT).alias("start_tekst"),
        pl.col("slutdato").dt.strftime(DATE_FORMAT).fill_null("løbende").alias("slut_tekst"),
    )
    base = alt.Chart(df).encode(
        y=alt.Y("paragraf:N", title=None, sort=sorted(df["paragraf"].unique().to_list())),
    )
    clip = domain is not None
    bars = base.mark_bar(height=20, cornerRadius=3, opacity=0.5, clip=clip).encode(
        x=_x("startdato", title=None, domain=domain), x2="slut_vist:T",
        color=alt.Color("paragraf:N", title="Paragraf", legend=None),
        tooltip=[alt.Tooltip("paragraf:N", title="Paragraf"), alt.Tooltip("ydelse:N", title="Ydelse"),
                 alt.Tooltip("tilbud_navn:N", title="Tilbud"), alt.Tooltip("start_tekst:N", title="Start"),
                 alt.Tooltip("slut_tekst:N", title="Slut")],
    )
    text = base.mark_text(align="left", dx=6, color="#111", fontSize=11, clip=clip).encode(
        x=_x("startdato", domain=domain), text="tilbud_navn:N",
    )
    paa_rule = alt.Chart(pl.DataFrame({"paa": [paa]})).mark_rule(color="#555", strokeDash=[4, 3], clip=clip).encode(
        x=_x("paa", domain=domain), tooltip=[alt.Tooltip("paa:T", title="Referencedato", format=DATE_FORMAT)])
    height = max(60, 36 * df["paragraf"].n_unique())
    return (bars + text + paa_rule).properties(height=height, width="container")


def niveau_chart(rows: pl.DataFrame, goals: pl.DataFrame, paa: dt.date, labels: dict[int, str],
                 domain: tuple[dt.date, dt.date] | None = None) -> alt.LayerChart:
    """Step chart of one undertema: niveau over time with 0 (best) at the top.

    rows: dato, niveau (null = Ikke vurderet: a gap and a grey mark, never 0).
    goals: the undertema's indsatsmål (startdato, opfoelgningsdato, forventet_niveau, maal_id).
    """
    seg = niveau_segments(rows.select("dato", "niveau"), paa).with_columns(
        pl.col("niveau").replace_strict(labels, default=None, return_dtype=pl.String).alias("niveau_tekst"),
        pl.col("fra").dt.strftime(DATE_FORMAT).alias("dato_tekst"),
    )
    if domain is None:
        dates = (rows["dato"].to_list() + [paa] + goals["startdato"].to_list()
                 + goals["opfoelgningsdato"].drop_nulls().to_list())
        domain = (min(dates), max(dates))
    y = alt.Y("niveau:Q", title=None,
              scale=alt.Scale(domain=[0, 4], reverse=True, nice=False, padding=8),
              axis=alt.Axis(values=[0, 1, 2, 3, 4], labelExpr=_label_expr(labels), labelLimit=260, grid=True,
                                  labelOverlap=False))
    layers: list[alt.Chart] = []
    # Goal lines first (underneath): forventet niveau from start to follow-up, start and follow-up marks.
    if goals.height:
        g = goals.with_columns(
            pl.coalesce(pl.col("opfoelgningsdato"), pl.lit(domain[1])).alias("slut"),
            pl.col("startdato").dt.strftime(DATE_FORMAT).alias("start_tekst"),
            pl.col("opfoelgningsdato").dt.strftime(DATE_FORMAT).fill_null("ingen").alias("opf_tekst"),
            pl.col("forventet_niveau").alias("niveau"),
        )
        tip = [alt.Tooltip("maal_id:N", title="Mål"), alt.Tooltip("maaltype:N", title="Måltype"),
               alt.Tooltip("niveau:Q", title="Forventet niveau"), alt.Tooltip("start_tekst:N", title="Start"),
               alt.Tooltip("opf_tekst:N", title="Opfølgning")]
        layers.append(alt.Chart(g.filter(pl.col("niveau").is_not_null())).mark_rule(clip=True,
            color="#27ae60", strokeWidth=2, strokeDash=[6, 3]).encode(x=_x("startdato", domain=domain), x2="slut:T", y=y,
                                                                       tooltip=tip))
        marks = pl.concat([
            g.select(pl.col("startdato").alias("dato"), pl.lit("Start").alias("hvad")),
            g.filter(pl.col("opfoelgningsdato").is_not_null()).select(pl.col("opfoelgningsdato").alias("dato"),
                                                                      pl.lit("Opfølgning").alias("hvad")),
        ]).unique().sort("dato")
        colour = alt.Color("hvad:N", scale=alt.Scale(domain=["Start", "Opfølgning"], range=["#7f8c8d", "#c0392b"]),
                           legend=alt.Legend(title=None, orient="bottom"))
        layers.append(alt.Chart(marks).mark_rule(clip=True, strokeDash=[2, 2], strokeWidth=1.5).encode(
            x=_x("dato", domain=domain), color=colour, tooltip=[alt.Tooltip("hvad:N"), alt.Tooltip("dato:T", format=DATE_FORMAT)]))
    if seg.height:
        conn = seg.filter(pl.col("fald_fra").is_not_null())
        if conn.height:
            layers.append(alt.Chart(conn).mark_rule(clip=True, color="#1f5f8b", strokeWidth=2).encode(
                x=_x("fra", domain=domain), y=y, y2="fald_fra:Q"))
        tip = [alt.Tooltip("dato_tekst:N", title="Dato"), alt.Tooltip("niveau_tekst:N", title="Niveau")]
        layers.append(alt.Chart(seg).mark_rule(clip=True, color="#1f5f8b", strokeWidth=3).encode(
            x=_x("fra", domain=domain), x2="til:T", y=y, tooltip=tip))
        layers.append(alt.Chart(seg).mark_point(clip=True, color="#1f5f8b", filled=True, size=60).encode(
            x=_x("fra", domain=domain), y=y, tooltip=tip))
    ikke = rows.filter(pl.col("niveau").is_null()).select("dato").unique().with_columns(
        pl.col("dato").dt.strftime(DATE_FORMAT).alias("dato_tekst"), pl.lit("Ikke vurderet").alias("hvad"))
    if ikke.height:
        layers.append(alt.Chart(ikke).mark_rule(clip=True, color="#aaa", strokeDash=[1, 3], strokeWidth=2).encode(
            x=_x("dato", domain=domain), tooltip=[alt.Tooltip("hvad:N", title=""), alt.Tooltip("dato_tekst:N", title="Dato")]))
    if not layers:  # nothing assessed yet: an empty frame with the axes
        layers.append(alt.Chart(pl.DataFrame({"fra": [paa], "niveau": [None]}, schema={"fra": pl.Date, "niveau": pl.Int64}))
                      .mark_point(clip=True, opacity=0).encode(x=_x("fra", domain=domain), y=y))
    return alt.layer(*layers).properties(height=200, width="container").resolve_scale(color="independent")


def stoettebehov_chart(segments: pl.DataFrame, paa: dt.date, rang_labels: dict[int, str],
                       domain: tuple[dt.date, dt.date] | None = None) -> alt.LayerChart:
    """Step chart of støttebehov (Intet at the top); one colour per series (Samlet or a tema).
    Ikke vurderet (no rang) is a gap."""
    seg = segments.filter(pl.col("rang").is_not_null()).with_columns(
        pl.col("fra").dt.strftime(DATE_FORMAT).alias("dato_tekst"))
    y = alt.Y("rang:Q", title=None, scale=alt.Scale(domain=[0, 4], reverse=True, nice=False, padding=8),
              axis=alt.Axis(values=sorted(rang_labels), labelExpr=_label_expr(rang_labels, numbered=False),
                            labelLimit=220, labelOverlap=False))
    colour = alt.Color("serie:N", title=None, legend=alt.Legend(orient="bottom"))
    tip = [alt.Tooltip("serie:N", title="Tema"), alt.Tooltip("stoettebehov:N", title="Støttebehov"),
           alt.Tooltip("dato_tekst:N", title="Dato")]
    domain = domain or (segments["fra"].min() or paa, paa)
    rules = alt.Chart(seg).mark_rule(clip=True, strokeWidth=3).encode(
        x=_x("fra", domain=domain), x2="til:T", y=y, color=colour, tooltip=tip)
    points = alt.Chart(seg).mark_point(clip=True, filled=True, size=60).encode(
        x=_x("fra", domain=domain), y=y, color=colour, tooltip=tip)
    return alt.layer(rules, points).properties(height=190, width="container")


def status_colour(value: str) -> str:
    colour = STATUS_COLOURS.get(value)
    return f"color: {colour}; font-weight: 600" if colour else ""


@dataclass(frozen=True)
class Diagrammer:
    """The borger page's charts as Vega-Lite specs (workbench.ui.vega.spec) on one time axis: the
    ydelser timeline, one step chart per undertema (forloeb.chart_undertemaer's order) and
    støttebehov; None where the page shows a caption instead. Read-only (cached, shared)."""

    domain: tuple[dt.date, dt.date]
    ydelser: dict | None
    niveau: tuple[tuple[str, dict], ...]
    stoettebehov: dict | None


def diagrammer(side: forloeb.BorgerSide, paa: dt.date, codes: CodeLists) -> Diagrammer:
    """Every chart of the borger page for `side` on `paa`, built once (the page caches this)."""
    fe, goals, yd, sb = side.funktionsevne, side.goals, side.ydelser, side.stoettebehov
    running = yd.filter(active_on(paa)).height > 0 or goals.filter(
        pl.col("opfoelgningsdato").is_null() | (pl.col("opfoelgningsdato") >= paa)).height > 0
    domain = time_domain(paa, (yd, "startdato"), (yd, "slutdato"), (fe, "dato"), (goals, "startdato"),
                         (goals, "opfoelgningsdato"), (sb, "dato"), open_until_paa=running)
    niveau = tuple(
        (ut, vega.spec(niveau_chart(fe.filter(pl.col("undertema") == ut), goals.filter(pl.col("undertema") == ut),
                                    paa, codes.niveau_label, domain)))
        for ut in forloeb.chart_undertemaer(fe, goals))
    rang = {v: k for k, v in codes.stoettebehov_rang.items() if v is not None}
    return Diagrammer(
        domain=domain,
        ydelser=vega.spec(timeline_chart(yd, paa, domain)) if yd.height else None,
        niveau=niveau,
        stoettebehov=vega.spec(stoettebehov_chart(forloeb.stoettebehov_segments(sb, paa, codes), paa, rang, domain))
        if sb.height else None)
