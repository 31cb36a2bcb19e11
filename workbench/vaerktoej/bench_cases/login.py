"""Benchmark case 'login-storm': 10 simultaneous password sign-ins at the production argon2 cost on a
fresh SQLite state database, while a light "page" task (a small Polars aggregation) runs every
100 ms. Reports the sign-ins' p50/p95 and the page task's p95 latency during the storm; the hashing
is bounded by workbench.lager.users.HASH_SLOTS (issue 23)."""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time

from workbench.vaerktoej.bench import Context, case


@case("login-storm", "10 samtidige logins (argon2, produktionsomkostning) og en let sideopgave imens")
def login_storm_case(ctx: Context) -> list[dict]:
    import polars as pl

    from data_model.db import get_engine
    from workbench.lager import users

    with tempfile.TemporaryDirectory() as tmp:
        eng = get_engine(f"sqlite:///{os.path.join(tmp, 'storm.sqlite')}")
        pw = "korrekt-hest-batteri"
        for i in range(10):
            users.create_user(eng, f"bruger{i}", "analytiker", pw)
        users._dummy_hash()
        done = threading.Event()
        page_ms: list[float] = []
        frame = pl.DataFrame({"k": [i % 50 for i in range(200_000)], "v": range(200_000)})

        def page():
            while not done.is_set():
                t0 = time.perf_counter()
                frame.group_by("k").agg(pl.col("v").sum())
                page_ms.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.1)

        login_ms: list[float] = [0.0] * 10

        def login(i):
            t0 = time.perf_counter()
            users.authenticate(eng, f"bruger{i}", pw, demo_allowed=False)
            login_ms[i] = (time.perf_counter() - t0) * 1000

        pt = threading.Thread(target=page)
        pt.start()
        threads = [threading.Thread(target=login, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        pt.join()
        eng.dispose()
    q = statistics.quantiles(login_ms, n=20)
    pq = statistics.quantiles(page_ms, n=20) if len(page_ms) >= 2 else [page_ms[0] if page_ms else 0.0] * 19
    p95, side = round(q[18], 1), round(pq[18], 1)
    return [{"variant": f"{users.HASH_SLOTS} hash-pladser", "median_ms": round(statistics.median(login_ms), 1),
             "min_ms": round(min(login_ms), 1), "rows": 10,
             "note": f"login p50 = median_ms, p95 {p95} ms; let sideopgave p95 {side} ms under stormen"}]
