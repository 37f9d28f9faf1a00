"""Whole-view render benchmark: everything one render of a built view runs, as the page runs it.

    python benchmarks/view_bench.py                    # the current warehouse ($MAMS_HOME)
    python benchmarks/view_bench.py --synthetic 2000   # no warehouse: a synthetic one in memory
    python benchmarks/view_bench.py --first-start      # python app.py on an empty home, then again

A render is the view's runners (each view module's ``render``: Branches, Overview, Customers,
Products, Channels) called the
way its page calls them, plus the filter bar's options (``cube.views.options``), under
``Scope.all()`` (a head-office user who may see customer rows), for the representative states
of ``cube.standard_queries.view_states`` (the bank, one region, one branch; the latest month
against the previous one). Each series: one untimed warm-up render, then ``--runs`` timed ones.

- **cache off**: the result cache is cleared before each render (the runners call
  ``cube.api.execute`` with the default cache, so clearing is the honest "off"). A query the
  render repeats (the months list) is answered from what the same render cached, as on the
  server. Compiled SQL stays memoised, as in a running server.
- **cache hit**: the same render again, every query answered from the cache.
- **raw DuckDB (base)**: the render's distinct aggregate queries (recorded from one render),
  each compiled without rollup routing, run one after the other as SQL on DuckDB; no labels,
  no pandas, no drill-through (which is never routed): the cost the rollups save.
- **profile**: per query of one cache-off render (median of ``--profile-runs``): compile,
  SQL run (with Arrow to pandas), labels; the rest of the render is the runners' pandas.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import ibis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cube import cache, connection, engine  # noqa: E402 - after the path fix above
from cube.api import Query, Scope  # noqa: E402
from cube.compile import compile_query  # noqa: E402
from cube.resolve import resolve  # noqa: E402
from cube.standard_queries import view_states  # noqa: E402
from cube.views import branches, channels, customers, options, products  # noqa: E402
from cube.views import overview as ov  # noqa: E402
from cube.views.state import ViewState  # noqa: E402

# Every built view, by page: the benchmark renders each as its page does.
VIEW_MODULES = {
    "branches": branches,
    "overview": ov,
    "customers": customers,
    "products": products,
    "channels": channels,
}

LANG = "en"
# The explain-the-change decompositions timed alone: (KPI, dimension), at the bank.
EXPLAIN_CASES = (("aum", "region"), ("aum", "branch"), ("avg_aum", "region"), ("aum", "category"))
TARGETS = {"off": 300.0, "hit": 50.0, "explain": 500.0, "first": 30.0, "later": 5.0}


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


def _series(fn: Callable[[], object], runs: int, before: Callable[[], object] | None = None) -> list[float]:
    """ms of ``runs`` calls of ``fn`` (``before`` runs untimed ahead of each)."""
    out = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _fmt(xs: list[float]) -> str:
    return f"{statistics.median(xs):.0f} / {_pct(xs, 0.95):.0f}"


# --- the renders ----------------------------------------------------------------------------


def filter_bar(state: ViewState, scope: Scope) -> None:
    """What the frame's filter bar asks for (``pages._frame.sync_filter_bar``)."""
    options.months(scope)
    options.org_options("region", state, scope, LANG)
    if state.region is not None:
        options.org_options("branch", state, scope, LANG)
    if state.branch is not None:
        options.org_options("manager", state, scope, LANG)
    for key in options.SOURCES:
        options.value_options(key, scope, LANG)


def _page(view) -> Callable[[ViewState, Scope], None]:
    """The page's render as a user meets it: the state resolved (``pages._frame.view_state``),
    the filter bar, then every runner the page calls (the view module's ``render``)."""

    def render(state: ViewState, scope: Scope) -> None:
        state = state.resolve(options.months(scope))
        filter_bar(state, scope)
        view.render(state, scope, LANG)

    return render


VIEWS = {name: _page(module) for name, module in VIEW_MODULES.items()}


# --- instrumentation ------------------------------------------------------------------------


@contextmanager
def _recording(sink: list[tuple[Query, Scope]]):
    """Record every aggregate query engine.execute is asked (api.execute and api.attainment
    both go through it)."""
    original = engine.execute

    def execute(query, scope, lang="en", use_cache=True):
        sink.append((query, scope))
        return original(query, scope, lang, use_cache)

    engine.execute = execute
    try:
        yield
    finally:
        engine.execute = original


