"""Resultater: progression and goal attainment grouped by tilbud, tilbudstype, paragraf, primary
målgruppe, sagsbehandler or team over a period, with a trend per quarter (spec/DATA_CONTRACT.md,
`resultater`). The Resultater page and `ffb-workbench resultater` call `resultater()` (one owner).

Definitions:

* Population of a period fra..til: every borger with a ydelse covering a day of it, in the group of
  that ydelse (paragraf, tilbud, tilbudstype: a borger under two paragraffer counts in both) or of
  the borger (primary målgruppe on `til`, sagsbehandler, team; null groups read '(ukendt)').
* Progression: workbench.regler.udvikling with start = fra and slut = til on the Aktivitet og deltagelse
  undertemaer that carry a goal of the borger (optionally only the given undertemaer/temaer), each
  judged by its goal's måltype (udvikling.efter_maaltype: for Fastholde and Begrænse tab not worse is
  success), per borger netted, counted as forbedret (success) / uaendret / forvaerret / en_vurdering /
  ikke_vurderet.
* Målopfyldelse: the population's goals with a follow-up date in fra..til, measured status
  (maalstatus.goal_status on `til`) and recorded vurdering, as on the Tilbud page; each goal in its
  own group (maalstatus.maal_i_grupper: the ydelse sharing its sagsafgoerelse_id, else the groups the
  borger had on the goal's startdato), so a goal is not counted in every paragraf of its borger.
* Trend: the same per calendar quarter of the period (each quarter cut to fra..til).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import polars as pl

from workbench.regler import maalstatus, optaelling, paragraffer, suppression, udvikling
from workbench.regler.maalgruppe import primaer_maalgruppe
from workbench.sider import tilbud as tilbud_mod
from workbench.data.config import codes as load_codes
from workbench.data.dataset import Dataset
from workbench.format.dansk import borger_link, dato

GRUPPER = {  # --pr value -> label on the page
    "paragraf": "Paragraf",
    "tilbud": "Tilbud",
    "tilbudstype": "Tilbudstype",
    "maalgruppe": "Primær målgruppe",
    "sagsbehandler": "Sagsbehandler",
    "team": "Team",
}
UKENDT = "(ukendt)"
COLUMNS = ("gruppe", "borgere", *udvikling.COUNT_COLS, "andel_forbedret", "maal", "opnaaet", "afventer",
           "ikke_opnaaet", "overskredet", "opnaaet_ved_start", "vurdering_opnaaet", "vurdering_delvist", "vurdering_ikke_opnaaet",
           "uden_vurdering", "uenighed", "andel_opnaaet")


def undertemaer_for(navne: Sequence[str]) -> list[str]:
    """Undertemaer named directly or through their tema; ValueError for an unknown name."""
    c = load_codes()
    out: list[str] = []
    for n in navne:
        if n in c.undertema_tema:
            out.append(n)
        elif n in c.tema_omraade:
            out += [u for u, t in c.undertema_tema.items() if t == n]
        else:
            raise ValueError(f"ukendt tema eller undertema: {n}")
    return list(dict.fromkeys(out))


def ydelse_grupper(ds: Dataset, pr: str, fra: dt.date, til: dt.date) -> pl.LazyFrame | None:
    """For the ydelse-level groupings (paragraf, tilbud, tilbudstype): the period's ydelser with their
    gruppe (borger_id, gruppe, sagsafgoerelse_id, startdato, slutdato) -- what a goal's group is read
    from (maalstatus.maal_i_grupper); None for the borger-level groupings."""
    if pr not in ("paragraf", "tilbud", "tilbudstype"):
        return None
    y = ds.ydelser.filter(
        (pl.col("startdato") <= til) & (pl.col("slutdato").is_null() | (pl.col("slutdato") >= fra))
        & (pl.col("slutdato").is_null() | (pl.col("slutdato") >= pl.col("startdato"))))
    keep = ("borger_id", "sagsafgoerelse_id", "startdato", "slutdato")
    if pr == "paragraf":
        return y.select(*keep, pl.col("paragraf").cast(pl.String).alias("gruppe"))
    t = ds.tilbud.unique(subset="tilbud_id", keep="first").select(
        "tilbud_id", pl.format("{} ({})", "navn", "tilbud_id").alias("tilbud"), pl.col("tilbudstype").cast(pl.String))
    return (y.filter(pl.col("tilbud_id").is_not_null()).join(t, on="tilbud_id", how="left")
            .select(*keep, pl.coalesce(pr, pl.col("tilbud_id") if pr == "tilbud" else pl.lit(None))
                    .fill_null(UKENDT).alias("gruppe")))


def population(ds: Dataset, pr: str, fra: dt.date, til: dt.date) -> pl.LazyFrame:
    """borger_id, gruppe (String): each borger in the period in his group(s), unique."""
    if pr not in GRUPPER:
        raise ValueError(f"ukendt gruppering: {pr} (brug {', '.join(GRUPPER)})")
    y = ds.ydelser.filter(
        (pl.col("startdato") <= til) & (pl.col("slutdato").is_null() | (pl.col("slutdato") >= fra))
        & (pl.col("slutdato").is_null() | (pl.col("slutdato") >= pl.col("startdato"))))
    if pr == "paragraf":
        pop = y.select("borger_id", pl.col("paragraf").cast(pl.String).alias("gruppe"))
    elif pr in ("tilbud", "tilbudstype"):
        t = ds.tilbud.unique(subset="tilbud_id", keep="first").select(
            "tilbud_id", pl.format("{} ({})", "navn", "tilbud_id").alias("tilbud"),
            pl.col("tilbudstype").cast(pl.String))
        pop = (y.filter(pl.col("tilbud_id").is_not_null()).join(t, on="tilbud_id", how="left")
               .select("borger_id", pl.coalesce(pr, pl.col("tilbud_id") if pr == "tilbud" else pl.lit(None))
                       .alias("gruppe")))
    else:
        ids = y.select("borger_id").unique()
        if pr == "maalgruppe":
            g = primaer_maalgruppe(ds.maalgrupper, til).select("borger_id", pl.col("maalgruppe").alias("gruppe"))
            pop = ids.join(g, on="borger_id", how="left")
        else:
            pop = ids.join(ds.borgere.select("borger_id", pl.col(pr).cast(pl.String).alias("gruppe")),
                           on="borger_id", how="inner")
    return pop.with_columns(pl.col("gruppe").fill_null(UKENDT)).unique()


def _period(ds: Dataset, pr: str, fra: dt.date, til: dt.date, undertemaer: Sequence[str] | None,
            goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    # .cache(): each part below is read by several branches of the one plan; without it the optimiser
    # computed progression and goal status twice (national demo: 10 s CPU -> see BENCHMARKS)
    pop = population(ds, pr, fra, til).cache()
    # progression on the undertemaer that carry a goal of the borger, judged by its måltype (contract)
    rows = udvikling.efter_maaltype(udvikling.pr_undertema(ds.funktionsevne, pop, til, undertemaer, start=fra),
                                    ds.indsatsmaal, til).cache()
    dev = udvikling.tael(udvikling.samlet(rows, ["gruppe"]), pop, ["gruppe"])
    g = (goals if goals is not None else tilbud_mod.goal_status_for(ds, pop, til)).filter(
        pl.col("opfoelgningsdato").is_between(fra, til)).cache()
    if undertemaer:
        g = g.filter(pl.col("undertema").cast(pl.String).is_in(list(undertemaer)))
    # a goal counts in its own group (maalstatus.maal_i_grupper), not in every group of its borger
    yg = ydelse_grupper(ds, pr, fra, til)
    gg = (maalstatus.maal_i_grupper(g, yg, pop) if yg is not None
          else g.join(pop.select("borger_id", "gruppe"), on="borger_id", how="inner"))
    goals = tilbud_mod.status_counts(gg, ["gruppe"])
    grupper = pop.select("gruppe").unique()
    out = grupper.join(dev, on="gruppe", how="left").join(goals, on="gruppe", how="left")
    ints = [c for c in COLUMNS if c not in ("gruppe", "andel_forbedret", "andel_opnaaet")]
    out = out.with_columns(pl.col(ints).fill_null(0).cast(pl.Int64)).select(COLUMNS)
    if pr == "paragraf":  # the code list's order (§82 before §100)
        return out.sort(paragraffer.orden("gruppe"), "gruppe")
    return out.sort("gruppe")


def maal_status(ds: Dataset, pr: str, fra: dt.date, til: dt.date) -> pl.LazyFrame:
    """The measured status (on til) of the goals of the period's population: pass it as `goals` to
    resultater and trend to compute it once for both."""
    return tilbud_mod.goal_status_for(ds, population(ds, pr, fra, til), til)


def resultater(ds: Dataset, pr: str, fra: dt.date, til: dt.date,
               undertemaer: Sequence[str] | None = None, goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per group: COLUMNS (see the module docstring), sorted by gruppe."""
    if fra > til:
        raise ValueError(f"--fra ({fra.isoformat()}) ligger efter --til ({til.isoformat()})")
    return _period(ds, pr, fra, til, undertemaer, goals)


