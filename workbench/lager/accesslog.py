"""The access log: who looked at which borger, searched, exported, unmasked or sampled, and when.

Append-only: the app and the CLI only insert; the database refuses UPDATE/DELETE (triggers in
data_model/access_tables.py). `purge` is the only deletion path: entries older than the retention
period (config/roles.yaml sikkerhed.adgangslog_opbevaring_aar), run from the CLI, logged itself.
Text that can be a CPR number (regler/cpr.py: a date in the first six digits) is masked before anything
is written; a caller passes `behold` (tilbud ids it has looked up) so a P-nummer is not masked as a CPR.

Tamper evidence: every entry stores `hash = sha256(forrige_hash + its fields)` and its predecessor's
hash (`forrige_hash`, unique in the database, so two writers cannot fork the chain: the loser of a
race retries on the new head). `verify()` walks the log in id order and reports any changed,
removed, inserted or reordered entry; a purge records the hash the first surviving entry points to
(`anker=...`), so a purge is not mistaken for a removal. Outside the table, an anchor file (see
`anchor_path`) holds the newest entry's id and hash and every real purge anchor: an emptied or
truncated log, and a forged purge entry, fail verification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import polars as pl

from workbench.regler import access
from workbench.regler.cpr import mask_text
from workbench.format.export import escape_frame

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# SQLAlchemy and the table classes are imported inside the functions that need them: a CLI command
# that only appends one entry to a SQLite log does it with the standard library (`record`).


from data_model import utcnow  # noqa: E402,F401  (one clock for every table and entry)

# Actions (handling) written by the app and the CLI.
VIS_BORGER = "vis_borger"
SOEG = "soeg"
EKSPORT = "eksport"
VIS_CPR = "vis_cpr"
STIKPROEVE = "stikproeve"
VIS_LISTE = "vis_liste"  # a list of borgere shown or printed (page, CLI)
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


def clean_text(text: str, limit: int = MAX_DETALJE, behold: Iterable[str] = ()) -> str:
    """One line, no control characters, numbers that can be CPR numbers masked (except the known
    non-CPR values in `behold`, e.g. tilbud ids), bounded length."""
    s = _CONTROL.sub(" ", str(text or ""))
    return mask_text(s, behold)[:limit]


def _ids_field(borger_ids: Iterable[str]) -> str:
    ids = [clean_text(b, 64).replace(",", ";") for b in dict.fromkeys(str(b) for b in borger_ids if b is not None)]
    return f",{','.join(ids)}," if ids else ""


GENESIS = "0" * 64
_CHAIN_FIELDS = ("tidspunkt", "bruger", "rolle", "handling", "borger_ids", "detalje", "kilde")
_write_lock = threading.Lock()


def _utc_text(value: dt.datetime) -> str:
    """One text form of a timestamp on SQLite (naive UTC) and PostgreSQL (aware)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def entry_hash(forrige_hash: str, row: dict) -> str:
    fields = {k: _utc_text(row[k]) if k == "tidspunkt" else (row[k] or "") for k in _CHAIN_FIELDS}
    payload = forrige_hash + json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _head(conn) -> str:
    from sqlalchemy import select

    from data_model.access_tables import Adgangslog

    got = conn.execute(select(Adgangslog.hash).where(Adgangslog.hash.is_not(None))
                       .order_by(Adgangslog.id.desc()).limit(1)).scalar()
    return got or GENESIS


def _row(bruger: str, rolle: str, handling: str, borger_ids: Iterable[str], detalje: str, kilde: str,
         tidspunkt: dt.datetime | None, behold: Iterable[str] = ()) -> dict:
    """One entry's fields as written, cleaned (one line, CPR masked, bounded) and timestamped in UTC."""
    ts = tidspunkt or utcnow()
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return dict(tidspunkt=ts, bruger=clean_text(bruger, 64), rolle=clean_text(rolle, 32),
                handling=clean_text(handling, 40), borger_ids=_ids_field(borger_ids),
                detalje=clean_text(detalje, behold=behold), kilde=kilde)


