"""Reference dates and period semantics of the contract (inclusive periods, open end = reference date)."""

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


def slut_eff(paa: dt.date, slut: str = "slutdato") -> pl.Expr:
    """The effective end of a period: slutdato, or the reference date when open."""
    return pl.coalesce(pl.col(slut), pl.lit(paa, dtype=pl.Date))


def active_on(paa: dt.date, start: str = "startdato", slut: str = "slutdato") -> pl.Expr:
    """True for rows whose period covers the reference date."""
    return (pl.col(start) <= paa) & (pl.col(slut).is_null() | (pl.col(slut) >= paa))


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
