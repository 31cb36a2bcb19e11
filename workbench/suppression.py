"""Small-cell suppression for aggregates (issue 5 adds complementary suppression).

suppress_table(df, value_cols) -> a copy where the value columns are text and counts 1..graense-1
read '<graense'. Zero stays 0. The threshold comes from config/app.yaml (suppression.graense).
"""

from __future__ import annotations

import polars as pl

from workbench.config import load_config


def threshold() -> int:
    return load_config().settings.suppression_graense


def suppress_table(df: pl.DataFrame, value_cols: list[str], graense: int | None = None) -> pl.DataFrame:
    g = graense or threshold()
    return df.with_columns(
        pl.when((pl.col(c) > 0) & (pl.col(c) < g)).then(pl.lit(f"<{g}"))
        .otherwise(pl.col(c).cast(pl.String)).alias(c)
        for c in value_cols
    )
