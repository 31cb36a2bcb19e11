"""Ledelsestilsyn storage over a SQLAlchemy engine (tables in data_model/tilsyn_tables.py).

Nothing is overwritten: every change is a new row (see the tables' docstring).

* `create` stores an audit (version 1) and its sampled cases; the auditor's scope is from then on
  exactly the cases of their open audits (`scope_ids`, read by workbench.lager.users for the principal).
* `save_answers` stores the auditor's answers for one case as new versions (only changed answers).
* `close` when every case has an answer to every question; `sign` by the auditor and the responsible
  leader (two different people, fixed when the audit is created), only after closing.
* An audit is *open* (in the auditor's scope) until both have signed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Iterable, Mapping

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from data_model.review_tables import utcnow
from data_model.tilsyn_tables import Tilsyn, TilsynSag, TilsynSvar
from workbench.sider.tilsyn import ANSWERS
from workbench.lager.versioned import insert_version

AUDITOR, LEDER = "auditor", "leder"
SIDES = {AUDITOR: "Tilsynsførende", LEDER: "Ansvarlig leder"}
I_GANG, LUKKET, DELVIS, AFSLUTTET = "i gang", "lukket", "delvist underskrevet", "underskrevet"
ITEM_COLUMNS = ("nr", "borger_id", "stratum", "sagsbehandler", "team")
SVAR_SCHEMA = {"audit_id": pl.String, "borger_id": pl.String, "spoergsmaal_id": pl.String, "version": pl.Int64,
               "svar": pl.String, "kommentar": pl.String, "forslag": pl.String, "grundlag": pl.String,
               "aendret_af": pl.String, "aendret": pl.Datetime("us", "UTC")}


class TilsynError(ValueError):
    """An audit action the rules refuse; the message is for the user (Danish)."""


@dataclass(frozen=True)
class Svar:
    svar: str | None
    kommentar: str = ""
    forslag: str | None = None
    grundlag: str = ""


def ensure_tables(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[Tilsyn.__table__, TilsynSag.__table__, TilsynSvar.__table__])


def status(audit: Tilsyn) -> str:
    a, l = audit.auditor_underskrevet, audit.leder_underskrevet
    if a and l:
        return AFSLUTTET
    if a or l:
        return DELVIS
    return LUKKET if audit.lukket else I_GANG


def _insert(engine: Engine, *rows: SQLModel) -> None:
    insert_version(engine, rows, TilsynError("tilsynet er netop ændret af en anden; genindlæs og prøv igen"))


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Aware UTC (SQLite hands back naive UTC datetimes)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.utcoffset() is None else value.astimezone(dt.timezone.utc)


# --- creating ----------------------------------------------------------------------------------------

def create(engine: Engine, sample: pl.DataFrame, *, pr: str, antal: int, seed: str | int, paa: dt.date,
           auditor: str, leder: str, af: str, fra: dt.date | None = None, til: dt.date | None = None,
           udeluk_dage: int | None = None, titel: str = "", datasaet_version: str = "") -> Tilsyn:
    """Store an audit with its drawn sample (workbench.regler.stikproeve.draw output: the stratum column `pr`,
    borger_id, sagsbehandler, team). A borger drawn in several strata (paragraf, tilbud) is one case,
    kept at its first position."""
    auditor, leder = (auditor or "").strip(), (leder or "").strip()
    if not auditor or not leder:
        raise TilsynError("vælg både en tilsynsførende og en ansvarlig leder")
    if auditor.lower() == leder.lower():
        raise TilsynError("den tilsynsførende og den ansvarlige leder skal være to forskellige personer")
    if sample.height == 0:
        raise TilsynError("stikprøven er tom: ingen sager i perioden")
    rows = (sample.with_columns(pl.col("borger_id").cast(pl.String))
            .unique("borger_id", keep="first", maintain_order=True).to_dicts())
    audit_id = str(uuid.uuid4())
    now = utcnow()
    head = Tilsyn(audit_id=audit_id, version=1, titel=titel.strip(), pr=pr, antal=int(antal), seed=str(seed),
                  paa=paa, fra=fra, til=til, udeluk_dage=udeluk_dage, auditor=auditor, leder=leder,
                  handling="oprettet", aendret_af=af, aendret=now, oprettet=now, oprettet_af=af, datasaet_version=datasaet_version)
    items = [TilsynSag(audit_id=audit_id, nr=n, borger_id=r["borger_id"],
                       stratum=None if r.get(pr) is None else str(r[pr]),
                       sagsbehandler=r.get("sagsbehandler"), team=r.get("team"))
             for n, r in enumerate(rows, start=1)]
    _insert(engine, head, *items)
    return get(engine, audit_id)


# --- reading -----------------------------------------------------------------------------------------

def get(engine: Engine, audit_id: str) -> Tilsyn:
    with Session(engine) as s:
        row = s.execute(select(Tilsyn).where(Tilsyn.audit_id == audit_id)
                        .order_by(Tilsyn.version.desc()).limit(1)).scalars().first()
        if row is None:
            raise TilsynError(f"ukendt tilsyn: {audit_id}")
        s.expunge(row)
        return row


def history(engine: Engine, audit_id: str) -> list[Tilsyn]:
    with Session(engine) as s:
        rows = s.execute(select(Tilsyn).where(Tilsyn.audit_id == audit_id).order_by(Tilsyn.version)).scalars().all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def _current(session: Session):
    latest = select(Tilsyn.audit_id, func.max(Tilsyn.version).label("v")).group_by(Tilsyn.audit_id).subquery()
    return select(Tilsyn).join(latest, (Tilsyn.audit_id == latest.c.audit_id) & (Tilsyn.version == latest.c.v))


def audits(engine: Engine) -> list[Tilsyn]:
    """The current version of every audit, newest first."""
    with Session(engine) as s:
        rows = s.execute(_current(s).order_by(Tilsyn.oprettet.desc(), Tilsyn.audit_id)).scalars().all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def visible(audit: Tilsyn, username: str, rolle: str) -> bool:
    """Who sees an audit on the Tilsyn page: admin, and the auditor, leader and creator of it."""
    return rolle == "admin" or username in (audit.auditor, audit.leder, audit.oprettet_af)


def items(engine: Engine, audit_id: str) -> pl.DataFrame:
    """The audit's cases in sample order: nr, borger_id, stratum, sagsbehandler, team."""
    with Session(engine) as s:
        rows = s.execute(select(TilsynSag).where(TilsynSag.audit_id == audit_id).order_by(TilsynSag.nr)).scalars().all()
        data = [{c: getattr(r, c) for c in ITEM_COLUMNS} for r in rows]
    return pl.DataFrame(data, schema={"nr": pl.Int64, "borger_id": pl.String, "stratum": pl.String,
                                      "sagsbehandler": pl.String, "team": pl.String})


