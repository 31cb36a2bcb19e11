"""Deterministic synthetic demo dataset in the data contract (spec/DATA_CONTRACT.md), with planted defects.

`write_demo(out, skala, seed)` writes one Parquet file per contract table plus `demo_manifest.json`
(the planted defects with their ids, counts and the rates used). The case mix, the scales and the
defect rates live in config/demo.yaml; code-list values come from config/ (workbench.data.config).

Determinism: every random draw comes from `random.Random` instances seeded from `seed` (one per
borger, so a borger does not depend on the ones before it), rows are sorted explicitly before
writing, and Parquet is written with fixed settings and no timestamps. Same seed -> same bytes.

Cleanliness: apart from the planted defects the data break none of the overlap rules
(config/overlap_rules.yaml: SEL85_ABL105, SEL85_SEL107, SEL85_SEL108, SEL107_SEL108, BOTILBUD_ABL105,
DOBBELT) and
none of the quality rules the manifest names; the generator checks the overlap part per borger.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.vaerktoej.synth.generator import _Generator
from workbench.vaerktoej.synth.grundlag import (  # noqa: F401  (the package's public names)
    DEFECT_KINDS, HISTORIK_FRA, MANIFEST, OVERLAP_KINDS, PARQUET, SKALAER, UDTRAEK_DATO, DemoConfig,
    load_demo_config, planned_count, rule_pairs)

# The package: grundlag (constants, config, model, schemas), generator (borgere, ydelser, assessments),
# plant (the planted defects), tabeller (tables, payments, budget, manifest); the API is write_demo.


# ------------------------------------------------------------------------------------------- API
def write_demo(out: Path | str, skala: str = "kommune", seed: int = 1, progress: bool = False) -> dict:
    """Write the demo dataset (one Parquet file per contract table + demo_manifest.json); returns the manifest."""
    from workbench.data.demo_status import check_demo_target

    out = check_demo_target(out)
    gen = _Generator(skala, seed, progress)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".skrivetest"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"kan ikke skrive til {out}: {exc.strerror or exc}") from None
    tables, manifest = gen.run()
    names = list(tables)
    for i, name in enumerate(names):
        gen.bar.show(0.85 + 0.15 * i / len(names), f"skriver {name}")
        tables[name].write_parquet(out / f"{name}.parquet", **PARQUET)
    from workbench.data import demo_status
    from workbench.data.dataset import DATASAET_FILE

    # The demo declares its udtræksdato (contract "A period"): a date after it is bad input.
    (out / DATASAET_FILE).write_text(
        "# Skrevet af ffb-workbench demo: datasættets udtræksdato (dage efter den kan data ikke kende)\n"
        f"udtraeksdato: {manifest['udtraek_dato']}\n", encoding="utf-8")
    # demo status is read from these checksums (workbench.data.demo_status), never from a file name
    manifest = {**manifest, "generator": demo_status.GENERATOR,
                "filer": demo_status.checksums(out, [f"{name}.parquet" for name in names] + [DATASAET_FILE])}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # Validate once, trust after: typed Parquet + manifest.json (workbench.data.manifest).
    gen.bar.show(0.99, "validerer")
    from workbench.data.dataset import validate_and_write_manifest

    validate_and_write_manifest(out)
    gen.bar.show(1.0, "færdig")
    gen.bar.done()
    return manifest