def write(engine: Engine, bruger: str, rolle: str, handling: str, borger_ids: Iterable[str] = (),
          detalje: str = "", kilde: str = "app", tidspunkt: dt.datetime | None = None,
          behold: Iterable[str] = ()) -> None:
    """`behold`: values in `detalje` known not to be CPR numbers (tilbud ids looked up), kept unmasked."""
    _append_engine(engine, _row(bruger, rolle, handling, borger_ids, detalje, kilde, tidspunkt, behold))


def _append_engine(engine: Engine, row: dict) -> None:
    """Append one cleaned entry (`_row`) to the chain through SQLAlchemy (SQLite or PostgreSQL)."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from data_model.access_tables import Adgangslog

    with _write_lock:  # in-process writers queue; other processes are kept apart by the unique link
        for attempt in range(50):
            try:
                with engine.begin() as conn:
                    prev = _head(conn)
                    h = entry_hash(prev, row)
                    res = conn.execute(insert(Adgangslog).values(**row, forrige_hash=prev, hash=h))
                note_anchor(anchor_path(engine), res.inserted_primary_key[0], h)
                return
            except IntegrityError:
                if attempt == 49:
                    raise
            except Exception as exc:  # SQLite's trigger refusing a duplicate link, under a race
                if "append-only" not in str(exc) or attempt == 49:
                    raise


def log(engine: Engine, principal: access.Principal, handling: str, borger_ids: Iterable[str] = (),
        detalje: str = "", kilde: str = "app", behold: Iterable[str] = ()) -> None:
    write(engine, principal.username, principal.rolle, handling, borger_ids, detalje, kilde, behold=behold)


def record(data_dir: str | Path | None, principal: access.Principal, handling: str,
           borger_ids: Iterable[str] = (), detalje: str = "", behold: Iterable[str] = ()) -> None:
    """For CLI commands: log an action in the database of the data directory. When that is a SQLite
    file the workbench has already set up (tables, chain columns, today's triggers), the entry is
    appended with the standard library's sqlite3 — same fields, same chain, same triggers — so a
    command need not load SQLAlchemy; anything else (PostgreSQL, a new or older database) goes
    through the engine, which creates or upgrades it first."""
    row = _row(principal.username, principal.rolle, handling, borger_ids, detalje, "cli", None, behold)
    if _append_sqlite(data_dir, row):
        return
    from data_model.db import engine_for

    _append_engine(engine_for(data_dir), row)


def _sqlite_ready(con) -> bool:
    """The database carries the access log as this version sets it up (else the engine path runs)."""
    from data_model.adgangslog_sqlite import SQLITE_TRIGGERS

    triggers = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                "AND tbl_name = 'adgangslog'").fetchall())
    if any(triggers.get(name) != sql for name, sql in SQLITE_TRIGGERS.items()):
        return False
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'adgangslog_sletning'").fetchone():
        return False
    cols = {r[1] for r in con.execute("PRAGMA table_info(adgangslog)")}
    return {"id", *_CHAIN_FIELDS, "forrige_hash", "hash"} <= cols


def _append_sqlite(data_dir: str | Path | None, row: dict) -> bool:
    """Append one entry with sqlite3 under an immediate (writer) transaction; False when the light
    path does not apply (DATABASE_URL set, no database yet, or one not set up by this version)."""
    if os.environ.get("DATABASE_URL"):
        return False
    from data_model.adgangslog_sqlite import sqlite_time
    from data_model.paths import SQLITE_FILE, state_dir

    path = state_dir(data_dir) / SQLITE_FILE
    if not path.is_file():
        return False
    import sqlite3

    con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    try:
        if not _sqlite_ready(con):
            return False
        stored = {**row, "tidspunkt": sqlite_time(row["tidspunkt"])}
        with _write_lock:
            con.execute("BEGIN IMMEDIATE")  # one writer at a time across processes: the head cannot move
            try:
                got = con.execute("SELECT hash FROM adgangslog WHERE hash IS NOT NULL "
                                  "ORDER BY id DESC LIMIT 1").fetchone()
                prev = got[0] if got else GENESIS
                h = entry_hash(prev, row)
                cur = con.execute("INSERT INTO adgangslog (tidspunkt, bruger, rolle, handling, borger_ids, detalje, "
                                  "kilde, forrige_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  (stored["tidspunkt"], row["bruger"], row["rolle"], row["handling"],
                                   row["borger_ids"], row["detalje"], row["kilde"], prev, h))
                con.execute("COMMIT")
                note_anchor(_sqlite_anchor(path), cur.lastrowid, h)
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return True
    finally:
        con.close()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def entries(engine: Engine, *, fra: dt.date | None = None, til: dt.date | None = None,
            bruger: str | None = None, handling: str | None = None, borger_id: str | None = None,
            limit: int | None = None) -> pl.DataFrame:
    """Log entries, newest first; `til` is inclusive (whole day)."""
    from sqlalchemy import select

    from data_model.access_tables import Adgangslog

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
    from sqlalchemy import delete, select, text

    from data_model.access_tables import Adgangslog, sqlite_purge
    cutoff = retention_cutoff(today)
    if foer is None:
        foer = cutoff
    if foer > cutoff:
        raise ValueError(f"--foer {foer.isoformat()} ligger inden for opbevaringsperioden "
                         f"(tidligst tilladt: {cutoff.isoformat()})")
    at = dt.datetime.combine(foer, dt.time(), tzinfo=dt.timezone.utc)
    with _write_lock:
        if engine.dialect.name == "postgresql":
            # the SECURITY DEFINER function is the only path (the app role needs no DELETE right)
            with engine.begin() as conn:
                n = conn.execute(text("SELECT adgangslog_purge(:foer)"), {"foer": at}).scalar()
        else:
            with sqlite_purge(at), engine.begin() as conn:
                n = conn.execute(delete(Adgangslog).where(Adgangslog.tidspunkt < at)).rowcount
        with engine.connect() as conn:
            anchor = conn.execute(select(Adgangslog.forrige_hash).where(Adgangslog.hash.is_not(None))
                                  .order_by(Adgangslog.id).limit(1)).scalar()
    log(engine, principal, PURGE, detalje=f"{n} poster før {foer.isoformat()} slettet; anker={anchor or GENESIS}",
        kilde=kilde)
    note_anchor(anchor_path(engine), purge_anchor=anchor or GENESIS)  # a forged purge entry lacks this
    return int(n or 0)


# --------------------------------------------------------------------------------------------
# Anchor outside the table (issue 23): the newest entry's id and hash and every purge anchor, in a
# file beside the SQLite database (the data directory's state), or for PostgreSQL in the workbench
# home directory. Whoever can delete rows in the database (the table owner dropping the trigger)
# but cannot write the data directory cannot hide an emptied or truncated log or a forged purge.

ANCHOR_SUFFIX = ".adgangslog_anker.json"


def _sqlite_anchor(db_file: str | Path) -> Path:
    p = Path(db_file).resolve()
    return p.with_name(p.stem + ANCHOR_SUFFIX)


def anchor_path(engine: Engine) -> Path | None:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        db = url.database
        return _sqlite_anchor(db) if db and db != ":memory:" and not db.startswith("file:") else None
    from data_model.paths import home_dir

    key = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return home_dir() / f"postgresql-{key}{ANCHOR_SUFFIX}"


def read_anchor(path: Path | None) -> dict | None:
    try:
        got = json.loads(path.read_text(encoding="utf-8")) if path is not None else None
    except (OSError, ValueError):
        return None
    return got if isinstance(got, dict) else None


def note_anchor(path: Path | None, entry_id: int | None = None, entry_hash_: str | None = None,
                purge_anchor: str | None = None) -> None:
    """Record the newest entry (kept if a newer one is already noted) and/or a purge anchor; written
    atomically under a file lock (several processes append)."""
    if path is None:
        return
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cur = read_anchor(path) or {}
            if entry_id is not None and int(entry_id) > int(cur.get("id") or 0):
                cur["id"], cur["hash"] = int(entry_id), entry_hash_
            if purge_anchor:
                cur["purge_ankre"] = sorted({*cur.get("purge_ankre", []), purge_anchor})
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            tmp.write_text(json.dumps(cur), encoding="utf-8")
            os.replace(tmp, path)
    except OSError:
        pass  # a read-only state directory: the chain alone still shows changes and gaps


# --------------------------------------------------------------------------------------------
# Verification of the hash chain


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    poster: int
    head: str
    fejl: tuple[str, ...]
    uden_kaede: int = 0  # entries written before this version (no hash), all before the chain

    def linje(self) -> str:
        if self.ok:
            extra = f"; {self.uden_kaede} ældre poster uden kæde" if self.uden_kaede else ""
            return f"Adgangsloggens kæde er hel: {self.poster} poster, seneste hash {self.head}{extra}"
        return f"Adgangsloggens kæde er brudt ({len(self.fejl)} fejl): {self.fejl[0]}"


_ANCHOR = re.compile(r"anker=([0-9a-f]{64})")


def verify(engine: Engine) -> ChainReport:
    """Walk the log in id order: every entry's hash must match its fields, and every entry must point
    to the one before it (the first to GENESIS, or to an anchor a logged purge recorded)."""
    from sqlalchemy import select

    from data_model.access_tables import Adgangslog

    t = Adgangslog
    cols = (t.id, t.forrige_hash, t.hash, *(getattr(t, f) for f in _CHAIN_FIELDS))
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(t.id)).all()
    problems: list[str] = []
    prev: str | None = None
    legacy = n = 0
    anchors: set[str] = set()
    first: tuple[int, str] | None = None  # (id, link) of a first entry that does not start at GENESIS
    for r in rows:
        rid, forrige, h = r[0], r[1], r[2]
        fields = dict(zip(_CHAIN_FIELDS, r[3:]))
        if rid is None or rid < 1 or h == "":
            problems.append(f"post {rid} er indsat uden om appen (id eller hash ugyldig)")
            continue
        if h is None:
            if prev is None:
                legacy += 1  # written before the chain existed
            else:
                problems.append(f"post {rid} har ingen hash (indsat uden om appen)")
            continue
        n += 1
        if fields["handling"] == PURGE:
            anchors.update(_ANCHOR.findall(fields["detalje"] or ""))
        if entry_hash(forrige or "", fields) != h:
            problems.append(f"post {rid} er ændret (hash passer ikke)")
        if prev is None:
            if forrige != GENESIS:
                first = (rid, forrige or "")
        elif forrige != prev:
            problems.append(f"post {rid} peger ikke på posten før den (slettet, indsat eller flyttet)")
        prev = h
    noted = read_anchor(anchor_path(engine))
    if noted is not None and first is not None:
        anchors &= set(noted.get("purge_ankre") or [])  # a purge entry without its anchor noted is forged
    if first is not None and first[1] not in anchors:
        problems.insert(0, f"post {first[0]} er den første, men kædens begyndelse mangler "
                           "(poster slettet uden om sletningen efter opbevaringsperioden)")
    if noted is not None and noted.get("id"):
        by_id = {r[0]: r[2] for r in rows}
        if by_id.get(int(noted["id"])) != noted.get("hash"):
            problems.insert(0, f"loggen er tømt eller afkortet: post {noted['id']}, som ankerfilen "
                               "uden for databasen peger på, mangler eller er ændret")
    return ChainReport(not problems, n, prev or GENESIS, tuple(problems), legacy)


# --------------------------------------------------------------------------------------------
# Export (CSV / Excel) with spreadsheet-formula neutralisation

def to_excel_bytes(df: pl.DataFrame, sheet: str = "Adgangslog") -> bytes:
    """One sheet, times with seconds (UTC), formula-looking text escaped."""
    buf = io.BytesIO()
    out = escape_frame(df, keep_numbers=False).with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S"))
    out.write_excel(buf, worksheet=sheet, autofit=True)
    return buf.getvalue()
