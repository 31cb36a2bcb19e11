"""Precomputed Resultater and statusrapport sections per dataset version (issue 24: heavy first visits).

The Resultater page's default view (per paragraf over the 365 days up to the udtraeksdato, with its
quarters, about 5 s CPU on a national dataset), the statusrapport's sections for its default period
(the udtraeksdato's year up to it: Rapporter opens on it) and a leader's Sagsoverblik on the udtraeksdato
(every task; goal status of every goal) and the Kvalitet page's findings on the udtraeksdato (overlap,
22 rules, 8-talskontrol) and the Overblik page's default view (its counts before suppression) are the same for every user who sees the whole dataset. `skriv` computes them once, when a version is written (`import`, the Import page, `demo`, the
app's first demo), with their one owner (workbench.sider.resultater.resultater/.trend and
workbench.sider.rapport.build, workbench.sider.sagsoverblik.sagsoverblik, workbench.sider.kvalitet.beregn)
into DIR/_forud/; `laes`, `rapport_sektioner`, `sagsoverblik` and `kvalitet` give them back to a caller
that sees the whole dataset, or None, and the caller then computes live as before. The report's
ledelsestilsyn and kvalitet sections (live state, the Kvalitet page's cache) are never precomputed.
Besides, `har_borger` gives the tables in which every row has a borger (tabeller_med_borger): the app's
scope of a role that sees every borger then skips their semi-join (workbench.regler.access.scope).

A precomputed result is used only when all of these hold, else it is ignored (never a wrong number):
* the dataset's version key (workbench.data.dataset.version_key: the version's files, sizes and
  mtimes) is the one it was computed on: a new or changed version is another key;
* the code and configuration that compute it are the ones it was computed with (`kodehash`: the
  sources of workbench/regler, sider, data, format, data_model and the config YAML): a new release
  or a changed code list or report configuration is another key;
* each file's sha256 is the one the index recorded (a truncated or changed file is not read).
tests/test_forudberegning.py computes every precomputed result live and asserts they are equal.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.data.dataset import Dataset, udtraeksdato
from workbench.data.manifest import sha256_file

MAPPE = "_forud"
INDEKS = "indeks.json"
SKEMA = 1


@dataclass(frozen=True)
class Noegle:
    """One precomputed Resultater call: resultater(ds, pr, fra, til, undertemaer) and its trend."""

    pr: str
    fra: dt.date
    til: dt.date
    undertemaer: tuple[str, ...] = ()

    def tekst(self) -> str:
        return f"{self.pr}|{self.fra.isoformat()}|{self.til.isoformat()}|{','.join(self.undertemaer)}"


def standard_noegler(paa: dt.date) -> list[Noegle]:
    """What a first visit of Resultater computes for a user who sees the whole dataset: the page's
    default (per paragraf, standard_periode)."""
    from workbench.sider.tilbud import standard_periode

    fra, til = standard_periode(paa)
    return [Noegle("paragraf", fra, til)]


# the report's sections that depend on nothing but the dataset version, period and date (not
# 'tilsyn': stored audits; not 'kvalitet': read from the Kvalitet page's cache in the app)
RAPPORT_SEKTIONER = ("antal", "udgift", "budget", "tilgang_afgang", "maalgrupper", "resultater", "servicemaal",
                     "klager", "sammenligning", "tilbud")


def standard_rapport(paa: dt.date) -> str:
    """The period the Rapporter page opens on: the reference date's year."""
    return str(paa.year)


def _rapport_noegle(periode: str, paa: dt.date) -> str:
    from workbench.regler.periods import parse_periode

    p = parse_periode(periode)
    return f"{p.fra.isoformat()}|{p.til.isoformat()}|{paa.isoformat()}"


@functools.lru_cache(maxsize=1)
def kodehash() -> str:
    """A hash of the code and configuration the results come from: workbench/regler, workbench/sider,
    workbench/data, workbench/format, data_model (*.py) and config/*.yaml. Another release or code list
    is another hash."""
    from data_model.paths import config_dir

    root = Path(__file__).resolve().parent.parent
    files = sorted(p for d in ("regler", "sider", "data", "format") for p in (root / d).rglob("*.py"))
    files += sorted((root.parent / "data_model").rglob("*.py"))
    files += sorted(Path(config_dir()).glob("*.yaml"))
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:24]


