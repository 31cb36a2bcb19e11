"""The shared filter model: a pure dataclass, its URL form and how it narrows a Dataset.

Semantics (documented for users in the filter panel):
- Period: the reference date `paa` (default: the dataset's udtraeksdato, workbench.data.dataset.udtraeksdato,
  carried as `udtraeksdato` by the filter panel; never today), or the interval `fra`..`paa` (both included).
  A borger is in the population when at least one ydelse covers a day of the period and matches
  every ydelse-level filter (paragraf, ydelse, tilbud, tilbudstype, driftsform) - all on the same
  ydelse.
- Borger-level facts are evaluated on the reference date `paa`: age, målgruppe, støttebehov and
  funktionsevne niveau. The niveau is the latest assessment of the chosen undertema on or before
  `paa`; an empty niveau or no assessment at all is "Ikke vurderet" (never a number). With
  "vurderet inden for de seneste N måneder" (`vurderet_maaneder`) a niveau assessed longer ago is
  left out: the borger counts as Ikke vurderet on that undertema (workbench.regler.niveau.niveau_paa).
  Støttebehov is the latest overall assessment (tema empty); none = "Ikke vurderet".
- Målgruppe: "kun primær" uses the borger's latest primary målgruppe dated on or before `paa`;
  otherwise any målgruppe dated on or before `paa` matches. Picking a branch of the målgruppe tree
  also matches its sub-målgrupper. The DST category (maalgruppe_kategori) follows the same rule.
- Kommune: handlekommune, or betalingskommune (falls back to handlekommune when empty).
  Region is derived from that kommune through geo/kommuner.csv.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import polars as pl

from workbench.data import geo
from workbench.data.config import CodeLists, load_config
from workbench.data.dataset import Dataset
from workbench.regler.maalgruppe import primaer_maalgruppe
from workbench.regler.niveau import niveau_paa
from workbench.regler.periods import active_between, age_on, dansk_dato, parse_date
from workbench.regler.stoettebehov import seneste_stoettebehov

from workbench.regler.niveau import IKKE_VURDERET  # noqa: E402  (re-exported for callers)
NIVEAUER = ("0", "1", "2", "3", "4", IKKE_VURDERET)
KOMMUNETYPER = {"handle": "Handlekommune", "betaling": "Betalingskommune"}
KOEN_LABEL = {"K": "Kvinde", "M": "Mand"}

# query-parameter name -> Filters field (tuple fields repeat the parameter: ?paragraf=A&paragraf=B)
LIST_PARAMS = {
    "kommune": "kommuner", "region": "regioner", "paragraf": "paragraffer", "ydelse": "ydelser",
    "maalgruppe": "maalgrupper", "kategori": "kategorier", "tilbudstype": "tilbudstyper", "tilbud": "tilbud",
    "driftsform": "driftsformer", "niveau": "niveauer", "stoettebehov": "stoettebehov", "alder": "aldersgrupper",
    "koen": "koen", "sagsbehandler": "sagsbehandlere", "team": "teams",
}
SCALAR_PARAMS = {"paa": "paa", "fra": "fra", "kommunetype": "kommunetype", "primaer": "kun_primaer",
                 "undertema": "undertema", "vurderet": "vurderet_maaneder"}
VURDERET_MAX = 240  # months
FILTER_PARAMS = frozenset(LIST_PARAMS) | frozenset(SCALAR_PARAMS)


@dataclass(frozen=True)
class Filters:
    paa: dt.date | None = None  # reference date; None = the dataset's udtraeksdato (below)
    fra: dt.date | None = None  # interval start; None = the reference date alone
    kommunetype: str = "handle"
    kommuner: tuple[str, ...] = ()
    regioner: tuple[str, ...] = ()  # regionskoder ("1084")
    paragraffer: tuple[str, ...] = ()
    ydelser: tuple[str, ...] = ()
    maalgrupper: tuple[str, ...] = ()
    kategorier: tuple[str, ...] = ()  # DST målgruppekategori (unconfirmed mapping)
    kun_primaer: bool = True
    tilbudstyper: tuple[str, ...] = ()
    tilbud: tuple[str, ...] = ()  # tilbud_id
    driftsformer: tuple[str, ...] = ()
    undertema: str | None = None
    niveauer: tuple[str, ...] = ()  # "0".."4", "Ikke vurderet"
    stoettebehov: tuple[str, ...] = ()
    aldersgrupper: tuple[str, ...] = ()  # labels from aldersgruppe_labels()
    koen: tuple[str, ...] = ()
    sagsbehandlere: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    vurderet_maaneder: int | None = None  # only niveauer assessed within the last N months count
    # the default reference date (the dataset's udtraeksdato); set by the filter panel from
    # workbench.ui.data.data_date(); not a filter: not in the URL and not compared
    udtraeksdato: dt.date | None = field(default=None, compare=False)

    # -- period -------------------------------------------------------------------------------
    def reference_date(self) -> dt.date:
        """paa, else the dataset's udtraeksdato; never today (contract: The reference date)."""
        if self.paa is not None:
            return self.paa
        if self.udtraeksdato is not None:
            return self.udtraeksdato
        raise ValueError("ingen referencedato: Filters mangler både paa og udtraeksdato")

    def period(self) -> tuple[dt.date, dt.date]:
        end = self.reference_date()
        start = self.fra if self.fra is not None and self.fra <= end else end
        return start, end

    def with_(self, **changes) -> "Filters":
        return dataclasses.replace(self, **changes)

    # -- URL form -----------------------------------------------------------------------------
    def to_query_params(self) -> dict[str, str | list[str]]:
        """Only non-default values; lists as repeated parameters (st.query_params.from_dict form)."""
        out: dict[str, str | list[str]] = {}
        if self.paa is not None:
            out["paa"] = self.paa.isoformat()
        if self.fra is not None:
            out["fra"] = self.fra.isoformat()
        if self.kommunetype != "handle":
            out["kommunetype"] = self.kommunetype
        if not self.kun_primaer:
            out["primaer"] = "0"
        if self.undertema:
            out["undertema"] = self.undertema
        if self.vurderet_maaneder is not None:
            out["vurderet"] = str(self.vurderet_maaneder)
        for param, name in LIST_PARAMS.items():
            values = getattr(self, name)
            if values:
                out[param] = list(values)
        return out

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]], codes: CodeLists | None = None,
                          extra_keys: Iterable[str] = ()) -> tuple["Filters", list[str]]:
        """(filters, notices). Unknown parameters and invalid values become Danish notices and are
        ignored; this never raises on user input."""
        codes = codes or load_config().codes
        notices: list[str] = []
        allowed = _allowed_values(codes)
        kwargs: dict = {}
        extra = set(extra_keys)
        for key, raw in params.items():
            values = [raw] if isinstance(raw, str) else [str(v) for v in raw]
            if key in extra:
                continue
            if key in SCALAR_PARAMS:
                value = values[-1].strip()
                if key in ("paa", "fra"):
                    try:
                        kwargs[SCALAR_PARAMS[key]] = parse_date(value) if value else None
                    except ValueError:
                        notices.append(f"Ugyldig dato i '{key}': '{value[:40]}' – ignoreret.")
                elif key == "kommunetype":
                    if value in KOMMUNETYPER:
                        kwargs["kommunetype"] = value
                    else:
                        notices.append(f"Ukendt kommunetype '{value[:40]}' – brug 'handle' eller 'betaling'.")
                elif key == "primaer":
                    if value.lower() in ("1", "ja", "true"):
                        kwargs["kun_primaer"] = True
                    elif value.lower() in ("0", "nej", "false"):
                        kwargs["kun_primaer"] = False
                    else:
                        notices.append(f"Ugyldig værdi for 'primaer': '{value[:40]}' – brug 1 eller 0.")
                elif key == "vurderet":
                    if value.isdigit() and 1 <= int(value) <= VURDERET_MAX:
                        kwargs["vurderet_maaneder"] = int(value)
                    else:
                        notices.append(f"Ugyldig værdi for 'vurderet': '{value[:40]}' – brug et antal måneder "
                                       f"(1-{VURDERET_MAX}).")
                elif key == "undertema":
                    if value in codes.undertemaer:
                        kwargs["undertema"] = value
                    else:
                        notices.append(f"Ukendt undertema '{value[:60]}' – ignoreret.")
                continue
            if key in LIST_PARAMS:
                name = LIST_PARAMS[key]
                ok: list[str] = []
                for v in values:
                    v = v.strip()
                    if key == "niveau" and v.lower() in ("iv", "ikke_vurderet", "ikke vurderet"):
                        v = IKKE_VURDERET
                    check = allowed.get(key)
                    if check is not None and v not in check:
                        notices.append(f"Ukendt værdi for '{key}': '{v[:60]}' – ignoreret.")
                    elif v and v not in ok:
                        ok.append(v)
                if ok:
                    kwargs[name] = tuple(ok)
                continue
            notices.append(f"Ukendt parameter '{key[:40]}' i adressen – ignoreret.")
        f = cls(**kwargs)
        if f.fra is not None and f.paa is not None and f.fra > f.paa:
            notices.append("Periodens start ('fra') ligger efter slutdatoen ('paa') – ignoreret.")
            f = f.with_(fra=None)
        if f.niveauer and not f.undertema:
            notices.append("Filter på funktionsevneniveau kræver et undertema – ignoreret.")
            f = f.with_(niveauer=())
        return f, notices

    # -- description --------------------------------------------------------------------------
    def describe(self, codes: CodeLists | None = None) -> list[tuple[str, str]]:
        """(label, value) pairs in Danish for export sheets and captions: every filter, incl. defaults."""
        start, end = self.period()
        period = dansk_dato(end) if start == end else f"{dansk_dato(start)} – {dansk_dato(end)}"
        regioner = geo.regioner()
        navne = geo.kommune_navne()
        rows = [
            ("Periode", period),
            ("Kommune efter", KOMMUNETYPER[self.kommunetype]),
            ("Kommune", ", ".join(f"{navne.get(k, k)} ({k})" for k in self.kommuner)),
            ("Region", ", ".join(regioner.get(r, r) for r in self.regioner)),
            ("Paragraf", ", ".join(self.paragraffer)),
            ("Ydelse", ", ".join(self.ydelser)),
            ("Målgruppe", ", ".join(self.maalgrupper)),
            ("Målgruppekategori (DST, ubekræftet mapping)", ", ".join(self.kategorier)),
            ("Målgruppe tæller", "kun primær" if self.kun_primaer else "alle målgrupper"),
            ("Tilbudstype", ", ".join(self.tilbudstyper)),
            ("Tilbud", ", ".join(self.tilbud)),
            ("Driftsform", ", ".join(self.driftsformer)),
            ("Undertema", self.undertema or ""),
            ("Funktionsevneniveau", ", ".join(self.niveauer)),
            ("Funktionsevne vurderet inden for", vurderet_tekst(self.vurderet_maaneder)),
            ("Støttebehov", ", ".join(self.stoettebehov)),
            ("Aldersgruppe", ", ".join(self.aldersgrupper)),
            ("Køn", ", ".join(KOEN_LABEL.get(k, k) for k in self.koen)),
            ("Sagsbehandler", ", ".join(self.sagsbehandlere)),
            ("Team", ", ".join(self.teams)),
        ]
        return [(k, v if v else "alle") for k, v in rows]

    def active(self) -> list[str]:
        """Names of the filters that narrow the population (for 'n aktive filtre')."""
        out = []
        for name in ("kommuner", "regioner", "paragraffer", "ydelser", "maalgrupper", "kategorier", "tilbudstyper",
                     "tilbud", "driftsformer", "niveauer", "stoettebehov", "aldersgrupper", "koen",
                     "sagsbehandlere", "teams"):
            if getattr(self, name):
                out.append(name)
        if self.vurderet_maaneder is not None:
            out.append("vurderet_maaneder")
        return out


