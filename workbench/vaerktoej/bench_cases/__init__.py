"""Benchmark cases: every module here is imported by workbench.vaerktoej.bench.discover().

A module registers its cases with the `workbench.vaerktoej.bench.case` decorator:

    from workbench.vaerktoej.bench import Context, case, measure, peak_rss_mb

    @case("navn", "hvad casen måler")
    def navn(ctx: Context) -> list[dict]:
        m = measure(lambda: ..., ctx.repeats)
        return [{"variant": "polars", "median_ms": m["median_ms"], "min_ms": m["min_ms"],
                 "peak_mb": peak_rss_mb("workbench.vaerktoej.bench_cases.navn:funktion", ctx.data_dir), "rows": ...}]

Functions given to peak_rss_mb run in a fresh process and receive their arguments as strings.
"""