@contextmanager
def _profiling(stats: dict):
    """Per query (cube, dimensions, served by): ms in total, compile, labels, the result
    cache's reads and writes; per render: ms in drill-through."""
    saved = engine._execute, engine._plan, engine.add_labels, engine._drill_through
    saved_cache = cache.get, cache.put
    current: list[dict] = []

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                if current:
                    current[-1][name] += (time.perf_counter() - t) * 1000

        return wrapper

    def execute(query, scope, lang, use_cache):
        current.append(defaultdict(float))
        t = time.perf_counter()
        try:
            result = saved[0](query, scope, lang, use_cache)
        finally:
            rec = current.pop()
        rec["total"] = (time.perf_counter() - t) * 1000
        dims = ",".join(d.split(".")[1] for d in query.dimensions) or "-"
        key = (query.cube, dims, result.served_by, "hit" if result.cached else "run")
        stats.setdefault(key, []).append(dict(rec))
        return result

    def drill(*a, **kw):
        t = time.perf_counter()
        try:
            return saved[3](*a, **kw)
        finally:
            stats.setdefault(("drill_through", "-", "-", "run"), []).append(
                {"total": (time.perf_counter() - t) * 1000}
            )

    engine._execute = execute
    engine._plan = timed("compile", saved[1])
    engine.add_labels = timed("labels", saved[2])
    engine._drill_through = drill
    cache.get, cache.put = timed("cache", saved_cache[0]), timed("cache", saved_cache[1])
    try:
        yield
    finally:
        engine._execute, engine._plan, engine.add_labels, engine._drill_through = saved
        cache.get, cache.put = saved_cache


def _raw_sqls(queries: list[tuple[Query, Scope]]) -> list[str]:
    """The distinct queries compiled over the base relations (no rollup routing)."""
    con = connection.backend()
    out = []
    for q, scope in dict.fromkeys(queries):
        expr, _, _ = compile_query(resolve(q), scope, con)
        out.append(str(ibis.to_sql(expr, dialect="duckdb")))
    return out


# --- the benchmark --------------------------------------------------------------------------


def _setup(synthetic: int | None) -> str:
    if synthetic:
        from tests.cube import tiny

        src = tiny.source_frames(customers=synthetic, txns=synthetic * 40)
        connection.use_connection(tiny.build(src), version=f"bench-{uuid.uuid4()}")
        return f"synthetic, {synthetic} customers, {synthetic * 40} transactions"
    from data import warehouse

    con = warehouse.open_readonly()
    n = con.sql("SELECT count(*) FROM customers").fetchone()[0]
    t = con.sql("SELECT count(*) FROM transactions").fetchone()[0]
    con.close()
    return f"warehouse {warehouse.data_version()}, {n} customers, {t} transactions"


