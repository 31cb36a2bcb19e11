"""Role walk: for every demo role, every page in PAGES (AppTest) and the CLI commands with --bruger.

Asserts: no out-of-scope borger id and no real CPR number in any rendered element, dataframe or
command output; analytiker sees no real borger id at all; pages outside the role are not in the
navigation and cannot be switched to. Written generically so new pages are walked automatically.
"""

from __future__ import annotations

import contextlib
import json
import io
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from data_model.db import engine_for
from workbench.regler import access
from workbench.lager import users
from workbench.data.dataset import open_dataset
from workbench.ui.pages import PAGES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DASHED_CPR = re.compile(r"(?<!\d)\d{6}-\d{4}(?!\d)")
# a random UUID (tilsyn and review ids, widget keys) can hold 'dddddd-dddd' ('ab590532-4820-…'): not a CPR
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@pytest.fixture(scope="module")
def walk_data(tmp_path_factory, demo_kommune) -> Path:
    """A private copy of the session's kommune demo dataset (the walk writes users into it)."""
    out = tmp_path_factory.mktemp("walk") / "kommune"
    shutil.copytree(demo_kommune, out)
    return out


@pytest.fixture
def env(walk_data, monkeypatch):
    monkeypatch.setenv("FFB_WORKBENCH_DATA", str(walk_data))
    monkeypatch.setenv("FFB_WORKBENCH_DEV", "1")
    eng = engine_for(walk_data)
    users.bootstrap(eng, walk_data)
    return walk_data, eng


def universe(path: Path) -> tuple[set[str], set[str]]:
    ds = open_dataset(path)
    b = ds.borgere.select("borger_id", "cpr").collect()
    ids = {i for i in b["borger_id"].to_list() if i}
    cprs = {c for c in b["cpr"].to_list() if c}
    return ids, cprs


def visible_ids(path: Path, principal: access.Principal) -> set[str]:
    if not access.individual_access(principal):
        return set()
    return set(access.scope(open_dataset(path), principal).borgere.select("borger_id").collect()["borger_id"])


def _texts(node, out: list[str]) -> None:
    value = getattr(node, "value", None)
    if value is not None and hasattr(value, "to_csv"):
        out.append(value.to_csv())
    proto = getattr(node, "proto", None)
    if proto is not None:
        out.append(str(proto))
    for attr in ("label", "body", "help", "placeholder"):
        v = getattr(node, attr, None)
        if isinstance(v, str):
            out.append(v)
    if isinstance(value, (str, int, float)):
        out.append(str(value))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _texts(child, out)


def rendered(at: AppTest) -> str:
    out: list[str] = []
    _texts(at._tree, out)
    out.append(str(at.query_params))
    return "\n".join(out)


TOKEN = re.compile(r"[\w-]+")
DIGITS = re.compile(r"\d{10,}")
DASHED = re.compile(r"(?=(\d{6}-\d{4}))")


def check_text(text: str, where: str, forbidden: set[str], cprs: set[str]) -> None:
    r"""One pass over the page: tokenise once and intersect with the forbidden ids (a whole-token
    match is exactly what (?<![\w-])id(?![\w-]) finds), then the CPR numbers the same way."""
    ids = {b for b in forbidden if len(b) >= 3}  # a one-letter id ('X') would match ordinary words
    simple = {b for b in ids if TOKEN.fullmatch(b)}
    shown = simple & set(TOKEN.findall(text))
    for bid in ids - simple:  # an id with other characters: the regex, as before
        if re.search(rf"(?<![\w-]){re.escape(bid)}(?![\w-])", text):
            shown.add(bid)
    if shown:
        raise AssertionError(f"{where}: out-of-scope borger id {sorted(shown)[0]!r} is shown")
    # every 10-digit window of every digit run, and every dddddd-dddd: `cpr in text` without a loop
    windows = {run[i:i + 10] for run in DIGITS.findall(text) for i in range(len(run) - 9)}
    dashed = set(DASHED.findall(text))
    if cprs & windows or {f"{c[:6]}-{c[6:]}" for c in cprs} & dashed:
        raise AssertionError(f"{where}: unmasked CPR shown")
    m = DASHED_CPR.search(UUID.sub("<uuid>", text))
    assert m is None, f"{where}: CPR-looking number {m.group()!r}"


