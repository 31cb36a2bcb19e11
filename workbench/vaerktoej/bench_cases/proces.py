"""Whole-process benchmark cases (issue 17): what a user waits for, not just the engine.

Each variant is one fresh Python process, timed from fork to exit with its own peak RSS (os.wait4):

- proces-overlap:     `ffb-workbench overlap DIR --format csv` vs a DuckDB script and a pandas script;
- proces-optaelling:  `ffb-workbench optaelling DIR --fra --til --format csv` vs a DuckDB script
                      (periods merged per borger and paragraf with window functions, then joined to
                      the months; no pandas variant);
- proces-forloeb:     `ffb-workbench forloeb DIR BORGER --format json` vs DuckDB and pandas scripts
                      reading that borger's funktionsevne rows (the part that used to scan 3 M rows);
- proces-kvalitet:    `ffb-workbench kvalitet DIR --format csv` vs bench_scripts/kvalitet_duckdb.py, every
                      active rule of config/quality_rules.yaml in DuckDB over the validated Parquet
                      (_typet/), every output column compared (regel, tabel, noegle, besked);
- proces-stikproeve:  `ffb-workbench stikproeve DIR --pr paragraf --antal 5 --seed 1 --format csv` vs a
                      DuckDB script drawing the same sample (sha256 keys in SQL), every column compared
                      (issue 24 item 2: the yardsticks of "kvalitet/stikproeve >= 1,0x DuckDB").

The scripts are what an analyst would write: only duckdb or pandas imported, reading the dataset's
Parquet files. Every variant's result set is checked against the command's before anything is
reported (a mismatch is an error row, never a time).

In-process cases:
- aabn: open_dataset + collect every table and the rejected rows, manifest path ('polars') vs the
  validating loader ('polars-validering');
- borgerside: the data of the borger page for one borger (open, narrow, scope, forloeb).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from workbench.vaerktoej.bench import Context, case, measure
from workbench.data.dataset import open_dataset, resolve_dir, table_file
from workbench.data.paths import ROOT


# A child forked from the bench process starts with the bench process's resident set as its ru_maxrss
# high-water mark (Linux keeps it across exec), so wait4 on a direct child reports at least the
# parent's RSS (a 400 MB bench process made `python -c pass` read 460 MB). The command is therefore
# started by this small launcher (bare interpreter, no site), which times it and reads its rusage.
_LAUNCHER = """
import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = (time.perf_counter() - t0) * 1000.0
with open(out, "w") as fh:
    fh.write("%r %r %r" % (wall, usage.ru_maxrss, (usage.ru_utime + usage.ru_stime) * 1000.0))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_process(argv: list[str], stdout_path: Path) -> tuple[float, float, float]:
    """(wall ms, peak RSS MB, CPU ms) of one process writing its stdout to stdout_path; RuntimeError on
    exit != 0. Measured by _LAUNCHER, so the peak is the process's own (the launcher's ~10 MB at most as a
    floor); CPU is the process's user + system time (all its threads), which a busy machine hardly changes."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as measured:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, measured.name, *argv],
                              stdout=out, stderr=err, env=env, cwd=str(ROOT))
        if proc.returncode != 0:
            err.seek(0)
            last = (err.read().decode(errors="replace").strip().splitlines() or ["ukendt fejl"])[-1]
            raise RuntimeError(f"{' '.join(argv[:4])} …: exit {proc.returncode}: {last[:200]}")
        wall, maxrss_kb, cpu = (float(v) for v in measured.read().split())
    return wall, maxrss_kb / 1024.0, cpu


def _timed(argv: list[str], repeats: int, out: Path) -> dict:
    walls, peaks, cpus = [], [], []
    for _ in range(max(1, repeats)):
        w, p, c = run_process(argv, out)
        walls.append(w)
        peaks.append(p)
        cpus.append(c)
    return {"median_ms": statistics.median(walls), "min_ms": min(walls), "cpu_ms": statistics.median(cpus),
            "peak_mb": max(peaks)}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "workbench", *args]


def _parquet(data_dir: Path, table: str) -> str:
    f = table_file(resolve_dir(data_dir), table)
    if f is None or f.suffix != ".parquet":
        raise ValueError(f"{data_dir}: benchmarken kræver {table}.parquet")
    return str(f)


def reference_date(data_dir: Path) -> str:
    """The dataset's default reference date (the same for every variant)."""
    from workbench.data.dataset import udtraeksdato

    return udtraeksdato(open_dataset(data_dir)).isoformat()