def answers(engine: Engine, audit_ids: Iterable[str] | str | None = None) -> pl.DataFrame:
    """The current answer (highest version) per audit, case and question (SVAR_SCHEMA)."""
    ids = [audit_ids] if isinstance(audit_ids, str) else (list(audit_ids) if audit_ids is not None else None)
    with Session(engine) as s:
        latest = select(TilsynSvar.audit_id, TilsynSvar.borger_id, TilsynSvar.spoergsmaal_id,
                        func.max(TilsynSvar.version).label("v"))
        if ids is not None:
            latest = latest.where(TilsynSvar.audit_id.in_(ids))
        latest = latest.group_by(TilsynSvar.audit_id, TilsynSvar.borger_id, TilsynSvar.spoergsmaal_id).subquery()
        rows = s.execute(select(TilsynSvar).join(latest, (TilsynSvar.audit_id == latest.c.audit_id)
                                                  & (TilsynSvar.borger_id == latest.c.borger_id)
                                                  & (TilsynSvar.spoergsmaal_id == latest.c.spoergsmaal_id)
                                                  & (TilsynSvar.version == latest.c.v))).scalars().all()
        data = [{c: (_utc(getattr(r, c)) if c == "aendret" else getattr(r, c)) for c in SVAR_SCHEMA} for r in rows]
    df = pl.DataFrame(data, schema=SVAR_SCHEMA)
    return df.sort("audit_id", "borger_id", "spoergsmaal_id")


