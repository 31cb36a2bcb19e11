"""CPR numbers: masked by default (ddmmåå-xxxx)."""

from __future__ import annotations

import re

import polars as pl

CPR_PATTERN = re.compile(r"\d{6}-?\d{4}")


_ALREADY_MASKED = re.compile(r"^\d{6}-\D{4}$")


def mask(cpr: str | None) -> str:
    """ddmmåå-xxxx; a value that is already masked (as in a scoped dataset) stays masked."""
    if not cpr:
        return ""
    cpr = cpr.strip()
    if _ALREADY_MASKED.match(cpr):
        return f"{cpr[:6]}-xxxx"
    digits = re.sub(r"\D", "", cpr)
    if len(digits) != 10:
        return "xxxxxx-xxxx"
    return f"{digits[:6]}-xxxx"


def mask_expr(col: str = "cpr") -> pl.Expr:
    c = pl.col(col).str.replace_all(r"\D", "")
    return pl.when(c.str.len_chars() == 10).then(c.str.slice(0, 6) + "-xxxx").otherwise(None).alias(col)