def _csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False) if path.stat().st_size else pl.DataFrame()


def _same(frames: dict[str, pl.DataFrame], floats: tuple[str, ...] = ()) -> None:
    """All frames hold the same rows (as text, floats rounded to 9 decimals; order-free)."""
    def norm(df: pl.DataFrame) -> pl.DataFrame:
        df = df.select(pl.all().cast(pl.String))
        df = df.with_columns(pl.col(c).cast(pl.Float64).round(9).cast(pl.String) for c in floats if c in df.columns)
        return df.sort(df.columns) if df.width else df

    items = list(frames.items())
    first_name, first = items[0][0], norm(items[0][1])
    for name, df in items[1:]:
        if not norm(df).equals(first):
            raise AssertionError(f"{name} giver ikke samme resultat som {first_name} "
                                 f"({df.height} mod {first.height} rækker)")


def _rows(results: dict[str, dict], heights: dict[str, int], note: str) -> list[dict]:
    return [{"variant": k, **v, "rows": heights[k], "note": note} for k, v in results.items()]


# --- overlap -----------------------------------------------------------------------------------------

DUCKDB_SQL_SCRIPT = """
import sys, duckdb
duckdb.execute("SET enable_progress_bar = false")
duckdb.sql(open(sys.argv[1], encoding="utf-8").read()).write_csv(sys.argv[2])
with open(sys.argv[2], "rb") as fh:
    sys.stdout.buffer.write(fh.read())
"""

PANDAS_OVERLAP = """
import json, sys
import pandas as pd
f, paa, rules = sys.argv[1], pd.Timestamp(sys.argv[2]), json.loads(sys.argv[3])
y = pd.read_parquet(f, columns=["borger_id", "ydelse_id", "paragraf", "ydelse", "startdato", "slutdato"])
y["startdato"] = pd.to_datetime(y["startdato"])
y["slut"] = pd.to_datetime(y["slutdato"]).fillna(paa)
y = y[y["startdato"].notna() & (y["slut"] >= y["startdato"])].drop(columns="slutdato").drop_duplicates()
p = y.merge(y, on="borger_id", suffixes=("_a", "_b"))
p = p[(p["ydelse_id_a"] < p["ydelse_id_b"]) & (p["startdato_a"] <= p["slut_b"]) & (p["startdato_b"] <= p["slut_a"])]
p = p.assign(overlap_start=p[["startdato_a", "startdato_b"]].max(axis=1),
             overlap_slut=p[["slut_a", "slut_b"]].min(axis=1))
p = p.assign(overlap_dage=(p["overlap_slut"] - p["overlap_start"]).dt.days + 1)
parts = []
for r in rules:
    def side(col, ps):
        return pd.Series(True, index=p.index) if ps is None else p[col].isin(ps)
    m = (side("paragraf_a", r["a"]) & side("paragraf_b", r["b"])) | (side("paragraf_a", r["b"]) & side("paragraf_b", r["a"]))
    if r["samme_paragraf"]:
        m &= p["paragraf_a"] == p["paragraf_b"]
    if r["samme_ydelse"]:
        m &= p["ydelse_a"] == p["ydelse_b"]
    m &= p["overlap_dage"] >= r["min_dage"]
    parts.append(p[m].assign(regel=r["id"]))
cols = ["borger_id", "regel", "ydelse_id_a", "paragraf_a", "ydelse_id_b", "paragraf_b", "overlap_start",
        "overlap_slut", "overlap_dage"]
out = pd.concat(parts)[cols].sort_values(["borger_id", "regel", "ydelse_id_a", "ydelse_id_b"])
out.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
"""