def beregn(ds: Dataset, n: Noegle) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(tabel, trend) for n, live: as the Resultater page computes them (goal status once for both)."""
    from workbench.sider import resultater

    ut = list(n.undertemaer) or None
    goals = resultater.maal_status(ds, n.pr, n.fra, n.til).collect().lazy()
    tabel, trend = pl.collect_all([resultater.resultater(ds, n.pr, n.fra, n.til, ut, goals),
                                   resultater.trend(ds, n.pr, n.fra, n.til, ut, goals)])
    return tabel, trend


def _gem(mappe: Path, name: str, df: pl.DataFrame) -> dict:
    """df as IPC (every Polars type round-trips) in mappe/name, written atomically: {fil, sha256}."""
    tmp = mappe / f".{name}.tmp"
    df.write_ipc(tmp)
    os.replace(tmp, mappe / name)
    return {"fil": name, "sha256": sha256_file(mappe / name)}


def _hent(directory: Path, info: object) -> pl.DataFrame | None:
    """The frame _gem wrote, or None when it is missing or its checksum does not match."""
    if not isinstance(info, dict):
        return None
    path = directory / MAPPE / str(info.get("fil", ""))
    if path.parent != directory / MAPPE or not path.is_file():
        return None
    raw = path.read_bytes()  # checked and parsed from the same bytes
    if hashlib.sha256(raw).hexdigest() != info.get("sha256"):
        return None
    return pl.read_ipc(io.BytesIO(raw))


def _skriv_rapport(ds: Dataset, mappe: Path, periode: str, paa: dt.date) -> dict:
    """The report's RAPPORT_SEKTIONER for (periode, paa) on the whole dataset, by rapport.build itself."""
    from workbench.sider import rapport

    cfg = rapport.load_rapport_config()
    alle = rapport.RapportConfig({"politisk": ("forudberegning", RAPPORT_SEKTIONER)}, cfg.budget_graense_pct)
    r = rapport.build(ds, "politisk", periode, paa, cfg=alle)
    sektioner = []
    for i, sek in enumerate(r.sektioner):
        sektioner.append({
            "noegle": sek.noegle, "titel": sek.titel, "noter": list(sek.noter),
            "tabeller": [{"titel": t.titel, "fremhaev": list(t.fremhaev), **_gem(mappe, f"rapport-{i}-t{j}.arrow", t.vist)}
                         for j, t in enumerate(sek.tabeller)],
            "diagrammer": [c if isinstance(c, dict) else c.to_dict() for c in sek.diagrammer],
            "data": [{"navn": k, **_gem(mappe, f"rapport-{i}-d{j}.arrow", df)} for j, (k, df) in enumerate(sek.data.items())],
        })
    return {"noegle": _rapport_noegle(periode, paa), "sektioner": sektioner}


def _skriv_overblik(ds: Dataset, mappe: Path, paa: dt.date) -> dict:
    """The Overblik page's default view on `paa` (its default period, every kommune) by the page's own
    counting functions (sider.overblik.tal and flis_tal), before suppression: the same for every visning."""
    from workbench.regler import flis, periods
    from workbench.sider import overblik as ov

    fra, til = ov.standard_periode(ds.ydelser.select(pl.col("startdato").min()).collect().item(), paa)
    t = ov.tal(ds, periods.periode_fra_til(fra, periods.month_end(til)), paa, (), ())
    ft = ov.flis_tal(ds, til, paa, (), (), flis.markerede(ds).collect().lazy())
    return {"fra": fra.isoformat(), "til": til.isoformat(), "paa": paa.isoformat(), "aktive": t.aktive,
            "per": _gem(mappe, "overblik-per.arrow", t.per), "total": _gem(mappe, "overblik-total.arrow", t.total),
            "flis": {"aktive": ft.aktive, "udeladt": ft.udeladt, **_gem(mappe, "overblik-flis.arrow", ft.total)}}


