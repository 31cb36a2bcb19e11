"""Reference dates, months and period semantics of the contract (inclusive periods, open end = reference date).

The one owner of month arithmetic (months are represented by their first day) and of "is this
ydelse active": every module and page calls these instead of spelling them again.

    month_start(d), add_months(d, n), month_end(d), months(fra, til), MONTH_FMT ('YYYY-MM')
    active_on(paa) / active_between(start, end) / valid_period() -- Polars expressions
    slut_eff(paa) -- the effective end of a period (open end = the reference date)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.format.dato import parse_date  # noqa: F401  (re-exported: the one date parser)
from workbench.format.dansk import dato as dansk_dato  # noqa: F401  (the one owner: workbench.format.dansk)


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




# --------------------------------------------------------------------------------------------
# THE period (contract, "A period"): one value with its counted days; every aggregate takes it.

MAANEDER = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
            "november", "december")
MAANEDER_KORT = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")


def dansk_maaned(value: dt.date | str, kort: bool = False) -> str:
    """A date or 'YYYY-MM' -> 'januar 2025' (kort: 'jan. 2025'): a month wherever it is shown."""
    m = value if isinstance(value, dt.date) else dt.date(int(value[:4]), int(value[5:7]), 1)
    return f"{(MAANEDER_KORT if kort else MAANEDER)[m.month - 1]} {m.year}"


def dansk_maaned_expr(col: str = "maaned", kort: bool = False) -> pl.Expr:
    """dansk_maaned as a Polars expression over 'YYYY-MM' text (no Python function inside the query)."""
    names = MAANEDER_KORT if kort else MAANEDER
    month = pl.col(col).str.slice(5, 2).replace_strict({f"{i + 1:02d}": n for i, n in enumerate(names)},
                                                       default=None, return_dtype=pl.String)
    return pl.concat_str([month, pl.col(col).str.slice(0, 4)], separator=" ")


@dataclass(frozen=True)
class Periode:
    """A period fra..til (both included): a calendar year ('2025'), a quarter ('2025-K2') or a month
    ('2025-03'). Its counted days run from fra to the earlier of til and the reference date."""

    tekst: str
    fra: dt.date
    til: dt.date

    @property
    def aar(self) -> int:
        return self.fra.year

    @property
    def er_aar(self) -> bool:
        return len(self.tekst) == 4

    @property
    def er_kvartal(self) -> bool:
        return "-K" in self.tekst

    def sidste_aar(self) -> "Periode":
        """The same period one year earlier."""
        return parse_periode(f"{self.aar - 1}{self.tekst[4:]}")

    def label(self) -> str:
        """'2026', '2026-K4' or 'oktober 2026' (without the reference date: see label_paa)."""
        if self.er_aar or self.er_kvartal:
            return self.tekst
        return f"{MAANEDER[self.fra.month - 1]} {self.aar}"

    def effektiv_til(self, paa: dt.date) -> dt.date:
        """The last day counted: the period's end, never after the reference date."""
        return min(self.til, paa)

    def talte_dage(self, paa: dt.date) -> int:
        """Counted days: fra .. min(til, paa), both included (0 when the period starts after paa)."""
        return max((self.effektiv_til(paa) - self.fra).days + 1, 0)

    def dage(self) -> int:
        return (self.til - self.fra).days + 1

    def delvis(self, paa: dt.date) -> bool:
        """True when the reference date cuts the period short."""
        return self.talte_dage(paa) < self.dage()

    def label_paa(self, paa: dt.date) -> str:
        """The label wherever the period is shown: '2026 t.o.m. 31-10-2026' when partial."""
        return f"{self.label()} t.o.m. {dansk_dato(self.effektiv_til(paa))}" if self.delvis(paa) else self.label()