def _overlap_sql(f: str, paa: str) -> str:
    from workbench.vaerktoej.bench_cases.overlap import _sql_rule
    from workbench.regler.overlap import load_rules

    f = f.replace("'", "''")
    return f"""
    WITH y AS (
      SELECT DISTINCT borger_id, ydelse_id, paragraf, ydelse, startdato,
             COALESCE(slutdato, DATE '{paa}') AS slut
      FROM read_parquet('{f}')
      WHERE startdato IS NOT NULL AND COALESCE(slutdato, DATE '{paa}') >= startdato
    ), p AS (
      SELECT a.borger_id,
             a.ydelse_id AS ydelse_id_a, a.paragraf AS paragraf_a, a.ydelse AS ydelse_a,
             b.ydelse_id AS ydelse_id_b, b.paragraf AS paragraf_b, b.ydelse AS ydelse_b,
             greatest(a.startdato, b.startdato) AS overlap_start, least(a.slut, b.slut) AS overlap_slut,
             CAST(date_diff('day', greatest(a.startdato, b.startdato), least(a.slut, b.slut)) + 1 AS BIGINT)
               AS overlap_dage
      FROM y a JOIN y b ON a.borger_id = b.borger_id AND a.ydelse_id < b.ydelse_id
       AND a.startdato <= b.slut AND b.startdato <= a.slut
    )
    {' UNION ALL '.join(_sql_rule(r) for r in load_rules())}
    ORDER BY borger_id, regel, ydelse_id_a, ydelse_id_b
    """


def _rules_json() -> str:
    from workbench.regler.overlap import load_rules

    return json.dumps([{"id": r.id, "a": list(r.paragraffer_a) if r.paragraffer_a is not None else None,
                        "b": list(r.paragraffer_b) if r.paragraffer_b is not None else None,
                        "samme_paragraf": r.samme_paragraf, "samme_ydelse": r.samme_ydelse,
                        "min_dage": r.min_dage} for r in load_rules()])


def _compare_processes(ctx: Context, variants: dict[str, list[str]], read, floats: tuple[str, ...] = (),
                       note: str = "") -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        outs = {k: Path(tmp) / f"{k}.out" for k in variants}
        for k, argv in variants.items():  # one untimed run each: warm OS cache, and the result check
            run_process(argv, outs[k])
        frames = {k: read(outs[k]) for k in variants}
        _same(frames, floats)
        results = {k: _timed(argv, ctx.repeats, outs[k]) for k, argv in variants.items()}
    return _rows(results, {k: f.height for k, f in frames.items()}, note)


@case("proces-overlap", "hel proces: ffb-workbench overlap mod DuckDB- og pandas-script på samme Parquet")
def proces_overlap(ctx: Context) -> list[dict]:
    paa = reference_date(ctx.data_dir)
    f = _parquet(ctx.data_dir, "ydelser")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False, encoding="utf-8") as sql:
        sql.write(_overlap_sql(f, paa))
    try:
        variants = {
            "polars": _cli("overlap", str(ctx.data_dir), "--paa", paa, "--format", "csv"),
            "duckdb": [sys.executable, "-c", DUCKDB_SQL_SCRIPT, sql.name, sql.name + ".csv"],
            "pandas": [sys.executable, "-c", PANDAS_OVERLAP, f, paa, _rules_json()],
        }
        return _compare_processes(ctx, variants, _csv, note=f"samme rækker; referencedato {paa}")
    finally:
        for p in (sql.name, sql.name + ".csv"):
            Path(p).unlink(missing_ok=True)


# --- optaelling -------------------------------------------------------------------------------------

def _month_window(paa: str) -> tuple[str, str]:
    d = dt.date.fromisoformat(paa)
    til = dt.date(d.year, d.month, 1)
    fra = dt.date(til.year - 1, til.month, 1)
    return fra.strftime("%Y-%m"), til.strftime("%Y-%m")