def skriv(directory: str | Path, ds: Dataset | None = None) -> list[Noegle]:
    """Compute the standard results of the dataset version in `directory` (opened here unless `ds`,
    the whole version opened from it, is given) and write them to directory/_forud/, the index last
    (a half-written precomputation has no index entry and is never read). Returns what was written."""
    from workbench.data.dataset import open_dataset

    directory = Path(directory)
    ds = ds if ds is not None else open_dataset(directory)
    ds = ds.collected()
    paa = udtraeksdato(ds)
    mappe = directory / MAPPE
    mappe.mkdir(exist_ok=True)
    entries = []
    noegler = standard_noegler(paa)
    for i, n in enumerate(noegler):
        tabel, trend = beregn(ds, n)
        files = {}
        for del_, df in (("tabel", tabel), ("trend", trend)):
            files[del_] = _gem(mappe, f"resultater-{i}-{del_}.arrow", df)
        entries.append({"noegle": n.tekst(), **files})
    rapporter = [_skriv_rapport(ds, mappe, standard_rapport(paa), paa)]
    from workbench.sider import kvalitet, sagsoverblik as so

    kv = kvalitet.beregn(ds, paa)
    # the findings once, for both (as the app's Sagsoverblik reads the Kvalitet page's)
    opgaver = so.sagsoverblik(ds, paa, so.DAGE, fund=kv.findings.lazy()).opgaver
    sagsoverblik = [{"paa": paa.isoformat(), "dage": so.DAGE, **_gem(mappe, "sagsoverblik-0.arrow", opgaver)}]
    kvalitet_entry = [{"paa": paa.isoformat(), **{navn: _gem(mappe, f"kvalitet-{navn}.arrow", getattr(kv, navn))
                                                 for navn in KVALITET_FRAMES}}]
    index = {"skema": SKEMA, "version": ds.version, "kodehash": kodehash(), "resultater": entries,
             "rapporter": rapporter, "sagsoverblik": sagsoverblik, "kvalitet": kvalitet_entry,
             "overblik": [_skriv_overblik(ds, mappe, paa)], "har_borger": [{"tabeller": sorted(tabeller_med_borger(ds))}]}
    tmp = mappe / f".{INDEKS}.tmp"
    tmp.write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, mappe / INDEKS)
    return noegler


def _index(directory: Path) -> dict | None:
    f = directory / MAPPE / INDEKS
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("skema") == SKEMA else None


