"""FLIS-corrected counts (spec/DATA_CONTRACT.md "8-talskontrol": the FLIS-corrected count, borgere and
helårspersoner after leaving out marked rows, is shown beside the raw count; DOMAIN.md "what FLIS marks").

FLIS post-processes the reported data and marks (opmærker) what it removes or doubts. What it removes
before publishing, and so what is left out here (the one owner of that choice):
- ydelser with an invalid ydelse code: a name in no FFB code list, or an FFB ydelsesgruppe instead of
  a ydelse (kvalitet.ugyldig_ydelse, its fejl findings; a valid FFB ydelse under another paragraf is an
  advarsel and is kept);
- ydelser of borgere under the adult age at startdato (kvalitet.under_18);
- ydelser ending before they start (kvalitet.slut_foer_start; they cover no day anyway).
Potentielle overlap are marked by FLIS but not removed (the user must check them), so they count.

The rows are found by the kvalitet checks themselves (never re-derived) on the whole (scoped) dataset,
whatever the quality rules' aktiv switches say: FLIS marks them either way. The counts are then
workbench.regler.optaelling's on the remaining ydelser, so the raw and the corrected numbers differ
only by the marked rows.
"""

from __future__ import annotations

import polars as pl

from workbench.data.config import CodeLists, load_config
from workbench.data.dataset import Dataset
from workbench.regler import kvalitet

FORKLARING = ("FLIS-korrigeret er tallet uden de ydelser, FLIS opmærker og fjerner før offentliggørelse: "
              "ugyldige ydelseskoder, borgere under 18 år ved startdatoen og ydelser, der slutter før de "
              "starter (potentielle overlap tælles med, for dem fjerner FLIS ikke).")
AARSAGER = ("ugyldig_ydelse", "under_18", "slut_foer_start")


def markerede(ds: Dataset, codes: CodeLists | None = None, voksen_alder: int | None = None) -> pl.LazyFrame:
    """ydelse_id (text), aarsag: the ydelser FLIS removes (one row per ydelse, the first reason in
    AARSAGER order)."""
    conf = load_config()
    codes = codes or conf.codes
    alder = conf.settings.voksen_alder if voksen_alder is None else voksen_alder
    ugyldig = kvalitet.ugyldig_ydelse(ds, codes).filter(pl.col("variant").ne_missing("anden_paragraf"))
    parts = [
        ugyldig.select("ydelse_id", pl.lit("ugyldig_ydelse").alias("aarsag")),
        kvalitet.under_18(ds, alder).select("ydelse_id", pl.lit("under_18").alias("aarsag")),
        kvalitet.slut_foer_start(ds).select("ydelse_id", pl.lit("slut_foer_start").alias("aarsag")),
    ]
    return (pl.concat(parts).filter(pl.col("ydelse_id").is_not_null())
            .unique("ydelse_id", keep="first", maintain_order=True))


def korrigeret(ydelser: pl.LazyFrame, marked: pl.LazyFrame) -> pl.LazyFrame:
    """`ydelser` (any subset of the dataset's, e.g. filtered by kommune) without the marked ones."""
    return ydelser.join(marked.select("ydelse_id"), left_on=pl.col("ydelse_id").cast(pl.String),
                        right_on="ydelse_id", how="anti")


def udeladte(ydelser: pl.LazyFrame, marked: pl.LazyFrame) -> pl.LazyFrame:
    """The marked ones among `ydelser` (what korrigeret leaves out)."""
    return ydelser.join(marked.select("ydelse_id"), left_on=pl.col("ydelse_id").cast(pl.String),
                        right_on="ydelse_id", how="semi")