def _optaelling_sql(f: str, paa: str, fra: str, til: str) -> str:
    f = f.replace("'", "''")
    first = dt.date.fromisoformat(fra + "-01")
    lo = (first.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    last = dt.date.fromisoformat(til + "-01")
    hi = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return f"""
    WITH c AS (
      SELECT borger_id AS b, paragraf AS p,
             greatest(startdato, DATE '{lo}') AS s, least(COALESCE(slutdato, DATE '{paa}'), DATE '{hi}') AS e
      FROM read_parquet('{f}')
      WHERE startdato IS NOT NULL AND COALESCE(slutdato, DATE '{paa}') >= startdato
    ), o AS (
      SELECT b, p, s, e, max(e) OVER (PARTITION BY b, p ORDER BY s, e
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
      FROM c WHERE s <= e
    ), g AS (
      SELECT b, p, s, e, sum(CASE WHEN prev_e IS NULL OR s > prev_e + 1 THEN 1 ELSE 0 END)
                           OVER (PARTITION BY b, p ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
      FROM o
    ), i AS (
      SELECT b, p, min(s) AS s, max(e) AS e FROM g GROUP BY b, p, island
    ), months AS (
      SELECT CAST(t.g AS DATE) AS m, CAST(t.g + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS me
      FROM generate_series(DATE '{lo}', DATE '{last}', INTERVAL 1 MONTH) t(g)
    ), bm AS (
      SELECT b, p, m, sum(date_diff('day', greatest(s, m), least(e, me)) + 1) AS dage
      FROM i JOIN months ON i.s <= months.me AND i.e >= months.m GROUP BY ALL
    ), pm AS (
      SELECT cur.p, cur.m, count(*) AS borgere, sum(cur.dage) AS dage,
             count(*) FILTER (WHERE prev.b IS NULL) AS tilgang
      FROM bm cur LEFT JOIN bm prev ON prev.b = cur.b AND prev.p = cur.p AND prev.m = cur.m - INTERVAL 1 MONTH
      GROUP BY ALL
    ), af AS (
      SELECT prev.p, CAST(prev.m + INTERVAL 1 MONTH AS DATE) AS m, count(*) AS afgang
      FROM bm prev LEFT JOIN bm cur ON cur.b = prev.b AND cur.p = prev.p AND cur.m = prev.m + INTERVAL 1 MONTH
      WHERE cur.b IS NULL GROUP BY ALL
    ), grid AS (
      SELECT CAST(g AS DATE) AS m, p
      FROM generate_series(DATE '{first}', DATE '{last}', INTERVAL 1 MONTH) t(g), (SELECT DISTINCT p FROM bm)
    )
    SELECT strftime(grid.m, '%Y-%m') AS maaned, grid.p AS paragraf, COALESCE(pm.borgere, 0) AS borgere,
           COALESCE(pm.dage, 0) / day(last_day(grid.m)) AS helaarspersoner,
           COALESCE(pm.tilgang, 0) AS tilgang, COALESCE(af.afgang, 0) AS afgang
    FROM grid LEFT JOIN pm USING (m, p) LEFT JOIN af USING (m, p)
    ORDER BY maaned, paragraf
    """


@case("proces-optaelling", "hel proces: ffb-workbench optaelling (12 måneder) mod et DuckDB-script")
def proces_optaelling(ctx: Context) -> list[dict]:
    paa = reference_date(ctx.data_dir)
    fra, til = _month_window(paa)
    f = _parquet(ctx.data_dir, "ydelser")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False, encoding="utf-8") as sql:
        sql.write(_optaelling_sql(f, paa, fra, til))
    try:
        variants = {
            "polars": _cli("optaelling", str(ctx.data_dir), "--fra", fra, "--til", til, "--paa", paa,
                           "--format", "csv"),
            "duckdb": [sys.executable, "-c", DUCKDB_SQL_SCRIPT, sql.name, sql.name + ".csv"],
        }
        return _compare_processes(ctx, variants, _csv, floats=("helaarspersoner",),
                                  note=f"samme rækker; {fra}..{til}, referencedato {paa}")
    finally:
        for p in (sql.name, sql.name + ".csv"):
            Path(p).unlink(missing_ok=True)


