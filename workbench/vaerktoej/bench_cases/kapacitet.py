"""Benchmark cases 'app-cpu' and 'app-belastning-1kerne': the app's capacity in server CPU-seconds.

- app-cpu: for every page the admin can reach (workbench/ui/pages.py PAGES), the server's CPU time
  (utime + stime from /proc, all threads, and its children: live ones and reaped ones) spent on one
  page view, three ways: the first visit as a user makes it (a new tab in a browser that has had the
  app open, so Streamlit's JavaScript is in its HTTP cache; the first time the server shows that
  page), the first visit in a new browser profile (a new browser context: empty HTTP cache; the
  server's caches for the page are warm by then) and a reload (a new Streamlit session, caches warm).
  chromium is launched before the server, as a user's browser is already open. One browser session
  at a time; before each sample the server and the browser are left until they are quiet, so
  background work or drawing of the previous view is not counted. Wall time beside it; `cpu_ms` is
  the server's CPU, the browser's CPU for the view (until it is quiet again) is in the note.
- app-belastning-1kerne: the server on one core, the clients on the other; 10 sessions cycle
  Overblik, Udforsk (a changing row dimension), the borger page and Kvalitet for 60 s, twice: as 10
  chromium contexts (URL visits until drawn: what a user waits for) and as 10 websocket clients at
  the protocol level (a new session per view, the script run asked for as the browser asks, until
  Streamlit's script_finished: what the server alone takes, as chromium drawing 10 sessions can fill
  a core by itself). Page-change p50/p95, errors, pages done, and the server's CPU-seconds over each
  run, so the CPU per page view under load stands beside the single-session table.

Pinning (when the machine has >= 2 cores): the server with `taskset -c <core 0>` (all its threads),
the browser by pinning the bench's own thread to the other core before playwright starts, which its
driver and chromium inherit (and, as chromium's GPU process pins its worker threads one per core
itself, every browser thread again after each new page); the websocket clients run in the bench
process on that core too. Both are read back from /proc and said in the note. The machine's other
processes are not pinned: each core's busy time over the run is measured from /proc/stat, so the
note says how much of the server's core others used. Every page is drawn over Streamlit's
websocket, hence Playwright and a websocket client as the load tools (locust drives HTTP only).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.vaerktoej.bench import Context, case
from workbench.vaerktoej.bench_cases.app import (ARGS, CHROMIUM, LOAD_TIMEOUT_MS, SETTLE_MS, _a_borger,
                                                 _avisit, _missing, _peak_mb, _ready, _server, _url, _visit)

LOAD_PAGES = ("overblik", "udforsk", "borger", "kvalitet")
QUIET_WINDOW_S = 1.0
QUIET_TICKS = 1
QUIET_MAX_S = 30.0
IDLE_WINDOW_S = 2.0  # the idle server's CPU is read over this long after the cold start
P95_GOAL_MS = 5000.0


# --- CPU time from /proc ---------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process now."""
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            f = _stat(int(d.name))
            if f:
                out[int(d.name)] = int(f[1])
    return out


def descendants(pid: int) -> list[int]:
    """The live processes below pid (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_cpu_ms(pid: int | None) -> float:
    """CPU time (user + system) of the process and its live descendants, all threads, each with the
    children it has reaped (cutime, cstime), ms (the kernel counts in clock ticks, 10 ms)."""
    if pid is None:
        return 0.0
    ticks = 0
    for p in (pid, *descendants(pid)):
        f = _stat(p)
        if f:  # utime stime cutime cstime: a live process by its own times, an exited one in its reaper's
            ticks += sum(int(f[i]) for i in (11, 12, 13, 14))
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def affinity(pid: int) -> set[int]:
    """The cores any thread of the process may run on (read back, not what was asked for)."""
    cores: set[int] = set()
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                cores |= os.sched_getaffinity(int(task.name))
    return cores


def core_busy_s() -> dict[int, float]:
    """Seconds each core has been busy (not idle, not iowait) since boot, from /proc/stat."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError):
        for line in Path("/proc/stat").read_text().splitlines():
            name, *vals = line.split()
            if name.startswith("cpu") and name[3:].isdigit():
                v = [int(x) for x in vals]
                out[int(name[3:])] = (sum(v[:8]) - v[3] - v[4]) / tick  # up to steal; guest is in user
    return out


