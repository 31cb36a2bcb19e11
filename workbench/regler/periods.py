"""Reference dates, months and period semantics of the contract (inclusive periods, open end = reference date).

The one owner of month arithmetic (months are represented by their first day) and of "is this
ydelse active": every module and page calls these instead of spelling them again.

    month_start(d), add_months(d, n), month_end(d), months(fra, til), MONTH_FMT ('YYYY-MM')
    active_on(paa) / active_between(start, end) / valid_period() -- Polars expressions
    slut_eff(paa) -- the effective end of a period (open end = the reference date)
"""

from __future__ import annotations

import datetime as dt

import polars as pl


def parse_date(text: str | None) -> dt.date:
    """A date from the command line or the UI: YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY; None = today."""
    if text is None or text == "":
        return dt.date.today()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"ugyldig dato '{text}' (brug ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ)")


def parse_month(text: str) -> dt.date:
    """First day of a YYYY-MM month."""
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"ugyldig måned '{text}' (brug ÅÅÅÅ-MM)") from None


MONTH_FMT = "%Y-%m"


def month_start(d: dt.date) -> dt.date:
    """The first day of d's month."""
    return d.replace(day=1)


def add_months(d: dt.date, n: int) -> dt.date:
    """The first day of the month n months after d's month."""
    k = d.year * 12 + (d.month - 1) + n
    return dt.date(k // 12, k % 12 + 1, 1)


def month_end(d: dt.date) -> dt.date:
    """The last day of d's month."""
    return add_months(d, 1) - dt.timedelta(days=1)


def months(fra: dt.date, til: dt.date) -> list[dt.date]:
    """First days of the months fra..til (both included)."""
    out, m = [], month_start(fra)
    while m <= til:
        out.append(m)
        m = add_months(m, 1)
    return out


def slut_eff(paa: dt.date, slut: str = "slutdato") -> pl.Expr:
    """The effective end of a period: slutdato, or the reference date when open."""
    return pl.coalesce(pl.col(slut), pl.lit(paa, dtype=pl.Date))


def active_on(paa: dt.date, start: str = "startdato", slut: str = "slutdato") -> pl.Expr:
    """True for rows whose period covers the reference date."""
    return (pl.col(start) <= paa) & (pl.col(slut).is_null() | (pl.col(slut) >= paa))


def valid_period(start: str = "startdato", slut: str = "slutdato") -> pl.Expr:
    """False for a period that ends before it starts (a data-quality finding that covers nothing)."""
    return pl.col(slut).is_null() | (pl.col(slut) >= pl.col(start))


def active_between(lo: dt.date, hi: dt.date, start: str = "startdato", slut: str = "slutdato") -> pl.Expr:
    """True for valid rows whose period covers at least one day of lo..hi."""
    return ((pl.col(start) <= hi) & (pl.col(slut).is_null() | (pl.col(slut) >= lo))
            & valid_period(start, slut))


def age_on(foedselsdato: pl.Expr, on: pl.Expr | dt.date) -> pl.Expr:
    """Whole years of age on a date (birthdays counted exactly, leap days included)."""
    on_e = pl.lit(on, dtype=pl.Date) if isinstance(on, dt.date) else on
    years = on_e.dt.year() - foedselsdato.dt.year()
    before_birthday = (on_e.dt.month() < foedselsdato.dt.month()) | (
        (on_e.dt.month() == foedselsdato.dt.month()) & (on_e.dt.day() < foedselsdato.dt.day())
    )
    return years - before_birthday.cast(pl.Int32)


def dansk_dato(value: dt.date | None) -> str:
    """dd-mm-åååå for the UI."""
    return "" if value is None else value.strftime("%d-%m-%Y")