def vurderet_tekst(maaneder: int | None) -> str:
    """'de seneste 12 måneder' ('' = every assessment counts)."""
    if maaneder is None:
        return ""
    return "den seneste måned" if maaneder == 1 else f"de seneste {maaneder} måneder"


def _allowed_values(codes: CodeLists) -> dict[str, set[str] | None]:
    """Allowed values per list parameter (None = free text, e.g. tilbud ids)."""
    return {
        "kommune": set(geo.kommune_navne()), "region": set(geo.regioner()),
        "paragraf": set(codes.paragraffer), "ydelse": set(codes.ydelser), "maalgruppe": set(codes.maalgrupper),
        "kategori": set(codes.maalgruppe_kategorier), "tilbudstype": set(codes.tilbudstyper),
        "driftsform": set(codes.driftsformer), "niveau": set(NIVEAUER), "stoettebehov": set(codes.stoettebehov),
        "alder": set(aldersgruppe_labels()), "koen": {"K", "M"}, "tilbud": None, "sagsbehandler": None,
        "team": None,
    }


# -- age bands ---------------------------------------------------------------------------------

def aldersgruppe_label(lo: int, hi: int) -> str:
    return f"{lo}+" if hi >= 120 else f"{lo}-{hi}"


def aldersgruppe_labels(bands: Iterable[tuple[int, int]] | None = None) -> list[str]:
    bands = bands if bands is not None else load_config().settings.aldersgrupper
    return [aldersgruppe_label(lo, hi) for lo, hi in bands]


