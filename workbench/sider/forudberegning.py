"""Precomputed Resultater per dataset version (issue 24: heavy first visits).

The Resultater page's default view (per paragraf over the 365 days up to the udtraeksdato, with its
quarters) and the statusrapport's default period (the udtraeksdato's year up to it) cost about 5 s CPU
each on a national dataset, the same for every user who sees the whole dataset. `skriv` computes them
once, when a version is written (`import`, `demo`, the app's first demo), with the one owner
(workbench.sider.resultater.resultater and .trend) into DIR/_forud/; `laes` gives them back to a
caller that sees the whole dataset, or None, and the caller then computes live as before.

A precomputed result is used only when all of these hold, else it is ignored (never a wrong number):
* the dataset's version key (workbench.data.dataset.version_key: the version's files, sizes and
  mtimes) is the one it was computed on: a new or changed version is another key;
* the code and configuration that compute it are the ones it was computed with (`kodehash`: the
  sources of workbench/regler, workbench/sider, workbench/data and the config YAML): a new release
  or a changed code list is another key;
* the file's sha256 is the one the index recorded (a truncated or changed file is not read).
tests/test_forudberegning.py computes every precomputed result live and asserts they are equal.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.data.dataset import Dataset, udtraeksdato

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
    """What a first visit computes for a user who sees the whole dataset: the Resultater page's
    default (per paragraf, standard_periode) and the statusrapport's default year (the reference
    date's year up to it; Rapporter opens on it)."""
    from workbench.sider.tilbud import standard_periode

    fra, til = standard_periode(paa)
    out = [Noegle("paragraf", fra, til)]
    aar = Noegle("paragraf", dt.date(paa.year, 1, 1), paa)
    if aar != out[0]:
        out.append(aar)
    return out


@functools.lru_cache(maxsize=1)
def kodehash() -> str:
    """A hash of the code and configuration the results come from: workbench/regler, workbench/sider,
    workbench/data (*.py) and config/*.yaml. Another release or code list is another hash."""
    from data_model.paths import config_dir

    root = Path(__file__).resolve().parent.parent
    files = sorted(p for d in ("regler", "sider", "data") for p in (root / d).rglob("*.py"))
    files += sorted(Path(config_dir()).glob("*.yaml"))
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:24]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def beregn(ds: Dataset, n: Noegle) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(tabel, trend) for n, live: as the Resultater page computes them (goal status once for both)."""
    from workbench.sider import resultater

    ut = list(n.undertemaer) or None
    goals = resultater.maal_status(ds, n.pr, n.fra, n.til).collect().lazy()
    tabel, trend = pl.collect_all([resultater.resultater(ds, n.pr, n.fra, n.til, ut, goals),
                                   resultater.trend(ds, n.pr, n.fra, n.til, ut, goals)])
    return tabel, trend


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
            name = f"resultater-{i}-{del_}.parquet"
            tmp = mappe / f".{name}.tmp"
            df.write_parquet(tmp)
            os.replace(tmp, mappe / name)
            files[del_] = {"fil": name, "sha256": _sha256(mappe / name)}
        entries.append({"noegle": n.tekst(), **files})
    index = {"skema": SKEMA, "version": ds.version, "kodehash": kodehash(), "resultater": entries}
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
    `ds` is the whole version (access.hele_datasaettet): a scoped dataset has other numbers."""
    directory = Path(ds.path) if ds.path is not None else None
    if directory is None:
        return None
    index = _index(directory)
    if index is None or index.get("version") != ds.version or index.get("kodehash") != kodehash():
        return None
    for entry in index.get("resultater") or ():
        if entry.get("noegle") != n.tekst():
            continue
        out = []
        for del_ in ("tabel", "trend"):
            info = entry.get(del_) or {}
            path = directory / MAPPE / str(info.get("fil", ""))
            if not path.is_file() or path.parent != directory / MAPPE or _sha256(path) != info.get("sha256"):
                return None
            out.append(pl.read_parquet(path))
        return out[0], out[1]
    return None


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
        return f"Forudberegningen af Resultater mislykkedes ({type(exc).__name__}); siderne regner selv."
    return None