# Pages with lazy tabs (only the open tab is laid out): the walk opens every tab, as a click does.
LAZY_TABS = {
    "kvalitet": ("kv_fane", ["Øvrige opmærkninger", "8-talskontrol og databrud"]),
    "oekonomi": ("oe_fane", ["Budget og forbrug", "Sammenligning"]),
}


def other_tabs(at: AppTest, key: str):
    """Open each of the page's other lazy tabs in turn (yields its label after the rerun); back on the
    first tab at the end."""
    state_key, labels = LAZY_TABS.get(key, (None, []))
    for label in labels:
        at.session_state[state_key] = label
        at.run()
        yield label
    if state_key:
        del at.session_state[state_key]


@pytest.mark.slow
@pytest.mark.parametrize("rolle", access.ROLE_NAMES)
def test_walk_pages(env, rolle, monkeypatch):
    path, eng = env
    monkeypatch.setenv("FFB_WORKBENCH_USER", rolle)
    principal = users.principal_for(eng, rolle)
    assert principal is not None and principal.rolle == rolle
    all_ids, cprs = universe(path)
    allowed_ids = visible_ids(path, principal)
    if rolle in ("sagsbehandler", "udfoerer", "tilbudsleder", "tilsyn"):
        assert allowed_ids and allowed_ids < all_ids, "demo scope must be a real restriction"
    forbidden = all_ids - allowed_ids
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, f"{rolle}: {at.exception}"
    check_text(rendered(at), f"{rolle} start", forbidden, cprs)
    # not in the navigation: switch_page only knows registered pages
    for key, file, *_ in PAGES:
        if not access.page_allowed(principal, key):
            with pytest.raises(ValueError, match="navigation page"):
                at.switch_page(file)
    problems = []
    for key, file, *_ in PAGES:
        if not access.page_allowed(principal, key):
            continue
        at.switch_page(file)
        at.run()
        if at.exception:
            problems.append(f"{rolle}/{key}: exception {at.exception[0].message[:200]}")
            continue
        text = rendered(at)
        assert "Du har ikke adgang" not in text, f"{rolle}/{key}: allowed page refused"
        check_text(text, f"{rolle}/{key}", forbidden, cprs)
        for label in other_tabs(at, key):
            if at.exception:
                problems.append(f"{rolle}/{key} ({label}): exception {at.exception[0].message[:200]}")
                continue
            check_text(rendered(at), f"{rolle}/{key} ({label})", forbidden, cprs)
    # direct access anyway (AppTest can run a page file without app.py; a server cannot, since the
    # folder is not named pages/): the page must refuse
    for key, file, *_ in PAGES:
        if access.page_allowed(principal, key):
            continue
        direct = AppTest.from_file(str(ROOT / file), default_timeout=180)
        direct.run()
        text = rendered(direct)
        check_text(text, f"{rolle}/{key} (direct)", forbidden, cprs)
        assert "Du har ikke adgang" in text, f"{rolle}/{key}: page outside the role was not refused"
    assert not problems, "\n".join(problems)


CLI = [
    ["overlap", "{dir}", "--format", "csv"],
    ["kvalitet", "{dir}", "--format", "csv"],
    ["optaelling", "{dir}", "--fra", "2023-01", "--til", "2023-03", "--format", "csv"],
    ["stikproeve", "{dir}", "--pr", "sagsbehandler", "--antal", "3", "--seed", "1", "--format", "csv"],
    ["resultater", "{dir}", "--pr", "tilbud", "--format", "csv"],
    ["servicemaal", "{dir}", "--periode", "2025", "--format", "json"],
]


def run_cli(argv: list[str]) -> tuple[int, str]:
    from workbench.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("rolle", access.ROLE_NAMES)