def bench_views(args) -> None:
    what = _setup(args.synthetic)
    scope = Scope.all()
    states = view_states(scope)
    if args.states:
        states = {k: v for k, v in states.items() if k in args.states.split(",")}
    rows, profiles = [], {}
    for view, render in VIEWS.items():
        for sname, state in states.items():
            label = f"{view} / {sname}"
            cache.clear()
            t = time.perf_counter()
            render(state, scope)  # warm-up: first-call costs (compiling, label tables, rollup sizes)
            first = (time.perf_counter() - t) * 1000
            off = _series(lambda r=render, s=state: r(s, scope), args.runs, before=cache.clear)
            render(state, scope)  # fills the cache
            hit = _series(lambda r=render, s=state: r(s, scope), args.runs)
            recorded: list[tuple[Query, Scope]] = []
            cache.clear()
            with _recording(recorded):
                render(state, scope)
            sqls = _raw_sqls(recorded)
            backend = connection.backend()

            def raw(sqls=sqls, b=backend):
                for sql in sqls:
                    b.raw_sql(sql).to_arrow_table()

            raw()  # warm-up
            base = _series(raw, args.baseline_runs)
            stats: dict = {}
            with _profiling(stats):
                for _ in range(args.profile_runs):
                    cache.clear()
                    render(state, scope)
            profiles[label] = stats
            rows.append((label, first, off, hit, len(recorded), len(sqls), base))
            print(
                f"{label}: first {first:.0f} ms, off {_fmt(off)}, hit {_fmt(hit)}, raw {_fmt(base)}",
                file=sys.stderr,
            )
    bank = states["bank"]
    available = ov.months(scope)
    other = bank.comparison(available)
    explain_rows = []
    for kpi_key, dim in EXPLAIN_CASES:
        if not other:
            break

        def one(k=kpi_key, d=dim):
            ov.explain_change(bank, scope, k, d, other, bank.period, LANG)

        cache.clear()
        one()
        explain_rows.append((kpi_key, dim, _series(one, args.runs, before=cache.clear)))
        print(f"explain {kpi_key} by {dim}: {_fmt(explain_rows[-1][2])}", file=sys.stderr)

    print(f"View render benchmark: {what}; {args.runs} runs each (raw DuckDB: {args.baseline_runs});")
    print(f"period {bank.period} vs {other}; times in ms (p50 / p95)\n")
    print("| view / state | first render | cache off | cache hit | queries (distinct) | raw DuckDB (base) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, first, off, hit, n, nd, base in rows:
        print(f"| {label} | {first:.0f} | {_fmt(off)} | {_fmt(hit)} | {n} ({nd}) | {_fmt(base)} |")
    print("\nExplain the change alone, at the bank, cache off (ms, p50 / p95)\n")
    print("| KPI | by | cache off |")
    print("|---|---|---:|")
    for kpi_key, dim, xs in explain_rows:
        print(f"| {kpi_key} | {dim} | {_fmt(xs)} |")
    for label, stats in profiles.items():
        _print_profile(label, stats, args.profile_runs)


def _print_profile(label: str, stats: dict, runs: int) -> None:
    def med(recs: list[dict], field: str) -> float:
        per_run = len(recs) / runs
        return statistics.median(r.get(field, 0.0) for r in recs) * per_run

    print(f"\nProfile, {label}, cache off (ms per render, median of {runs}; calls per render)\n")
    print("| cube | by | served by | calls | total | compile | labels | cache r/w | SQL run + to pandas |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    total = 0.0
    for (cube_name, dims, served, kind), recs in sorted(
        stats.items(), key=lambda kv: -sum(r["total"] for r in kv[1])
    ):
        t, c, lab, rw = (med(recs, f) for f in ("total", "compile", "labels", "cache"))
        total += t
        served = f"{served} (cache hit)" if kind == "hit" else served
        run = max(t - c - lab - rw, 0.0) if kind == "run" else 0.0
        cells = [f"{len(recs) / runs:g}", *(f"{x:.1f}" for x in (t, c, lab, rw, run))]
        print(f"| {cube_name} | {dims} | {served} | " + " | ".join(cells) + " |")
    print(f"| **all cube calls** | | | | {total:.1f} | | | | |")


# --- first start ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(home: Path, timeout: float) -> float:
    """Seconds from ``python app.py`` to the first answer of ``/login``; the server is stopped."""
    port = _free_port()
    env = {**os.environ, "MAMS_HOME": str(home), "PORT": str(port), "HOST": "127.0.0.1", "MAMS_DEBUG": "0"}
    url = f"http://127.0.0.1:{port}/login"
    with open(home.parent / f"{home.name}-app-{uuid.uuid4().hex[:6]}.log", "w") as log:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"app.py exited with {proc.returncode}; see {log.name}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        if r.status == 200:
                            return time.perf_counter() - t
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.perf_counter() - t > timeout:
                    raise RuntimeError(f"/login did not answer within {timeout} s; see {log.name}")
                time.sleep(0.1)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def bench_first_start(args) -> None:
    parent = Path(tempfile.mkdtemp(prefix="mams-first-start-"))
    home = parent / "home"
    home.mkdir()
    try:
        first = _start(home, args.timeout)
        later = _start(home, args.timeout)
    finally:
        if not args.keep:
            shutil.rmtree(parent, ignore_errors=True)
    print("| start | seconds to /login | target |")
    print("|---|---:|---:|")
    what = "first (empty MAMS_HOME: generate + load the demo, then serve)"
    print(f"| {what} | {first:.1f} | <= {TARGETS['first']:.0f} |")
    print(f"| second (same home) | {later:.1f} | <= {TARGETS['later']:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--baseline-runs", type=int, default=None, help="runs of raw DuckDB (default: --runs)")
    ap.add_argument("--profile-runs", type=int, default=3)
    ap.add_argument("--synthetic", type=int, default=None)
    ap.add_argument("--states", default=None, help="comma-separated subset of bank,region,branch")
    ap.add_argument("--first-start", action="store_true", help="time python app.py on an empty home instead")
    ap.add_argument("--timeout", type=float, default=300.0, help="first-start: seconds to wait for /login")
    ap.add_argument("--keep", action="store_true", help="first-start: keep the temporary home")
    args = ap.parse_args()
    args.baseline_runs = args.baseline_runs or args.runs
    if args.first_start:
        bench_first_start(args)
    else:
        bench_views(args)


if __name__ == "__main__":
    main()
