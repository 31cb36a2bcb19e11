"""Benchmark framework: cases register themselves, `run` measures them on cached demo data.

A case is a function `fn(ctx: Context) -> list[dict]` registered with `@case(name, description)` in a
module under workbench/vaerktoej/bench_cases/ (discovered with pkgutil, so a new file is a new case). Each
returned dict is one *variant* of the case (e.g. 'polars', 'duckdb', 'pandas') with the keys

    variant (required), median_ms, min_ms, cpu_ms, peak_mb, rows, note   (all but variant optional)

cpu_ms is CPU time (user + system) a measured process spent, where a case measures it (a proces-*
command's own process, the app's server per page view): unlike the wall time it hardly depends on what
else the machine runs.

`measure(fn)` gives median_ms/min_ms for an in-process call; `peak_rss_mb('module:function', *args)`
runs a function in a fresh Python process and returns its peak resident memory, so the memory of
polars, duckdb and pandas variants can be compared without one polluting the other.

`run(skala, repeats, cases)` adds the columns case and skala and `ratio` (median_ms against the
'polars' variant of the same case) and returns one Polars DataFrame. A case that raises, or a case
module that fails to import, becomes a row with the error in `note` rather than ending the run, so a
long national-scale run survives one broken case.

Demo data per skala is generated once into FFB_WORKBENCH_HOME/bench/<skala>-seed<seed> with
workbench.vaerktoej.synth.write_demo and reused.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import polars as pl

from workbench.data.paths import ROOT, home_dir

SKALAER = ("kommune", "region", "national")
COLUMNS = ("case", "variant", "skala", "median_ms", "min_ms", "cpu_ms", "peak_mb", "rows", "ratio", "note")
BASELINE_VARIANT = "polars"
_MARKER = "__FFB_BENCH_RESULT__"


@dataclass
class Context:
    """What a case gets: the scale, the dataset directory (demo data of that scale) and repeats."""

    skala: str
    data_dir: Path
    repeats: int


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    fn: Callable[[Context], list[dict]]
    module: str


REGISTRY: dict[str, Case] = {}
DISCOVERY_ERRORS: dict[str, str] = {}


def case(name: str, description: str) -> Callable[[Callable[[Context], list[dict]]], Callable[[Context], list[dict]]]:
    """Register fn(ctx) -> list[dict] as the benchmark case `name` (returns fn unchanged)."""

    def register(fn: Callable[[Context], list[dict]]) -> Callable[[Context], list[dict]]:
        REGISTRY[name] = Case(name, description, fn, getattr(fn, "__module__", ""))
        return fn

    return register


# --- measuring -------------------------------------------------------------------------------------

def measure(fn: Callable[[], Any], repeats: int = 5, *, warmup: bool = True) -> dict:
    """Time fn() `repeats` times with time.perf_counter after one untimed warm-up call.

    Returns {'median_ms', 'min_ms', 'result'} where result is the value of the last call.
    warmup=False times a cold first call too (for cases that measure first-touch cost).
    """
    repeats = max(1, int(repeats))
    result = fn() if warmup else None
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "result": result}


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


_CHILD = f"""
import importlib, json, resource, sys, time
target, args = sys.argv[1], sys.argv[2:]
module, _, func = target.partition(":")
fn = getattr(importlib.import_module(module), func)
t0 = time.perf_counter()
result = fn(*args)
wall_ms = (time.perf_counter() - t0) * 1000.0
peak_kb = None
try:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                peak_kb = int(line.split()[1])
except OSError:
    pass