def test_walk_cli(env, rolle):
    path, eng = env
    principal = users.cli_principal(rolle, str(path))
    all_ids, cprs = universe(path)
    forbidden = all_ids - visible_ids(path, principal)
    for cmd in CLI:
        argv = [a.format(dir=path) for a in cmd] + ["--bruger", rolle]
        code, text = run_cli(argv)
        # stikproeve is for roles with the capability; every other command runs for every role
        allowed = cmd[0] != "stikproeve" or access.can(principal, "stikproeve")
        assert code == (0 if allowed else 2), f"{rolle}: {cmd[0]} exit {code}: {text[-300:]}"
        check_text(text, f"{rolle}: {' '.join(cmd[:1])} (exit {code})", forbidden, cprs)
    # a borger outside the scope: forloeb must not reveal it
    if forbidden:
        outsider = sorted(forbidden)[0]
        code, text = run_cli(["forloeb", str(path), outsider, "--format", "json", "--bruger", rolle])
        check_text(text.replace(outsider, "", 1) if code != 0 else text, f"{rolle}: forloeb outsider", forbidden, cprs)


def test_walk_cli_admin_without_bruger_sees_all(env):
    path, _ = env
    assert users.cli_principal(None, str(path)) == access.ADMIN


def test_check_text_finds_what_the_per_id_regex_found():
    """The tokenised check flags exactly the whole-token ids and embedded CPR numbers."""
    forbidden, cprs = {"B000123", "B000124", "X"}, {"0101801234"}
    check_text("B0001234 xB000124 B000124x X 010180-123 B000123-a", "ok", {"B000124", "X"}, cprs)
    for bad in ("se B000123.", "(B000124)", "nr 990101801234", "cpr 010180-1234 her", "1111110101801234"):
        with pytest.raises(AssertionError):
            check_text(bad, "bad", forbidden, cprs)


def test_check_text_tells_a_cpr_from_a_uuid():
    """The walk's CPR check must not flake on a random id ('ab590532-4820-…' was a tilsyn id),
    and must still catch a dashed CPR next to one."""
    uid = "ab590532-4820-4c1e-9f0a-0123456789ab"
    check_text(f"Tilsyn {uid} gemt", "uuid", set(), set())
    with pytest.raises(AssertionError, match="CPR-looking"):
        check_text(f"Tilsyn {uid} borger 010190-1234", "cpr", set(), set())


# ------------------------------------------------------------------------------------------------------
# Issue 23 item 1: no exact count 1..4 reaches an analytiker's browser. Every element's data is read as the
# websocket carries it (AppTest's element protos): tables, metrics, charts (their Arrow datasets decoded),
# maps (deck.gl JSON), report iframes (HTML tables), texts and help/tooltips, and every download button's
# bytes (CSV, Excel, HTML; deferred downloads are generated as a click would).
#
# What is a count: a number of borgere, ydelser, mål, sager, ophold, pairs or findings. The rule errs on the
# side of counting: in a table, chart, map or export every cell holding a whole number 1..4 (as a number,
# or as text such as '3') is a count, unless
#   * its column's name says it is something else (NOT_COUNT: years, months and dates, paragraf, niveau 0-4
#     and scores, percentages and shares, kroner, days (not 'inden 30 dage': a count of follow-ups), places, helårspersoner, ids and codes, medians and
#     quartiles, map geometry, a change between two years, a number of tilbud), or
#   * its row says so in a unit column (UNIT_COLS: 'Enhed' Helårspersoner, 'Nøgletal' Liggetid, …).
# Metrics: the value, unless the label says it is not a count (same NOT_COUNT rule). Texts, help and
# tooltips: a phrase '<n> borgere' / 'Borgere: <n>' (COUNT_PHRASE); '1–4 borgere' (the suppression
# explanation's range) is not a count.
NOT_COUNT = re.compile(
    r"år\b|aar|year|måned|maaned|kvartal|periode|dato|paragraf|niveau|score|%|andel|grad|pct|procent|kr\b|kr\.|"
    r"kroner|udgift|budget|forbrug|beløb|beloeb|prognose|pris|afvigelse|(?<!\d )dage\b|liggetid|pladser|helårs|helaars|"
    r"_id$|-id$|id$|kode|postnr|p-nummer|nummer|rang|median|kvartil|^q[13]$|^egen$|gennemsnit|^lat$|^lon$|radius|"
    r"fill|ændring|aendring|^tilbud$|÷", re.I)
UNIT_COLS = {"enhed", "mål", "nøgletal", "serie", "bevægelse"}
COUNT_PHRASE = re.compile(
    r"(?<![\d.,–-])(?<!til )([1-4]) (?:borgere?|mål|ydelser?|sager?|ophold|par|fund)\b"
    r"|\b(?:borgere?|mål|ydelser|sager|ophold|par|fund)(?: nu)?: ([1-4])(?![\d.,])", re.I)
