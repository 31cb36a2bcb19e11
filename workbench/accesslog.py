"""The access log: who looked at which borger, searched, exported, unmasked or sampled, and when.

Append-only: the app and the CLI only insert; the database refuses UPDATE/DELETE (triggers in
data_model/access_tables.py). `purge` is the only deletion path: entries older than the retention
period (config/roles.yaml sikkerhed.adgangslog_opbevaring_aar), run from the CLI, logged itself.
CPR-looking text is masked before anything is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Iterable

import polars as pl
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from data_model.access_tables import Adgangslog, AdgangslogSletning, utcnow
from workbench import access
from workbench.cpr import CPR_PATTERN
from workbench.export import escape_frame

# Actions (handling) written by the app and the CLI.
VIS_BORGER = "vis_borger"
SOEG = "soeg"
EKSPORT = "eksport"
VIS_CPR = "vis_cpr"
STIKPROEVE = "stikproeve"
LOGIN = "login"
LOGIN_FEJL = "login_fejl"
LOGIN_SPAERRET = "login_spaerret"
LOGIN_BEGRAENSET = "login_begraenset"  # per-client rate limit
LOGOUT = "logout"
ADGANG_NAEGTET = "adgang_naegtet"
BRUGER_AENDRET = "bruger_aendret"
TILDEL_TILSYN = "tildel_tilsyn"
PURGE = "adgangslog_purge"
UDTRAEK = "adgangslog_udtraek"

COLUMNS = ["id", "tidspunkt", "bruger", "rolle", "handling", "borger_ids", "detalje", "kilde"]
MAX_DETALJE = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(text: str, limit: int = MAX_DETALJE) -> str:
    """One line, no control characters, CPR-looking numbers masked, bounded length."""
    s = _CONTROL.sub(" ", str(text or ""))
    s = CPR_PATTERN.sub(lambda m: re.sub(r"\D", "", m.group())[:6] + "-xxxx", s)
    return s[:limit]


def _ids_field(borger_ids: Iterable[str]) -> str:
    ids = [clean_text(b, 64).replace(",", ";") for b in dict.fromkeys(str(b) for b in borger_ids if b is not None)]
    return f",{','.join(ids)}," if ids else ""


def write(engine: Engine, bruger: str, rolle: str, handling: str, borger_ids: Iterable[str] = (),
          detalje: str = "", kilde: str = "app", tidspunkt: dt.datetime | None = None) -> None:
    row = dict(tidspunkt=tidspunkt or utcnow(), bruger=clean_text(bruger, 64), rolle=clean_text(rolle, 32),
               handling=clean_text(handling, 40), borger_ids=_ids_field(borger_ids),
               detalje=clean_text(detalje), kilde=kilde)
    with engine.begin() as conn:
        conn.execute(insert(Adgangslog).values(**row))


def log(engine: Engine, principal: access.Principal, handling: str, borger_ids: Iterable[str] = (),
        detalje: str = "", kilde: str = "app") -> None:
    write(engine, principal.username, principal.rolle, handling, borger_ids, detalje, kilde)


def record(data_dir: str | Path | None, principal: access.Principal, handling: str,
           borger_ids: Iterable[str] = (), detalje: str = "") -> None:
    """For CLI commands: log an action in the database of the data directory."""
    from data_model.db import engine_for

    log(engine_for(data_dir), principal, handling, borger_ids, detalje, kilde="cli")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def entries(engine: Engine, *, fra: dt.date | None = None, til: dt.date | None = None,
            bruger: str | None = None, handling: str | None = None, borger_id: str | None = None,
            limit: int | None = None) -> pl.DataFrame:
    """Log entries, newest first; `til` is inclusive (whole day)."""
    t = Adgangslog
    q = select(t.id, t.tidspunkt, t.bruger, t.rolle, t.handling, t.borger_ids, t.detalje, t.kilde)
    if fra:
        q = q.where(t.tidspunkt >= dt.datetime.combine(fra, dt.time(), tzinfo=dt.timezone.utc))
    if til:
        q = q.where(t.tidspunkt < dt.datetime.combine(til + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc))
    if bruger:
        q = q.where(t.bruger == bruger)
    if handling:
        q = q.where(t.handling == handling)
    if borger_id:
        q = q.where(t.borger_ids.like(f"%,{_like_escape(borger_id)},%", escape="\\"))
    q = q.order_by(t.tidspunkt.desc(), t.id.desc())
    if limit:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    df = pl.DataFrame([tuple(r) for r in rows], schema={
        "id": pl.Int64, "tidspunkt": pl.Datetime("us", "UTC"), "bruger": pl.String, "rolle": pl.String,
        "handling": pl.String, "borger_ids": pl.String, "detalje": pl.String, "kilde": pl.String,
    }, orient="row")
    return df.with_columns(pl.col("borger_ids").str.strip_chars(","))


def borger_report(engine: Engine, borger_id: str) -> pl.DataFrame:
    """'Hvem har set mine data': every entry naming the borger (for an indsigtsanmodning).
    Other borgere named in the same entry are left out of the report."""
    df = entries(engine, borger_id=borger_id)
    return df.select(
        pl.col("tidspunkt").dt.strftime("%Y-%m-%d %H:%M:%S").alias("tidspunkt_utc"),
        "bruger", "rolle", "handling", pl.lit(borger_id).alias("borger_id"), "detalje", "kilde",
    ).sort("tidspunkt_utc")


def retention_cutoff(today: dt.date | None = None, years: int | None = None) -> dt.date:
    today = today or utcnow().date()
    years = years if years is not None else access.security().adgangslog_opbevaring_aar
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge(engine: Engine, principal: access.Principal, foer: dt.date | None = None,
          today: dt.date | None = None, kilde: str = "cli") -> int:
    """Delete entries older than `foer` (default: the retention cut-off). Refuses a date inside the
    retention period. Logs itself. Returns the number of deleted entries."""
    cutoff = retention_cutoff(today)
    if foer is None:
        foer = cutoff
    if foer > cutoff:
        raise ValueError(f"--foer {foer.isoformat()} ligger inden for opbevaringsperioden "
                         f"(tidligst tilladt: {cutoff.isoformat()})")
    at = dt.datetime.combine(foer, dt.time(), tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(AdgangslogSletning).values(foer=at))
        n = conn.execute(delete(Adgangslog).where(Adgangslog.tidspunkt < at)).rowcount
        conn.execute(delete(AdgangslogSletning))
    log(engine, principal, PURGE, detalje=f"{n} poster før {foer.isoformat()} slettet", kilde=kilde)
    return int(n or 0)


# --------------------------------------------------------------------------------------------
# Export (CSV / Excel) with spreadsheet-formula neutralisation

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_excel_bytes(df: pl.DataFrame, sheet: str = "Adgangslog") -> bytes:
    """One sheet, times with seconds (UTC), formula-looking text escaped."""
    buf = io.BytesIO()
    out = escape_frame(df, keep_numbers=False).with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S"))
    out.write_excel(buf, worksheet=sheet, autofit=True)
    return buf.getvalue()