if peak_kb is None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_kb = peak // 1024 if sys.platform == "darwin" else peak
rows = result if isinstance(result, int) and not isinstance(result, bool) else None
sys.stdout.write("\\n{_MARKER}" + json.dumps({{"peak_kb": peak_kb, "wall_ms": wall_ms, "rows": rows}}) + "\\n")
"""


def run_subprocess(target: str, *args: Any, timeout: float | None = None) -> dict:
    """Run `module:function(*args)` (args passed as strings) in a fresh Python process.

    Returns {'peak_mb', 'wall_ms', 'rows'}: the child's peak RSS (VmHWM, else ru_maxrss), the wall
    time of the call alone (imports excluded) and the function's return value when it is an int.
    """
    if ":" not in target:
        raise ValueError(f"mål skal skrives 'modul:funktion', fik '{target}'")
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, target, *map(str, args)],
        capture_output=True, text=True, env=_child_env(), cwd=str(ROOT), timeout=timeout,
    )
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith(_MARKER)), None)
    if proc.returncode != 0 or line is None:
        last = (proc.stderr.strip().splitlines() or ["ukendt fejl"])[-1]
        raise RuntimeError(f"{target} fejlede i underproces: {last[:200]}")
    data = json.loads(line.removeprefix(_MARKER))
    return {"peak_mb": data["peak_kb"] / 1024.0, "wall_ms": data["wall_ms"], "rows": data["rows"]}


def peak_rss_mb(target: str, *args: Any) -> float:
    """Peak resident memory in MB of `module:function(*args)` run in a fresh Python process."""
    return run_subprocess(target, *args)["peak_mb"]


def ballast(mb: str | int = 0) -> int:
    """Allocate and touch `mb` megabytes (a known load for checking peak_rss_mb)."""
    n = int(mb) * 1024 * 1024
    block = bytearray(n)
    for i in range(0, n, 4096):
        block[i] = 1
    return len(block)


def baseline() -> int:
    """Import polars and do nothing: the floor under every subprocess measurement."""
    return pl.DataFrame({"a": [1]}).height


# --- discovery and data ----------------------------------------------------------------------------

def discover() -> dict[str, Case]:
    """Import every module in workbench.vaerktoej.bench_cases so its cases register themselves."""
    package = importlib.import_module("workbench.vaerktoej.bench_cases")
    for info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
        if info.name in DISCOVERY_ERRORS:
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # a broken case module must not stop the others
            DISCOVERY_ERRORS[info.name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return dict(REGISTRY)


def bench_data_dir(skala: str, seed: int = 1) -> Path:
    """The cached demo dataset for a skala, generated with workbench.vaerktoej.synth.write_demo if missing."""
    if skala not in SKALAER:
        raise ValueError(f"ukendt skala '{skala}' (brug {', '.join(SKALAER)})")
    target = home_dir() / "bench" / f"{skala}-seed{seed}"
    done = target / ".komplet"
    if done.is_file():
        return target
    try:
        from workbench.vaerktoej import synth  # imported late: only needed when the cache is cold
    except ImportError as exc:
        raise ValueError(f"demodata kan ikke laves ({exc}); brug --data DIR med et datasæt") from None

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{skala}-seed{seed}-", dir=target.parent))
    try:
        synth.write_demo(tmp / "data", skala=skala, seed=seed)
        (tmp / "data" / ".komplet").write_text("ok\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp / "data", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# --- running ---------------------------------------------------------------------------------------

def _row(case_name: str, skala: str, raw: dict) -> dict:
    row = {k: raw.get(k) for k in COLUMNS if k not in ("case", "skala", "ratio")}
    row.update(case=case_name, skala=skala, ratio=None)
    if row["variant"] is None:
        row["variant"] = "?"
    return row


def _with_ratio(rows: list[dict]) -> None:
    """ratio = median_ms / median_ms of the 'polars' variant (else the first 'polars…' variant)."""
    by_case: dict[str, list[dict]] = {}
    for r in rows:
        by_case.setdefault(r["case"], []).append(r)
    for group in by_case.values():
        base = next((r for r in group if r["variant"] == BASELINE_VARIANT), None)
        base = base or next((r for r in group if str(r["variant"]).startswith(BASELINE_VARIANT)), None)
        ref = base["median_ms"] if base else None
        for r in group:
            if ref and r["median_ms"] is not None:
                r["ratio"] = r["median_ms"] / ref


def frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"case": pl.String, "variant": pl.String, "skala": pl.String, "median_ms": pl.Float64,
              "min_ms": pl.Float64, "cpu_ms": pl.Float64, "peak_mb": pl.Float64, "rows": pl.Int64, "ratio": pl.Float64,
              "note": pl.String}
    clean = []
    for r in rows:
        clean.append({
            **{k: r.get(k) for k in COLUMNS},
            "rows": None if r.get("rows") is None else int(r["rows"]),
            "note": None if r.get("note") is None else str(r["note"]),
            "variant": str(r.get("variant")),
        })
    return pl.DataFrame(clean, schema=schema, orient="row") if clean else pl.DataFrame(schema=schema)


def run(skala: str, repeats: int, cases: list[str] | None = None, data_dir: Path | str | None = None) -> pl.DataFrame:
    """Run the registered cases (all, or those named) on the demo data of `skala`.

    data_dir overrides the cached demo data (tests, or a municipality's own dataset).
    """
    if skala not in SKALAER:
        raise ValueError(f"ukendt skala '{skala}' (brug {', '.join(SKALAER)})")
    if int(repeats) < 1:
        raise ValueError("--repeats skal være mindst 1")
    registry = discover()
    names = list(cases) if cases else sorted(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        known = ", ".join(sorted(registry)) or "ingen"
        raise ValueError(f"ukendt benchmark-case '{unknown[0]}' (kendte: {known})")
    ctx = Context(skala=skala, data_dir=Path(data_dir) if data_dir else bench_data_dir(skala), repeats=int(repeats))
    rows: list[dict] = []
    if not cases:
        for module, err in sorted(DISCOVERY_ERRORS.items()):
            rows.append(_row(module.rsplit(".", 1)[-1], skala, {"variant": "-", "note": f"importfejl: {err}"}))
    for name in names:
        try:
            result = registry[name].fn(ctx)
        except Exception as exc:
            result = [{"variant": "-", "note": f"fejl: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}]
        for raw in result or []:
            rows.append(_row(name, skala, raw))
    _with_ratio(rows)
    return frame(rows)


# --- the report (docs/BENCHMARKS.md) ------------------------------------------------------------------

def machine() -> dict[str, str]:
    """What the numbers were measured on: CPU, cores, memory, load, versions."""
    import platform

    info = {"platform": platform.platform(), "python": platform.python_version(), "polars": pl.__version__,
            "kerner": str(os.cpu_count())}
    try:
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), "")
        if model:
            info["cpu"] = model
        mem = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                    if ln.startswith("MemTotal:")), None)
        if mem:
            info["hukommelse"] = f"{int(mem) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        info["load (1/5/15 min)"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    for mod in ("duckdb", "pandas"):
        try:
            info[mod] = importlib.import_module(mod).__version__
        except ImportError:
            pass
    return info


def markdown(df: pl.DataFrame, command: str, seconds: float) -> str:
    """docs/BENCHMARKS.md: machine, command, the table and the ratios against the baselines."""
    import datetime as dt

    lines = ["# Benchmarks", "",
             f"Skrevet af `{command}` den {dt.datetime.now().strftime('%d-%m-%Y %H:%M')} "
             f"({seconds:.0f} s). Kør kommandoen igen for at opdatere filen.", "",
             "## Maskine", ""]
    lines += [f"- {k}: {v}" for k, v in machine().items()]
    lines += ["", "Tider er medianer over gentagelser (ms); `proces-*` er hele processer fra start til slut "
              "(import, åbning, beregning, output) med processens egen højeste RSS; de øvrige er målt i processen. "
              "`ratio` er variantens median delt med polars-variantens: over 1 betyder, at workbench er hurtigst. "
              "`CPU ms` er CPU-tid (bruger + system), hvor casen måler den: for `proces-*` processens egen (median), "
              "for app-cpu og app-belastning-1kerne serverens pr. sidevisning; den afhænger kun lidt af "
              "maskinens øvrige last.",
              "", "## Resultater", "",
              "| case | variant | median ms | min ms | CPU ms | peak MB | rækker | ratio | note |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|"]

    def num(v, fmt="{:.1f}") -> str:
        return "" if v is None else fmt.format(v)

    for r in df.iter_rows(named=True):
        lines.append(f"| {r['case']} | {r['variant']} | {num(r['median_ms'])} | {num(r['min_ms'])} | {num(r['cpu_ms'], '{:.0f}')} | "
                     f"{num(r['peak_mb'])} | {num(r['rows'], '{}')} | {num(r['ratio'], '{:.2f}')} | "
                     f"{(r['note'] or '').replace('|', '/')} |")
    ratios = [r for r in df.iter_rows(named=True) if r["variant"] in ("duckdb", "pandas") and r["ratio"]]
    if ratios:
        lines += ["", "## Forhold (baseline-tid / workbench-tid; mål ≥ 1,0 for hele processer mod DuckDB)", ""]
        peak = {(r["case"], r["variant"]): r["peak_mb"] for r in df.iter_rows(named=True)}
        for r in ratios:
            mine, theirs = peak.get((r["case"], "polars")), r["peak_mb"]
            mem = f"; hukommelse {mine:.0f} MB mod {theirs:.0f} MB" if mine and theirs else ""
            lines.append(f"- {r['case']}: {r['variant']} {r['ratio']:.2f}×{mem}")
    return "\n".join(lines) + "\n"
