"""Fælles sagsgennemgang: myndighed and udfører review one borger's case together.

Pure logic over a SQLAlchemy engine (tables in data_model/review_tables.py); no Streamlit here.

* `create` starts a review (version 1) with a snapshot of the borger's forløb on the reference date.
* `edit` never changes a row: it inserts the next version. Editing content after a sign-off clears
  the sign-offs in the new version (the earlier, signed version stays in the history).
* `sign` adds a sign-off as myndighed or udfører, as a new version. Rules:
  - the principal's rolle decides the side: sagsbehandler / leder_myndighed / admin may sign as
    myndighed, udfoerer / tilbudsleder / admin as udfører;
  - a review without a decision (Status på indsats), without "Borger til stede" (ja/nej), or without
    the next follow-up date (unless the decision ends the indsats) cannot be signed;
  - one person cannot sign both sides (a joint review needs two people), nor one side twice;
  - the review is *afsluttet* once both sides have signed; an afsluttet review is locked (edits and
    further sign-offs are refused: start a new review instead).
* `base_version` on edit/sign is optimistic locking: when someone else saved in between, the call
  is refused instead of silently overwriting their version.
* `print_html` renders a self-contained A4 print view (goal table and step charts as inline SVG)
  from the stored version alone, so a finished review reopens unchanged.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import uuid
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from workbench.format import udskrift
from sqlmodel import Session, SQLModel

from data_model.review_tables import Sagsgennemgang, SagsgennemgangPublic, utcnow
from workbench.data.config import codes as load_codes
from workbench.lager.versioned import insert_version
from workbench.format.dansk import dato, dato_tid

MYNDIGHED = "myndighed"
UDFOERER = "udfoerer"
SIDES = {MYNDIGHED: "Myndighed", UDFOERER: "Udfører"}
SIGN_ROLES = {
    MYNDIGHED: frozenset({"sagsbehandler", "leder_myndighed", "admin"}),
    UDFOERER: frozenset({"udfoerer", "tilbudsleder", "admin"}),
}
EDITABLE = ("myndighed_navn", "udfoerer_navn", "borger_til_stede", "paaroerende_til_stede", "vurderinger",
            "status_paa_indsats", "naeste_opfoelgning")
DANISH_TIME = ZoneInfo("Europe/Copenhagen")
KLADDE, DELVIS, AFSLUTTET = "kladde", "delvist underskrevet", "afsluttet"


class ReviewError(ValueError):
    """A review action that the rules refuse; the message is for the user (Danish)."""


# --- helpers ---------------------------------------------------------------------------------------

def ensure_tables(engine: Engine) -> None:
    """Create the review table (and its append-only triggers) when missing."""
    SQLModel.metadata.create_all(engine, tables=[Sagsgennemgang.__table__])


def sign_sides(rolle: str) -> list[str]:
    """The sides a rolle may sign as (myndighed, udfoerer), in that order."""
    return [side for side in (MYNDIGHED, UDFOERER) if rolle in SIGN_ROLES[side]]


def can_edit(rolle: str) -> bool:
    """Only the two parties of the review (a role that may sign for one of them) start or edit one."""
    return bool(sign_sides(rolle))


def _json_default(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def to_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=_json_default)


def _public(row: Sagsgennemgang) -> SagsgennemgangPublic:
    data = row.model_dump()
    data["vurderinger"] = json.loads(row.vurderinger or "{}")
    data["snapshot"] = json.loads(row.snapshot or "{}")
    return SagsgennemgangPublic.model_validate(data)


def status(review: SagsgennemgangPublic) -> str:
    m, u = review.myndighed_underskrevet_af, review.udfoerer_underskrevet_af
    if m and u:
        return AFSLUTTET
    if m or u:
        return DELVIS
    return KLADDE


def is_finished(review: SagsgennemgangPublic) -> bool:
    return status(review) == AFSLUTTET


def _goal_ids(snapshot: dict) -> list[str]:
    return [g["maal_id"] for g in snapshot.get("indsatsmaal", [])]


def _check_rolle(rolle: str) -> None:
    if not can_edit(rolle):
        raise ReviewError(f"rollen '{rolle}' kan ikke deltage i en fælles sagsgennemgang")


def _insert(engine: Engine, row: Sagsgennemgang) -> SagsgennemgangPublic:
    conflict = ReviewError("sagsgennemgangen er netop ændret af en anden; genindlæs og prøv igen")
    return _public(insert_version(engine, [row], conflict, refresh=True)[0])


# --- reading ---------------------------------------------------------------------------------------

def get(engine: Engine, review_id: str, version: int | None = None) -> SagsgennemgangPublic:
    """The current (highest) version of a review, or a given version. ReviewError when missing."""
    with Session(engine) as session:
        q = select(Sagsgennemgang).where(Sagsgennemgang.review_id == review_id)
        q = q.where(Sagsgennemgang.version == version) if version is not None else q
        row = session.execute(q.order_by(Sagsgennemgang.version.desc()).limit(1)).scalars().first()
        if row is None:
            raise ReviewError(f"ukendt sagsgennemgang: {review_id}" + (f" version {version}" if version else ""))
        return _public(row)


def history(engine: Engine, review_id: str) -> list[SagsgennemgangPublic]:
    """Every version of a review, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(Sagsgennemgang).where(Sagsgennemgang.review_id == review_id).order_by(Sagsgennemgang.version)
        ).scalars().all()
        return [_public(r) for r in rows]


