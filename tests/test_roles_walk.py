"""Role walk: for every demo role, every page in PAGES (AppTest) and the CLI commands with --bruger.

Asserts: no out-of-scope borger id and no real CPR number in any rendered element, dataframe or
command output; analytiker sees no real borger id at all; pages outside the role are not in the
navigation and cannot be switched to. Written generically so new pages are walked automatically.
"""

from __future__ import annotations

import contextlib
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