def split_cores() -> tuple[set[int], set[int]] | None:
    """(server core, browser core): the first two cores this process may use; None with one core."""
    cores = sorted(os.sched_getaffinity(0))
    return ({cores[0]}, {cores[1]}) if len(cores) >= 2 else None


@contextlib.contextmanager
def pinned_self(cpus: set[int] | None):
    """Run the calling thread (and whatever it starts: playwright's driver, chromium) on cpus."""
    if not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pin_browser(server_pid: int, cpus: set[int] | None) -> None:
    """Pin every thread of the bench's other child processes (playwright's driver, chromium) to cpus.
    Needed besides the inherited affinity: chromium's GPU process pins its worker threads one per
    core itself, which would put browser work on the server's core."""
    if not cpus:
        return
    server_tree = {server_pid, *descendants(server_pid)}
    for p in descendants(os.getpid()):
        if p in server_tree:
            continue
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(int(task.name), cpus)


@dataclass(frozen=True)
class Server:
    """A running app server (pinned when the machine has >= 2 cores)."""

    base: str
    pid: int
    t0: float
    cores: tuple[set[int], set[int]] | None

    def pin_browser(self) -> None:
        pin_browser(self.pid, self.cores[1] if self.cores else None)


@contextlib.contextmanager
def pinned_server(data_dir: Path, env_extra: dict[str, str] | None = None,
                  cores: tuple[set[int], set[int]] | None = None):
    """The app on the first core, this thread (and so the browser it starts) on the second. `cores`:
    split_cores() read before this thread was pinned (inside browser_first it sees one core only)."""
    cores = cores or split_cores()
    with _server(data_dir, cores[0] if cores else None, env_extra) as (base, proc, t0), \
            pinned_self(cores[1] if cores else None):
        yield Server(base, proc.pid, t0, cores)


def wait_quiet(pid: int, window_s: float | None = None, max_s: float | None = None, cpu=None,
               ticks: int = QUIET_TICKS) -> None:
    """Until the server used at most `ticks` clock ticks in a window (background work done); the window
    and the limit are QUIET_WINDOW_S and QUIET_MAX_S as they are at the call. `cpu` (a callable giving
    ms) reads another CPU counter than the server's, e.g. browser_cpu_ms."""
    window_s = QUIET_WINDOW_S if window_s is None else window_s
    max_s = QUIET_MAX_S if max_s is None else max_s
    read = cpu or (lambda: tree_cpu_ms(pid))
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + max_s
    c0 = read()
    while time.monotonic() < deadline:
        time.sleep(window_s)
        c1 = read()
        if c1 - c0 <= ticks * tick_ms:
            return
        c0 = c1


def browser_cpu_ms(server_pid: int) -> float:
    """CPU time (user + system, with reaped children) of the bench's child processes outside the
    server's tree: playwright's driver and chromium (browser, renderers, GPU process), ms."""
    server_tree = {server_pid, *descendants(server_pid)}
    ticks = 0
    for p in descendants(os.getpid()):
        f = None if p in server_tree else _stat(p)
        if f:
            ticks += sum(int(f[i]) for i in (11, 12, 13, 14))
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


BROWSER_QUIET_TICKS = 3  # chromium and playwright's driver keep a few ms per second going while idle
BROWSER_QUIET_MAX_S = 15.0


def _where(server_pid: int, cores: tuple[set[int], set[int]] | None) -> str:
    """The pinning as read back from /proc: the server's threads and the browser processes."""
    fmt = lambda s: ",".join(map(str, sorted(s))) or "?"  # noqa: E731
    if cores is None:
        return f"ikke fastlåst (én kerne); server på kerne {fmt(affinity(server_pid))}"
    server_tree = {server_pid, *descendants(server_pid)}
    browser = set()
    for p in descendants(os.getpid()):
        if p not in server_tree:
            browser |= affinity(p)
    return (f"server (taskset) på kerne {fmt(affinity(server_pid))}, browser (playwright + chromium) på kerne "
            f"{fmt(browser)}; maskinens øvrige processer er ikke fastlåst")


# --- app-cpu -------------------------------------------------------------------------------------------

def admin_pages() -> list[str]:
    """The keys of the pages the admin role reaches, in the navigation's order."""
    from workbench.regler import access
    from workbench.ui.pages import PAGES

    return [key for key, *_rest in PAGES if access.page_allowed(access.ADMIN, key)]


