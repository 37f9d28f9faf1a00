"""Benchmark of the cube's queries, one at a time: p50/p95 per query, cache off and on, beside
raw DuckDB over the base tables and pandas on the same data, in one run. Prints a markdown table.

    python benchmarks/cube_bench.py                    # the current warehouse ($MAMS_HOME)
    python benchmarks/cube_bench.py --synthetic 20000  # no warehouse: a synthetic one in memory

The queries are what users run: first the built views' own declarations
(``cube.standard_queries.view_queries``: ``cube.views.branches`` and ``cube.views.overview``
for the bank, one region and one branch; names ``<view>.<state>.<query>``; attainment queries
run through ``cube.api.attainment``, i.e. two cube queries), then the standard queries of the
views to come (``STANDARD_QUERIES``). "raw DuckDB" runs the same queries compiled without
rollup routing, as SQL on a cursor (both halves of an attainment); "pandas" evaluates the
standard queries with the tests' independent reference implementation on pre-joined frames,
one cube's frame in memory at a time (the views' queries are checked against pandas in
``tests/cube/test_branches_view.py`` and ``tests/cube/test_overview.py``, not timed here).
For a whole view render see ``benchmarks/view_bench.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cube import connection, engine  # noqa: E402 - after the path fix above
from cube.api import Scope  # noqa: E402
from cube.compile import compile_query  # noqa: E402
from cube.resolve import resolve  # noqa: E402
from cube.standard_queries import STANDARD_QUERIES, view_queries  # noqa: E402
from data import rollups, scores, warehouse  # noqa: E402


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


def _time(fn, runs: int, warm: bool = True) -> tuple[float, float]:
    """p50 and p95 of ``runs`` timed calls, after one untimed warm-up call (first-call costs such
    as compiling the query once per process are not what a user of a running server sees)."""
    if warm:
        fn()
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


_SMALL_SOURCES = (
    "regions",
    "branches",
    "managers",
    "products",
    "channels",
    "customers",
    "campaigns",
    "campaign_contacts",
    "branch_targets",
    "manager_targets",
)


def _pandas_rows(con, cube_name: str, src: dict | None):
    """The cube's base rows as pandas, pre-joined (the joins are not timed).

    The big cubes read their enriched relation (dates as datetime64, text as categories: what a
    careful analyst would load; Python date objects would not fit at 1M customers); the small
    ones are joined by the tests' reference code from raw frames.
    """
    from cube.model import get_cube
    from tests.cube import reference

    cube = get_cube(cube_name)
    if src is not None:  # synthetic data: the raw frames are at hand
        cm = con.sql("SELECT * FROM customer_month").df() if cube_name in ("customers", "holdings") else None
        return reference.flat(cube_name, src, cm)
    if cube.source in ("customer_month", *rollups.ENRICHED):
        # only the columns the cube's standard queries read: 97M transactions must fit in memory
        cols = {cube.customer_column, cube.month_column} - {None}
        for sq in (s for s in STANDARD_QUERIES if s.query.cube == cube_name):
            q = sq.query
            members = [*q.dimensions, *(f.member for f in q.filters)]
            cols |= {
                d.column for d in map(cube.dimension, (m.split(".")[1] for m in members)) if not d.attribute
            }
            cols |= {p.column for m in q.measures for p in cube.parts(m.split(".")[1]) if p.column}
            cols |= {p.where[0] for m in q.measures for p in cube.parts(m.split(".")[1]) if p.where}
        sql = f'SELECT {", ".join(sorted(cols))} FROM "{cube.source}"'  # names from the model
        table = con.sql(sql).to_arrow_table()
        rows = table.to_pandas(
            date_as_object=False, strings_to_categorical=True, split_blocks=True, self_destruct=True
        )
        del table
        for kind, pub in scores.current(warehouse.data_version()).items():
            wanted = [d.column for d in cube.dimensions if d.attribute == kind]
            if wanted:  # the published scores, joined in pandas
                published = pd.read_parquet(pub.path, columns=["customer_id", *wanted])
                rows = rows.merge(published, on="customer_id", how="left")
        return rows
    raw = {n: con.sql(f'SELECT * FROM "{n}"').df() for n in _SMALL_SOURCES}
    return reference.flat(cube_name, raw, None)


def _raw_sqls(run) -> list[str]:
    """SQL over the base relations (no rollup routing) of every query ``run()`` sends to the
    engine (an attainment sends two: actuals and targets)."""
    asked: list = []
    original = engine.execute

    def recording(query, scope, lang="en", use_cache=True):
        asked.append((query, scope))
        return original(query, scope, lang, use_cache)

    engine.execute = recording
    try:
        run()
    finally:
        engine.execute = original
    backend = connection.backend()
    out = []
    for q, s in dict.fromkeys(asked):
        expr, _, _ = compile_query(resolve(q), s, backend)
        out.append(str(ibis.to_sql(expr, dialect="duckdb")))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--pandas-runs", type=int, default=None, help="runs of pandas (default: runs / 5, >= 3)")
    ap.add_argument("--synthetic", type=int, default=None)
    ap.add_argument("--no-pandas", action="store_true")
    ap.add_argument("--no-views", action="store_true", help="only the standard queries (views to come)")
    args = ap.parse_args()
    con, src, what = _setup(args.synthetic)
    scope = Scope.all()
    # (name, run(use_cache)): the views' own declarations (cube.views.*, via
    # cube.standard_queries.view_queries), then the standard queries of the views to come
    suite: list[tuple[str, object]] = []
    if not args.no_views:
        for vq in view_queries(scope):
            suite.append((vq.name, lambda use_cache, vq=vq: vq.run(scope, use_cache=use_cache)))
    for sq in STANDARD_QUERIES:
        suite.append((sq.name, lambda use_cache, q=sq.query: engine.execute(q, scope, use_cache=use_cache)))
    cells: dict[str, list[str]] = {}
    served: dict[str, str] = {}
    for name, run in suite:
        off = _time(lambda run=run: run(False), args.runs)
        served[name] = run(True).served_by  # primes the cache
        hit = _time(lambda run=run: run(True), args.runs)
        sqls = _raw_sqls(lambda run=run: run(False))
        backend = connection.backend()  # its cursor holds the views over published score files

        def raw(sqls=sqls, b=backend):
            for sql in sqls:
                b.raw_sql(sql).to_arrow_table()

        cells[name] = [f"{a:.1f} / {b:.1f}" for a, b in (off, hit, _time(raw, args.runs))] + ["-"]
        print(f"{name}: {cells[name]}", file=sys.stderr)
    if not args.no_pandas:
        from tests.cube import reference

        pandas_runs = args.pandas_runs or max(3, args.runs // 5)  # pandas gets no warm-up run
        # the biggest cube first, while memory is fresh; one cube's rows in memory at a time
        big_first = ("transactions", "holdings", "customers")
        cubes = dict.fromkeys((*big_first, *(s.query.cube for s in STANDARD_QUERIES)))
        for cube_name in cubes:
            if not any(s.query.cube == cube_name for s in STANDARD_QUERIES):
                continue
            rows = _pandas_rows(con, cube_name, src)
            for sq in (s for s in STANDARD_QUERIES if s.query.cube == cube_name):
                p50, p95 = _time(
                    lambda q=sq.query, rows=rows: reference.evaluate(q, rows), pandas_runs, warm=False
                )
                cells[sq.name][3] = f"{p50:.1f} / {p95:.1f}"
                print(f"{sq.name} pandas: {cells[sq.name][3]}", file=sys.stderr)
            del rows
            pa.default_memory_pool().release_unused()
    print(f"Cube benchmark: {what}; {args.runs} runs each; times in ms (p50 / p95)\n")
    print("| query | served by | cube, cache off | cube, cache hit | raw DuckDB (base) | pandas |")
    print("|---|---|---|---|---|---|")
    for name, _ in suite:
        print(f"| {name} | {served[name]} | " + " | ".join(cells[name]) + " |")


if __name__ == "__main__":
    main()