def aldersgruppe_expr(alder: pl.Expr, bands: Iterable[tuple[int, int]] | None = None) -> pl.Expr:
    """The age band label of an age (null outside every band, e.g. under 18)."""
    bands = list(bands if bands is not None else load_config().settings.aldersgrupper)
    expr = pl.lit(None, dtype=pl.String)
    for lo, hi in reversed(bands):
        expr = pl.when(alder.is_between(lo, hi)).then(pl.lit(aldersgruppe_label(lo, hi))).otherwise(expr)
    return expr


def niveau_label(niveau: str, codes: CodeLists | None = None) -> str:
    """'3' -> '3 Svært nedsat funktionsevne'; 'Ikke vurderet' stays."""
    codes = codes or load_config().codes
    return f"{niveau} {codes.niveau_label[int(niveau)]}" if niveau.isdigit() else niveau


# -- building blocks (pure, lazy) ---------------------------------------------------------------

def descendants(labels: Iterable[str], codes: CodeLists) -> list[str]:
    """The labels plus every målgruppe below them in the FFB tree."""
    wanted = set(labels)
    out = []
    for label in codes.maalgrupper:
        node: str | None = label
        while node is not None:
            if node in wanted:
                out.append(label)
                break
            node = codes.maalgruppe_parent.get(node)
    return out