# --- forloeb ----------------------------------------------------------------------------------------

DUCKDB_FORLOEB = """
import json, sys, duckdb
duckdb.execute("SET enable_progress_bar = false")
rows = duckdb.execute(
    "SELECT omraade, tema, undertema, CAST(dato AS VARCHAR), niveau FROM read_parquet(?) WHERE borger_id = ?"
    " ORDER BY undertema, dato", [sys.argv[1], sys.argv[2]]).fetchall()
keys = ("omraade", "tema", "undertema", "dato", "niveau")
print(json.dumps({"borger_id": sys.argv[2], "funktionsevne": [dict(zip(keys, r)) for r in rows]}, ensure_ascii=False))
"""

PANDAS_FORLOEB = """
import json, sys
import pandas as pd
df = pd.read_parquet(sys.argv[1], columns=["borger_id", "omraade", "tema", "undertema", "dato", "niveau"],
                     filters=[("borger_id", "==", sys.argv[2])])
df = df.sort_values(["undertema", "dato"]).drop(columns="borger_id")
df["dato"] = pd.to_datetime(df["dato"]).dt.strftime("%Y-%m-%d")
df["niveau"] = df["niveau"].astype("Int64")
rows = [{k: (None if pd.isna(v) else (int(v) if k == "niveau" else v)) for k, v in r.items()} for r in df.to_dict("records")]
print(json.dumps({"borger_id": sys.argv[2], "funktionsevne": rows}, ensure_ascii=False))
"""


def _funktionsevne_json(path: Path) -> pl.DataFrame:
    rows = json.loads(path.read_text(encoding="utf-8"))["funktionsevne"]
    schema = {k: pl.String for k in ("omraade", "tema", "undertema", "dato", "niveau")}
    return pl.DataFrame([{k: None if r[k] is None else str(r[k]) for k in schema} for r in rows], schema=schema)