@contextlib.contextmanager
def browser_first(cores: tuple[set[int], set[int]] | None):
    """chromium launched (pinned to the client core of `cores`, split_cores()) before any server is
    started, as a user's browser is open before the app is: yields (browser, launch ms)."""
    from playwright.sync_api import sync_playwright

    with pinned_self(cores[1] if cores else None), sync_playwright() as pw:
        t = time.perf_counter()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser, (time.perf_counter() - t) * 1000
        finally:
            browser.close()


def _errors_on(page) -> int:
    return page.locator('[data-testid="stException"]').count()


def page_cpu(srv: Server, borger: str, pages: list[str] | tuple[str, ...] | None = None,
             repeats: int = 1, browser=None, launch_ms: float | None = None) -> tuple[list[dict], dict]:
    """On a freshly started server: rows (variant 'koldstart', '<page>-foerste' (a new tab in a browser
    whose HTTP cache has the app's JavaScript), '<page>-foerste-ny-profil' (a new browser context),
    '<page>-genindlaes'; median_ms wall, cpu_ms the server's CPU) and facts {'server_cores', 'where',
    'idle_ms_per_s', 'peak_mb', 'exceptions'}. `browser`: a chromium launched before the server
    (browser_first, `launch_ms` its launch); without it one is launched here, after the server."""
    keys = list(pages or admin_pages())
    pid = srv.pid
    rows: list[dict] = []
    facts: dict = {"exceptions": {}}
    with contextlib.ExitStack() as stack:
        if browser is None:
            from playwright.sync_api import sync_playwright

            pw = stack.enter_context(sync_playwright())
            t = time.perf_counter()
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            stack.callback(browser.close)
            launched = f"chromium startet efter serveren ({(time.perf_counter() - t) * 1000:.0f} ms, med i tiden)"
        else:
            launched = (f"chromium startet før serveren ({launch_ms:.0f} ms, ikke med i tiden)" if launch_ms is not None
                        else "chromium startet før serveren")

        def new_context():
            return browser.new_context(viewport={"width": 1600, "height": 1000}, locale="da-DK")

        def new_tab(context):
            page = context.new_page()
            page.set_default_timeout(LOAD_TIMEOUT_MS)
            srv.pin_browser()  # the new renderer's threads too
            return page

        # the cold start (data opened and collected in the background) on the light access-log page, in
        # the context that stays open: the browser that has had the app open, its HTTP cache warm
        warm = new_context()
        page = new_tab(warm)
        c0 = tree_cpu_ms(pid)
        page.goto(f"{srv.base}/adgangslog", wait_until="domcontentloaded")
        _ready(page)
        cold_ms = (time.perf_counter() - srv.t0) * 1000 - SETTLE_MS
        page.close()
        wait_quiet(pid)
        rows.append({"variant": "koldstart", "median_ms": cold_ms, "min_ms": cold_ms, "cpu_ms": tree_cpu_ms(pid),
                     "note": f"fra streamlit run til Adgangslog vist og serveren i ro; {launched}; CPU fra "
                             f"processens start (import, indlæsning, første session), heraf "
                             f"{tree_cpu_ms(pid) - c0:.0f} ms efter health ok"})
        c_idle = tree_cpu_ms(pid)
        time.sleep(IDLE_WINDOW_S)
        facts["idle_ms_per_s"] = (tree_cpu_ms(pid) - c_idle) / IDLE_WINDOW_S

        def sample(action) -> tuple[float, float, float]:
            """(wall ms, server CPU ms, browser CPU ms until it is quiet again) of one view."""
            wait_quiet(pid)
            wait_quiet(pid, cpu=lambda: browser_cpu_ms(pid), ticks=BROWSER_QUIET_TICKS, max_s=BROWSER_QUIET_MAX_S)
            c, b = tree_cpu_ms(pid), browser_cpu_ms(pid)
            ms = action()
            cpu = tree_cpu_ms(pid) - c
            wait_quiet(pid, cpu=lambda: browser_cpu_ms(pid), ticks=BROWSER_QUIET_TICKS, max_s=BROWSER_QUIET_MAX_S)
            return ms, cpu, browser_cpu_ms(pid) - b

        def reload(page) -> float:
            t = time.perf_counter()
            page.reload(wait_until="domcontentloaded")
            _ready(page)
            return (time.perf_counter() - t) * 1000 - SETTLE_MS

        def row(variant: str, samples: list[tuple[float, float, float]], note: str) -> dict:
            return {"variant": variant, "median_ms": statistics.median(m for m, _c, _b in samples),
                    "min_ms": min(m for m, _c, _b in samples), "cpu_ms": statistics.median(c for _m, c, _b in samples),
                    "note": f"{note}; browser-CPU {statistics.median(b for _m, _c, b in samples):.0f} ms (til "
                            "browseren er i ro igen)"}

        for key in keys:
            url = _url(srv.base, key, borger)
            # (a) first: the server has not shown the page yet; a new tab of the browser that had the app open
            page = new_tab(warm)
            if "where" not in facts:
                facts["where"] = _where(pid, srv.cores)  # chromium with a renderer running
            cached = sample(lambda: _visit(page, url))
            n_exc = _errors_on(page)
            page.close()
            # (b) the same first visit in a new browser profile (empty HTTP cache), then its reloads
            page = new_tab(new_context())
            fresh = sample(lambda: _visit(page, url))
            warm_runs = [sample(lambda: reload(page)) for _ in range(max(1, repeats))]
            n_exc = max(n_exc, _errors_on(page))
            page.context.close()
            if n_exc:
                facts["exceptions"][key] = n_exc
            flag = f"; {n_exc} fejlboks(e) på siden" if n_exc else ""
            rows.append(row(f"{key}-foerste", [cached],
                            "første besøg, browserens cache varm (appen åbnet før): ny fane, ny Streamlit-session, "
                            f"første gang serveren viser siden{flag}"))
            rows.append(row(f"{key}-foerste-ny-profil", [fresh],
                            "første besøg, ny browserprofil uden cache (ny browserkontekst: Streamlits JavaScript "
                            f"hentes og oversættes); serverens cacher for siden varme efter besøget lige før{flag}"))
            rows.append(row(f"{key}-genindlaes", warm_runs,
                            f"genindlæsning: ny Streamlit-session, varme cacher ({len(warm_runs)} gange, median){flag}"))
        warm.close()
    facts["server_cores"] = affinity(pid)
    facts["peak_mb"] = _peak_mb(pid)
    mix = [r["cpu_ms"] for r in rows if r["variant"] in {f"{k}-genindlaes" for k in LOAD_PAGES}]
    if len(mix) == len(LOAD_PAGES):
        rows.append({"variant": "belastningsmiks", "cpu_ms": statistics.mean(mix),
                     "note": f"gennemsnit af genindlæsningernes server-CPU for {', '.join(LOAD_PAGES)}: hvad én "
                             "sidevisning i app-belastning-1kerne bør koste"})
    return rows, facts