def kvartaler(fra: dt.date, til: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(label 'ÅÅÅÅ-Kn', first day, last day) of each calendar quarter touching fra..til, cut to it; a
    quarter cut short by til is labelled 'ÅÅÅÅ-Kn t.o.m. dd-mm-åååå'."""
    out = []
    q = dt.date(fra.year, 3 * ((fra.month - 1) // 3) + 1, 1)
    while q <= til:
        end = optaelling.add_months(q, 3) - dt.timedelta(days=1)
        label = f"{q.year}-K{(q.month - 1) // 3 + 1}"
        if til < end:  # a partial quarter says where it stops (contract "A period")
            label += f" t.o.m. {dato(til)}"
        out.append((label, max(q, fra), min(end, til)))
        q = optaelling.add_months(q, 3)
    return out


def trend(ds: Dataset, pr: str, fra: dt.date, til: dt.date,
          undertemaer: Sequence[str] | None = None, goals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """kvartal, then COLUMNS: resultater() for each quarter of the period, except that the goals'
    measured status is taken once, on the period's last day (a goal followed up in a quarter is
    judged at its follow-up, so this only differs for late follow-ups made after the quarter)."""
    goals = goals if goals is not None else maal_status(ds, pr, fra, til).collect().lazy()
    # every quarter reads the same Aktivitet og deltagelse rows and the same ydelser: filter and read them
    # once (the quarters' plans would otherwise each scan the 3 M funktionsevne rows)
    ds = ds.replace(funktionsevne=udvikling._aktivitet(ds.funktionsevne, undertemaer).collect().lazy(),
                    ydelser=ds.ydelser.collect().lazy())
    parts = [_period(ds, pr, a, b, undertemaer, goals).with_columns(pl.lit(label).alias("kvartal"))
             for label, a, b in kvartaler(fra, til)]
    if not parts:
        return pl.LazyFrame(schema={"kvartal": pl.String})
    return pl.concat(parts).select("kvartal", *COLUMNS).sort("kvartal", "gruppe")


def borgere_i_gruppe(ds: Dataset, pr: str, gruppe: str, fra: dt.date, til: dt.date,
                     undertemaer: Sequence[str] | None = None) -> pl.LazyFrame:
    """The borgere behind one row (for roles with borgerliste): borger_id, kategori, antal_forbedret,
    antal_forvaerret; sorted by borger_id."""
    pop = population(ds, pr, fra, til).filter(pl.col("gruppe") == gruppe)
    rows = udvikling.samlet(udvikling.efter_maaltype(
        udvikling.pr_undertema(ds.funktionsevne, pop, til, undertemaer, start=fra), ds.indsatsmaal, til), ["gruppe"])
    return (
        pop.select("borger_id").unique()
        .join(rows.select("borger_id", "kategori", "antal_forbedret", "antal_forvaerret"), on="borger_id", how="left")
        .with_columns(pl.col("kategori").fill_null(udvikling.IKKE_VURDERET),
                      pl.col("antal_forbedret", "antal_forvaerret").fill_null(0))
        .sort("borger_id")
    )


def for_principal(df: pl.DataFrame, principal) -> pl.DataFrame:
    """The Resultater table as `principal` may see it (issue 23 item 3): for a role without the borger list
    every count of 1..g-1 reads '<g', a count that a row total minus its shown parts would give back 'x',
    and the shares resting on hidden counts 'x' (for_visning; workbench.regler.suppression). Exact roles
    get `df` unchanged."""
    return for_visning(df, suppression.for_principal(principal))


def for_visning(df: pl.DataFrame, visning: suppression.Visning) -> pl.DataFrame:
    """for_principal with the visning given: the one suppression of the Resultater table (the CLI and
    the page's ResultaterSide.vist)."""
    if visning.eksakt:
        return df
    floats = [c for c, t in df.schema.items() if t.is_float()]
    paa_maal = [c for c in floats if "opnaaet" in c and "maal" in df.columns]
    paa_borgere = [c for c in floats if c not in paa_maal and "borgere" in df.columns]
    if paa_maal:
        df = suppression.suppress_table(df, paa_maal, count_col="maal", visning=visning)
    if paa_borgere:
        df = suppression.suppress_table(df, paa_borgere, count_col="borgere", visning=visning)
    counts = [c for c, t in df.schema.items() if t.is_integer()]
    groups = [(tot, parts) for tot, parts in GRUPPER_I_RAEKKE if tot in df.columns and all(p in df.columns for p in parts)]
    if not groups:
        return suppression.suppress_table(df, counts, visning=visning)
    # a row's parts add up to its totals (borgere = the development categories; maal = the statuses =
    # the vurderinger): complementary cells along each, so no hidden count is a total minus the shown
    # parts (issue 23; as Tilbud's målopfyldelse, suppression.suppress_groups)
    in_groups = {c for tot, parts in groups for c in (tot, *parts)}
    rest = [c for c in counts if c not in in_groups]
    ratios = {r: parts for r, parts in ANDEL_AF.items() if r in df.columns}
    out = suppression.suppress_groups(df, "gruppe", groups, other_cols=rest, ratios=ratios, total_row=None,
                                      visning=visning)
    return out.select(df.columns)


# the counts of a Resultater row that add up to another of its counts, and what each share rests on
GRUPPER_I_RAEKKE = (
    ("borgere", udvikling.COUNT_COLS),
    ("maal", ("opnaaet", "afventer", "ikke_opnaaet", "overskredet", "opnaaet_ved_start")),
    ("maal", ("vurdering_opnaaet", "vurdering_delvist", "vurdering_ikke_opnaaet", "uden_vurdering")),
)
ANDEL_AF = {"andel_forbedret": ("forbedret", "uaendret", "forvaerret"),
            "andel_opnaaet": ("opnaaet", "ikke_opnaaet", "overskredet")}


# --- the page's view (sidefiler/resultater.py lays it out) ------------------------------------------------

COUNTS_VIST = {"borgere": "Borgere", "forbedret": "Forbedret/fastholdt", "uaendret": "Uændret",
               "forvaerret": "Forværret", "en_vurdering": "Ingen ny vurdering", "ikke_vurderet": "Ikke vurderet"}
MAAL_VIST = {"maal": "Mål fulgt op", "opnaaet": "Opnået", "ikke_opnaaet": "Ikke opnået", "overskredet": "Overskredet",
             "opnaaet_ved_start": "Opnået ved start (i ingen andel)",
             "afventer": "Afventer", "vurdering_opnaaet": "Registreret opnået", "uenighed": "Uenighed"}
TREND_GRUPPER = 8  # the trend chart draws the largest groups only


@dataclass(frozen=True)
class ResultaterSide:
    """The Resultater page for one principal: `tabel` and `trend` as resultater() and trend() return
    them on the principal's scoped data, and the principal's visning. Every method returns what the page
    shows, already suppressed for the visning (charts leave out groups of 1..g-1 borgere)."""

    pr: str
    tabel: pl.DataFrame
    trend: pl.DataFrame
    visning: suppression.Visning

    @property
    def mindste_gruppe(self) -> int:
        """The smallest group drawn in a chart (0: every group, for an exact visning)."""
        return 0 if self.visning.eksakt else self.visning.graense

    @property
    def grupper(self) -> list[str]:
        return self.tabel["gruppe"].to_list()

    def vist(self) -> pl.DataFrame:
        """The table with Danish headers, shares in %, suppressed for the visning."""
        vis = self.tabel.select(
            pl.col("gruppe").alias(GRUPPER[self.pr]), *[pl.col(k).alias(v) for k, v in COUNTS_VIST.items()],
            (pl.col("andel_forbedret") * 100).alias("Forbedret %"),
            *[pl.col(k).alias(v) for k, v in MAAL_VIST.items()], (pl.col("andel_opnaaet") * 100).alias("Opnået %"))
        vis = suppression.suppress_table(vis, ["Forbedret %"], visning=self.visning, count_col="Borgere", decimaler=1)
        vis = suppression.suppress_table(vis, ["Opnået %"], visning=self.visning, count_col="Mål fulgt op", decimaler=1)
        vis = suppression.suppress_table(vis, list(COUNTS_VIST.values()) + list(MAAL_VIST.values()),
                                         visning=self.visning)
        if self.visning.eksakt:
            return vis
        # the cells the CLI's table hides (for_visning: complementary cells along each row's sums, issue 23)
        # are hidden here too, so no hidden count is a row total minus the shown parts
        cli = for_visning(self.tabel, self.visning)
        counts = {**COUNTS_VIST, **MAAL_VIST}
        return vis.with_columns(
            *[cli[k].cast(pl.String).alias(v) for k, v in counts.items()],
            *[pl.when(cli[k].cast(pl.String) == suppression.SEKUNDAER).then(pl.lit(suppression.SEKUNDAER))
              .otherwise(pl.col(v)).alias(v) for k, v in (("andel_forbedret", "Forbedret %"),
                                                          ("andel_opnaaet", "Opnået %"))])

    def graf(self) -> pl.DataFrame:
        """Gruppe, Forbedret, Opnået (shares) of the groups large enough to draw; Opnået null on too few mål."""
        g = self.mindste_gruppe
        t = self.tabel
        if not self.visning.eksakt:  # a share the table hides (for_visning) is not drawn either
            cli = for_visning(t, self.visning)
            t = t.with_columns(*[pl.when(cli[k].cast(pl.String) == suppression.SEKUNDAER).then(None)
                                 .otherwise(pl.col(k)).alias(k) for k in ("andel_forbedret", "andel_opnaaet")])
        return t.filter(pl.col("borgere") >= g).select(
            pl.col("gruppe").alias("Gruppe"), pl.col("andel_forbedret").alias("Forbedret"),
            pl.when(pl.col("maal") >= g).then(pl.col("andel_opnaaet")).alias("Opnået")).drop_nulls("Forbedret")

    def trend_graf(self) -> pl.DataFrame:
        """Kvartal, Gruppe, Forbedret of the TREND_GRUPPER largest groups, quarters large enough to draw."""
        top = self.tabel.sort("borgere", descending=True)["gruppe"].head(TREND_GRUPPER).to_list()
        return self.trend.filter(pl.col("borgere") >= self.mindste_gruppe).select(
            pl.col("kvartal").alias("Kvartal"), pl.col("gruppe").alias("Gruppe"),
            pl.col("andel_forbedret").alias("Forbedret")).filter(pl.col("Gruppe").is_in(top)).drop_nulls("Forbedret")


def borgere_vist(b: pl.DataFrame) -> pl.DataFrame:
    """borgere_i_gruppe() as the page lists it (roles with the borger list only): Borger as a link."""
    return b.select(borger_link("borger_id").alias("Borger"), pl.col("kategori").alias("Udvikling"),
                    pl.col("antal_forbedret").alias("Undertemaer forbedret"),
                    pl.col("antal_forvaerret").alias("Undertemaer forværret"))
