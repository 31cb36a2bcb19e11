"""Benchmark cases 'app' and 'app-belastning': the Streamlit app in Debian chromium on loopback.

- app: `streamlit run app.py` on the dataset, cold start until Overblik is rendered, then every
  page's first and warm (second) visit by URL (a reload / deep link: new Streamlit session, JS
  bundle and websocket), each until Streamlit's script run has finished; then, in one session, the
  in-app navigation a user does (a click on the page's link in the sidebar, until the rerun has
  finished: first and warm) and real Udforsk widget changes (the 'Rækker' selectbox, a Kommune
  filter in the sidebar); the server's peak RSS (VmHWM) at the end.
- app-belastning: a bounded load test on 127.0.0.1 only: one chromium, 10 browser contexts, each
  cycling Overblik, Udforsk (with changing filters via the URL), the borger page and Kvalitet for a
  fixed time (60 s national, 20 s otherwise); page-ready p50/p95, errors and the server's peak RSS.

Both are skipped (a note row) without /usr/bin/chromium or playwright. Never a network request
leaves the machine: the server binds 127.0.0.1 and the browser only opens that address.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from workbench.vaerktoej.bench import Context, case
from workbench.data.paths import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SETTLE_MS = 300
PAGES = ("overblik", "udforsk", "kort", "borger", "kvalitet", "adgangslog")
LOAD_TIMEOUT_MS = 120_000
RERUN_TIMEOUT_MS = 180_000


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} findes ikke"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright er ikke installeret"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@contextlib.contextmanager
def _server(data_dir: Path, cpus: set[int] | None = None, env_extra: dict[str, str] | None = None,
            entry: str = "app.py"):
    """`streamlit run app.py` on loopback as admin (dev mode) until health says ok; yields (base URL,
    Popen, start time). cpus: run the server on these cores only (`taskset -c`, which execs, so the
    pid is the server's; without taskset every thread is pinned right after the start). entry: the
    script Streamlit runs (serve.py: as ./run.sh starts the app)."""
    port = _free_port()
    env = {**os.environ, "FFB_WORKBENCH_DATA": str(data_dir), "FFB_WORKBENCH_DEV": "1",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    env.pop("FFB_WORKBENCH_USER", None)  # admin
    env.update(env_extra or {})
    log = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / entry), "--server.port",
           str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    taskset = shutil.which("taskset") if cpus else None
    if taskset:
        cmd = [taskset, "-c", ",".join(map(str, sorted(cpus))), *cmd]
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    if cpus and not taskset:
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task.name), cpus)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"appen startede ikke: {log.read().decode(errors='replace')[-300:]}")
            time.sleep(0.1)
        yield base, proc, t0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _ready(page, timeout_ms: float = 180_000) -> None:
    """Streamlit connected, script run finished and still so after SETTLE_MS, nothing stale."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        page.wait_for_selector(IDLE, timeout=max(1.0, (deadline - time.monotonic()) * 1000))
        page.wait_for_timeout(SETTLE_MS)
        if page.locator(IDLE).count() and not page.locator('[data-stale="true"]').count():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("siden blev ikke færdig")


def _visit(page, url: str) -> float:
    """ms from navigation until the page is ready (the settle wait not counted)."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    _ready(page)
    return (time.perf_counter() - t0) * 1000 - SETTLE_MS


class _Runs:
    """Script runs as the browser's websocket receives them: Streamlit's ForwardMsg `script_finished`
    per run, stamped on the bench's clock. (The DOM's script-state attribute alone misses a fast run
    when React renders its start and end in one commit, e.g. while the previous page still draws.)"""

    def __init__(self, page) -> None:
        self.finished: list[float] = []
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if isinstance(payload, (bytes, bytearray)) and _SCRIPT_FINISHED in _top_fields(bytes(payload)):
            self.finished.append(time.perf_counter())


_SCRIPT_FINISHED = 6  # ForwardMsg.script_finished's field number (streamlit/proto/ForwardMsg.proto)


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def top_level(buf: bytes):
    """(field number, value) of each field at the top level of a protobuf message, read from the wire
    format (the workbench package never depends on Streamlit's generated classes); value is the varint of
    a wire-type-0 field, else None. Malformed input: what was read so far (a field whose value is cut
    off or of an unknown wire type is yielded with None, then reading stops)."""
    i = 0
    while i < len(buf):
        try:
            key, i = _varint(buf, i)
        except IndexError:
            return
        field, wire = key >> 3, key & 7
        try:
            if wire == 0:
                value, i = _varint(buf, i)
                yield field, value
                continue
            if wire == 1:
                i += 8
            elif wire == 2:
                n, i = _varint(buf, i)
                i += n
            elif wire == 5:
                i += 4
            else:
                yield field, None
                return
        except IndexError:
            yield field, None
            return
        yield field, None


def _top_fields(buf: bytes) -> set[int]:
    """The field numbers at the top level of a protobuf message (top_level)."""
    return {field for field, _ in top_level(buf)}


def _rerun_ms(page, runs: _Runs, action) -> float:
    """ms from `action()` (a click in the running app) until the rerun(s) it starts have finished:
    a `script_finished` message received after the click, the page idle (script state notRunning,
    nothing stale), and no further run finished within SETTLE_MS (the settle wait not counted)."""
    t0 = time.perf_counter()
    n0 = len(runs.finished)
    action()
    deadline = time.monotonic() + RERUN_TIMEOUT_MS / 1000
    while True:
        while len(runs.finished) == n0:
            if time.monotonic() > deadline:
                raise TimeoutError("ingen script_finished efter klikket")
            page.wait_for_timeout(20)
        page.wait_for_function(_IDLE_JS, polling=20, timeout=RERUN_TIMEOUT_MS)
        end = max(runs.finished[-1], time.perf_counter())
        n1 = len(runs.finished)
        page.wait_for_timeout(SETTLE_MS)
        if len(runs.finished) == n1 and page.evaluate(_IDLE_JS):
            return (end - t0) * 1000
        n0 = n1


_IDLE_JS = """() => !document.querySelector('[data-stale="true"]')
  && document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'"""


def _nav_link(page, title: str):
    """The page's link in st.navigation's sidebar menu (the 'View n more' fold opened first)."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    link = nav.locator("a").filter(has=page.get_by_text(title, exact=True))
    if not link.count():
        more = nav.locator("button")
        if more.count():
            more.first.click()
            link.first.wait_for(timeout=10_000)
    return link.first


def _navigate(page, runs: _Runs, title: str) -> float:
    """ms from a click on the page's sidebar link until the page's script run has finished."""
    link = _nav_link(page, title)
    return _rerun_ms(page, runs, link.click)


def _choose(page, runs: _Runs, container, option: str) -> float:
    """ms from choosing `option` in a selectbox/multiselect (a locator) until the rerun finished."""
    container.locator("input").first.click()
    opt = page.get_by_role("option", name=option, exact=True)
    opt.first.wait_for(timeout=10_000)
    return _rerun_ms(page, runs, opt.first.click)


def _a_borger(data_dir: Path) -> str:
    from workbench.vaerktoej.bench_cases.proces import _a_borger as pick

    return pick(data_dir)


def _url(base: str, key: str, borger: str, n: int = 0) -> str:
    if key == "borger":
        return f"{base}/borger?borger={borger}"
    if key == "udforsk" and n:  # a changing filter, as a user would set it (view parameters in the URL)
        return f"{base}/udforsk?raekker={('kommune', 'paragraf', 'aldersgruppe')[n % 3]}"
    return f"{base}/{key}"


@case("app", "appen i chromium (loopback): koldstart til Overblik, hver sides første og varme visning, server-RSS")
def app_case(ctx: Context) -> list[dict]:
    why = _missing()
    if why:
        return [{"variant": "-", "note": f"sprunget over: {why}"}]
    from playwright.sync_api import sync_playwright

    borger = _a_borger(ctx.data_dir)
    rows = []
    # the browser is started before the server, as a user's browser is already open: the cold start
    # counts from `streamlit run` only, and the browser's own launch is a row of its own
    with sync_playwright() as pw:
        b0 = time.perf_counter()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="da-DK").new_page()
            launch = (time.perf_counter() - b0) * 1000
            rows.append({"variant": "browserstart", "median_ms": launch, "min_ms": launch,
                         "note": "chromium startet og en tom side åbnet, før serveren startes (ikke i koldstarten)"})
            # as ./run.sh starts it (serve.py: the dataset and the first page's modules loaded while the
            # server starts), then app.py alone, on which every other row is measured
            for variant, entry in (("koldstart-overblik-serve", "serve.py"), ("koldstart-overblik", "app.py")):
                with _server(ctx.data_dir, entry=entry) as (base, proc, t0):
                    page.goto(base, wait_until="domcontentloaded")
                    _ready(page)
                    cold = (time.perf_counter() - t0) * 1000 - SETTLE_MS
                    cpu = _cpu_ms(proc.pid)
                    rows.append({"variant": variant, "median_ms": cold, "min_ms": cold,
                                 "note": f"fra streamlit run {entry} til Overblik vist (varm OS-cache; browseren kørte "
                                         f"allerede); server-CPU {cpu:.0f} ms fra processens start"})
                    if entry == "app.py":
                        rows += _visits(page, base, borger, ctx.repeats, proc.pid)
                        peak = _peak_mb(proc.pid)
                page.goto("about:blank")
        finally:
            browser.close()
    for r in rows:
        r["peak_mb"] = peak
    return rows


def _visits(page, base: str, borger: str, repeats: int, pid: int | None) -> list[dict]:
    """Every page's first and warm visit by URL, Udforsk's URL filter changes, then the in-app clicks."""
    rows = []
    reload_note = "genindlæsning/dybt link: ny session, JS og websocket"
    for key in PAGES:
        first = _visit(page, _url(base, key, borger))
        warm = [_visit(page, _url(base, key, borger)) for _ in range(max(1, repeats))]
        rows.append({"variant": f"{key}-foerste", "median_ms": first, "min_ms": first,
                     "note": f"URL, {reload_note}"})
        rows.append({"variant": f"{key}-varm", "median_ms": statistics.median(warm), "min_ms": min(warm),
                     "note": f"URL, {reload_note}"})
    changes = [_visit(page, _url(base, "udforsk", borger, n)) for n in range(1, 4)]
    rows.append({"variant": "udforsk-filterskift-url", "median_ms": statistics.median(changes),
                 "min_ms": min(changes), "note": f"ny rækkedimension i URL'en ({reload_note}), ikke et klik"})
    try:
        rows += _in_app(page, base, repeats, pid)
    except Exception as exc:  # the reload rows above stay; the failure is a row of its own
        rows.append({"variant": "klik", "note": f"fejl: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"})
    return rows


def _cpu_ms(pid: int | None) -> float:
    """CPU time (user + system, all threads) the process has used so far, ms (10 ms resolution)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _row(variant: str, samples: list[tuple[float, float]], note: str) -> dict:
    """A result row from (ms, server-CPU ms) samples; the server's CPU goes in the note, as it does
    not depend on the machine's other load the way the wall time does."""
    ms = [m for m, _c in samples]
    cpu = statistics.median(c for _m, c in samples)
    return {"variant": variant, "median_ms": statistics.median(ms), "min_ms": min(ms),
            "note": f"{note}; server-CPU median {cpu:.0f} ms"}


def _in_app(page, base: str, repeats: int, pid: int | None = None) -> list[dict]:
    """One session, as a user works: every page by its sidebar link (first and warm visits, the
    first being the first in this session; caches shared with the URL visits above are warm), then
    Udforsk widget changes. Each sample from the click until the rerun has finished, with the
    server's CPU time over the same span."""
    from workbench.ui.pages import PAGES as ALL

    titles = {key: title for key, _f, title, _u, _i in ALL}

    def timed(fn, *args) -> tuple[float, float]:
        c0 = _cpu_ms(pid)
        ms = fn(*args)
        return ms, _cpu_ms(pid) - c0

    rows = []
    page = page.context.new_page()  # a fresh session on a light page, its websocket watched
    runs = _Runs(page)
    page.goto(f"{base}/adgangslog", wait_until="domcontentloaded")
    _ready(page)
    note = "klik i sidemenuen til kørslen er færdig (samme session)"
    for key in PAGES:
        first = timed(_navigate, page, runs, titles[key])
        warm = []
        for _ in range(max(1, repeats)):
            _navigate(page, runs, titles["adgangslog" if key != "adgangslog" else "overblik"])
            warm.append(timed(_navigate, page, runs, titles[key]))
        rows.append(_row(f"{key}-klik-foerste", [first], note))
        rows.append(_row(f"{key}-klik-varm", warm, note))
    _navigate(page, runs, titles["udforsk"])
    from workbench.sider import udforsk as E

    raekker = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Rækker", exact=True))
    # dimensions the URL visits above did not use: each sample a crosstab not computed before
    dims = [E.DIMENSIONS[d] for d in ("region", "koen", "maalgruppe", "stoettebehov", "tilbudstype", "aar")]
    times = [timed(_choose, page, runs, raekker, dims[n % len(dims)]) for n in range(max(3, repeats))]
    rows.append(_row("udforsk-widgetskift", times, "'Rækker' skiftes i selectboxen til en ny dimension (en rerun i "
                                                   "samme session)"))
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator("summary").filter(has=page.get_by_text("Kommune og region", exact=True)).first.click()
    kommune = sidebar.locator('[data-testid="stMultiSelect"]').filter(has=page.get_by_text("Kommune", exact=True))
    kommune.first.wait_for(timeout=10_000)

    def add_kommune() -> float:  # the first kommune still offered: every sample a new filter state
        opt = page.get_by_role("option").first
        for attempt in range(3):  # the dropdown may not open on a click during a repaint: try again
            kommune.first.locator("input").first.click()
            try:
                opt.wait_for(timeout=5_000)
                break
            except Exception:
                if attempt == 2:
                    raise
                page.keyboard.press("Escape")
        return _rerun_ms(page, runs, opt.click)

    times = [timed(add_kommune) for _ in range(max(3, repeats))]
    rows.append(_row("udforsk-filterskift", times, "en kommune mere i sidepanelets filter 'Kommune' (en rerun i "
                                                   "samme session; hver gang en ny filterkombination)"))
    return rows


async def _aready(page, timeout_ms: float = 180_000) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        await page.wait_for_selector(IDLE, timeout=max(1.0, (deadline - time.monotonic()) * 1000))
        await page.wait_for_timeout(SETTLE_MS)
        if await page.locator(IDLE).count() and not await page.locator('[data-stale="true"]').count():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("siden blev ikke færdig")


async def _avisit(page, url: str) -> float:
    t0 = time.perf_counter()
    await page.goto(url, wait_until="domcontentloaded")
    await _aready(page)
    return (time.perf_counter() - t0) * 1000 - SETTLE_MS


async def _load(base: str, borger: str, seconds: float, sessions: int = 10) -> tuple[list[float], list[str]]:
    """One chromium, `sessions` browser contexts, each cycling four pages until time is up."""
    from playwright.async_api import async_playwright

    import asyncio

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            warm = await (await browser.new_context()).new_page()
            warm.set_default_timeout(LOAD_TIMEOUT_MS)
            for key in ("overblik", "kvalitet"):  # the cold start is the 'app' case's
                await _avisit(warm, _url(base, key, borger))
            end = time.monotonic() + seconds

            async def worker(n: int) -> None:
                page = await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
                page.set_default_timeout(LOAD_TIMEOUT_MS)  # a slow page is a slow sample, not an error
                i = n
                while time.monotonic() < end:
                    key = ("overblik", "udforsk", "borger", "kvalitet")[i % 4]
                    try:
                        times.append(await _avisit(page, _url(base, key, borger, i)))
                    except Exception as exc:  # counted; the run goes on
                        errors.append(f"{key}: {type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}")
                    i += 1

            await asyncio.gather(*(worker(n) for n in range(sessions)))
        finally:
            await browser.close()
    return times, errors


@case("app-belastning", "belastning på loopback: én chromium, 10 kontekster skifter mellem fire sider i 60 s (national)")
def app_load(ctx: Context) -> list[dict]:
    why = _missing()
    if why:
        return [{"variant": "-", "note": f"sprunget over: {why}"}]
    import asyncio

    seconds = 60 if ctx.skala == "national" else 15
    borger = _a_borger(ctx.data_dir)
    with _server(ctx.data_dir) as (base, proc, _t0):
        times, errors = asyncio.run(_load(base, borger, seconds))
        peak = _peak_mb(proc.pid)
    if not times:
        return [{"variant": "-", "note": f"ingen sider blev færdige; fejl: {errors[:3]}"}]
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else [times[0]] * 19
    return [{"variant": "polars", "median_ms": statistics.median(times), "min_ms": min(times), "peak_mb": peak,
             "rows": len(times),
             "note": f"10 sessioner i {seconds} s (sider påbegyndt inden udløb gøres færdige): p50 {statistics.median(times):.0f} ms, p95 {q[18]:.0f} ms, "
                     f"{len(errors)} fejl" + (f" (fx {sorted(set(errors))[:2]})" if errors else "")}]