def _app_cpu(ctx: Context, baggrund: bool) -> list[dict]:
    """app-cpu's rows; without `baggrund` the app runs with FFB_WORKBENCH_BAGGRUND=0 and only the first
    visits are kept (the reloads are app-cpu's)."""
    why = _missing()
    if why:
        return [{"variant": "-", "note": f"sprunget over: {why}"}]
    borger = _a_borger(ctx.data_dir)
    cores = split_cores()  # before browser_first pins this thread to one of them
    with browser_first(cores) as (browser, launch_ms), \
            pinned_server(ctx.data_dir, None if baggrund else {"FFB_WORKBENCH_BAGGRUND": "0"}, cores) as srv:
        rows, facts = page_cpu(srv, borger, repeats=ctx.repeats if baggrund else 1, browser=browser,
                               launch_ms=launch_ms)
    if baggrund:
        tail = (f"; {facts['where']}; serveren i tomgang {facts['idle_ms_per_s']:.0f} ms CPU/s; CPU i clock ticks "
                "(10 ms); vægtiden påvirkes af maskinens øvrige last, CPU-tiden kun lidt")
    else:
        tail = f"; uden baggrundsarbejde; {facts['where']}; CPU i clock ticks (10 ms)"
        rows = [r for r in rows if not r["variant"].endswith("-genindlaes") and r["variant"] != "belastningsmiks"]
    return [{**r, "peak_mb": facts["peak_mb"], "note": r["note"] + tail} for r in rows]


@case("app-cpu", "serverens CPU-tid pr. sidevisning for hver side (første besøg med browserens cache varm og i en "
                 "ny browserprofil, genindlæsning), én session ad gangen, server og browser på hver sin kerne")
def app_cpu(ctx: Context) -> list[dict]:
    return _app_cpu(ctx, baggrund=True)