def maalgruppe_rows(ds: Dataset, paa: dt.date, kun_primaer: bool, codes: CodeLists) -> pl.LazyFrame:
    """borger_id, maalgruppe, maalgruppe_kategori: the borger's primary målgruppe on `paa` (one row per
    borger), or every målgruppe dated on or before `paa` (several rows per borger)."""
    if kun_primaer:
        mg = primaer_maalgruppe(ds.maalgrupper, paa)
    else:
        mg = (ds.maalgrupper.filter(pl.col("dato") <= paa).with_columns(pl.col("maalgruppe").cast(pl.String))
              .select("borger_id", "maalgruppe").unique())
    return mg.select(
        "borger_id", "maalgruppe",
        pl.col("maalgruppe").replace_strict(codes.maalgruppe_kategori, default=None, return_dtype=pl.String)
        .alias("maalgruppe_kategori"),
    )


def latest_niveau(ds: Dataset, paa: dt.date, undertema: str, inden_maaneder: int | None = None) -> pl.LazyFrame:
    """borger_id, niveau (String "0".."4"): the borger's niveau on the undertema on `paa`
    (workbench.regler.niveau; optionally only when assessed within the last N months). Borgere without an
    assessed niveau are absent (callers fill Ikke vurderet)."""
    return niveau_paa(ds.funktionsevne, paa, [undertema], inden_maaneder).select(
        "borger_id", pl.col("niveau").cast(pl.String))