SMALL_TEXT = re.compile(r"\d{1,3}(?:\.\d{3})*")


def _small(v) -> bool:
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, (int, float)):
        return float(v).is_integer() and 1 <= v <= 4
    if isinstance(v, str) and SMALL_TEXT.fullmatch(v.strip()):
        return 1 <= int(v.strip().replace(".", "")) <= 4
    return False


def is_count_column(name: str) -> bool:
    """A column (or metric label) whose small whole numbers are counts: any name NOT_COUNT does not match."""
    return not NOT_COUNT.search(str(name).strip())


def _row_is_not_count(columns: list[str], row) -> bool:
    """A row whose unit column names something other than a count (e.g. Enhed 'Helårspersoner')."""
    return any(str(c).strip().lower() in UNIT_COLS and isinstance(v, str) and NOT_COUNT.search(v)
               for c, v in zip(columns, row))


def _fraction(v) -> bool:
    return (isinstance(v, float) and v == v and not float(v).is_integer()) or \
        (isinstance(v, str) and re.fullmatch(r"-?\d+,\d+", v.strip()) is not None)


def _table_findings(where: str, columns: list[str], rows) -> list[str]:
    rows = list(rows)
    # a column holding a fraction anywhere is a measure (a share, helårspersoner), not a count: counts are whole
    counted = [i for i, c in enumerate(columns) if is_count_column(c) and str(c).strip().lower() not in UNIT_COLS
               and not any(i < len(r) and _fraction(r[i]) for r in rows)]
    out = []
    for row in rows:
        if _row_is_not_count(columns, row):
            continue
        for i in counted:
            if i < len(row) and _small(row[i]):
                out.append(f"{where}: {columns[i]}={row[i]!r} i {tuple(row)!r}"[:300])
    return out


def _arrow_rows(data: bytes) -> tuple[list[str], list[tuple]]:
    import pyarrow as pa

    if not data:
        return [], []
    table = pa.ipc.open_stream(data).read_all()
    cols = table.column_names
    return cols, list(zip(*[table.column(c).to_pylist() for c in cols])) if cols else []