def list_reviews(engine: Engine, borger_id: str) -> list[dict[str, Any]]:
    """The borger's reviews, newest first: review_id, version, paa, status, status_paa_indsats,
    oprettet / oprettet_af (version 1), aendret / aendret_af (current version)."""
    with Session(engine) as session:
        latest = (
            select(Sagsgennemgang.review_id, func.max(Sagsgennemgang.version).label("v"))
            .where(Sagsgennemgang.borger_id == borger_id)
            .group_by(Sagsgennemgang.review_id)
            .subquery()
        )
        current = session.execute(
            select(Sagsgennemgang).join(
                latest, (Sagsgennemgang.review_id == latest.c.review_id) & (Sagsgennemgang.version == latest.c.v)
            )
        ).scalars().all()
        first = {
            r.review_id: r
            for r in session.execute(
                select(Sagsgennemgang).where(Sagsgennemgang.borger_id == borger_id, Sagsgennemgang.version == 1)
            ).scalars().all()
        }
        out = []
        for r in current:
            pub = _public(r)
            f = first.get(r.review_id, r)
            out.append({
                "review_id": r.review_id, "version": r.version, "paa": r.paa, "status": status(pub),
                "status_paa_indsats": r.status_paa_indsats,
                "oprettet": f.aendret, "oprettet_af": f.aendret_af,
                "aendret": r.aendret, "aendret_af": r.aendret_af,
                "myndighed_underskrevet_af": r.myndighed_underskrevet_af,
                "udfoerer_underskrevet_af": r.udfoerer_underskrevet_af,
            })
    return sorted(out, key=lambda d: (d["oprettet"], d["review_id"]), reverse=True)


# --- writing ---------------------------------------------------------------------------------------

def create(engine: Engine, *, borger_id: str, paa: dt.date, username: str, rolle: str, snapshot: dict,
           datasaet_version: str = "", myndighed_navn: str = "", udfoerer_navn: str = "") -> SagsgennemgangPublic:
    """Start a review (version 1). `snapshot` is the forløb dict (forloeb.forloeb, header)."""
    _check_rolle(rolle)
    snap = json.loads(to_json(snapshot))  # plain JSON (ISO dates), exactly what is stored
    row = Sagsgennemgang(
        review_id=str(uuid.uuid4()), version=1, borger_id=borger_id, paa=paa,
        myndighed_navn=myndighed_navn.strip(), udfoerer_navn=udfoerer_navn.strip(),
        vurderinger=to_json({m: {"vurdering": None, "note": ""} for m in _goal_ids(snap)}),
        snapshot=to_json(snap), handling="oprettet", aendret_af=username, aendret_rolle=rolle,
        aendret=utcnow(), datasaet_version=datasaet_version,
    )
    return _insert(engine, row)