def latest_niveauer(ds: Dataset, paa: dt.date, undertemaer: Iterable[str] | None = None,
                    inden_maaneder: int | None = None) -> pl.LazyFrame:
    """borger_id, undertema, niveau (String "0".."4") for every (borger, assessed undertema) on `paa`
    (workbench.regler.niveau; optionally only when assessed within the last N months); a borger with no
    assessed niveau on an undertema is absent."""
    return niveau_paa(ds.funktionsevne, paa, undertemaer, inden_maaneder).select(
        "borger_id", "undertema", pl.col("niveau").cast(pl.String))


def latest_stoettebehov(ds: Dataset, paa: dt.date) -> pl.LazyFrame:
    """borger_id, stoettebehov (String): latest overall assessment (tema empty) on or before paa."""
    return seneste_stoettebehov(ds.stoettebehov, paa).select("borger_id", "stoettebehov")


def borger_status(ds: Dataset, f: Filters, undertema: str | None = None,
                  codes: CodeLists | None = None) -> pl.LazyFrame:
    """One row per borger with the borger-level facts on the reference date:
    borger_id, kommunekode, kommune, regionskode, region, alder, aldersgruppe, koen, sagsbehandler, team,
    stoettebehov, niveau (on `undertema` or f.undertema; null when neither is given),
    primaer_maalgruppe, primaer_kategori."""
    codes = codes or load_config().codes
    paa = f.reference_date()
    kommune = geo.kommune_efter(f.kommunetype)
    b = ds.borgere.select(
        "borger_id", kommune.alias("kommunekode"), age_on(pl.col("foedselsdato"), paa).alias("alder"),
        pl.col("koen").cast(pl.String), "sagsbehandler", "team",
    ).with_columns(aldersgruppe_expr(pl.col("alder")).alias("aldersgruppe"))
    b = b.join(geo.kommune_region_frame(), on="kommunekode", how="left").with_columns(
        pl.coalesce("kommune_navn", "kommunekode").alias("kommune"),
        pl.col("region_navn").fill_null("Ukendt region").alias("region"),
    ).drop("kommune_navn", "region_navn")
    b = b.join(latest_stoettebehov(ds, paa), on="borger_id", how="left").with_columns(
        pl.col("stoettebehov").fill_null(IKKE_VURDERET))
    ut = undertema or f.undertema
    if ut:
        b = b.join(latest_niveau(ds, paa, ut, f.vurderet_maaneder), on="borger_id", how="left").with_columns(
            pl.col("niveau").fill_null(IKKE_VURDERET))
    else:
        b = b.with_columns(pl.lit(None, dtype=pl.String).alias("niveau"))
    prim = maalgruppe_rows(ds, paa, True, codes).rename(
        {"maalgruppe": "primaer_maalgruppe", "maalgruppe_kategori": "primaer_kategori"})
    return b.join(prim, on="borger_id", how="left")


def status_filters(f: Filters) -> Filters:
    """The part of `f` that borger_status reads (reference date, kommunetype, assessment window; the
    undertema is its own argument): borger_status(ds, f, ut) == borger_status(ds, status_filters(f), ut)
    for any ut, so a cache of it can be keyed on this and reused across population filter changes."""
    return Filters(paa=f.reference_date(), kommunetype=f.kommunetype, vurderet_maaneder=f.vurderet_maaneder)