def answer_history(engine: Engine, audit_id: str, borger_id: str) -> list[TilsynSvar]:
    with Session(engine) as s:
        rows = s.execute(select(TilsynSvar).where(TilsynSvar.audit_id == audit_id, TilsynSvar.borger_id == borger_id)
                         .order_by(TilsynSvar.spoergsmaal_id, TilsynSvar.version)).scalars().all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def progress(engine: Engine, audit_id: str, question_ids: Iterable[str]) -> tuple[int, int]:
    """(cases with an answer to every question, cases)."""
    qids = set(question_ids)
    cases = items(engine, audit_id)["borger_id"].to_list()
    a = answers(engine, audit_id).filter(pl.col("svar").is_not_null() & pl.col("spoergsmaal_id").is_in(list(qids)))
    done = a.group_by("borger_id").agg(pl.col("spoergsmaal_id").n_unique().alias("n"))
    complete = set(done.filter(pl.col("n") == len(qids))["borger_id"].to_list())
    return sum(1 for b in cases if b in complete), len(cases)


def scope_ids(engine: Engine, brugernavn: str) -> tuple[str, ...]:
    """The auditor's scope: the cases of their audits that are not signed by both (sorted)."""
    with Session(engine) as s:
        open_ids = [a.audit_id for a in s.execute(_current(s).where(Tilsyn.auditor == brugernavn)).scalars().all()
                    if status(a) != AFSLUTTET]
        if not open_ids:
            return ()
        rows = s.execute(select(TilsynSag.borger_id).where(TilsynSag.audit_id.in_(open_ids))).scalars().all()
    return tuple(sorted(set(rows)))


