"""One-off: simplify geo/kommuner.geojson further for drawing in the browser (Kort page).

Not part of the app and not a dependency: needs shapely >= 2.1 (`coverage_simplify`), e.g. in a
throw-away venv:  python -m venv /tmp/g && /tmp/g/bin/pip install shapely &&
/tmp/g/bin/python tools/geo/simplify_kommuner.py geo/kommuner.geojson

coverage_simplify keeps shared borders between neighbouring kommuner identical (no gaps or
overlaps) and never drops a ring, so every kommune and every island stays on the map; coordinates
are then rounded to 4 decimals (about 11 m north-south, 6 m east-west). Documented in geo/SOURCES.md.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import shapely
from shapely.geometry import mapping, shape

TOLERANCE = 0.003  # degrees: about 190-330 m; under one pixel at the Kort page's closest default zoom (8.5)
DECIMALS = 4


def _round(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), DECIMALS) for v in obj]
        return [_round(v) for v in obj]
    return obj


def main(path: str) -> None:
    src = json.load(open(path, encoding="utf-8"))
    geoms = np.array([shape(f["geometry"]) for f in src["features"]], dtype=object)
    before = int(sum(shapely.get_num_coordinates(g) for g in geoms))
    simple = shapely.coverage_simplify(geoms, TOLERANCE)
    after = int(sum(shapely.get_num_coordinates(g) for g in simple))
    features = []
    for f, g in zip(src["features"], simple):
        geom = mapping(g)
        if geom["type"] == "Polygon":  # keep the file's one geometry type
            geom = {"type": "MultiPolygon", "coordinates": [geom["coordinates"]]}
        features.append({"type": "Feature", "properties": f["properties"],
                         "geometry": {"type": geom["type"], "coordinates": _round(geom["coordinates"])}})
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False, separators=(",", ":"))
    print(f"{len(features)} kommuner, {before} -> {after} punkter")


if __name__ == "__main__":
    main(sys.argv[1])
