"""Servicemål og klager (issue 22): what the page, the `servicemaal` command and the statusrapport show.

`side(ds, periode, paa, visning)` returns one frozen `ServicemaalSide` for a principal's scoped dataset
and the one period value (workbench.regler.periods.Periode):

- servicemål per paragraf for the ydelser granted in the period's counted days (fra .. min(til, paa)):
  afgjorte, median, 90 %-fraktil, the servicemål (config/servicemaal.yaml) and the share within it
  (workbench.regler.servicemaal, the one owner of those measures);
- the same measures per paragraf and quarter (workbench.regler.periods.kvartaler: a year's own
  quarters, else the four quarters ending with the period's quarter), a quarter cut by the reference
  date labelled as periods does it ('2026-K4 t.o.m. 15-11-2026');
- klagesagsstatistik per paragraf and year (workbench.regler.klager) for the years the period touches.
  Klager are counted by the calendar year of modtaget/afgjort and are not cut by the reference date
  (the contract derives the udtraeksdato without the klager table);
- one Danish "data mangler" line for each of ydelser.ansoegningsdato and the klager table that the
  dataset lacks: never a silent empty table.

Suppression (workbench.regler.suppression, for roles without the borger list and always in the
report): afgjorte/modtagne 1..g-1 read '<g'; the median, fraktil and share beside a hidden count read
'x'. The afgjorte of a year, its quarters and its months are additive, and a user can pick any of them
(page: year or quarter; command and report: also a month), so one pattern per paragraf and year decides
every view (_aarsmoenstre: complementary cells 'x'); a cell hidden in one view is hidden in all. In the
klage table Ankestyrelsen's results are treated as parts of afgjorte (conservative: a complementary cell
keeps a hidden result from following by subtraction), and the omgørelsesprocent is hidden when any
realitetsbehandlet result behind it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from workbench.data.dataset import Dataset
from workbench.format.output import dansk_tal
from workbench.regler import klager as klageregel
from workbench.regler import servicemaal as regel
from workbench.regler import paragraffer, suppression
from workbench.regler.periods import Periode, kvartaler, month_end

ANSOEGNING, KLAGER = "ydelser.ansoegningsdato", "tabellen klager"
MANGLER_TEKST = {
    ANSOEGNING: ("Data mangler: ydelserne har ingen ansøgningsdato (ydelser.ansoegningsdato), så "
                 "sagsbehandlingstid og servicemål kan ikke beregnes."),
    KLAGER: ("Data mangler: datasættet har ingen klager (tabellen klager), så klagesagsstatistikken "
             "kan ikke beregnes."),
}
DEFINITION = ("Sagsbehandlingstid = bevillingsdato − ansøgningsdato i dage for de ydelser, der er bevilget i "
              "perioden. Median og 90 %-fraktil (lineær interpolation); andel inden for = andel afgjort på "
              "højst servicemålets antal dage (config/servicemaal.yaml). En paragraf uden servicemål vises "
              "med '–', aldrig som overholdt.")
KLAGE_DEFINITION = klageregel.DEFINITION
OVERSKRIFTER = {
    "kvartal": "Kvartal", "paragraf": "Paragraf", "afgjorte": "Afgjort", "median_dage": "Median (dage)",
    "p90_dage": "90 %-fraktil (dage)", "servicemaal_dage": "Servicemål (dage)",
    "andel_inden_for": "Andel inden for servicemålet",
}
KLAGE_OVERSKRIFTER = {
    "paragraf": "Paragraf", "aar": "År", "modtagne": "Modtaget", "afgjorte": "Afgjort", "stadfaestet": "Stadfæstet",
    "aendret": "Ændret", "ophaevet": "Ophævet", "hjemvist": "Hjemvist", "afvist": "Afvist",
    "omgoerelsesprocent": "Omgørelsesprocent",
}
MAAL = {"median_dage": "Median (dage)", "p90_dage": "90 %-fraktil (dage)",
        "andel_inden_for": "Andel inden for servicemålet", "afgjorte": "Afgjort"}
KLAGE_RESULTATER = tuple(klageregel.RESULTATER.values())
REALITET = tuple(klageregel.RESULTATER[r] for r in klageregel.REALITET)
_VAERDIER = ("median_dage", "p90_dage", "andel_inden_for")  # hidden with the afgjorte beside them


def _dage(v) -> str:
    return dansk_tal(v, 1)


def _pct(v) -> str:
    return "–" if v is None else f"{dansk_tal(v * 100, 1)} %"


def _pct100(v) -> str:
    return "–" if v is None else f"{dansk_tal(v, 1)} %"


_FMT: dict[str, Callable] = {"median_dage": _dage, "p90_dage": _dage, "andel_inden_for": _pct,
                             "omgoerelsesprocent": _pct100}


@dataclass(frozen=True)
class ServicemaalSide:
    periode: Periode
    paa: dt.date
    visning: suppression.Visning
    mangler: tuple[str, ...]            # ANSOEGNING / KLAGER: the data the dataset lacks
    servicemaal: pl.DataFrame | None    # regel.COLUMNS for the period's counted days (exact numbers)
    ugyldige: int                       # ydelser with ansøgningsdato after bevillingsdato (left out)
    kvartaler: tuple[Periode, ...]
    trend: pl.DataFrame | None          # kvartal (label_paa), delvis, *regel.COLUMNS (exact numbers)
    klager: pl.DataFrame | None         # klageregel.COLUMNS for the years the period touches (exact)
    # suppression state per cell (suppression.NONE / PRIMARY / COMPLEMENTARY), aligned with the frames
    tilstand: dict[str, dict[str, list[int]]] = field(default_factory=dict, repr=False)

    @property
    def mangler_linjer(self) -> tuple[str, ...]:
        """One Danish line per missing piece of data."""
        return tuple(MANGLER_TEKST[m] for m in self.mangler)

    def _tekst(self, navn: str, df: pl.DataFrame, tal: set[str], fmt: Callable[[str, object], str]) -> pl.DataFrame:
        """df with the suppressed columns as text: shown cells through fmt, a hidden count '<g', others 'x'."""
        states = self.tilstand.get(navn, {})
        cols = {}
        for c, st in states.items():
            vals = df[c].to_list()
            cols[c] = pl.Series(c, [suppression.cell_text(s, fmt(c, v), c in tal, self.visning)
                                    for v, s in zip(vals, st)], dtype=pl.String)
        return df.with_columns(**cols) if cols else df

    # --- the contract's columns as this viewer may see them (the command's output) -----------------

    def servicemaal_tabel(self) -> pl.DataFrame | None:
        """regel.COLUMNS; exact numbers, or text with '<g' / 'x' under suppression."""
        if self.servicemaal is None or self.visning.eksakt:
            return self.servicemaal
        return self._tekst("servicemaal", self.servicemaal, {"afgjorte"}, lambda c, v: "" if v is None else str(v))

    def klager_tabel(self) -> pl.DataFrame | None:
        if self.klager is None or self.visning.eksakt:
            return self.klager
        return self._tekst("klager", self.klager, {"modtagne", "afgjorte", *KLAGE_RESULTATER},
                           lambda c, v: "" if v is None else str(v))

    # --- display tables (Danish headers and numbers) ------------------------------------------------

    def _vis(self, navn: str, df: pl.DataFrame, tal: set[str]) -> pl.DataFrame:
        def fmt(c, v):
            return _FMT.get(c, dansk_tal)(v)

        states = self.tilstand.get(navn, {})
        out = self._tekst(navn, df, tal, fmt)
        rest = [c for c, t in df.schema.items() if t.is_numeric() and c not in states and c != "aar"]
        return out.with_columns(pl.Series(c, [fmt(c, v) for v in df[c].to_list()], dtype=pl.String) for c in rest)

    def servicemaal_vist(self) -> pl.DataFrame | None:
        if self.servicemaal is None:
            return None
        return self._vis("servicemaal", self.servicemaal, {"afgjorte"}).rename(OVERSKRIFTER, strict=False)

    def trend_vist(self) -> pl.DataFrame | None:
        """Long: one row per quarter and paragraf."""
        if self.trend is None:
            return None
        return self._vis("trend", self.trend, {"afgjorte"}).drop("delvis").rename(OVERSKRIFTER, strict=False)

    def trend_bred(self, maal: str = "median_dage") -> pl.DataFrame | None:
        """One measure (MAAL) per paragraf (rows) and quarter (columns), as shown (suppressed) text."""
        vist = self.trend_vist()
        if vist is None:
            return None
        kol = OVERSKRIFTER[maal]
        labels = [q.label_paa(self.paa) for q in self.kvartaler]
        out = pl.DataFrame({"Paragraf": sorted(set(vist["Paragraf"].to_list()))}, schema={"Paragraf": pl.String})
        for lab in labels:
            one = vist.filter(pl.col("Kvartal") == lab).select("Paragraf", pl.col(kol).alias(lab))
            out = out.join(one, on="Paragraf", how="left")
        if maal == "andel_inden_for":  # paragraffer without a servicemål have no share at all
            med = self.trend.filter(pl.col("servicemaal_dage").is_not_null())["paragraf"].unique().to_list()
            out = out.filter(pl.col("Paragraf").is_in(med))
        return out.with_columns(pl.col(lab).fill_null("–") for lab in labels).sort(paragraffer.orden("Paragraf"))

    def klager_vist(self) -> pl.DataFrame | None:
        if self.klager is None:
            return None
        return self._vis("klager", self.klager, {"modtagne", "afgjorte", *KLAGE_RESULTATER}).with_columns(
            pl.col("aar").cast(pl.String)).rename(KLAGE_OVERSKRIFTER)

    def graf_data(self, maal: str = "median_dage") -> pl.DataFrame:
        """Kvartal, Paragraf, the measure: only cells shown unsuppressed (a hidden cell is not drawn)."""
        schema = {"Kvartal": pl.String, "Paragraf": pl.String, MAAL[maal]: pl.Float64}  # afgjorte too: a number
        if self.trend is None:
            return pl.DataFrame(schema=schema)
        shown = pl.Series([s == suppression.NONE for s in self.tilstand.get("trend", {}).get(
            maal, [suppression.NONE] * self.trend.height)], dtype=pl.Boolean)
        t = self.trend.filter(shown) if self.trend.height else self.trend
        t = t.filter(pl.col(maal).is_not_null())
        scale = 100.0 if maal == "andel_inden_for" else 1.0
        return t.select(pl.col("kvartal").alias("Kvartal"), pl.col("paragraf").alias("Paragraf"),
                        (pl.col(maal) * scale).alias(MAAL[maal]))


# --------------------------------------------------------------------------------------------
# suppression patterns


def _aarsmoenstre(ydelser: pl.LazyFrame, aarene: list[int], paa: dt.date, cfg: dict[str, int],
                  g: int) -> dict[tuple[str, int], list[list[int]]]:
    """One suppression pattern per paragraf and calendar year, shared by every period a user can pick
    (year, quarter, month), so a cell hidden in one view never follows from the cells shown in another:
    a 5 x 4 count matrix, rows the quarters and a total row, columns the quarter's three months and
    the quarter's total (its grand total is the year). The total row's month cells are not shown
    anywhere; treating them as known only hides more (conservative)."""
    maaneder = [(f"{y}-{m:02d}", dt.date(y, m, 1), min(month_end(dt.date(y, m, 1)), paa))
                for y in aarene for m in range(1, 13) if dt.date(y, m, 1) <= paa]
    counts = regel.pr_periode(ydelser, maaneder, cfg).select("periode", "paragraf", "afgjorte")
    cell: dict[tuple[str, int], dict[int, int]] = {}
    for label, par, n in counts.iter_rows():
        cell.setdefault((par, int(label[:4])), {})[int(label[5:])] = n
    out = {}
    for key, per_maaned in cell.items():
        rows = [[float(per_maaned.get(3 * q + k + 1, 0)) for k in range(3)] for q in range(4)]
        rows = [r + [sum(r)] for r in rows]
        rows.append([sum(r[j] for r in rows) for j in range(4)])
        out[key] = suppression.suppression_pattern(rows, True, True, g)
    return out


def _tilstand(moenstre: dict, par: str, p: Periode, count: int, g: int) -> int:
    """The state of the afgjorte of paragraf `par` in period p: its cell of the year's pattern (a year,
    a quarter or a month); another kind of period: primary suppression only."""
    m = moenstre.get((par, p.fra.year))
    if m is not None and p.er_aar:
        return m[4][3]
    if m is not None and p.er_kvartal:
        return m[(p.fra.month - 1) // 3][3]
    if m is not None and len(p.tekst) == 7 and p.fra.year == p.til.year and p.fra.month == p.til.month:
        return m[(p.fra.month - 1) // 3][(p.fra.month - 1) % 3]
    return suppression.PRIMARY if 0 < count < g else suppression.NONE


def _servicemaal_states(ydelser: pl.LazyFrame, cfg: dict[str, int], per: pl.DataFrame, trend: pl.DataFrame,
                        p: Periode, qs: tuple[Periode, ...], paa: dt.date,
                        visning: suppression.Visning) -> tuple[dict, dict]:
    """States of the period table and the trend, decided on the afgjorte counts (_aarsmoenstre)."""
    if visning.eksakt:
        return ({c: [suppression.NONE] * per.height for c in ("afgjorte", *_VAERDIER)},
                {c: [suppression.NONE] * trend.height for c in ("afgjorte", *_VAERDIER)})
    g = visning.graense
    aarene = sorted({q.fra.year for q in qs} | {p.fra.year} if p.fra <= paa else {q.fra.year for q in qs})
    moenstre = _aarsmoenstre(ydelser, aarene, paa, cfg, g)
    kvartal = {q.label_paa(paa): q for q in qs}
    per_s = [_tilstand(moenstre, par, p, n, g) for par, n in zip(per["paragraf"].to_list(), per["afgjorte"].to_list())]
    tr_s = [_tilstand(moenstre, par, kvartal[lab], n, g) for lab, par, n in
            zip(trend["kvartal"].to_list(), trend["paragraf"].to_list(), trend["afgjorte"].to_list())]
    return ({c: per_s for c in ("afgjorte", *_VAERDIER)}, {c: tr_s for c in ("afgjorte", *_VAERDIER)})


def _klage_states(k: pl.DataFrame, visning: suppression.Visning) -> dict:
    cols = ("modtagne", "afgjorte", *KLAGE_RESULTATER, "omgoerelsesprocent")
    if visning.eksakt or k.height == 0:
        return {c: [suppression.NONE] * k.height for c in cols}
    g = visning.graense
    body = k.with_row_index("_r").with_columns(pl.col("_r").cast(pl.String))
    mask = suppression.crosstab_mask(body.select("_r", *KLAGE_RESULTATER, "afgjorte"), "_r", list(KLAGE_RESULTATER),
                                     total_col="afgjorte", total_row=None, visning=visning)
    out = {c: mask[c].to_list() for c in (*KLAGE_RESULTATER, "afgjorte")}
    out["modtagne"] = [suppression.PRIMARY if 0 < v < g else suppression.NONE for v in k["modtagne"].to_list()]
    hidden = [any(out[c][i] != suppression.NONE for c in REALITET) for i in range(k.height)]
    out["omgoerelsesprocent"] = [suppression.COMPLEMENTARY if h else suppression.NONE for h in hidden]
    return out


# --------------------------------------------------------------------------------------------
# the view


def beregn(ydelser: pl.LazyFrame, klager: pl.LazyFrame, periode: Periode, paa: dt.date,
           visning: suppression.Visning | None = None,
           servicemaal_dage: dict[str, int] | None = None) -> ServicemaalSide:
    """The page's numbers from the ydelser and klager tables (side() passes a scoped dataset's)."""
    visning = visning or suppression.suppressed()
    har_ansoegning, har_klager = pl.collect_all([
        ydelser.select(pl.col("ansoegningsdato").is_not_null().any()),
        klager.select(pl.len() > 0),
    ])
    har_ansoegning, har_klager = bool(har_ansoegning.item()), bool(har_klager.item())
    mangler = tuple(m for m, ok in ((ANSOEGNING, har_ansoegning), (KLAGER, har_klager)) if not ok)
    qs = kvartaler(periode, paa)
    per = trend = k = None
    ugyldige = 0
    tilstand: dict[str, dict[str, list[int]]] = {}
    if har_ansoegning:
        cfg = regel.load_servicemaal() if servicemaal_dage is None else servicemaal_dage
        sm = regel.sagsbehandlingstid(ydelser, periode.fra, periode.effektiv_til(paa), cfg)
        per, ugyldige = sm.per_paragraf, sm.ugyldige.height
        trend = regel.pr_periode(ydelser, [(q.label_paa(paa), q.fra, q.effektiv_til(paa)) for q in qs], cfg)
        delvis = {q.label_paa(paa): q.delvis(paa) for q in qs}
        trend = trend.rename({"periode": "kvartal"}).with_columns(
            pl.col("kvartal").replace_strict(delvis, return_dtype=pl.Boolean).alias("delvis")
        ).select("kvartal", "delvis", *regel.COLUMNS)
        tilstand["servicemaal"], tilstand["trend"] = _servicemaal_states(ydelser, cfg, per, trend, periode, qs,
                                                                              paa, visning)
    if har_klager:
        k = klageregel.klagestatistik(klager).per_paragraf_aar.filter(
            pl.col("aar").is_between(periode.fra.year, periode.til.year))
        tilstand["klager"] = _klage_states(k, visning)
    return ServicemaalSide(periode, paa, visning, mangler, per, ugyldige, qs, trend, k, tilstand)


def side(ds: Dataset, periode: Periode, paa: dt.date, visning: suppression.Visning | None = None) -> ServicemaalSide:
    """Everything the Servicemål og klager page shows for the (scoped) dataset and period."""
    return beregn(ds.ydelser, ds.tables["klager"], periode, paa, visning)


def trend_chart(s: ServicemaalSide, maal: str = "median_dage"):
    """A line per paragraf over the quarters (Altair; suppressed cells are not drawn)."""
    import altair as alt

    data = s.graf_data(maal)
    y = MAAL[maal]
    order = [q.label_paa(s.paa) for q in s.kvartaler]
    titel = f"{y} (%)" if maal == "andel_inden_for" else y
    return alt.Chart(alt.Data(values=data.to_dicts())).mark_line(point=True).encode(
        x=alt.X(field="Kvartal", type="nominal", sort=order, title="Kvartal", axis=alt.Axis(labelAngle=0)),
        y=alt.Y(field=y, type="quantitative", title=titel),
        color=alt.Color(field="Paragraf", type="nominal", title="Paragraf", legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(field="Kvartal", type="nominal"), alt.Tooltip(field="Paragraf", type="nominal"),
                 alt.Tooltip(field=y, type="quantitative", format=",.1f")],
    ).properties(height=280, width=640)
