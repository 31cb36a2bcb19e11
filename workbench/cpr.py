"""CPR numbers: masked by default (ddmmåå-xxxx)."""

from __future__ import annotations

import re

import polars as pl

CPR_PATTERN = re.compile(r"\d{6}-?\d{4}")


def mask(cpr: str | None) -> str:
    if not cpr:
        return ""
    digits = re.sub(r"\D", "", cpr)
    if len(digits) != 10:
        return "xxxxxx-xxxx"
    return f"{digits[:6]}-xxxx"


def mask_expr(col: str = "cpr") -> pl.Expr:
    c = pl.col(col).str.replace_all(r"\D", "")
    return pl.when(c.str.len_chars() == 10).then(c.str.slice(0, 6) + "-xxxx").otherwise(None).alias(col)