@case("app-cpu-uden-baggrund", "som app-cpu, men uden appens baggrundsarbejde (FFB_WORKBENCH_BAGGRUND=0): hver sides "
                               "første visning, når ingen har varmet den op i hukommelsen; det forudberegnede pr. "
                               "version (_forud/) læses stadig")
def app_cpu_cold(ctx: Context) -> list[dict]:
    return _app_cpu(ctx, baggrund=False)


# --- app-belastning-1kerne -----------------------------------------------------------------------------

def _warm_urls(base: str, borger: str) -> list[str]:
    """Every page of the load and each of Udforsk's row dimensions once."""
    return [_url(base, k, borger) for k in LOAD_PAGES] + [_url(base, "udforsk", borger, n) for n in (1, 2, 3)]


async def _run_load(srv: Server, borger: str, seconds: float, sessions: int, warm_up: bool = True) -> dict:
    """`sessions` contexts in one chromium cycle LOAD_PAGES until time is up (a page begun is
    finished); the server's CPU and both cores' busy time are read just around the load itself."""
    import asyncio

    from playwright.async_api import async_playwright

    base, pid = srv.base, srv.pid
    times: dict[str, list[float]] = {k: [] for k in LOAD_PAGES}
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            warm = await (await browser.new_context()).new_page()
            warm.set_default_timeout(LOAD_TIMEOUT_MS)
            srv.pin_browser()  # chromium's GPU process pins its own threads
            # every page and each of Udforsk's row dimensions once: the load's pages are warm, as a reload is
            for url in _warm_urls(base, borger) if warm_up else []:
                await _avisit(warm, url)
            await warm.context.close()
            await asyncio.to_thread(wait_quiet, pid)
            pages = [await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
                     for _ in range(sessions)]
            srv.pin_browser()  # the renderers just started
            where = _where(pid, srv.cores)
            own0 = tree_cpu_ms(os.getpid())  # this process and all below it: the browser side plus the server
            cpu0, busy0, t0 = tree_cpu_ms(pid), core_busy_s(), time.perf_counter()
            end = time.monotonic() + seconds

            async def worker(n: int) -> None:
                page = pages[n]
                page.set_default_timeout(LOAD_TIMEOUT_MS)  # a slow page is a slow sample, not an error
                await _session(n, end, times, errors, lambda key, i: _avisit(page, _url(base, key, borger, i)))

            await asyncio.gather(*(worker(n) for n in range(sessions)))
            wall = time.perf_counter() - t0
            cpu, busy1 = tree_cpu_ms(pid) - cpu0, core_busy_s()
            client = tree_cpu_ms(os.getpid()) - own0 - cpu
        finally:
            await browser.close()
    return {"times": times, "errors": errors, "wall_s": wall, "server_cpu_ms": cpu,
            "core_busy_s": {c: busy1[c] - busy0.get(c, 0.0) for c in busy1}, "where": where,
            "client_cpu_ms": client}


# --- the same load at the protocol level: websocket sessions without a browser ---------------------------