def _a_borger(data_dir: Path) -> str:
    """A borger with funktionsevne rows and indsatsmål (the middle one, deterministic)."""
    ds = open_dataset(data_dir)
    ids = ds.indsatsmaal.select("borger_id").unique().sort("borger_id").collect()["borger_id"]
    return ids[len(ids) // 2]


@case("proces-forloeb", "hel proces: ffb-workbench forloeb for én borger mod DuckDB- og pandas-script")
def proces_forloeb(ctx: Context) -> list[dict]:
    borger = _a_borger(ctx.data_dir)
    f = _parquet(ctx.data_dir, "funktionsevne")
    variants = {
        "polars": _cli("forloeb", str(ctx.data_dir), borger, "--format", "json"),
        "duckdb": [sys.executable, "-c", DUCKDB_FORLOEB, f, borger],
        "pandas": [sys.executable, "-c", PANDAS_FORLOEB, f, borger],
    }
    return _compare_processes(ctx, variants, _funktionsevne_json,
                              note=f"borger {borger}: samme funktionsevne-rækker (forloeb viser også mål, ydelser)")


# --- kvalitet ---------------------------------------------------------------------------------------

KVALITET_SCRIPT = Path(__file__).resolve().parent.parent / "bench_scripts" / "kvalitet_duckdb.py"


def _kvalitet_config(ds) -> dict:
    """The code lists and settings the DuckDB script needs (config/, as the command reads them)."""
    from data_model.contract import TABLES
    from workbench.data.config import load_config
    from workbench.regler import kvalitet, reconcile

    conf = load_config()
    codes, cfg = conf.codes, kvalitet.load_quality_config()
    own = [(p, y) for p in codes.paragraffer for y in codes.ydelser_per_paragraf.get(p, ())]
    belongs: dict[str, list[str]] = {}
    for p, y in own:
        belongs.setdefault(y, []).append(p)
    groups = {g: ", ".join(sorted({p for y in members for p in belongs.get(y, ())},
                                  key=list(codes.paragraffer).index)) or "ingen paragraf"
              for g, members in codes.ydelsesgrupper.items()}
    # the tabel each 8-talskontrol rule reports under (kvalitet.findings' checks)
    tabel = {"betaling_uden_ydelse": "betalinger", "ydelse_uden_betaling": "ydelser", "forkert_paragraf": "betalinger",
             "beloeb_afviger": "betalinger", "betaling_uden_for_periode": "betalinger"}
    if set(tabel) != set(reconcile.FINDING_RULES):
        raise AssertionError("proces-kvalitet kender ikke alle 8-talskontrollens regler: ret _kvalitet_config")
    return {
        "allowed": [list(t) for t in own],
        "home": {y: ", ".join(v) for y, v in belongs.items()},
        "group_home": groups,
        "uuid": {k.lower(): v for k, v in codes.uuid_label.items()},
        "kraever_tilbud": [p for p, info in codes.paragraf_info.items() if info.get("kraever_tilbud")],
        "voksen_alder": conf.settings.voksen_alder,
        "sen_registrering_dage": cfg.sen_registrering_dage,
        "databrud": {"vindue": cfg.databrud.vindue, "graense_z": cfg.databrud.graense_z,
                     "min_afvigelse": cfg.databrud.min_afvigelse, "min_maaneder": cfg.databrud.min_maaneder},
        "ottetal_tolerance": list(cfg.ottetal_tolerance),
        "ottetal_tabel": tabel,
        "active": [r for r in kvalitet.RULE_IDS if cfg.active(r)],
        "templates": {r.id: {"besked": r.besked, "varianter": {v[0]: v[3] for v in r.varianter}}
                      for r in cfg.rules.values()},
        "afslutning": kvalitet.AFSLUTNING,
        "ad": kvalitet.AD,
        "niveau_only": kvalitet.NIVEAU_ONLY,
        "natural_keys": {t: list(k) for t, k in kvalitet.NATURAL_KEYS.items()},
        "keys": {n: list(t.key) for n, t in TABLES.items()},
        "rejected_tables": sorted(getattr(ds, "rejected", {})),
        "graense_kr": kvalitet.URIMELIGT_BELOEB_GRAENSE,
        "graense_timer": kvalitet.TIMER_PR_UGE_GRAENSE,
    }


def _typed_parquet(data_dir: Path, table: str) -> str:
    """The validated Parquet the command reads (DIR/_typet/, written by import and demo), else the source."""
    from workbench.data import manifest

    f = resolve_dir(data_dir) / manifest.TYPED / f"{table}.parquet"
    return str(f) if f.is_file() else _parquet(data_dir, table)


def _escaped_csv(path: Path) -> pl.DataFrame:
    """A script's CSV with its text escaped as the command escapes its CSV (workbench.format.export)."""
    from workbench.format.export import escape_text
    from workbench.format.output import map_values

    df = _csv(path)
    # map_values: the function over each column's distinct values, no Python function inside a query
    return df.with_columns(map_values(df[c], escape_text).alias(c) for c in df.columns)


def _compare_read(ctx: Context, variants: dict[str, list[str]], readers: dict, note: str) -> list[dict]:
    """_compare_processes with a reader per variant (the outputs differ in form, not in content)."""
    with tempfile.TemporaryDirectory() as tmp:
        outs = {k: Path(tmp) / f"{k}.out" for k in variants}
        for k, argv in variants.items():  # one untimed run each: warm OS cache, and the result check
            run_process(argv, outs[k])
        frames = {k: readers[k](outs[k]) for k in variants}
        _same(frames)
        results = {k: _timed(argv, ctx.repeats, outs[k]) for k, argv in variants.items()}
    return _rows(results, {k: f.height for k, f in frames.items()}, note)


KVALITET_NOTE = ("samme fund, også beskedteksten (regel, tabel, noegle, besked), for alle {n} aktive regler; "
                 "DuckDB-scriptet læser de validerede Parquet-filer i _typet/ (også afvist/ til afvist_raekke); "
                 "referencedato {paa}")


@case("proces-kvalitet", "hel proces: ffb-workbench kvalitet mod et DuckDB-script med de samme regler")
def proces_kvalitet(ctx: Context) -> list[dict]:
    from workbench.data import manifest

    d = resolve_dir(ctx.data_dir)
    if manifest.read_manifest(d) is None:
        raise ValueError(f"{d}: proces-kvalitet kræver manifest.json og _typet/ (skrives af import og demo)")
    paa = reference_date(ctx.data_dir)
    cfg = _kvalitet_config(open_dataset(ctx.data_dir))
    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = Path(tmp) / "kvalitet.json"
        cfg_path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
        variants = {
            "polars": _cli("kvalitet", str(ctx.data_dir), "--format", "csv"),
            "duckdb": [sys.executable, str(KVALITET_SCRIPT), str(d / manifest.TYPED), paa, str(cfg_path),
                       str(Path(tmp) / "duckdb.csv")],
        }
        return _compare_read(ctx, variants, {"polars": _csv, "duckdb": _escaped_csv},
                             KVALITET_NOTE.format(n=len(cfg["active"]), paa=paa))


# --- stikproeve -------------------------------------------------------------------------------------

# The same sample in SQL: the cases active on the reference date per borger and paragraf, each keyed
# sha256('<seed>|<paragraf>|<borger_id>') (workbench/regler/stikproeve.py: not Polars' own hash, so a
# script can draw it too), the ANTAL smallest keys per paragraf drawn.
DUCKDB_STIKPROEVE = """
import sys, duckdb
y, b, paa, antal, seed, out = sys.argv[1:7]
duckdb.execute("SET enable_progress_bar = false")
duckdb.sql(\"\"\"
WITH c AS (
  SELECT paragraf, borger_id,
         string_agg(DISTINCT ydelse_id, ', ' ORDER BY ydelse_id) AS ydelse_id,
         string_agg(DISTINCT ydelse, ', ' ORDER BY ydelse) AS ydelse,
         string_agg(DISTINCT tilbud_id, ', ' ORDER BY tilbud_id) AS tilbud_id,
         min(startdato) AS startdato,
         CASE WHEN bool_or(slutdato IS NULL) THEN NULL ELSE max(slutdato) END AS slutdato
  FROM read_parquet($y)
  WHERE startdato <= CAST($paa AS DATE) AND (slutdato IS NULL OR slutdato >= CAST($paa AS DATE))
  GROUP BY paragraf, borger_id
), bo AS (
  SELECT borger_id, handlekommune, sagsbehandler, team FROM read_parquet($b)
  QUALIFY row_number() OVER (PARTITION BY borger_id ORDER BY sagsbehandler NULLS LAST, team NULLS LAST,
                                                             handlekommune NULLS LAST) = 1
), k AS (
  SELECT c.*, bo.handlekommune, bo.sagsbehandler, bo.team,
         row_number() OVER (PARTITION BY c.paragraf
                            ORDER BY sha256($seed || '|' || COALESCE(c.paragraf, '') || '|' || c.borger_id)) AS nr,
         count(*) OVER (PARTITION BY c.paragraf) AS sager_i_stratum
  FROM c JOIN bo USING (borger_id)  -- as access.scope: a borger missing from borgere is out of scope
)
SELECT paragraf, nr, borger_id, handlekommune, sagsbehandler, team, ydelse_id, ydelse, tilbud_id, startdato,
       slutdato, sager_i_stratum
FROM k WHERE nr <= CAST($antal AS INTEGER) ORDER BY paragraf, nr
\"\"\", params={"y": y, "b": b, "paa": paa, "antal": antal, "seed": seed}).write_csv(out)
with open(out, "rb") as fh:
    sys.stdout.buffer.write(fh.read())
"""


@case("proces-stikproeve", "hel proces: ffb-workbench stikproeve --pr paragraf mod et DuckDB-script")
def proces_stikproeve(ctx: Context) -> list[dict]:
    paa = reference_date(ctx.data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        variants = {
            "polars": _cli("stikproeve", str(ctx.data_dir), "--pr", "paragraf", "--antal", "5", "--seed", "1",
                           "--format", "csv"),
            "duckdb": [sys.executable, "-c", DUCKDB_STIKPROEVE, _typed_parquet(ctx.data_dir, "ydelser"),
                       _typed_parquet(ctx.data_dir, "borgere"), paa, "5", "1", str(Path(tmp) / "duckdb.csv")],
        }
        return _compare_read(ctx, variants, {"polars": _csv, "duckdb": _escaped_csv},
                             f"samme stikprøve (alle kolonner): 5 pr. paragraf, seed 1, aktive {paa}; "
                             "nøglen sha256('seed|paragraf|borger_id') regnes i SQL")


# --- in-process -------------------------------------------------------------------------------------

def _open_collect(data_dir: Path, trust: bool) -> int:
    ds = open_dataset(data_dir, trust_manifest=trust)
    frames = pl.collect_all([*ds.tables.values(), *ds.rejected.values()])
    return sum(f.height for f in frames[: len(ds.tables)])


@case("aabn", "åbn datasættet og hent alle tabeller: manifest (uden genvalidering) mod validering")
def aabn(ctx: Context) -> list[dict]:
    from workbench.data import manifest

    if manifest.read_manifest(resolve_dir(ctx.data_dir)) is None:
        return [{"variant": "-", "note": "datasættet har intet manifest.json (skrives af import og demo)"}]
    rows = []
    for variant, trust in (("polars", True), ("polars-validering", False)):
        m = measure(lambda trust=trust: _open_collect(ctx.data_dir, trust), ctx.repeats)
        rows.append({"variant": variant, "median_ms": m["median_ms"], "min_ms": m["min_ms"], "rows": m["result"],
                     "note": "manifest.json: kontrolsum, lazy scan" if trust else "validerende indlæsning"})
    if rows[0]["rows"] != rows[1]["rows"]:
        raise AssertionError("manifest- og valideringsvejen giver forskelligt antal rækker")
    return rows


@case("borgerside", "borgersidens data for én borger: hoved, forløb, overlap og opmærkninger (mål < 50 ms)")
def borgerside(ctx: Context) -> list[dict]:
    from workbench.regler import access
    from workbench.sider import forloeb
    from workbench.data.dataset import udtraeksdato

    borger = _a_borger(ctx.data_dir)
    paa = udtraeksdato(open_dataset(ctx.data_dir))

    def page(ds) -> dict:
        """The borger page's data, exactly as sidefiler/borger.py gets it (forloeb.borger_side)."""
        side = forloeb.borger_side(ds, borger, paa)
        return {"head": side.header, "rows": side.funktionsevne.height + side.goals.height + side.ydelser.height}

    # as the app: the version opened and collected once (shared cache), scoped once per principal
    app_ds = access.scope(open_dataset(ctx.data_dir).collected(), access.ADMIN).collected()
    m = measure(lambda: page(app_ds), ctx.repeats)
    # as a command: open the Parquet files (manifest checksums) on every call, then narrow and scope
    mp = measure(lambda: page(access.scope(open_dataset(ctx.data_dir).only_borger(borger), access.ADMIN)),
                 ctx.repeats)
    return [{"variant": "polars", "median_ms": m["median_ms"], "min_ms": m["min_ms"], "rows": m["result"]["rows"],
             "note": f"borger {borger}; som appen: datasættet åbnet og samlet én gang pr. version og rolle"},
            {"variant": "polars-parquet", "median_ms": mp["median_ms"], "min_ms": mp["min_ms"],
             "rows": mp["result"]["rows"], "note": "åbner Parquet-filerne (kontrolsummer) ved hvert kald, som CLI"}]


