"""Danish geodata bundled in geo/: kommune polygons, kommune/region table and postnummer centres.

Sources and licences are in geo/SOURCES.md; ATTRIBUTION is the text every map must show.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import polars as pl

from workbench.format.output import dansk_tal
from workbench.data.paths import GEO_DIR

ATTRIBUTION = (
    "Kortdata: Indeholder data fra Geodatastyrelsen, Danmarks Administrative Geografiske Inddeling "
    "(DAGI), 1:500.000, 2014 (CC BY 4.0). Postnumre: Contains postal code data from the "
    "countries-states-cities-database project (dr5hn / countrystatecity.in), available under the "
    "Open Database License (ODbL) v1.0."
)


def geo_dir() -> Path:
    return GEO_DIR


@functools.lru_cache(maxsize=2)
def _kommuner(path: str) -> pl.DataFrame:
    return pl.read_csv(path, schema_overrides={"kommunekode": pl.String, "regionskode": pl.String})


def kommuner() -> pl.DataFrame:
    """kommunekode, navn, regionskode, regionsnavn, lat, lon (98 rows)."""
    return _kommuner(str(geo_dir() / "kommuner.csv"))


@functools.lru_cache(maxsize=2)
def _postnumre(path: str) -> pl.DataFrame:
    return pl.read_csv(path, schema_overrides={"postnr": pl.String})


def postnumre() -> pl.DataFrame:
    """postnr, navn, lat, lon, kilde (postnummer centres; see geo/SOURCES.md for their limits)."""
    return _postnumre(str(geo_dir() / "postnumre.csv"))


@functools.lru_cache(maxsize=2)
def _geojson(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def kommune_geojson() -> dict:
    """A fresh copy of the kommune FeatureCollection (properties: kommunekode, navn, regionskode, regionsnavn)."""
    return json.loads(_geojson(str(geo_dir() / "kommuner.geojson")))


@functools.lru_cache(maxsize=2)
def _geojson_parsed(path: str) -> dict:
    return json.loads(_geojson(path))


def _kommune_features() -> list[dict]:
    """The kommune features parsed once per process: read-only (the map's layer gets new feature dicts
    with its own properties around the same geometry objects, which nothing mutates)."""
    return _geojson_parsed(str(geo_dir() / "kommuner.geojson"))["features"]


def regioner() -> dict[str, str]:
    """regionskode -> regionsnavn, sorted by code."""
    df = kommuner().select("regionskode", "regionsnavn").unique().sort("regionskode")
    return dict(zip(df["regionskode"], df["regionsnavn"]))


def kommune_navne() -> dict[str, str]:
    return dict(zip(kommuner()["kommunekode"], kommuner()["navn"]))


def betalingskommune() -> pl.Expr:
    """A borger's paying kommune: betalingskommune, or the handlekommune when it is empty (the one
    place this fallback is spelled; named 'betalingskommune')."""
    return pl.coalesce(pl.col("betalingskommune"), pl.col("handlekommune")).alias("betalingskommune")


def kommune_efter(kommunetype: str) -> pl.Expr:
    """The kommune a borger is counted under: 'handle' -> handlekommune, 'betaling' -> betalingskommune()."""
    return pl.col("handlekommune") if kommunetype == "handle" else betalingskommune()


def kommune_region_frame() -> pl.LazyFrame:
    """kommunekode, kommune (name), regionskode, region (name): for joins."""
    return kommuner().lazy().select(
        "kommunekode", pl.col("navn").alias("kommune_navn"), "regionskode", pl.col("regionsnavn").alias("region_navn")
    )


def tilbud_coordinates(tilbud: pl.LazyFrame) -> pl.LazyFrame:
    """tilbud with lat/lon filled from the postnummer centre when absent (column `placering`:
    'koordinat', 'postnr' or null when neither is known)."""
    pn = postnumre().lazy().select("postnr", pl.col("lat").alias("_plat"), pl.col("lon").alias("_plon"))
    return (
        tilbud.join(pn, on="postnr", how="left")
        .with_columns(
            pl.when(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).then(pl.lit("koordinat"))
            .when(pl.col("_plat").is_not_null()).then(pl.lit("postnr"))
            .otherwise(None).alias("placering"),
            pl.when(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).then(pl.col("lat"))
            .otherwise(pl.col("_plat")).alias("lat"),
            pl.when(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).then(pl.col("lon"))
            .otherwise(pl.col("_plon")).alias("lon"),
        )
        .drop("_plat", "_plon")
    )


# -- map styling (pure; used by sidefiler/kort.py) ----------------------------------------------------------

# Sequential blues (light -> dark) for kommune values; grey for suppressed, pale for no borgere.
SEQUENTIAL = [[222, 235, 247], [158, 202, 225], [107, 174, 214], [49, 130, 189], [8, 81, 156]]
SUPPRESSED_FILL = [150, 150, 150]
EMPTY_FILL = [240, 240, 240]
# Qualitative palette for tilbudstyper (Tableau 10 + 2).
QUALITATIVE = [[78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79], [237, 201, 72],
               [176, 122, 161], [255, 157, 167], [156, 117, 95], [186, 176, 172], [31, 119, 180], [148, 103, 189]]


def class_breaks(values: list[float], n: int = 5) -> list[float]:
    """Upper bounds of up to n classes (quantiles of the distinct shown values)."""
    vals = sorted({v for v in values if v is not None})
    if not vals:
        return []
    if len(vals) <= n:
        return vals
    return [vals[min(len(vals) - 1, round((i + 1) * len(vals) / n) - 1)] for i in range(n)]


def colour_for(value: float, breaks: list[float]) -> list[int]:
    for i, b in enumerate(breaks):
        if value <= b:
            return SEQUENTIAL[min(i, len(SEQUENTIAL) - 1) + max(0, len(SEQUENTIAL) - len(breaks))]
    return SEQUENTIAL[-1]


def tilbudstype_colours(tilbudstyper: list[str]) -> dict[str, list[int]]:
    return {t: QUALITATIVE[i % len(QUALITATIVE)] for i, t in enumerate(tilbudstyper)}


def kommune_layer_data(rows: list[dict], measure_label: str) -> tuple[dict, list[tuple[list[int], str]]]:
    """(FeatureCollection with fill colours and Danish tooltip text, legend entries).

    rows: dicts with kommunekode, tekst (the value as shown, e.g. '12', '<5', 'x'), vaerdi (float) and
    skjult (bool: suppressed, never shaded by its exact value)."""
    by_code = {r["kommunekode"]: r for r in rows}
    shown = [r["vaerdi"] for r in rows if not r["skjult"] and r["vaerdi"]]
    breaks = class_breaks(shown)
    features = []
    for shared in _kommune_features():  # a new feature and properties dict each; the geometry is shared
        feat = {**shared, "properties": dict(shared["properties"])}
        features.append(feat)
        p = feat["properties"]
        r = by_code.get(p["kommunekode"])
        if r is None or (not r["skjult"] and not r["vaerdi"]):
            fill, tekst = EMPTY_FILL + [90], f"{measure_label}: 0"
        elif r["skjult"]:
            fill, tekst = SUPPRESSED_FILL + [170], f"{measure_label}: {r['tekst']} (diskretioneret)"
        else:
            fill, tekst = colour_for(r["vaerdi"], breaks) + [200], f"{measure_label}: {r['tekst']}"
        p.update(fill=fill, navn=p["navn"], tekst=f"{tekst}<br/>{p['regionsnavn']}", lag="kommune")
    gj = {**{k: v for k, v in _geojson_parsed(str(geo_dir() / "kommuner.geojson")).items() if k != "features"},
          "features": features}
    legend: list[tuple[list[int], str]] = []
    lo = None
    offset = max(0, len(SEQUENTIAL) - len(breaks))
    for i, b in enumerate(breaks):
        label = f"≤ {dansk_tal(b)}" if lo is None else f"{dansk_tal(lo)} – {dansk_tal(b)}"
        legend.append((SEQUENTIAL[i + offset], label))
        lo = b
    legend.append((SUPPRESSED_FILL, "Diskretioneret (små tal)"))
    legend.append((EMPTY_FILL, "Ingen borgere"))
    return gj, legend
