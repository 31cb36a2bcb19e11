"""CPR numbers: masked by default (ddmmåå-xxxx).

What can be a CPR number in free text (`kan_vaere_cpr`, `mask_text`): ten digits (optionally ddmmåå-nnnn)
whose first six are a date ddmmåå, the day possibly raised by 60 (erstatningspersonnummer). Other
ten-digit numbers (a P-nummer such as 1020304050, an amount) are left alone, and so are values the
caller knows are not CPR numbers in their context (`behold`: the tilbud ids it has just looked up).
"""

from __future__ import annotations

import calendar
import re
from typing import Iterable

import polars as pl

CPR_PATTERN = re.compile(r"\d{6}-?\d{4}")


# ten digits not inside a longer digit run, optionally with the dash after the sixth
CPR_I_TEKST = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")


def kan_vaere_cpr(tal: str) -> bool:
    """True when the first six digits of `tal` are a date ddmmåå (day + 60 for an erstatningspersonnummer),
    in some century: 29-02-åå counts when åå is divisible by 4 (2000 was a leap year)."""
    d = re.sub(r"\D", "", tal or "")
    if len(d) < 6:
        return False
    dag, maaned, aar = int(d[:2]), int(d[2:4]), int(d[4:6])
    if dag > 60:
        dag -= 60
    if not 1 <= maaned <= 12:
        return False
    return 1 <= dag <= calendar.monthrange(2000 + aar, maaned)[1]


def mask_text(text: str, behold: Iterable[str] = ()) -> str:
    """Free text with every number that can be a CPR shown as ddmmåå-xxxx; the values in `behold`
    (known not to be CPR numbers in this context, e.g. tilbud ids) and non-dates are kept."""
    keep = {re.sub(r"\D", "", b) for b in behold if b}

    def one(m: re.Match) -> str:
        digits = m.group(1) + m.group(2)
        if digits in keep or not kan_vaere_cpr(digits):
            return m.group()
        return f"{m.group(1)}-xxxx"

    return CPR_I_TEKST.sub(one, str(text))


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
