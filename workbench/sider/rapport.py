"""Statusrapport (issue 15): the monthly/annual ledelsesinformation as HTML/PDF from the data.

`build(ds, niveau, periode, paa, kommune)` computes a `Rapport` (frozen dataclasses holding the
section tables), `render_html(rapport)` renders it with the one print pipeline (workbench.format.udskrift),
`to_pdf` makes the PDF. Every number comes from the functions the pages use (workbench.sider.oekonomi,
workbench.regler.optaelling, workbench.regler.filters, workbench.regler.kvalitet, workbench.regler.overlap); the section's
`data` holds those functions' frames untouched so a test can compare them. No streamlit here:
the command is cron-safe.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import polars as pl

from workbench.sider import oekonomi
from workbench.regler import optaelling, suppression
from workbench.format import udskrift
from workbench.data.config import ConfigError, config_dir, load_yaml
from workbench.data.dataset import Dataset, udtraeksdato
from workbench.sider.oekonomi import Periode
from workbench.format.output import dansk_tal, map_values
from workbench.regler.periods import dansk_dato, minus_aar
from workbench.format.dansk import TOM

NIVEAUER = ("politisk", "administrativ", "drift")
SEKTIONER = {
    "antal": "Antal borgere og helårspersoner",
    "udgift": "Udgift og enhedsudgift",
    "budget": "Budget og forbrug",
    "tilgang_afgang": "Tilgang og afgang",
    "maalgrupper": "Målgrupper",
    "resultater": "Funktionsevne og målopfyldelse",
    "kvalitet": "Datakvalitet og overlap",
    "tilsyn": "Ledelsestilsyn",
    "servicemaal": "Servicemål og sagsbehandlingstid",
    "klager": "Klagesagsstatistik",
    "sammenligning": "Sammenligning med andre kommuner",
    "tilbud": "Belægning, tilgang og afgang pr. tilbud",
}
CONFIG_FILE = "rapporter.yaml"


@dataclass(frozen=True)
class RapportConfig:
    niveauer: dict[str, tuple[str, tuple[str, ...]]]  # niveau -> (titel, sektioner)
    budget_graense_pct: float


def load_rapport_config(directory: Path | str | None = None) -> RapportConfig:
    """config/rapporter.yaml validated: every level present, only known sections."""
    f = Path(directory or config_dir()) / CONFIG_FILE
    data = load_yaml(CONFIG_FILE, Path(directory) if directory else None)
    if not isinstance(data, dict) or not isinstance(data.get("niveauer"), dict):
        raise ConfigError(f"{f}: nøglen 'niveauer' mangler")
    out = {}
    for niveau in NIVEAUER:
        row = data["niveauer"].get(niveau)
        if not isinstance(row, dict) or not isinstance(row.get("sektioner"), list):
            raise ConfigError(f"{f}: 'niveauer.{niveau}.sektioner' mangler")
        for s in row["sektioner"]:
            if s not in SEKTIONER:
                raise ConfigError(f"{f}: ukendt sektion '{s}' under 'niveauer.{niveau}.sektioner'")
        out[niveau] = (str(row.get("titel") or f"Statusrapport ({niveau})"), tuple(row["sektioner"]))
    for niveau in data["niveauer"]:
        if niveau not in NIVEAUER:
            raise ConfigError(f"{f}: ukendt niveau '{niveau}' under 'niveauer'")
    g = data.get("budget_graense_pct", 110)
    if not isinstance(g, (int, float)) or g < 100:
        raise ConfigError(f"{f}: 'budget_graense_pct' skal være et tal på mindst 100")
    return RapportConfig(out, float(g))


@dataclass(frozen=True)
class Tabel:
    titel: str
    vist: pl.DataFrame  # display table (Danish text, suppressed)
    fremhaev: tuple[int, ...] = ()  # rows to highlight (over budget, the chosen kommune)


@dataclass(frozen=True)
class Sektion:
    noegle: str
    titel: str
    noter: tuple[str, ...] = ()
    tabeller: tuple[Tabel, ...] = ()
    diagrammer: tuple[object, ...] = ()  # Altair charts (the page's specs)
    data: dict[str, pl.DataFrame] = field(default_factory=dict)  # raw function output (tests)


@dataclass(frozen=True)
class Rapport:
    niveau: str
    titel: str
    periode: Periode
    kommune: str | None
    kommune_navn: str
    paa: dt.date
    udtraeksdato: dt.date
    datasaet_version: str
    genereret: dt.datetime
    tom: bool
    sektioner: tuple[Sektion, ...]


# --------------------------------------------------------------------------------------------
# section builders


def _change(now: pl.DataFrame, before: pl.DataFrame, key: str, cols: list[str]) -> pl.DataFrame:
    b = before.select(key, *[pl.col(c).alias(f"{c}_sidste_aar") for c in cols])
    out = now.select(key, *cols).join(b, on=key, how="full", coalesce=True)
    return out.with_columns(*[pl.col(c).fill_null(0) for c in cols],
                            *[pl.col(f"{c}_sidste_aar").fill_null(0) for c in cols])


def _antal(ds: Dataset, p: Periode, paa: dt.date) -> Sektion:
    til = p.effektiv_til(paa)
    ly = p.sidste_aar()
    now = oekonomi.enhedsudgift(ds, p.fra, p.til, paa).collect()
    before = oekonomi.enhedsudgift(ds, ly.fra, ly.til, min(paa, minus_aar(til))).collect()
    tab = _change(now, before, "paragraf", ["borgere", "helaarspersoner"])
    tab = oekonomi._sort_paragraf(tab.lazy(), ["paragraf"]).collect().with_columns(
        aendring=pl.col("borgere") - pl.col("borgere_sidste_aar"))
    total = optaelling.period_counts(ds.ydelser, p.fra, til, paa, by=()).collect() if p.fra <= til else None
    g = suppression.threshold()
    nu = oekonomi.vis_tabel(tab.select("paragraf", "borgere", "helaarspersoner"), count_col="borgere")
    far = oekonomi.vis_tabel(tab.select(pl.col("borgere_sidste_aar").alias("borgere"),
                                        pl.col("helaarspersoner_sidste_aar").alias("helaarspersoner")),
                             count_col="borgere")
    small = lambda c: (pl.col(c) > 0) & (pl.col(c) < g)  # noqa: E731
    aendring = tab.select(pl.when(small("borgere") | small("borgere_sidste_aar")).then(pl.lit(suppression.SEKUNDAER))
                          .otherwise(pl.col("aendring").cast(pl.String)).alias("aendring"))
    vist = pl.concat([nu.select("paragraf", "borgere"), far.select(pl.col("borgere").alias("borgere_sidste_aar")),
                      aendring, nu.select("helaarspersoner"),
                      far.select(pl.col("helaarspersoner").alias("helaarspersoner_sidste_aar"))], how="horizontal")
    vist = vist.rename({"paragraf": "Paragraf", "borgere": f"Borgere {p.label()}",
                        "borgere_sidste_aar": f"Borgere {ly.label()}", "aendring": "Ændring",
                        "helaarspersoner": f"Helårspersoner {p.label()}",
                        "helaarspersoner_sidste_aar": f"Helårspersoner {ly.label()}"})
    noter = [f"Unikke borgere med mindst én dag med en ydelse under paragraffen i perioden; en borger under to "
             f"paragraffer tæller under begge. Helårspersoner = dækkede dage / periodens talte dage (t.o.m. referencedatoen). Sammenlignet med "
             f"samme periode sidste år ({ly.label()}{', til samme dato' if til < p.til else ''})."]
    if total is not None and total.height:
        noter.append(f"I alt {dansk_tal(total['borgere'][0])} unikke borgere (en borger tæller én gang).")
    return Sektion("antal", SEKTIONER["antal"], tuple(noter), (Tabel("Borgere og helårspersoner pr. paragraf", vist),),
                   data={"enhedsudgift": now, "sidste_aar": before})


def _udgift(ds: Dataset, p: Periode, paa: dt.date) -> Sektion:
    per = oekonomi.enhedsudgift(ds, p.fra, p.til, paa).collect()
    typ = oekonomi.enhedsudgift(ds, p.fra, p.til, paa, by=("tilbudstype",)).collect()
    maaned = oekonomi.pr_maaned_vist(
        oekonomi.udgift(ds, p.fra, p.til, paa, by=("paragraf", "kategori"), pr_maaned=True).collect(), per)
    src = oekonomi.kilde(ds)
    total = per["udgift"].sum()
    vist = oekonomi.overskrifter(oekonomi.vis_tabel(per))
    vist_typ = oekonomi.overskrifter(oekonomi.vis_tabel(typ))
    noter = (f"Samlet udgift i perioden: {suppression.total_tekst(total, per['borgere'].to_list())} kr.",
             oekonomi.UDELADT_I_GRAF.format(g=suppression.threshold()), oekonomi.KILDE_TEKST[src], oekonomi.TILBUD_KILDE,
             oekonomi.FOLK1A_TEKST)
    charts = (oekonomi.udgift_chart(maaned),) if maaned.height else ()
    return Sektion("udgift", SEKTIONER["udgift"], noter,
                   (Tabel("Udgift og enhedsudgift pr. paragraf", vist),
                    Tabel("Udgift og enhedsudgift pr. tilbudstype", vist_typ)), charts,
                   data={"enhedsudgift": per, "tilbudstype": typ, "pr_maaned": maaned})


def _budget(ds: Dataset, p: Periode, paa: dt.date, kommune: str | None, graense: float) -> Sektion:
    b = oekonomi.budgetopfoelgning(ds, p.aar, p.til, paa, (kommune,) if kommune else (), graense)
    if not b.har_budget:
        return Sektion("budget", SEKTIONER["budget"], ("Datasættet har ingen budgettabel (budget er valgfri i "
                                                       "datakontrakten).",), data={"budget": b.tabel})
    over = tuple(i for i, s in enumerate(b.tabel["status"].to_list()) if s == "Over budget")
    vist = oekonomi.overskrifter(b.vist(RAPPORT_BUDGET_KOLONNER))
    over_names = [b.tabel["paragraf"][i] for i in over]
    noter = [f"Forbrug {b.aar} til og med {b.til_maaned} ({b.maaneder} mdr.) mod årets korrigerede budget.",
             "Prognose, løbende tempo – antagelse: " + b.antagelse_tempo,
             "Prognose, som sidste år – antagelse: " + b.antagelse_sidste_aar,
             oekonomi.KILDE_TEKST[b.kilde]]
    if over_names:
        noter.insert(0, f"Over budget (prognose over {dansk_tal(graense)} % af budgettet): {', '.join(over_names)}.")
    return Sektion("budget", SEKTIONER["budget"], tuple(noter), (Tabel("Budget og forbrug pr. paragraf", vist, over),),
                   (oekonomi.budget_chart(b.diagram()),), data={"budget": b.tabel})


RAPPORT_BUDGET_KOLONNER = ("paragraf", "konto", "budget", "forbrug", "forbrugsprocent", "prognose_tempo",
                           "prognose_procent", "prognose_sidste_aar_procent", "status")


def _tilgang_afgang(ds: Dataset, p: Periode, paa: dt.date) -> Sektion:
    til = p.effektiv_til(paa)
    if p.fra > til:
        return Sektion("tilgang_afgang", SEKTIONER["tilgang_afgang"], ("Ingen data i perioden.",))
    m = optaelling.monthly_counts(ds.ydelser, p.fra, til, paa).collect()
    tab = (m.group_by("paragraf").agg(pl.col("tilgang").sum(), pl.col("afgang").sum())
           .sort("paragraf").with_columns(pl.col("paragraf").cast(pl.String)))
    vist = oekonomi.vis_tabel(tab, count_col="*").rename(
        {"paragraf": "Paragraf", "tilgang": "Tilgang", "afgang": "Afgang"})
    return Sektion("tilgang_afgang", SEKTIONER["tilgang_afgang"],
                   ("Summen af månedernes tilgang og afgang (som i optaellingen: tilgang = borgere med paragraffen "
                    "denne måned og ikke måneden før).",), (Tabel("Tilgang og afgang pr. paragraf", vist),),
                   data={"maaneder": m})


def _maalgrupper(ds: Dataset, p: Periode, paa: dt.date) -> Sektion:
    from workbench.data.config import codes as load_codes
    from workbench.regler.filters import maalgruppe_rows

    codes = load_codes()

    def count(fra: dt.date, til: dt.date, on: dt.date) -> pl.DataFrame:
        if fra > til:
            return pl.DataFrame(schema={"maalgruppe": pl.String, "borgere": pl.Int64})
        ids = optaelling.period_borgere(ds.ydelser, fra, til, on)
        mg = maalgruppe_rows(ds, til, True, codes)
        return (ids.join(mg, on="borger_id", how="left")
                .with_columns(pl.col("maalgruppe").fill_null("(ingen primær målgruppe)"))
                .group_by("maalgruppe").agg(pl.len().cast(pl.Int64).alias("borgere")).collect())

    til = p.effektiv_til(paa)
    ly = p.sidste_aar()
    now = count(p.fra, til, paa)
    before = count(ly.fra, minus_aar(til), min(paa, minus_aar(til)))
    tab = _change(now, before, "maalgruppe", ["borgere"]).with_columns(
        aendring=pl.col("borgere") - pl.col("borgere_sidste_aar")).sort(
        ["borgere", "maalgruppe"], descending=[True, False])  # ties by name: the same report every time
    g = suppression.threshold()
    skjul = (tab["borgere"] > 0) & (tab["borgere"] < g) | (tab["borgere_sidste_aar"] > 0) & (tab["borgere_sidste_aar"] < g)
    vist = oekonomi.vis_tabel(tab.select("maalgruppe", "borgere", "borgere_sidste_aar"), count_col="*").with_columns(
        pl.Series("aendring", [suppression.SEKUNDAER if h else dansk_tal(v) for h, v in
                               zip(skjul.to_list(), tab["aendring"].to_list())], dtype=pl.String)
    ).rename({"maalgruppe": "Primær målgruppe", "borgere": f"Borgere {p.label()}",
              "borgere_sidste_aar": f"Borgere {ly.label()}", "aendring": "Ændring"})
    return Sektion("maalgrupper", SEKTIONER["maalgrupper"],
                   ("Borgere med en ydelse i perioden efter deres primære målgruppe ved periodens slutning.",),
                   (Tabel("Primære målgrupper", vist),), data={"maalgrupper": tab})


def overlap_i_perioden(pairs: pl.LazyFrame, p: Periode, paa: dt.date) -> pl.LazyFrame:
    """Overlap pairs restricted to the period's counted days (contract, "A period"): overlapping days
    inside fra..min(til, paa), kroner = those days × the pair's daily price; pairs without such a day
    are left out."""
    lo, hi = p.fra, p.effektiv_til(paa)
    s = pl.max_horizontal("overlap_start", pl.lit(lo, dtype=pl.Date))
    e = pl.min_horizontal("overlap_slut", pl.lit(hi, dtype=pl.Date))
    dage = ((e - s).dt.total_days() + 1).cast(pl.Int64)
    return (pairs.with_columns(_dage=dage)
            .filter(pl.col("_dage") > 0)
            .with_columns((pl.col("kroner") / pl.col("overlap_dage") * pl.col("_dage")).fill_nan(0.0).alias("kroner"),
                          pl.col("_dage").alias("overlap_dage"))
            .drop("_dage"))


def _kvalitet(ds: Dataset, p: Periode, paa: dt.date, fund: pl.DataFrame | None = None,
              par: pl.DataFrame | None = None) -> Sektion:
    from workbench.regler import kvalitet, overlap

    # the findings of the period (contract "A period": their event in its counted days), not all history;
    # `fund`/`par`: kvalitet.findings(ds, paa) / overlap.overlap_pairs(ds.ydelser, paa) already computed
    # on the same data (the Kvalitet page's cache), else computed here
    alle = fund.lazy() if fund is not None else kvalitet.findings(ds, paa)
    pairs = par.lazy() if par is not None else overlap.overlap_pairs(ds.ydelser, paa)
    found = kvalitet.i_perioden(ds, alle, p.fra, p.til, paa)
    rules = kvalitet.counts_by_rule(found).filter(pl.col("fund") > 0).collect()
    money = overlap.money_per_rule(overlap_i_perioden(pairs, p, paa)).collect()
    # fund beside a suppressed borger count would reveal it (issue 23): hidden ('x') there, then '<g'
    vist = suppression.suppress_table(
        suppression.suppress_table(rules.select("titel", "alvor", "fund", "borgere"), ["fund"], count_col="borgere"),
        ["borgere"]).rename({"titel": "Regel", "alvor": "Alvor", "fund": "Fund", "borgere": "Borgere"})
    vist_m = oekonomi.vis_tabel(money.select("regel", "borgere", "par", "dage", "kroner")).rename(
        {"regel": "Overlapsregel", "borgere": "Borgere", "par": "Par", "dage": "Dage", "kroner": "Kroner i spil"})
    # the total would give away a row's hidden kroner when exactly one row is hidden (complementary rule)
    total_tekst = suppression.total_tekst(money["kroner"].sum() if money.height else 0.0,
                                          money["borgere"].to_list() if money.height else [])
    return Sektion("kvalitet", SEKTIONER["kvalitet"],
                   (f"Datakvalitetsfund i perioden {p.label_paa(paa)} (hændelsen – registrering, opfølgningsdato, "
                    f"betalingsmåned – ligger i perioden; fund uden dato: status på referencedatoen "
                    f"{dansk_dato(paa)}). Potentielle overlap i perioden "
                    f"{p.label_paa(paa)} med kroner i spil i alt: {total_tekst} kr. (den billigste ydelses "
                    f"dagspris × overlappets dage i perioden).",),
                   (Tabel(f"Datakvalitet: fund pr. regel i perioden {p.label_paa(paa)}", vist),
                    Tabel("Overlap pr. regel i perioden", vist_m)),
                   data={"regler": rules, "overlap": money})


def _sammenligning(ds_alle: Dataset, p: Periode, paa: dt.date, kommune: str | None) -> Sektion:
    tab = oekonomi.sammenligning(ds_alle, p.fra, p.til, paa).collect().sort("kr_pr_helaarsperson", descending=True,
                                                                             nulls_last=True)
    if tab.height < 2:
        return Sektion("sammenligning", SEKTIONER["sammenligning"],
                       ("Datasættet har kun én kommune; der er ingen andre at sammenligne med.",),
                       data={"sammenligning": tab})
    mark = tuple(i for i, k in enumerate(tab["handlekommune"].to_list()) if k == kommune)
    vist = oekonomi.overskrifter(oekonomi.vis_tabel(tab.drop("handlekommune")))
    return Sektion("sammenligning", SEKTIONER["sammenligning"],
                   (f"{tab.height} kommuner i datasættet, efter handlekommune. Kommuner med færre end "
                    f"{suppression.threshold()} borgere vises ikke (diskretionering).",),
                   (Tabel("Udgift og enhedsudgift pr. kommune", vist, mark),),
                   (oekonomi.sammenligning_chart(tab),), data={"sammenligning": tab})


# --------------------------------------------------------------------------------------------


def kommuner_i(ds: Dataset) -> list[str]:
    return sorted(k for k in ds.borgere.select(pl.col("handlekommune").unique()).collect()["handlekommune"].to_list()
                  if k)


def build(ds: Dataset, niveau: str, periode: str | Periode, paa: dt.date | None = None, kommune: str | None = None,
          cfg: RapportConfig | None = None, genereret: dt.datetime | None = None,
          udtraek: dt.date | None = None, engine=None, kvalitet_fund: tuple[pl.DataFrame, pl.DataFrame] | None = None,
          forud: Mapping[str, "Sektion"] | None = None) -> Rapport:
    """The report's content. Bad niveau, periode or kommune -> ValueError (one Danish line).

    kvalitet_fund: (kvalitet.findings(ds, paa), overlap.overlap_pairs(ds.ydelser, paa)) already computed
    on this `ds` and `paa` (the app's Kvalitet cache); used only for the whole dataset (kommune None),
    where they are the same rows the section would compute.
    forud: sections of the whole dataset precomputed for this version, period and paa by this function
    (workbench.sider.forudberegning.rapport_sektioner); used only for kommune None, by section key."""
    cfg = cfg or load_rapport_config()
    if niveau not in cfg.niveauer:
        raise ValueError(f"ukendt niveau '{niveau}' (brug {', '.join(NIVEAUER)})")
    p = periode if isinstance(periode, Periode) else oekonomi.parse_periode(periode)
    udtraek = udtraek or udtraeksdato(ds)
    paa = paa or udtraek
    if kommune is not None and kommune not in kommuner_i(ds):
        raise ValueError(f"ukendt kommune '{kommune}' (ingen borgere med den handlekommune i datasættet)")
    # Parse and validate the tables the sections read once (a lazy dataset re-reads per collect).
    names = [n for n in ("borgere", "ydelser", "betalinger", "tilbud", "budget", "maalgrupper", "klager")
             if n in ds.tables]
    ds = ds.derive({**ds.tables, **{n: f.lazy() for n, f in zip(names, pl.collect_all([ds.tables[n] for n in names]))}})
    sel = oekonomi.udsnit(ds, (kommune,) if kommune else ())
    titel, keys = cfg.niveauer[niveau]
    til = p.effektiv_til(paa)
    tom = p.fra > til or optaelling.period_counts(sel.ydelser, p.fra, til, paa, by=()).collect()["borgere"][0] == 0
    sektioner = []
    sm_side = None  # the Servicemål og klager view, computed once for both of its sections
    for key in keys:
        if forud is not None and kommune is None and key in forud:
            sektioner.append(forud[key])
        elif tom:
            sektioner.append(Sektion(key, SEKTIONER[key], ("Ingen data i perioden.",)))
        elif key == "antal":
            sektioner.append(_antal(sel, p, paa))
        elif key == "udgift":
            sektioner.append(_udgift(sel, p, paa))
        elif key == "budget":
            sektioner.append(_budget(ds, p, paa, kommune, cfg.budget_graense_pct))  # budget follows betalingskommune
        elif key == "tilgang_afgang":
            sektioner.append(_tilgang_afgang(sel, p, paa))
        elif key == "maalgrupper":
            sektioner.append(_maalgrupper(sel, p, paa))
        elif key == "kvalitet":
            sektioner.append(_kvalitet(sel, p, paa, *(kvalitet_fund if kvalitet_fund and kommune is None else ())))
        elif key == "sammenligning":
            sektioner.append(_sammenligning(ds, p, paa, kommune))
        elif key == "resultater":
            sektioner.append(_resultater(sel, p, paa))
        elif key == "tilsyn":
            sektioner.append(_tilsyn(engine, p, paa))
        elif key == "tilbud":
            sektioner.append(_tilbud_drift(sel, p, paa))
        elif key in ("servicemaal", "klager"):
            from workbench.sider import servicemaal

            sm_side = sm_side or servicemaal.side(sel, p, paa, suppression.suppressed())
            sektioner.append(_servicemaal(sm_side) if key == "servicemaal" else _klager(sm_side))
    from workbench.data.geo import kommune_navne

    navn = f"{kommune} {kommune_navne().get(kommune, '')}".strip() if kommune else "Alle kommuner i datasættet"
    return Rapport(niveau, titel, p, kommune, navn, paa, udtraek, ds.version,
                   genereret or dt.datetime.now().astimezone(), tom, tuple(sektioner))


def _tilbud_drift(ds: Dataset, p: Periode, paa: dt.date) -> Sektion:
    """Belægning, tilgang and afgang per tilbud in the period (issue 22 item 3): the Tilbud page's owners
    (workbench.sider.tilbud.belaegning_pr_tilbud over optaelling.period_counts / monthly_counts and the
    one belægningsgrad), never re-derived here. Published numbers: a tilbud with 1..g-1 borgere shows
    '<g' borgere and hides helårspersoner and belægningsgrad ('x'); tilgang and afgang are counts of
    their own ('<g')."""
    from workbench.sider import tilbud

    tab = tilbud.belaegning_pr_tilbud(ds, p.fra, p.til, paa).collect()
    if tab.height == 0:
        return Sektion("tilbud", SEKTIONER["tilbud"], ("Ingen borgere i tilbud i perioden.",), data={"tilbud": tab})
    g = suppression.threshold()
    navn = tab.select(pl.format("{} ({})", pl.col("navn").fill_null("ukendt tilbud"), "tilbud_id").alias("Tilbud"))
    maal = oekonomi.vis_tabel(tab.select("borgere", "helaarspersoner", (pl.col("belaegningsgrad") * 100)
                                         .alias("belaegningsgrad_pct")),
                              count_col="borgere", decimaler={"belaegningsgrad_pct": 1})
    flow = oekonomi.vis_tabel(tab.select("tilgang", "afgang"), count_col="*")
    pladser = oekonomi.vis_tabel(tab.select("pladser"), count_col=None)
    vist = pl.concat([navn, pladser, maal, flow], how="horizontal").rename(
        {"pladser": "Pladser", "borgere": "Borgere", "helaarspersoner": "Helårspersoner",
         "belaegningsgrad_pct": "Belægningsgrad (%)", "tilgang": "Tilgang", "afgang": "Afgang"})
    synlig = tab["borgere"] >= g
    over = tuple(i for i, (o, v) in enumerate(zip(tab["over_kapacitet"].to_list(), synlig.to_list())) if o and v)
    noter = [f"Tilbud med borgere i perioden {p.label_paa(paa)}. Belægningsgrad = belagte dage ÷ (pladser × "
             f"periodens talte dage) = helårspersoner ÷ pladser (som på siden Tilbud); over 100 % er fremhævet. "
             f"Tilgang og afgang er summen af månedernes (som i optællingen: borgere i tilbuddet denne måned og "
             f"ikke måneden før, og omvendt)."]
    if over:
        noter.insert(0, "Over kapacitet: " + ", ".join(vist["Tilbud"][i] for i in over) + ".")
    return Sektion("tilbud", SEKTIONER["tilbud"], tuple(noter), (Tabel("Belægning, tilgang og afgang pr. tilbud", vist,
                                                                       over),),
                   data={"tilbud": tab})


def _tilsyn(engine, p: Periode, paa: dt.date) -> Sektion:
    """Ledelsestilsyn status from the stored audits (workbench.lager.tilsyn_store / workbench.sider.tilsyn):
    every stored audit with its status when the report is made, and the share of Ja per question
    (audits are made now, on data of any period, so they are not cut by the report's period)."""
    if engine is None:
        return Sektion("tilsyn", SEKTIONER["tilsyn"], ("Ingen database med gemte ledelsestilsyn er angivet.",))
    from workbench.sider import tilsyn
    from workbench.lager import tilsyn_store

    tilsyn_store.ensure_tables(engine)
    heads = tilsyn_store.audits(engine)
    if not heads:
        return Sektion("tilsyn", SEKTIONER["tilsyn"], ("Der er ingen gemte ledelsestilsyn.",),
                       data={"tilsyn": pl.DataFrame()})
    svar = tilsyn_store.report_frame(engine, [a.audit_id for a in heads])
    besvaret = svar.group_by("audit_id").agg(pl.col("svar").is_not_null().sum().cast(pl.Int64).alias("svar"))
    oversigt = pl.DataFrame({"audit_id": [a.audit_id for a in heads], "titel": [a.titel or a.audit_id[:8] for a in heads],
                             "oprettet": [dansk_dato(a.oprettet.date()) for a in heads],
                             "status": [tilsyn_store.status(a) for a in heads],
                             "sager": [tilsyn_store.items(engine, a.audit_id).height for a in heads]},
                            schema_overrides={"sager": pl.Int64}).join(besvaret, on="audit_id", how="left")
    r = tilsyn.rapport(svar.with_columns(pl.lit("Alle").alias("sagsbehandler")))
    per_q = r.pr_sagsbehandler.select("spoergsmaal", "besvaret", "ja", "andel_ja")
    # counts of sager and answers 1..g-1 read '<g' like every count in the report (issue 23); a share
    # resting on 1..g-1 answers reads 'x'
    vist_o = suppression.suppress_table(
        oversigt.select(pl.col("titel").alias("Tilsyn"), pl.col("oprettet").alias("Oprettet"),
                        pl.col("status").alias("Status"), pl.col("sager").fill_null(0).alias("Sager"),
                        pl.col("svar").fill_null(0).alias("Svar")), ["Sager", "Svar"])
    andel = per_q.select("besvaret", pl.lit(map_values(per_q["andel_ja"], lambda v: f"{dansk_tal(v * 100, 1)} %"))
                         .fill_null(TOM).alias("andel"))
    vist_q = suppression.suppress_table(
        per_q.select(pl.col("spoergsmaal").alias("Spørgsmål"), pl.col("besvaret").alias("Besvaret"),
                     pl.col("ja").alias("Ja"), andel["andel"].alias("Andel ja")),
        ["Andel ja"], count_col="Besvaret")
    vist_q = suppression.suppress_table(vist_q, ["Besvaret", "Ja"])
    return Sektion("tilsyn", SEKTIONER["tilsyn"],
                   (f"{len(heads)} gemte ledelsestilsyn, status da rapporten blev dannet; "
                    f"{suppression.antal(r.fund.height)} fund (svar Nej eller Delvist).",),
                   (Tabel("Tilsyn og status", vist_o), Tabel("Andel ja pr. spørgsmål (alle tilsyn)", vist_q)),
                   data={"tilsyn": oversigt, "andel_ja": per_q})


def _servicemaal(s) -> Sektion:
    """Servicemål per paragraf and the quarter trend: the Servicemål og klager page's view
    (workbench.sider.servicemaal.side), suppressed as for publication."""
    from workbench.sider import servicemaal

    key = "servicemaal"
    if s.servicemaal is None:
        return Sektion(key, SEKTIONER[key], tuple(servicemaal.MANGLER_TEKST[m] for m in s.mangler
                                                  if m == servicemaal.ANSOEGNING))
    noter = [f"Ansøgninger afgjort (bevilget) i perioden {s.periode.label_paa(s.paa)}. " + servicemaal.DEFINITION,
             f"Kvartalerne: {', '.join(q.label_paa(s.paa) for q in s.kvartaler)}."]
    if s.ugyldige:
        noter.append(f"{s.ugyldige} ydelser har en ansøgningsdato efter bevillingsdatoen og er udeladt.")
    tabeller = [Tabel("Sagsbehandlingstid og servicemål pr. paragraf", s.servicemaal_vist()),
                Tabel("Median sagsbehandlingstid pr. kvartal (dage)", s.trend_bred("median_dage"))]
    andel = s.trend_bred("andel_inden_for")
    if andel is not None and andel.height:
        tabeller.append(Tabel("Andel inden for servicemålet pr. kvartal", andel))
    charts = (servicemaal.trend_chart(s, "median_dage"),) if s.graf_data("median_dage").height else ()
    return Sektion(key, SEKTIONER[key], tuple(noter), tuple(tabeller), charts,
                   data={"servicemaal": s.servicemaal, "trend": s.trend})


def _klager(s) -> Sektion:
    """Klagesagsstatistik per paragraf and year with the omgørelsesprocent (the same view)."""
    from workbench.sider import servicemaal

    key = "klager"
    if s.klager is None:
        return Sektion(key, SEKTIONER[key], tuple(servicemaal.MANGLER_TEKST[m] for m in s.mangler
                                                  if m == servicemaal.KLAGER))
    aar = f"{s.periode.fra.year}" if s.periode.fra.year == s.periode.til.year else \
        f"{s.periode.fra.year}–{s.periode.til.year}"
    noter = (f"Klager modtaget og afgjort i {aar} pr. paragraf (efter modtagelses- og afgørelsesår); "
             "Ankestyrelsens afgørelser fordelt på resultat.", servicemaal.KLAGE_DEFINITION)
    return Sektion(key, SEKTIONER[key], noter, (Tabel("Klagesagsstatistik pr. paragraf og år", s.klager_vist()),),
                   data={"klager": s.klager})


RESULTATER_KOLONNER = {
    "gruppe": "Paragraf", "borgere": "Borgere", "forbedret": "Forbedret/fastholdt", "uaendret": "Uændret",
    # not the page's "Mål fulgt op" (every goal with a follow-up in the period): here only those decided
    "forvaerret": "Forværret", "maal": "Mål afgjort", "opnaaet": "Opnået", "ikke_opnaaet": "Ikke opnået",
}


def resultater_vist(tab: pl.DataFrame, graense: int | None = None) -> pl.DataFrame:
    """The report's Resultater table through workbench.regler.suppression's pattern: "Mål afgjort" is
    the sum of Opnået and Ikke opnået and is their row total, so a suppressed part gets a complementary
    cell ('x') and cannot be recovered as total minus the other part (issue 20 item 7)."""
    t = tab.select(list(RESULTATER_KOLONNER)).with_columns(
        pl.col("gruppe").cast(pl.String), maal=pl.col("opnaaet") + pl.col("ikke_opnaaet"))
    g = graense or suppression.threshold()
    maal = suppression.suppress_crosstab(t.select("gruppe", "opnaaet", "ikke_opnaaet", "maal"), "gruppe",
                                         ["opnaaet", "ikke_opnaaet"], total_col="maal", total_row=None, graense=g)
    udv = suppression.suppress_crosstab(t.select("gruppe", "forbedret", "uaendret", "forvaerret"), "gruppe",
                                        ["forbedret", "uaendret", "forvaerret"], total_col=None, total_row=None,
                                        graense=g)
    borgere = suppression.suppress_table(t.select("gruppe", "borgere"), ["borgere"], graense=g)
    return (borgere.join(udv, on="gruppe", how="left", maintain_order="left")
            .join(maal, on="gruppe", how="left", maintain_order="left")
            .select(list(RESULTATER_KOLONNER)).rename(RESULTATER_KOLONNER))


def _resultater(ds: Dataset, p: Periode, paa: dt.date) -> Sektion:
    """Udvikling i funktionsevne and målopfyldelse per paragraf over the period: the Resultater page's
    function (workbench.sider.resultater.resultater), every count suppressed for publication."""
    from workbench.sider import resultater

    til = min(p.til, paa)
    if p.fra > til:
        return Sektion("resultater", SEKTIONER["resultater"], ("Ingen data i perioden.",))
    tab = resultater.resultater(ds, "paragraf", p.fra, til).collect()
    if tab.is_empty():
        return Sektion("resultater", SEKTIONER["resultater"], ("Ingen data i perioden.",), data={"resultater": tab})
    vist = resultater_vist(tab)
    noter = (f"Borgere med et vurderet undertema under Aktivitet og deltagelse; udvikling fra niveauet ved "
             f"start til niveauet {dansk_dato(til)} (samme beregning som siden Resultater, bedømt efter målets måltype). Mål afgjort = opnået + "
             "ikke opnået blandt mål med opfølgning i perioden, målt status bedømt ved opfølgningen.",)
    return Sektion("resultater", SEKTIONER["resultater"], noter,
                   (Tabel("Udvikling og målopfyldelse pr. paragraf", vist),), data={"resultater": tab})


# --------------------------------------------------------------------------------------------
# rendering

RAPPORT_CSS = """
.forside { page-break-after: always; padding-top: 60mm; }
.forside h1 { font-size: 24pt; } .forside .under { font-size: 14pt; color: #444; margin-bottom: 20mm; }
.sektion { page-break-inside: auto; } .note { color: #333; margin: 3px 0; }
.chart svg { max-width: 100%; height: auto; }
"""


def _table_html(t: Tabel) -> str:
    cols = t.vist.columns
    numeric = cols[1:]
    mark = {i: "background:#fde2e1;font-weight:bold" for i in t.fremhaev}
    return f"<h3>{udskrift.e(t.titel)}</h3>" + udskrift.html_table(cols, t.vist.iter_rows(), numeric, mark,
                                                                    "smal" if len(cols) > 6 else "")


def render_html(r: Rapport) -> str:
    gen = f"{dansk_dato(r.genereret)} kl. {r.genereret:%H:%M}"
    front = f"""<div class="forside">
<h1>{udskrift.e(r.titel)}</h1>
<div class="under">{udskrift.e(r.kommune_navn)} · periode {udskrift.e(r.periode.label_paa(r.paa))}</div>
<table class="meta">
<tr><td>Periode</td><td>{udskrift.e(r.periode.label_paa(r.paa))} ({dansk_dato(r.periode.fra)}–{dansk_dato(r.periode.til)})</td></tr>
<tr><td>Niveau</td><td>{udskrift.e(r.niveau)}</td></tr>
<tr><td>Udtræksdato</td><td>{dansk_dato(r.udtraeksdato)}</td></tr>
<tr><td>Referencedato</td><td>{dansk_dato(r.paa)}</td></tr>
<tr><td>Datasæt-version</td><td>{udskrift.e(r.datasaet_version)}</td></tr>
<tr><td>Dannet</td><td>{gen}</td></tr>
</table>
{'<p><b>Perioden indeholder ingen data.</b></p>' if r.tom else ''}
<p class="note">{udskrift.e(suppression.explanation())}</p>
</div>"""
    parts = [front]
    for s in r.sektioner:
        html = [f"<div class='sektion'><h2>{udskrift.e(s.titel)}</h2>"]
        html += [f"<p class='note'>{udskrift.e(n)}</p>" for n in s.noter]
        html += [f"<div class='chart'>{udskrift.altair_svg(c)}</div>" for c in s.diagrammer]
        html += [_table_html(t) for t in s.tabeller]
        parts.append("".join(html) + "</div>")
    fod = f"{r.titel} · {r.kommune_navn} · {r.periode.label_paa(r.paa)} · datasæt {r.datasaet_version}"
    return udskrift.page(f"{r.titel} {r.periode.label_paa(r.paa)}", "\n".join(parts), RAPPORT_CSS, fod=fod)


def to_pdf(r: Rapport) -> bytes:
    return udskrift.to_pdf(render_html(r))


def tilsyn_token(engine) -> str:
    """A key that changes whenever the stored ledelsestilsyn change (a new audit, a new status or a new
    answer): the report's cache includes it, so a cached report never shows a stale tilsyn section."""
    if engine is None:
        return ""
    from workbench.lager import tilsyn_store

    tilsyn_store.ensure_tables(engine)
    heads = [(str(getattr(a, "audit_id", getattr(a, "id", ""))), getattr(a, "version", None), tilsyn_store.status(a))
             for a in tilsyn_store.audits(engine)]
    return f"{sorted(map(str, heads))}|{tilsyn_store.answers(engine).height}"