class _HtmlTables:
    """Tables of an HTML page (report iframe, HTML export): header cells and body rows as text."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        self.tables: list[tuple[list[str], list[list[str]]]] = []
        outer = self

        class P(HTMLParser):
            def __init__(self):
                super().__init__()
                self.cell = None
                self.row = None

            def handle_starttag(self, tag, attrs):
                if tag == "table":
                    outer.tables.append(([], []))
                elif tag == "tr":
                    self.row = []
                elif tag in ("td", "th") and self.row is not None:
                    self.cell = []

            def handle_endtag(self, tag):
                if tag in ("td", "th") and self.cell is not None and self.row is not None:
                    self.row.append("".join(self.cell).strip())
                    self.cell = None
                elif tag == "tr" and self.row is not None and outer.tables:
                    head, body = outer.tables[-1]
                    if not head:
                        head.extend(self.row)
                    else:
                        body.append(self.row)
                    self.row = None

            def handle_data(self, data):
                if self.cell is not None:
                    self.cell.append(data)

        P().feed(html)
        self.text = re.sub(r"<[^>]+>", " ", html)


def _download_bytes(node, media) -> tuple[str, bytes] | None:
    proto = node.proto
    name = getattr(proto, "label", "")
    if proto.HasField("deferred_file_id"):
        if not media.managers:
            return None
        url = media.managers[-1].execute_deferred(proto.deferred_file_id)
    else:
        url = proto.url
    if not url:
        return None
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    for storage in reversed(media):
        try:
            return name, storage.get_file(file_id).content
        except Exception:  # noqa: BLE001 - another storage of this run
            continue
    return None


def _download_findings(where: str, name: str, data: bytes) -> list[str]:
    import csv as _csv

    if data[:4] == b"%PDF":
        return []  # the PDF is printed from the same HTML, read below as the HTML download
    if data[:2] == b"PK":  # Excel: every sheet, the header is the first row with text in every cell
        import openpyxl

        out = []
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        for ws in wb.worksheets:
            rows = [r for r in ws.iter_rows(values_only=True)]
            head = next((i for i, r in enumerate(rows) if r and all(c is not None for c in r) and len(r) > 1), None)
            if head is None:
                continue
            out += _table_findings(f"{where} {name} [{ws.title}]", [str(c) for c in rows[head]], rows[head + 1:])
        return out
    text = data.decode("utf-8-sig", errors="replace")
    if "<html" in text[:500].lower() or "<table" in text:
        return _html_findings(f"{where} {name}", text)
    rows = list(_csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    head = next((i for i, r in enumerate(rows) if len(r) > 1), None)
    return [] if head is None else _table_findings(f"{where} {name}", rows[head], rows[head + 1:])


def _html_findings(where: str, html: str) -> list[str]:
    t = _HtmlTables(html)
    out = []
    for n, (head, body) in enumerate(t.tables):
        out += _table_findings(f"{where} tabel {n}", head, body)
    out += [f"{where}: tekst {m.group()!r}" for m in COUNT_PHRASE.finditer(t.text)]
    return out


def small_counts_on_page(at: AppTest, where: str, media) -> list[str]:
    """Every exact count 1..4 in what the page sends to the browser (rules above)."""
    out: list[str] = []

    def visit(node):
        ty = getattr(node, "type", None)
        proto = getattr(node, "proto", None)
        if ty == "dataframe" or (hasattr(node, "value") and hasattr(getattr(node, "value", None), "to_csv")):
            df = node.value
            out.extend(_table_findings(f"{where} tabel", [str(c) for c in df.columns],
                                       df.itertuples(index=False, name=None)))
        elif ty == "metric":
            if is_count_column(proto.label) and _small(proto.body.split(" ")[0]):
                out.append(f"{where} nøgletal: {proto.label}={proto.body!r}")
        elif ty == "vega_lite_chart":
            sets = [("data", proto.data.data)] + [(d.name, d.data.data) for d in proto.datasets]
            for name, data in sets:
                cols, rows = _arrow_rows(data)
                out.extend(_table_findings(f"{where} diagram {name}", cols, rows))
            spec = json.loads(proto.spec or "{}")
            for values in _inline_values(spec):
                if values and isinstance(values[0], dict):
                    cols = list(values[0])
                    out.extend(_table_findings(f"{where} diagram (inline)", cols, [tuple(v.get(c) for c in cols)
                                                                                   for v in values]))
        elif ty == "deck_gl_json_chart":
            spec = json.loads(proto.json or "{}")
            for layer in spec.get("layers", []):
                data = layer.get("data")
                if isinstance(data, list) and data and isinstance(data[0], dict):
                    cols = sorted({k for d in data for k in d})
                    out.extend(_table_findings(f"{where} kort", cols, [tuple(d.get(c) for c in cols) for d in data]))
        elif ty == "iframe":
            if proto.srcdoc:
                out.extend(_html_findings(f"{where} iframe", proto.srcdoc))
        elif ty == "download_button":
            got = _download_bytes(node, media)
            if got is not None:
                out.extend(_download_findings(f"{where} download", *got))
        for attr in ("body", "help", "label", "value", "caption"):
            v = getattr(node, attr, None) if ty not in ("dataframe",) else None
            if isinstance(v, str):
                out.extend(f"{where} tekst ({ty}): {m.group()!r}" for m in COUNT_PHRASE.finditer(v))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                visit(child)

    visit(at._tree)
    return out


def _inline_values(spec) -> list[list]:
    found = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == "values" and isinstance(v, list):
                found.append(v)
            else:
                found += _inline_values(v)
    elif isinstance(spec, list):
        for v in spec:
            found += _inline_values(v)
    return found


def small_tilbud(path: Path) -> list[str]:
    """The tilbud with 1..4 borgere on the reference date: where exact small counts would show."""
    from workbench.data.dataset import udtraeksdato
    from workbench.sider import tilbud

    ds = open_dataset(path)
    liste = tilbud.liste(ds, udtraeksdato(ds)).collect()
    return liste.filter(pl.col("borgere").is_between(1, 4)).sort("tilbud_id")["tilbud_id"].to_list()


def tilbud_page(tid: str, media) -> list[str]:
    t = AppTest.from_file(str(ROOT / "sidefiler" / "tilbud.py"), default_timeout=300)
    t.query_params["tilbud"] = tid
    t.run()
    assert not t.exception, t.exception[0].message[:300]
    return small_counts_on_page(t, f"tilbud {tid}", media)


# Views beyond each page's defaults: (page, [(widget key, value), …]) set one after the other (values as
# the widgets hold them, not their Danish labels).
VARIATIONS = [
    ("udforsk", [("vw_udforsk_raekker", "tilbud"), ("vw_udforsk_kolonner", "paragraf")]),
    ("udforsk", [("vw_udforsk_maal", "ydelser"), ("vw_udforsk_raekker", "ydelse"),
                 ("vw_udforsk_kolonner", "aldersgruppe")]),
    ("udforsk", [("vw_udforsk_raekker", "stoettebehov"), ("vw_udforsk_kolonner", "koen")]),
    ("kort", [("vw_kort_maal", "ydelser")]),
    ("overblik", [("ov_flow", "SEL §82")]),
    ("oekonomi", [("oe_dim", "konto")]),
    ("oekonomi", [("oe_dim", "betalingskommune")]),
    ("resultater", [("res_pr", "tilbud")]),
    ("resultater", [("res_pr", "maalgruppe")]),
    ("resultater", [("res_pr", "team")]),
]


def _choose(at: AppTest, key: str, value: str) -> None:
    widget = next(w for w in [*at.selectbox, *at.radio] if w.key == key)
    widget.set_value(value)
    at.run()
    assert not at.exception, f"{key}={value}: {at.exception[0].message[:300]}"
    assert next(w for w in [*at.selectbox, *at.radio] if w.key == key).value == value, f"{key}={value} not set"


def analytiker_walk(path: Path, media) -> list[str]:
    """Every page of the analytiker role through app.py (its default view and VARIATIONS), and the Tilbud
    page on every small tilbud."""
    principal = access.Principal("analytiker", "analytiker")
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    found: list[str] = []
    for key, file, *_ in PAGES:
        if not access.page_allowed(principal, key):
            continue
        at.switch_page(file)
        at.run()
        assert not at.exception, f"{key}: {at.exception[0].message[:300]}"
        found += small_counts_on_page(at, key, media)
        for label in other_tabs(at, key):
            assert not at.exception, f"{key} ({label}): {at.exception[0].message[:300]}"
            found += small_counts_on_page(at, f"{key} ({label})", media)
    for key, choices in VARIATIONS:
        page = AppTest.from_file(str(ROOT / "sidefiler" / f"{key}.py"), default_timeout=300)
        page.run()
        for widget, label in choices:
            _choose(page, widget, label)
        found += small_counts_on_page(page, f"{key} ({', '.join(l for _, l in choices)})", media)
    small = small_tilbud(path)
    assert small, "the demo must hold a tilbud with 1..4 borgere"
    for tid in small:
        found += tilbud_page(tid, media)
    return found


@pytest.mark.slow
def test_analytiker_sees_no_small_count_anywhere(env, monkeypatch, media):
    """Issue 23 item 1: walking every page of the analytiker role (tables, metrics, charts' Arrow data,
    maps, report iframe, texts and help, every download's bytes), no exact count 1..4 (rule above)."""
    path, _ = env
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    found = analytiker_walk(path, media)
    assert found == [], "\n".join(found[:30])


def test_the_walk_finds_small_counts_an_exact_role_sees(env, monkeypatch, media):
    """The walk can fail: the same reading of the Tilbud page of a small tilbud as a role with the borger
    list (exact numbers) finds the small counts (Borgere nu, the comparison's own borgere, …)."""
    path, _ = env
    monkeypatch.setenv("FFB_WORKBENCH_USER", "leder_myndighed")
    found = tilbud_page(small_tilbud(path)[0], media)
    assert any("nøgletal: Borgere nu=" in f for f in found), found
    assert any("Dette tilbud=" in f for f in found), found


def test_count_rule():
    """What counts as a count (module rule above), element by element."""
    for name in ("Borgere", "Antal borgere", "Borgere nu", "Mål", "Opnået", "Tilgang", "Par", "Fund",
                 "Opfølgning inden 30 dage", "3 Svært nedsat funktionsevne", "I alt", "vaerdi", "nov. 2025",
                 "Borgere 2025"):
        assert is_count_column(name), name
    for name in ("År", "Måned", "Kvartal", "Paragraf", "niveau", "Forbedret %", "Andel opnået",
                 "Belægningsgrad %", "Udgift (kr.)", "Kr. pr. borger", "Dage i tilbud", "Overlapdage", "Pladser",
                 "Helårspersoner", "P-nummer", "Kommunekode", "Median", "Ændring", "Tilbud"):
        assert not is_count_column(name), name
    assert _table_findings("t", ["Enhed", "jan. 2026"], [("Helårspersoner", 2), ("Unikke borgere", 3)]) == \
        ["t: jan. 2026=3 i ('Unikke borgere', 3)"]
    assert _table_findings("t", ["Gruppe", "Forbedret"], [("A", 1.0), ("B", 0.5)]) == []  # a share
    assert _table_findings("t", ["Kommune", "Borgere"], [("X", "<5"), ("Y", "12"), ("Z", 0)]) == []
    assert len(_table_findings("t", ["Kommune", "Borgere"], [("X", "4"), ("Y", 2.0)])) == 2
    assert [m.group() for m in COUNT_PHRASE.finditer(
        "antal fra 1 til 4 borgere vises som '<5'; 1–4 borgere; 3 borgere; Borgere: 2; 12 borgere")] == \
        ["3 borgere", "Borgere: 2"]


def flow_leaks(df, where: str) -> list[str]:
    """Months of a shown stock-and-flow table (Borgere, Tilgang, Afgang: borgere(m) = borgere(m-1) +
    tilgang(m) - afgang(m)) where exactly one of the four numbers is hidden: it follows from the others."""
    def shown(v) -> bool:
        return isinstance(v, (int, float)) or (isinstance(v, str) and SMALL_TEXT.fullmatch(v.strip()) is not None)

    rows = list(df[["Borgere", "Tilgang", "Afgang"]].itertuples(index=False, name=None))
    out = []
    for i in range(1, len(rows)):
        cells = [rows[i - 1][0], rows[i][0], rows[i][1], rows[i][2]]
        if sum(not shown(c) for c in cells) == 1:
            out.append(f"{where} række {i}: {cells}")
    return out


@pytest.mark.slow
def test_flows_give_no_hidden_count_away(env, monkeypatch):
    """Overblik's Tilgang og afgang and a small tilbud's Belægning og flow as analytiker: no month where
    one hidden number follows from borgere(m) = borgere(m-1) + tilgang(m) - afgang(m)."""
    path, _ = env
    monkeypatch.setenv("FFB_WORKBENCH_USER", "analytiker")
    leaks, tables = [], 0
    at = AppTest.from_file(str(ROOT / "sidefiler" / "overblik.py"), default_timeout=300).run()
    # the KPI cards show the last month's tilgang and afgang: hidden exactly as in the table's last row
    last = next(d.value for d in at.dataframe if {"Borgere", "Tilgang", "Afgang"} <= set(d.value.columns)).iloc[-1]
    cards = {m.label.split(" i ")[0]: m.value for m in at.metric if m.label.startswith(("Tilgang i", "Afgang i"))}
    assert [SMALL_TEXT.fullmatch(cards[k]) is None for k in ("Tilgang", "Afgang")] == \
        [SMALL_TEXT.fullmatch(str(last[k])) is None for k in ("Tilgang", "Afgang")], (cards, dict(last))
    for paragraf in [o for o in at.selectbox(key="ov_flow").options]:
        at.selectbox(key="ov_flow").set_value(paragraf).run()
        for d in at.dataframe:
            if {"Borgere", "Tilgang", "Afgang"} <= set(d.value.columns):
                tables += 1
                leaks += flow_leaks(d.value, f"overblik {paragraf}")
    for tid in small_tilbud(path):
        t = AppTest.from_file(str(ROOT / "sidefiler" / "tilbud.py"), default_timeout=300)
        t.query_params["tilbud"] = tid
        t.run()
        for d in t.dataframe:
            if {"Borgere", "Tilgang", "Afgang"} <= set(d.value.columns):
                tables += 1
                leaks += flow_leaks(d.value, f"tilbud {tid}")
    assert tables > 10 and leaks == [], "\n".join(leaks[:20])