def laes(ds: Dataset, n: Noegle) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(tabel, trend) precomputed for n on this dataset version, or None (nothing precomputed for it,
    another version or code, or a file that does not match its checksum). Only for a caller whose
    `ds` holds every row of the version (workbench.ui.data.hele_versionen): a scoped dataset has other
    numbers."""
    found = _opslag(ds, "resultater", lambda e: e.get("noegle") == n.tekst())
    if found is None:
        return None
    directory, entry = found
    tabel, trend = _hent(directory, entry.get("tabel")), _hent(directory, entry.get("trend"))
    return (tabel, trend) if tabel is not None and trend is not None else None


def _opslag(ds: Dataset, del_: str, passer) -> tuple[Path, dict] | None:
    """(directory, the first entry of index[del_] for which passer(entry) holds) when ds's directory holds
    a precomputation of this version by this code, else None."""
    if ds.path is None:
        return None
    directory = Path(ds.path)
    index = _index(directory)
    if index is None or index.get("version") != ds.version or index.get("kodehash") != kodehash():
        return None
    entry = next((e for e in index.get(del_) or () if isinstance(e, dict) and passer(e)), None)
    return (directory, entry) if entry is not None else None


def rapport_sektioner(ds: Dataset, periode: str, paa: dt.date) -> dict | None:
    """{section key: rapport.Sektion} precomputed for (periode, paa) on this version, for
    rapport.build(forud=...), or None (nothing precomputed for them, another version or code, or a
    file that does not match its checksum). Only for a caller whose `ds` is the whole version."""
    from workbench.sider.rapport import Sektion, Tabel

    try:
        noegle = _rapport_noegle(periode, paa)
    except ValueError:
        return None
    found = _opslag(ds, "rapporter", lambda e: e.get("noegle") == noegle)
    if found is None:
        return None
    directory, entry = found
    out = {}
    for sek in entry.get("sektioner") or ():
        tabeller = []
        for t in sek["tabeller"]:
            vist = _hent(directory, t)
            if vist is None:
                return None
            tabeller.append(Tabel(t["titel"], vist, tuple(t["fremhaev"])))
        data = {}
        for d in sek["data"]:
            df = _hent(directory, d)
            if df is None:
                return None
            data[d["navn"]] = df
        out[sek["noegle"]] = Sektion(sek["noegle"], sek["titel"], tuple(sek["noter"]), tuple(tabeller),
                                     tuple(sek["diagrammer"]), data)
    return out


def efter_import(version_dir: str | Path | None) -> str | None:
    """After a version is written (import, the Import page): precompute it (skriv). A version in
    object storage (s3://) is not precomputed (its pages compute live). A failure never fails the
    import: the pages then compute live; returns the Danish note saying so, else None."""
    from data_model.paths import is_object_url

    if version_dir is None or is_object_url(str(version_dir)):
        return None
    try:
        skriv(version_dir)
    except Exception as exc:  # the version itself is written and current: only the shortcut is missing
        return f"Forudberegningen af Resultater og rapport mislykkedes ({type(exc).__name__}); siderne regner selv."
    return None


def sagsoverblik(ds: Dataset, paa: dt.date, dage: int):
    """sider.sagsoverblik.sagsoverblik(ds, paa, dage) of the whole version (every task, findings computed
    by the owner) precomputed for this version, or None. Only for a caller whose `ds` is the whole
    version with real borger ids (a role with individual access: a pseudonymised scope has other ids)."""
    from workbench.sider import sagsoverblik as so

    found = _opslag(ds, "sagsoverblik", lambda e: e.get("paa") == paa.isoformat() and e.get("dage") == dage)
    if found is None:
        return None
    df = _hent(*found)
    return so.Sagsoverblik(paa, dage, df) if df is not None else None


# the frames of sider.kvalitet.KvalitetData (the rest is configuration or read from the dataset)
KVALITET_FRAMES = ("pairs", "flis", "trend", "kommune", "tilbud", "per_rule", "findings", "counts", "ottetal",
                   "databrud")


def kvalitet(ds: Dataset, paa: dt.date):
    """sider.kvalitet.beregn(ds, paa) of the whole version precomputed for this version, or None. Only
    for a caller whose `ds` is the whole version with real borger ids (findings and pairs carry them)."""
    from workbench.regler import kvalitet as regler_kvalitet, overlap
    from workbench.sider import kvalitet as side

    found = _opslag(ds, "kvalitet", lambda e: e.get("paa") == paa.isoformat())
    if found is None:
        return None
    directory, entry = found
    frames = {navn: _hent(directory, entry.get(navn)) for navn in KVALITET_FRAMES}
    if any(f is None for f in frames.values()):
        return None
    return side.KvalitetData(**frames, rules=overlap.load_rules(), cfg=regler_kvalitet.load_quality_config(),
                             has_betalinger=ds.has("betalinger"),
                             tilbud_navne=dict(ds.tilbud.select("tilbud_id", "navn").collect().iter_rows()))


def _heltal(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def overblik_tal(ds: Dataset, periode, paa: dt.date):
    """sider.overblik.tal(ds, periode, paa, (), ()) of the whole version precomputed for this version (the
    page's default period), or None. Only for a caller whose `ds` holds every row of the version."""
    from workbench.regler.periods import month_start
    from workbench.sider import overblik as ov

    fra, til = month_start(periode.fra).isoformat(), month_start(periode.til).isoformat()
    found = _opslag(ds, "overblik", lambda e: (e.get("fra"), e.get("til"), e.get("paa")) == (fra, til, paa.isoformat()))
    if found is None:
        return None
    directory, entry = found
    per, total, aktive = _hent(directory, entry.get("per")), _hent(directory, entry.get("total")), _heltal(entry.get("aktive"))
    return ov.OverblikTal(per, total, aktive) if per is not None and total is not None and aktive is not None else None


def overblik_flis(ds: Dataset, til: dt.date, paa: dt.date):
    """sider.overblik.flis_tal(ds, til, paa, (), (), flis.markerede(ds)) of the whole version precomputed for
    this version (the default period's last month), or None. Only for a caller whose `ds` holds every row."""
    from workbench.regler.periods import month_start
    from workbench.sider import overblik as ov

    key = (month_start(til).isoformat(), paa.isoformat())
    found = _opslag(ds, "overblik", lambda e: (e.get("til"), e.get("paa")) == key)
    if found is None:
        return None
    directory, entry = found
    f = entry.get("flis") if isinstance(entry.get("flis"), dict) else {}
    total, aktive, udeladt = _hent(directory, f), _heltal(f.get("aktive")), _heltal(f.get("udeladt"))
    return ov.FlisTal(total, aktive, udeladt) if total is not None and aktive is not None and udeladt is not None else None


def tabeller_med_borger(ds: Dataset) -> frozenset[str]:
    """The tables of `ds` (other than borgere) with a borger_id column in which every row's borger_id is
    in borgere: access.scope's semi-join on every borger keeps all their rows."""
    ids = ds.borgere.select("borger_id")
    navne = [n for n, lf in ds.tables.items() if n != "borgere" and "borger_id" in lf.collect_schema().names()]
    antal = pl.collect_all([ds.tables[n].join(ids, on="borger_id", how="anti").select(pl.len()) for n in navne])
    return frozenset(n for n, a in zip(navne, antal) if a.item() == 0)


def har_borger(ds: Dataset) -> frozenset[str]:
    """tabeller_med_borger(ds) precomputed for this version (ds the whole version as opened), or empty
    (nothing precomputed, another version or code): access.scope's har_borger."""
    found = _opslag(ds, "har_borger", lambda e: isinstance(e.get("tabeller"), list))
    if found is None:
        return frozenset()
    navne = found[1]["tabeller"]
    return frozenset(n for n in navne if isinstance(n, str) and n in ds.tables)