def audited_since(engine: Engine, since: dt.date) -> tuple[str, ...]:
    """Borger ids of every audit created on or after `since` (the exclusion window of a new draw)."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.timezone.utc)
    with Session(engine) as s:
        ids = s.execute(select(Tilsyn.audit_id).where(Tilsyn.version == 1, Tilsyn.oprettet >= start)).scalars().all()
        if not ids:
            return ()
        rows = s.execute(select(TilsynSag.borger_id).where(TilsynSag.audit_id.in_(list(ids)))).scalars().all()
    return tuple(sorted(set(rows)))


# --- changing ----------------------------------------------------------------------------------------

def _next(current: Tilsyn, **fields) -> Tilsyn:
    data = current.model_dump(exclude={"id"})
    data.update(fields)
    data["version"] = current.version + 1
    return Tilsyn(**data)


def save_answers(engine: Engine, audit_id: str, borger_id: str, given: Mapping[str, Svar], *, username: str,
                 question_ids: Iterable[str]) -> int:
    """Store the auditor's answers for one case; only answers that changed get a new version.
    Returns how many were stored."""
    audit = get(engine, audit_id)
    if username != audit.auditor:
        raise TilsynError("kun den tilsynsførende kan besvare tjeklisten")
    if audit.lukket:
        raise TilsynError("tilsynet er lukket; svarene kan ikke ændres")
    if borger_id not in set(items(engine, audit_id)["borger_id"].to_list()):
        raise TilsynError(f"borger {borger_id} er ikke med i stikprøven")
    qids = set(question_ids)
    have = {r["spoergsmaal_id"]: r for r in answers(engine, audit_id).filter(pl.col("borger_id") == borger_id).to_dicts()}
    now = utcnow()
    rows = []
    for qid, a in given.items():
        if qid not in qids:
            raise TilsynError(f"ukendt spørgsmål: {qid}")
        svar = a.svar or None
        if svar is not None and svar not in ANSWERS:
            raise TilsynError(f"ugyldigt svar: {svar} (brug {', '.join(ANSWERS)})")
        kommentar = (a.kommentar or "").strip()
        old = have.get(qid)
        if old is not None and old["svar"] == svar and (old["kommentar"] or "") == kommentar:
            continue
        if old is None and svar is None and not kommentar:
            continue
        rows.append(TilsynSvar(audit_id=audit_id, borger_id=borger_id, spoergsmaal_id=qid,
                               version=(old["version"] + 1) if old else 1, svar=svar, kommentar=kommentar,
                               forslag=a.forslag, grundlag=a.grundlag or "", aendret_af=username, aendret=now))
    if rows:
        _insert(engine, *rows)
    return len(rows)


def close(engine: Engine, audit_id: str, *, username: str, question_ids: Iterable[str]) -> Tilsyn:
    """Close the audit (new version) once every case has an answer to every question."""
    audit = get(engine, audit_id)
    if username != audit.auditor:
        raise TilsynError("kun den tilsynsførende kan lukke tilsynet")
    if audit.lukket:
        raise TilsynError("tilsynet er allerede lukket")
    done, total = progress(engine, audit_id, question_ids)
    if done < total:
        raise TilsynError(f"{total - done} af {total} sager mangler svar; tilsynet kan først lukkes, når alle er besvaret")
    now = utcnow()
    _insert(engine, _next(audit, lukket=now, lukket_af=username, handling="lukket", aendret_af=username, aendret=now))
    return get(engine, audit_id)


def sign(engine: Engine, audit_id: str, side: str, *, username: str) -> Tilsyn:
    """Sign as the auditor or the responsible leader (the person named on the audit), after closing."""
    if side not in SIDES:
        raise TilsynError(f"ukendt part: {side}")
    audit = get(engine, audit_id)
    if not audit.lukket:
        raise TilsynError("tilsynet skal lukkes (alle sager besvaret), før det underskrives")
    if username != getattr(audit, side):
        raise TilsynError(f"kun {getattr(audit, side)} kan underskrive som {SIDES[side].lower()}")
    if getattr(audit, f"{side}_underskrevet"):
        raise TilsynError(f"{SIDES[side]} har allerede underskrevet")
    now = utcnow()
    _insert(engine, _next(audit, **{f"{side}_underskrevet": now}, handling=f"underskrevet_{side}",
                          aendret_af=username, aendret=now))
    return get(engine, audit_id)


def report_frame(engine: Engine, audit_ids: Iterable[str] | None = None) -> pl.DataFrame:
    """The current answers joined with their case (sagsbehandler, team) and audit (titel, oprettet):
    the input of workbench.sider.tilsyn.andel_ja / fund / tendens."""
    heads = [a for a in audits(engine) if audit_ids is None or a.audit_id in set(audit_ids)]
    if not heads:
        return answers(engine, []).with_columns(
            pl.lit(None, pl.String).alias("sagsbehandler"), pl.lit(None, pl.String).alias("team"),
            pl.lit(None, pl.String).alias("titel"), pl.lit(None, pl.Datetime("us", "UTC")).alias("oprettet"))
    ids = [a.audit_id for a in heads]
    cases = pl.concat([items(engine, i).with_columns(pl.lit(i).alias("audit_id")) for i in ids])
    meta = pl.DataFrame({"audit_id": ids, "titel": [a.titel for a in heads],
                         "oprettet": [_utc(a.oprettet) for a in heads]},
                        schema={"audit_id": pl.String, "titel": pl.String, "oprettet": pl.Datetime("us", "UTC")},
                        strict=False)
    return (answers(engine, ids).join(cases.select("audit_id", "borger_id", "sagsbehandler", "team"),
                                      on=["audit_id", "borger_id"], how="left")
            .join(meta, on="audit_id", how="left")
            .sort("audit_id", "borger_id", "spoergsmaal_id"))