def _varint_bytes(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint_bytes(number << 3 | 2) + _varint_bytes(len(payload)) + payload


_RERUN_SCRIPT, _QUERY_STRING, _PAGE_NAME = 11, 1, 4  # BackMsg.rerun_script, ClientState fields (.proto)
_FINISHED_EARLY_FOR_RERUN, _FINISHED_WITH_COMPILE_ERROR = 2, 1  # ForwardMsg.ScriptFinishedStatus


def rerun_message(page_name: str, query: str = "") -> bytes:
    """A BackMsg asking for a script run of the page, as the browser sends it when a page opens:
    rerun_script = ClientState{query_string, page_name}, written in the protobuf wire format."""
    return _len_field(_RERUN_SCRIPT, _len_field(_QUERY_STRING, query.encode()) + _len_field(_PAGE_NAME, page_name.encode()))


async def _session(n: int, end: float, times: dict, errors: list, visit) -> None:
    """One load session (chromium tab or websocket client): LOAD_PAGES in turn from the n-th until the
    monotonic clock passes `end`; `visit(key, i)` is awaited for ms, a failure is counted and the run
    goes on."""
    i = n
    while time.monotonic() < end:
        key = LOAD_PAGES[i % len(LOAD_PAGES)]
        try:
            times[key].append(await visit(key, i))
        except Exception as exc:  # counted; the run goes on
            errors.append(f"{key}: {type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}")
        i += 1


def script_finished(buf: bytes) -> int | None:
    """The status in a ForwardMsg's script_finished (field 6, an enum), or None if it is another message."""
    from workbench.vaerktoej.bench_cases.app import _SCRIPT_FINISHED, top_level

    return next((value for field, value in top_level(buf) if field == _SCRIPT_FINISHED and value is not None), None)


async def ws_view(base: str, page_name: str, query: str = "", timeout_s: float = LOAD_TIMEOUT_MS / 1000) -> float:
    """ms for one page view at the protocol level: a new websocket (a new Streamlit session, as a
    reload opens), the page's script run asked for, until its script_finished arrives."""
    import asyncio

    import websockets

    t0 = time.perf_counter()
    async with websockets.connect(base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                                  origin=base, max_size=None, open_timeout=timeout_s) as ws:
        await ws.send(rerun_message(page_name, query))
        async with asyncio.timeout(timeout_s):
            while True:
                msg = await ws.recv()
                status = script_finished(msg) if isinstance(msg, bytes) else None
                if status is None or status == _FINISHED_EARLY_FOR_RERUN:
                    continue
                if status == _FINISHED_WITH_COMPILE_ERROR:
                    raise RuntimeError("scriptet kunne ikke oversættes")
                return (time.perf_counter() - t0) * 1000


def _ws_page(key: str, borger: str, n: int = 0) -> tuple[str, str]:
    """(page name, query string) of the load's URL for the key (see app._url)."""
    url = _url("", key, borger, n)
    path, _sep, query = url.lstrip("/").partition("?")
    return path, query


async def _run_ws_load(srv: Server, borger: str, seconds: float, sessions: int, warm_up: bool = True) -> dict:
    """`sessions` websocket clients cycle LOAD_PAGES as _run_load's browsers do, without drawing."""
    import asyncio

    base, pid = srv.base, srv.pid
    times: dict[str, list[float]] = {k: [] for k in LOAD_PAGES}
    errors: list[str] = []
    for url in _warm_urls("", borger) if warm_up else []:  # as in _run_load
        path, _sep, query = url.lstrip("/").partition("?")
        await ws_view(base, path, query)
    await asyncio.to_thread(wait_quiet, pid)
    own0 = tree_cpu_ms(os.getpid())
    cpu0, busy0, t0 = tree_cpu_ms(pid), core_busy_s(), time.perf_counter()
    end = time.monotonic() + seconds

    async def worker(n: int) -> None:
        await _session(n, end, times, errors, lambda key, i: ws_view(base, *_ws_page(key, borger, i)))

    await asyncio.gather(*(worker(n) for n in range(sessions)))
    wall = time.perf_counter() - t0
    cpu, busy1 = tree_cpu_ms(pid) - cpu0, core_busy_s()
    client = tree_cpu_ms(os.getpid()) - own0 - cpu
    fmt = lambda c: ",".join(map(str, sorted(c))) or "?"  # noqa: E731
    where = (f"server (taskset) på kerne {fmt(affinity(pid))}, websocket-klienten (bench-processen) på kerne "
             f"{fmt(os.sched_getaffinity(0))}; maskinens øvrige processer er ikke fastlåst")
    return {"times": times, "errors": errors, "wall_s": wall, "server_cpu_ms": cpu,
            "core_busy_s": {c: busy1[c] - busy0.get(c, 0.0) for c in busy1}, "where": where, "client_cpu_ms": client}


def capacity_load(srv: Server, borger: str, seconds: float = 60, sessions: int = 10, protocol: bool = False,
                  warm_up: bool = True) -> dict:
    """The load run (see the module doc), in chromium or, protocol=True, as websocket clients; first
    (warm_up) each of the load's pages and Udforsk dimensions once, so the load meets warm caches: {'times' per page, 'errors', 'wall_s', 'server_cpu_ms',
    'client_cpu_ms', 'core_busy_s', 'cores', 'where', 'server_cores', 'peak_mb', 'p50_ms', 'p95_ms', 'pages'}."""
    import asyncio

    res = asyncio.run((_run_ws_load if protocol else _run_load)(srv, borger, seconds, sessions, warm_up))
    res["server_cores"] = affinity(srv.pid)
    res["peak_mb"] = _peak_mb(srv.pid)
    res["cores"] = srv.cores
    every = [t for ts in res["times"].values() for t in ts]
    res["pages"] = len(every)
    res["p50_ms"] = statistics.median(every) if every else None
    res["p95_ms"] = _p95(every)
    return res


def _p95(xs: list[float]) -> float | None:
    if not xs:
        return None
    return statistics.quantiles(xs, n=20)[18] if len(xs) >= 2 else xs[0]


@case("app-belastning-1kerne", "belastning: server på én kerne, klienterne på den anden; 10 sessioner skifter mellem "
                               "fire sider i 60 s i chromium og som websocket-klienter; p50/p95, fejl og serverens "
                               "CPU pr. sidevisning")
def app_load_one_core(ctx: Context) -> list[dict]:
    why = _missing()
    if why:
        return [{"variant": "-", "note": f"sprunget over: {why}"}]
    borger = _a_borger(ctx.data_dir)
    with pinned_server(ctx.data_dir) as srv:
        browser = capacity_load(srv, borger, seconds=60, sessions=10)
        protocol = capacity_load(srv, borger, seconds=60, sessions=10, protocol=True)
    return load_rows(browser, sessions=10, seconds=60) + load_rows(protocol, sessions=10, seconds=60, prefix="websocket")


def load_rows(res: dict, sessions: int, seconds: float, prefix: str = "chromium") -> list[dict]:
    """The result table: one row for the whole run ('<prefix>-alle') and one per page."""
    if not res["pages"]:
        return [{"variant": f"{prefix}-alle", "note": f"ingen sider blev færdige; fejl: {res['errors'][:3]}"}]
    cores, busy, wall = res["cores"], res["core_busy_s"], res["wall_s"]
    server_s, client_s = res["server_cpu_ms"] / 1000, res["client_cpu_ms"] / 1000
    who = "chromium og bench-klienten" if prefix == "chromium" else "websocket-klienten"
    if cores:
        sc, bc = min(cores[0]), min(cores[1])
        s_busy, b_busy = busy.get(sc, 0.0) / wall, busy.get(bc, 0.0) / wall
        others = max(0.0, busy.get(sc, 0.0) - server_s) / wall
        load = (f"kerne {sc} (server) optaget {s_busy:.0%} af tiden, heraf andre processer {others:.0%}; kerne {bc} "
                f"(klient) optaget {b_busy:.0%}, heraf {who} {client_s / wall:.0%}")
        verdict = []
        if s_busy >= 0.95:
            verdict.append("serverkernen er mættet" + (", mest af andre processer end serveren" if others > server_s / wall
                                                        else " af serveren"))
        if b_busy >= 0.95:
            verdict.append("klientkernen er mættet" + (f" af {who}" if client_s / wall >= 0.5 else ", mest af andre"))
        load += "".join(f"; {v}" for v in verdict)
    else:
        load = "én kerne: server og klient deler den"
    per_view = res["server_cpu_ms"] / res["pages"]
    goal = "opfyldt" if res["p95_ms"] is not None and res["p95_ms"] < P95_GOAL_MS and not res["errors"] else "IKKE opfyldt"
    err = f"{len(res['errors'])} fejl" + (f" (fx {sorted(set(res['errors']))[:2]})" if res["errors"] else "")
    every = [t for ts in res["times"].values() for t in ts]
    how = ("i chromium (URL-visning til siden er tegnet)" if prefix == "chromium"
           else "som websocket-klienter (ny session, scriptkørsel til script_finished; intet tegnes)")
    rows = [{"variant": f"{prefix}-alle", "median_ms": res["p50_ms"], "min_ms": min(every), "cpu_ms": per_view,
             "peak_mb": res["peak_mb"], "rows": res["pages"],
             "note": f"{sessions} sessioner {how} i {seconds:g} s ({wall:.0f} s med de påbegyndte sider): "
                     f"p50 {res['p50_ms']:.0f} ms, p95 {res['p95_ms']:.0f} ms, {err}, {res['pages']} sider; "
                     f"mål p95 < {P95_GOAL_MS / 1000:.0f} s og 0 fejl: {goal}; serverens CPU {server_s:.1f} s "
                     f"({server_s / wall:.0%} af én kerne), {per_view:.0f} ms pr. sidevisning; {load}; {res['where']}"}]
    for key, ts in res["times"].items():
        if ts:
            rows.append({"variant": f"{prefix}-{key}", "median_ms": statistics.median(ts), "min_ms": min(ts),
                         "rows": len(ts), "note": f"p95 {_p95(ts):.0f} ms (CPU kan ikke fordeles på sider under samtidig last)"})
    return rows