def period_ydelser(ds: Dataset, f: Filters) -> pl.LazyFrame:
    """Ydelser covering a day of the period that match the ydelse-level filters, with tilbud facts:
    ydelse columns + tilbud_navn, tilbudstype, driftsform, tilbud_kommunekode, postnr, lat, lon."""
    start, end = f.period()
    # a ydelse ending before it starts is a data-quality finding, not an active ydelse (active_between)
    y = ds.ydelser.filter(active_between(start, end)).with_columns(pl.col("paragraf").cast(pl.String))
    t = ds.tilbud.select(
        "tilbud_id", pl.col("navn").alias("tilbud_navn"), pl.col("tilbudstype").cast(pl.String),
        pl.col("driftsform").cast(pl.String), pl.col("kommunekode").alias("tilbud_kommunekode"),
    )
    y = y.join(t, on="tilbud_id", how="left")
    if f.paragraffer:
        y = y.filter(pl.col("paragraf").is_in(list(f.paragraffer)))
    if f.ydelser:
        y = y.filter(pl.col("ydelse").is_in(list(f.ydelser)))
    if f.tilbud:
        y = y.filter(pl.col("tilbud_id").is_in(list(f.tilbud)))
    if f.tilbudstyper:
        y = y.filter(pl.col("tilbudstype").is_in(list(f.tilbudstyper)))
    if f.driftsformer:
        y = y.filter(pl.col("driftsform").is_in(list(f.driftsformer)))
    return y


# A source of borger_status frames: status(undertema) = borger_status(ds, f, undertema) of the caller's
# ds and f (e.g. a cache of it collected once per reference date: it does not depend on the population
# filters). Given to population and the Udforsk views instead of computing borger_status each time.
StatusKilde = Callable[[str | None], pl.LazyFrame]


def population(ds: Dataset, f: Filters, codes: CodeLists | None = None,
               status: StatusKilde | None = None) -> pl.LazyFrame:
    """borger_id (unique) of the borgere matching every filter. status: see StatusKilde."""
    codes = codes or load_config().codes
    status = status(f.undertema) if status is not None else borger_status(ds, f, codes=codes)
    status = filter_status(status, f)
    pop = status.select("borger_id").join(
        period_ydelser(ds, f).select("borger_id").unique(), on="borger_id", how="semi")
    if f.maalgrupper or f.kategorier:
        mg = maalgruppe_rows(ds, f.reference_date(), f.kun_primaer, codes)
        if f.maalgrupper:
            mg = mg.filter(pl.col("maalgruppe").is_in(descendants(f.maalgrupper, codes)))
        if f.kategorier:
            mg = mg.filter(pl.col("maalgruppe_kategori").is_in(list(f.kategorier)))
        pop = pop.join(mg.select("borger_id").unique(), on="borger_id", how="semi")
    return pop.unique().sort("borger_id")


def filter_status(status: pl.LazyFrame, f: Filters) -> pl.LazyFrame:
    """Apply the borger-level filters to a borger_status frame."""
    conds = []
    if f.kommuner:
        conds.append(pl.col("kommunekode").is_in(list(f.kommuner)))
    if f.regioner:
        conds.append(pl.col("regionskode").is_in(list(f.regioner)))
    if f.aldersgrupper:
        conds.append(pl.col("aldersgruppe").is_in(list(f.aldersgrupper)))
    if f.koen:
        conds.append(pl.col("koen").is_in(list(f.koen)))
    if f.sagsbehandlere:
        conds.append(pl.col("sagsbehandler").is_in(list(f.sagsbehandlere)))
    if f.teams:
        conds.append(pl.col("team").is_in(list(f.teams)))
    if f.stoettebehov:
        conds.append(pl.col("stoettebehov").is_in(list(f.stoettebehov)))
    if f.niveauer and f.undertema:
        conds.append(pl.col("niveau").is_in(list(f.niveauer)))
    return status.filter(*conds) if conds else status


def apply(ds: Dataset, f: Filters, codes: CodeLists | None = None) -> Dataset:
    """The dataset narrowed to the population: borger tables keep only its borgere, ydelser only the
    matching ydelser in the period. tilbud and opfoelgninger are left whole (reference data / keyed by maal)."""
    pop = population(ds, f, codes)
    keep = {name: ds.tables[name].join(pop, on="borger_id", how="semi")
            for name in ("borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal", "betalinger")
            if name in ds.tables}
    cols = ds.ydelser.collect_schema().names()
    keep["ydelser"] = period_ydelser(ds, f).join(pop, on="borger_id", how="semi").select(
        [pl.col(c).cast(ds.ydelser.collect_schema()[c]) for c in cols])
    return ds.replace(**keep)