def parse_periode(text: str) -> Periode:
    """'YYYY', 'YYYY-MM', 'YYYY-Qn' or 'YYYY-Kn'; anything else is a ValueError with one Danish line."""
    t = (text or "").strip().upper()
    try:
        if len(t) == 4 and t.isdigit():
            y = int(t)
            if not 1900 <= y <= 2999:
                raise ValueError
            return Periode(t, dt.date(y, 1, 1), dt.date(y, 12, 31))
        if len(t) == 7 and t[4] == "-" and t[5] in "QK" and t[6] in "1234" and t[:4].isdigit():
            y, q = int(t[:4]), int(t[6])
            if not 1900 <= y <= 2999:
                raise ValueError
            first = dt.date(y, 3 * q - 2, 1)
            return Periode(f"{y}-K{q}", first, month_end(add_months(first, 2)))
        if len(t) == 7 and t[4] == "-":
            first = dt.datetime.strptime(t, "%Y-%m").date()
            return Periode(t, first, month_end(first))
    except ValueError:
        pass
    raise ValueError(f"ugyldig periode '{text}' (brug ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-Kn)")


def kvartal_af(d: dt.date) -> Periode:
    """The calendar quarter ('YYYY-Kn') that holds d."""
    return parse_periode(f"{d.year}-K{(d.month - 1) // 3 + 1}")


def kvartaler(p: Periode, paa: dt.date, n: int = 4) -> tuple[Periode, ...]:
    """The quarters of a quarter trend for the period p: a year's own quarters; a quarter or a month
    the n quarters ending with its quarter (a rolling year); a fra..til period the quarters it touches.
    Quarters starting after the reference date are left out (a cut quarter keeps its label_paa)."""
    if p.er_aar:
        qs = [parse_periode(f"{p.aar}-K{q}") for q in range(1, 5)]
    elif p.er_kvartal or len(p.tekst) == 7:
        last = kvartal_af(p.fra)
        qs = [kvartal_af(add_months(last.fra, -3 * i)) for i in range(n - 1, -1, -1)]
    else:
        qs, q = [], kvartal_af(p.fra)
        while q.fra <= p.til:
            qs.append(q)
            q = kvartal_af(add_months(q.fra, 3))
    return tuple(q for q in qs if q.fra <= paa)


def periode_fra_til(fra: dt.date, til: dt.date) -> Periode:
    """A period given by its first and last day (fra/til on the command line or a date picker)."""
    if fra > til:
        raise ValueError(f"perioden starter ({dansk_dato(fra)}) efter den slutter ({dansk_dato(til)})")
    return Periode(f"{dansk_dato(fra)}–{dansk_dato(til)}", fra, til)


def kr_pr_helaarsperson(kroner: float, helaarspersoner: float, talte_dage: int) -> float | None:
    """Annualised: kroner ÷ helårspersoner × 365 ÷ counted days (None without helårspersoner)."""
    if not helaarspersoner or talte_dage <= 0:
        return None
    return kroner / helaarspersoner * 365 / talte_dage


def check_dato(dato: dt.date, udtraek: dt.date, erklaeret: bool, hvad: str = "datoen",
               today: dt.date | None = None) -> str | None:
    """Validate an explicit reference date / period end against the extraction (contract, "A period").

    Later than today, or later than a DECLARED udtraeksdato: ValueError (bad input, one Danish line).
    Later than a DERIVED udtraeksdato (up to today): allowed; returns the one-line warning to show.
    """
    today = today or dt.date.today()
    if dato > today:
        raise ValueError(f"{hvad} {dansk_dato(dato)} ligger efter i dag ({dansk_dato(today)})")
    if dato > udtraek:
        if erklaeret:
            raise ValueError(f"{hvad} {dansk_dato(dato)} ligger efter datasættets udtræksdato "
                             f"({dansk_dato(udtraek)}); data kan ikke vide, hvad der skete efter udtrækket")
        return (f"advarsel: {hvad} {dansk_dato(dato)} ligger efter seneste hændelse i data "
                f"({dansk_dato(udtraek)}); udtræksdatoen er ikke angivet (datasaet.yaml)")
    return None


def check_periode(p: Periode, paa: dt.date) -> None:
    """A period that starts after the reference date is bad input."""
    if p.fra > paa:
        raise ValueError(f"perioden {p.label()} starter efter referencedatoen {dansk_dato(paa)}")


def maaned_valg(aar: int | str, paa: dt.date) -> list[str]:
    """Month choices ('01'..'12') of a year for a period picker: none starting after the reference date."""
    aar = int(aar)
    if aar > paa.year:
        return []
    return [f"{m:02d}" for m in range(1, (paa.month if aar == paa.year else 12) + 1)]


def minus_aar(d: dt.date) -> dt.date:
    """The same day one year earlier (29 February -> 28 February)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)