def _clean_changes(current: SagsgennemgangPublic, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ReviewError(f"felter kan ikke ændres: {', '.join(sorted(unknown))}")
    codes = load_codes()
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("myndighed_navn", "udfoerer_navn"):
            value = (value or "").strip()
        elif key in ("borger_til_stede", "paaroerende_til_stede"):
            if value is not None and not isinstance(value, bool):
                raise ReviewError(f"{key}: skal være ja, nej eller tom")
        elif key == "status_paa_indsats":
            value = value or None
            if value is not None and value not in codes.status_paa_indsats:
                raise ReviewError(f"ukendt status på indsats: {value}")
        elif key == "naeste_opfoelgning":
            if isinstance(value, dt.datetime):
                value = value.date()
            if value is not None and not isinstance(value, dt.date):
                raise ReviewError("næste opfølgning skal være en dato")
        elif key == "vurderinger":
            goals = set(_goal_ids(current.snapshot))
            merged = {m: dict(v) for m, v in current.vurderinger.items()}
            for maal_id, v in (value or {}).items():
                if maal_id not in goals:
                    raise ReviewError(f"indsatsmålet {maal_id} er ikke med i gennemgangen")
                vurdering = v.get("vurdering") or None
                if vurdering is not None and vurdering not in codes.vurderinger:
                    raise ReviewError(f"ukendt vurdering: {vurdering}")
                merged[maal_id] = {"vurdering": vurdering, "note": (v.get("note") or "").strip()}
            value = merged
        out[key] = value
    return out


def _next(current: SagsgennemgangPublic, **fields: Any) -> Sagsgennemgang:
    data = current.model_dump(exclude={"id"})
    data.update(fields)
    data["version"] = current.version + 1
    data["vurderinger"] = to_json(data["vurderinger"])
    data["snapshot"] = to_json(data["snapshot"])
    return Sagsgennemgang(**data)


def _current_for_change(engine: Engine, review_id: str, base_version: int | None) -> SagsgennemgangPublic:
    current = get(engine, review_id)
    if base_version is not None and base_version != current.version:
        raise ReviewError(
            f"sagsgennemgangen er ændret (version {current.version}) siden du åbnede version {base_version}; genindlæs"
        )
    if is_finished(current):
        raise ReviewError("sagsgennemgangen er afsluttet (underskrevet af begge parter) og kan ikke ændres; "
                          "start en ny gennemgang")
    return current


def edit(engine: Engine, review_id: str, *, username: str, rolle: str, base_version: int | None = None,
         **changes: Any) -> SagsgennemgangPublic:
    """Save changes as a new version; nothing changed -> the current version is returned as is.
    A change after a sign-off clears both sign-offs in the new version."""
    _check_rolle(rolle)
    current = _current_for_change(engine, review_id, base_version)
    clean = _clean_changes(current, changes)
    changed = {k: v for k, v in clean.items() if getattr(current, k) != v}
    if not changed:
        return current
    cleared = dict(myndighed_underskrevet_af=None, myndighed_underskrevet=None,
                   udfoerer_underskrevet_af=None, udfoerer_underskrevet=None)
    row = _next(current, **changed, **cleared, handling="redigeret", aendret_af=username, aendret_rolle=rolle,
                aendret=utcnow())
    return _insert(engine, row)


def ends_indsats(status_paa_indsats: str | None) -> bool:
    """A decision that ends the indsats needs no next follow-up date."""
    return "afslutning" in (status_paa_indsats or "").lower()


def sign(engine: Engine, review_id: str, side: str, *, username: str, rolle: str,
         base_version: int | None = None) -> SagsgennemgangPublic:
    """Sign off as myndighed or udfoerer (see the module docstring for the rules)."""
    if side not in SIDES:
        raise ReviewError(f"ukendt part: {side}")
    if rolle not in SIGN_ROLES[side]:
        raise ReviewError(f"rollen '{rolle}' kan ikke underskrive som {SIDES[side].lower()}")
    current = _current_for_change(engine, review_id, base_version)
    if not current.status_paa_indsats:
        raise ReviewError("der er ingen afgørelse (Status på indsats) at underskrive")
    if current.borger_til_stede is None:
        raise ReviewError("angiv, om borgeren var til stede, før gennemgangen underskrives")
    if current.naeste_opfoelgning is None and not ends_indsats(current.status_paa_indsats):
        raise ReviewError("angiv datoen for næste opfølgning, før gennemgangen underskrives")
    if getattr(current, f"{side}_underskrevet_af"):
        raise ReviewError(f"{SIDES[side]} har allerede underskrevet")
    other = UDFOERER if side == MYNDIGHED else MYNDIGHED
    if (getattr(current, f"{other}_underskrevet_af") or "").lower() == (username or "").lower():
        raise ReviewError("samme person kan ikke underskrive for både myndighed og udfører")
    now = utcnow()
    row = _next(current, **{f"{side}_underskrevet_af": username, f"{side}_underskrevet": now},
                handling=f"underskrevet_{side}", aendret_af=username, aendret_rolle=rolle, aendret=now)
    return _insert(engine, row)


# --- print view ------------------------------------------------------------------------------------

def _d(value: Any) -> str:
    """dd-mm-åååå from a date, datetime or ISO text; '' for None."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return dato_tid(value.astimezone(DANISH_TIME))
    return dato(value)


dansk_tid = _d  # public name for the UI


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _niveau(value: Any, labels: dict[int, str]) -> str:
    return "–" if value is None else f"{value} {labels.get(int(value), '')}".strip()


def svg_step_chart(rows: Iterable[dict], paa: dt.date, goals: Iterable[dict] = (),
                   labels: dict[int, str] | None = None, width: int = 680, height: int = 210) -> str:
    """A step chart of one undertema as inline SVG: niveau 0 (best) at the top, Ikke vurderet as a
    gap, each goal's forventet niveau as a dashed line from start to follow-up, start and follow-up
    dates marked. `rows`: {dato, niveau}; dates as date or ISO text."""
    labels = labels or load_codes().niveau_label
    as_date = lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v)  # noqa: E731
    pts = sorted(((as_date(r["dato"]), r["niveau"]) for r in rows if as_date(r["dato"]) <= paa),
                 key=lambda t: (t[0], -1 if t[1] is None else t[1]))
    goals = list(goals)
    dates = [p[0] for p in pts] + [paa]
    for g in goals:
        dates += [as_date(g["startdato"])] + ([as_date(g["opfoelgningsdato"])] if g.get("opfoelgningsdato") else [])
    lo, hi = min(dates), max(dates)
    span = max((hi - lo).days, 1)
    left, right, top, bottom = 210, 16, 14, 34
    pw, ph = width - left - right, height - top - bottom
    x = lambda d: left + pw * (d - lo).days / span  # noqa: E731
    y = lambda n: top + ph * n / 4  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">']
    for n in range(5):
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(n):.1f}" y2="{y(n):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(n) + 3:.1f}" text-anchor="end">{_e(_niveau(n, labels))}</text>')
    out.append(f'<text x="{left}" y="{height - 6}">{_e(_d(lo))}</text>')
    out.append(f'<text x="{left + pw}" y="{height - 6}" text-anchor="end">{_e(_d(hi))}</text>')
    for g in goals:
        s = as_date(g["startdato"])
        f = as_date(g["opfoelgningsdato"]) if g.get("opfoelgningsdato") else hi
        out.append(f'<line x1="{x(s):.1f}" x2="{x(s):.1f}" y1="{top}" y2="{top + ph}" stroke="#888" '
                   f'stroke-dasharray="2,2"/><text x="{x(s) + 2:.1f}" y="{top + ph + 12}" fill="#555">Start</text>')
        if g.get("opfoelgningsdato"):
            out.append(f'<line x1="{x(f):.1f}" x2="{x(f):.1f}" y1="{top}" y2="{top + ph}" stroke="#c0392b" '
                       f'stroke-dasharray="2,2"/><text x="{x(f) - 2:.1f}" y="{top + ph + 12}" text-anchor="end" '
                       f'fill="#c0392b">Opfølgning {_e(_d(f))}</text>')
        if g.get("forventet_niveau") is not None:
            fy = y(g["forventet_niveau"])
            out.append(f'<line x1="{x(s):.1f}" x2="{x(f):.1f}" y1="{fy:.1f}" y2="{fy:.1f}" stroke="#27ae60" '
                       f'stroke-width="2" stroke-dasharray="6,3"/><text x="{x(f) - 2:.1f}" y="{fy - 3:.1f}" '
                       f'text-anchor="end" fill="#27ae60">Forventet</text>')
    # Step segments: each row holds until the next (the last until paa); same-day rows: worst niveau.
    by_day: dict[dt.date, int | None] = {}
    for d, n in pts:
        prev = by_day.get(d)
        by_day[d] = n if prev is None else (prev if n is None else max(prev, n))
    days = sorted(by_day)
    prev_n = None
    for i, d in enumerate(days):
        n = by_day[d]
        end = days[i + 1] if i + 1 < len(days) else paa
        if n is not None:
            if prev_n is not None:
                out.append(f'<line x1="{x(d):.1f}" x2="{x(d):.1f}" y1="{y(prev_n):.1f}" y2="{y(n):.1f}" '
                           f'stroke="#1f5f8b" stroke-width="2"/>')
            out.append(f'<line x1="{x(d):.1f}" x2="{x(end):.1f}" y1="{y(n):.1f}" y2="{y(n):.1f}" '
                       f'stroke="#1f5f8b" stroke-width="3"/>')
            out.append(f'<circle cx="{x(d):.1f}" cy="{y(n):.1f}" r="3.5" fill="#1f5f8b"/>')
        else:
            out.append(f'<text x="{x(d) + 2:.1f}" y="{top + 10}" fill="#999">Ikke vurderet</text>')
        prev_n = n
    out.append("</svg>")
    return "".join(out)


STATUS_COLOURS = {"Opnået": "#1e8449", "Afventer opfølgning": "#b9770e", "Ikke opnået": "#c0392b",
                  "Opfølgning overskredet": "#922b21"}


def registreret(goal: dict) -> str:
    """The goal's latest recorded follow-up from opfoelgninger ('Opnået (26-06-2024)'), '–' when none
    (older snapshots without the field too): shown beside the measured status."""
    v = goal.get("vurdering")
    return "–" if not v else f"{v} ({_d(goal.get('vurderingsdato'))})" if goal.get("vurderingsdato") else v


def _yes_no(value: bool | None) -> str:
    return "ikke angivet" if value is None else ("ja" if value else "nej")


def print_html(review: SagsgennemgangPublic) -> str:
    """The review as one self-contained, printable A4 HTML page (no external resources)."""
    snap = review.snapshot
    labels = load_codes().niveau_label
    paa = review.paa
    head = snap.get("header", {})
    goals = snap.get("indsatsmaal", [])
    fe = snap.get("funktionsevne", [])
    mg = ", ".join(f"{m['maalgruppe']}{' (primær)' if m.get('primaer') else ''}" for m in head.get("maalgrupper", []))
    rows = []
    for g in goals:
        v = review.vurderinger.get(g["maal_id"], {})
        colour = STATUS_COLOURS.get(g["status"], "#333")
        rows.append(
            f"<tr><td>{_e(g['undertema'])}</td><td>{_e(g['maaltype'])}</td>"
            f"<td>{_e(_niveau(g['udgangsniveau'], labels))} → {_e(_niveau(g['seneste_niveau'], labels))}</td>"
            f"<td>{_e(_niveau(g['forventet_niveau'], labels))}</td><td class='dato'>{_e(_d(g['startdato']))}</td>"
            f"<td class='dato'>{_e(_d(g['opfoelgningsdato']))}</td>"
            f"<td style='color:{colour};font-weight:bold'>{_e(g['status'])}</td>"
            f"<td>{_e(registreret(g))}</td>"
            f"<td>{_e(v.get('vurdering') or '–')}</td><td>{_e(v.get('note') or '')}</td></tr>"
        )
    charts = []
    undertemaer = list(dict.fromkeys([g["undertema"] for g in goals] + sorted(
        {r["undertema"] for r in fe if r.get("omraade") == "Aktivitet og deltagelse"})))
    for ut in undertemaer:
        ut_rows = [r for r in fe if r["undertema"] == ut]
        ut_goals = [g for g in goals if g["undertema"] == ut]
        charts.append(f"<div class='chart'><h3>{_e(ut)}</h3>{svg_step_chart(ut_rows, paa, ut_goals, labels)}</div>")

    def signature(side: str) -> str:
        who = getattr(review, f"{side}_underskrevet_af")
        when = getattr(review, f"{side}_underskrevet")
        return f"{_e(who)}, {_e(_d(when))}" if who else "ikke underskrevet"

    title = f"Fælles sagsgennemgang – borger {review.borger_id}"
    state = status(review)
    body = f"""<h1>{_e(title)}</h1>
<p>Referencedato {_e(_d(paa))} · version {review.version} · status: <b>{_e(state)}</b>
{'' if state == AFSLUTTET else "<span class='kladde'>(ikke afsluttet)</span>"}</p>
<table class="meta">
<tr><td>Alder</td><td>{_e(head.get('alder'))}</td><td>Køn</td><td>{_e(head.get('koen'))}</td></tr>
<tr><td>Handlekommune</td><td>{_e(head.get('handlekommune'))}</td><td>Sagsbehandler</td>
<td>{_e(head.get('sagsbehandler'))}</td></tr>
<tr><td>Målgrupper</td><td colspan="3">{_e(mg)}</td></tr>
</table>
<h2>Deltagere</h2>
<table class="meta">
<tr><td>Myndighed</td><td>{_e(review.myndighed_navn)}</td><td>Udfører</td><td>{_e(review.udfoerer_navn)}</td></tr>
<tr><td>Borger til stede</td><td>{_yes_no(review.borger_til_stede)}</td><td>Pårørende til stede</td>
<td>{_yes_no(review.paaroerende_til_stede)}</td></tr>
</table>
<h2>Indsatsmål</h2>
<table><tr><th>Undertema</th><th>Måltype</th><th>Udgangsniveau → seneste</th><th>Forventet</th><th>Start</th>
<th>Opfølgning</th><th>Status (målt)</th><th>Registreret vurdering</th><th>Vurdering</th><th>Note</th></tr>
{''.join(rows) or '<tr><td colspan="10">Ingen indsatsmål</td></tr>'}</table>
<h2>Afgørelse</h2>
<table class="meta">
<tr><td>Status på indsats</td><td>{_e(review.status_paa_indsats or 'ikke valgt')}</td></tr>
<tr><td>Næste opfølgning</td><td>{_e(_d(review.naeste_opfoelgning) or 'ingen')}</td></tr>
<tr><td>Underskrevet, myndighed</td><td>{signature(MYNDIGHED)}</td></tr>
<tr><td>Underskrevet, udfører</td><td>{signature(UDFOERER)}</td></tr>
</table>
<h2>Funktionsevne over tid</h2>
{''.join(charts) or '<p>Ingen vurderinger.</p>'}
<p style="color:#777;font-size:8pt">Gennemgang {_e(review.review_id)}, version {review.version},
senest ændret {_e(_d(review.aendret))} af {_e(review.aendret_af)}.
{f"Datasæt {_e(review.datasaet_version)}." if review.datasaet_version else ""}</p>
"""
    return udskrift.page(title, body, fod=f"Fælles sagsgennemgang · borger {review.borger_id}")
