"""Reusable helpers for browser tests: start the app with ./run.sh and drive Debian chromium.

    from tests.browser import CHROMIUM, chromium, open_page, require_chromium, running_app, wait_idle

    @pytest.mark.browser
    def test_my_page(demo_kommune, tmp_path):
        require_chromium()
        with running_app({"FFB_WORKBENCH_DATA": str(demo_kommune)}, log_dir=tmp_path) as base_url:
            with open_page(f"{base_url}/kvalitet?paa=2026-10-31", tmp_path) as (page, shot):
                page.get_by_role("heading", name="Kvalitet").wait_for()
                shot("kvalitet")                       # -> tmp_path / "kvalitet.png"

running_app: a free port, `./run.sh --server.port <port> --server.headless true` in its own process
group (FFB_WORKBENCH_DEV=1 unless env says otherwise), /_stcore/health polled until 'ok'; on exit the
whole process group is terminated (SIGTERM, then SIGKILL). The server log goes to
log_dir/streamlit-<port>.log and its tail is in the error when the app does not come up.
open_page: playwright's sync API on /usr/bin/chromium (headless, no sandbox, no network extras),
the page loaded and Streamlit's script run finished; shot(name) saves a full-page PNG; before_goto(page)
runs before the first navigation (listeners that must see every request). Several pages in one test:
`with chromium() as browser:` and open_page(..., browser=browser), one launch, a fresh context each;
several tests of a module: the `module_chromium` fixture (imported into the module) as browser.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEALTH_TIMEOUT = 90.0
VIEWPORT = {"width": 1600, "height": 1000}


def require_chromium() -> None:
    """Skip the calling test when Debian chromium or playwright is not installed."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} findes ikke (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright er ikke installeret")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(ingen log)"


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the app's whole process group (run.sh execs streamlit; children included)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextlib.contextmanager
def running_app(env: dict[str, str], log_dir: Path | None = None, timeout: float = HEALTH_TIMEOUT,
                extra_args: tuple[str, ...] = ()) -> Iterator[str]:
    """Start the app as the README says and yield its base URL ('http://127.0.0.1:<port>')."""
    port = free_port()
    full_env = {**os.environ, "FFB_WORKBENCH_DEV": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
                "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", **env}
    log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="ffb-app-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-{port}.log"
    cmd = [str(ROOT / "run.sh"), "--server.port", str(port), "--server.headless", "true", *extra_args]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(f"{base}/_stcore/health"):
            if proc.poll() is not None:
                raise RuntimeError(f"appen stoppede (kode {proc.returncode}):\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"appen svarede ikke på {base}/_stcore/health inden {timeout:.0f} s:\n"
                                   f"{_tail(log_path)}")
            time.sleep(0.1)  # a local HTTP request per poll: cheap; the test starts sooner
        yield base
    finally:
        _stop(proc)


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


# True once the app has been idle (script not running, nothing stale) for `settle` ms in a row,
# checked every 50 ms: waits on the condition instead of a fixed sleep.
_STABLE_IDLE_JS = """(settle) => {
    const idle = document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        && !document.querySelector('[data-stale="true"]');
    const now = performance.now();
    if (!idle) { window.__ffbIdleSince = null; return false; }
    if (window.__ffbIdleSince == null) window.__ffbIdleSince = now;
    return now - window.__ffbIdleSince >= settle;
}"""


def wait_idle(page, timeout_ms: float = 60_000, settle_ms: int = 300) -> None:
    """Wait until Streamlit has connected and finished running the script, and stays so for
    settle_ms with no stale (greyed-out) elements: a first run may be followed by a rerun (e.g.
    when st.navigation replaces the page list), and elements are replaced piecewise meanwhile.
    Polled every 50 ms, so it returns as soon as the app has been quiet for settle_ms."""
    page.evaluate("() => { window.__ffbIdleSince = null; }")
    try:
        page.wait_for_function(_STABLE_IDLE_JS, arg=settle_ms, polling=50, timeout=timeout_ms)
    except Exception as exc:  # playwright TimeoutError; keep the Danish message callers expect
        if "Timeout" not in type(exc).__name__:
            raise
        raise TimeoutError(f"Streamlit blev ikke færdig inden {timeout_ms / 1000:.0f} s") from exc


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """One Debian chromium (playwright's sync API, headless) for several open_page calls: launching
    costs about a CPU second, a new context per page is as fresh (cookies, storage) as a new browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def module_chromium():
    """One chromium for all tests of a module (import it into the test module). Each open_page still
    gets a fresh context (cookies, storage, cache as new); a launch costs about 0.9 s CPU and 1.1 s."""
    require_chromium()
    with chromium() as browser:
        yield browser


@contextlib.contextmanager
def open_page(url: str, screenshot_dir: Path | None = None, timeout_ms: float = 60_000,
              viewport: dict | None = None, before_goto: Callable[[object], None] | None = None,
              browser: object | None = None) -> Iterator[tuple[object, Callable[[str], Path]]]:
    """Yield (playwright Page at `url`, shot(name) -> PNG path) with Debian chromium: in a fresh
    context of `browser` (from chromium()), in a new tab of `browser` when it is a BrowserContext
    (shared cookies and HTTP cache, like a second tab), or in a browser launched for this page only.
    before_goto(page) runs before the first navigation (e.g. to attach page.on("request", ...))."""
    if browser is None:
        with chromium() as own, open_page(url, screenshot_dir, timeout_ms, viewport, before_goto, own) as opened:
            yield opened
        return
    out = Path(screenshot_dir) if screenshot_dir else Path(tempfile.mkdtemp(prefix="ffb-shots-"))
    out.mkdir(parents=True, exist_ok=True)
    own_context = hasattr(browser, "new_context")
    context = browser.new_context(viewport=viewport or VIEWPORT, locale="da-DK") if own_context else browser
    page = context.new_page()
    try:
        page.set_default_timeout(timeout_ms)
        if before_goto is not None:
            before_goto(page)
        page.goto(url, wait_until="domcontentloaded")
        wait_idle(page, timeout_ms)

        def shot(name: str) -> Path:
            path = out / f"{name}.png"
            wait_idle(page, timeout_ms)
            page.screenshot(path=str(path), full_page=True)
            return path

        yield page, shot
    finally:
        if own_context:
            context.close()
        else:
            page.close()
