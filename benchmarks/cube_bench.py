"""Benchmark of the standard cube queries: p50/p95 per query, cache off and on, beside raw
DuckDB over the base tables and pandas on the same data, in one run. Prints a markdown table.

    python benchmarks/cube_bench.py                    # the current warehouse ($MAMS_HOME)
    python benchmarks/cube_bench.py --synthetic 20000  # no warehouse: a synthetic one in memory

"raw DuckDB" runs the same query compiled without rollup routing, as SQL on a cursor; "pandas"
evaluates it on pre-joined frames (the tests' independent reference implementation).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import ibis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cube import connection, engine  # noqa: E402 - after the path fix above
from cube.api import Scope  # noqa: E402
from cube.standard_queries import STANDARD_QUERIES  # noqa: E402


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


def _time(fn, runs: int) -> tuple[float, float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out), _pct(out, 0.95)


def _setup(synthetic: int | None):
    """(duckdb connection, raw frames or None, description)."""
    if synthetic:
        from tests.cube import tiny

        src = tiny.source_frames(customers=synthetic, txns=synthetic * 40)
        con = tiny.build(src)
        connection.use_connection(con, version=f"bench-{uuid.uuid4()}")
        return con, src, f"synthetic, {synthetic} customers, {synthetic * 40} transactions"
    from data import warehouse

    con = warehouse.open_readonly()
    n = con.sql("SELECT count(*) FROM customers").fetchone()[0]
    t = con.sql("SELECT count(*) FROM transactions").fetchone()[0]
    return con, None, f"warehouse {warehouse.data_version()}, {n} customers, {t} transactions"


def _raw_frames(con) -> dict:
    names = (
        "regions",
        "branches",
        "managers",
        "products",
        "channels",
        "customers",
        "transactions",
        "holdings",
    )
    names += ("campaigns", "campaign_contacts", "branch_targets", "manager_targets")
    return {n: con.sql(f'SELECT * FROM "{n}"').df() for n in names}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--synthetic", type=int, default=None)
    ap.add_argument("--no-pandas", action="store_true")
    args = ap.parse_args()
    con, src, what = _setup(args.synthetic)
    scope = Scope.all()
    pandas_rows = {}
    if not args.no_pandas:
        from tests.cube import reference

        src = src or _raw_frames(con)
        cm = con.sql("SELECT * FROM customer_month").df()
        pandas_rows = {c: reference.flat(c, src, cm) for c in {s.query.cube for s in STANDARD_QUERIES}}
    cur = con.cursor()
    print(f"Cube benchmark: {what}; {args.runs} runs each; times in ms (p50 / p95)\n")
    print("| query | served by | cube, cache off | cube, cache hit | raw DuckDB (base) | pandas |")
    print("|---|---|---|---|---|---|")
    for sq in STANDARD_QUERIES:
        q = sq.query
        off = _time(lambda q=q: engine.execute(q, scope, use_cache=False), args.runs)
        served = engine.execute(q, scope, use_cache=True).served_by  # primes the cache
        hit = _time(lambda q=q: engine.execute(q, scope, use_cache=True), args.runs)
        expr, _, _ = engine.compile_query(q, scope, connection.backend(), route=False)
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        raw = _time(lambda sql=sql: cur.execute(sql).to_arrow_table(), args.runs)
        cells = [f"{a:.1f} / {b:.1f}" for a, b in (off, hit, raw)]
        if pandas_rows:
            from tests.cube import reference

            rows = pandas_rows[q.cube]
            pd_t = _time(lambda q=q, rows=rows: reference.evaluate(q, rows), max(3, args.runs // 5))
            cells.append(f"{pd_t[0]:.1f} / {pd_t[1]:.1f}")
        else:
            cells.append("-")
        print(f"| {sq.name} | {served} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
