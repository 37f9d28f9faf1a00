"""Mining benchmark: every model run at bank scale, through the real entry point, with its peak memory.

    MAMS_HOME=/work/bench1m_mining python benchmarks/mining_bench.py            # every step
    MAMS_HOME=... python benchmarks/mining_bench.py --steps segmentation,rules --threads 1,2
    MAMS_HOME=... python benchmarks/mining_bench.py --steps renders --renders 20
    MAMS_HOME=... python benchmarks/mining_bench.py --json results.json         # keep the facts

The warehouse is the current one of ``$MAMS_HOME``; runs are recorded in that home's ops store
and mining folder, and segmentation and value runs publish their scores there (so point
``MAMS_HOME`` at a scratch home whose ``warehouse/`` links to the real files: nothing else is
written next to the warehouse).

Each step runs in its own child Python, so its peak RSS (``os.wait4`` of that child) is its
own. Steps:

- ``segmentation``, ``value``, ``churn`` (with dormancy), ``response``, ``crosssell`` (all
  products): ``mining.runs.run(kind, params)`` with the default parameters (plus ``threads``);
  publishing the scores is part of the run and of its wall time, not of the run's own
  ``metrics["seconds"]``.
- ``propensity``: ``runs.run("crosssell", {"products": [one]})``: one propensity model (with
  the run's rules, which cost about a second); "model" is ``PropensityModels.fit`` plus
  scoring every non-holder.
- ``rules``: ``mining.rules.AssociationRules`` with the run's defaults (support 0.01,
  confidence 0.1; ``--rules-support`` adds others) on ``features.product_matrix`` (every
  product), loading timed apart from fitting.
- ``renders``: the Segmentation and Cross-sell views' ``render(state, scope, lang)`` on the runs
  just made, each page in a fresh process: the first render (cold), then ``--renders`` renders
  with the cube's result cache cleared before each (cache off) and warm (cache hit), for an
  all-bank scope and a branch manager's. A view not built yet is reported as such.

Inside each child the main steps (feature loading, fits, scoring, publishing, writing) are
timed by wrapping them, so the output says where the time goes; nested timers overlap.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RUN_STEPS = ("segmentation", "value", "rules", "propensity", "crosssell", "churn", "response")
THREADED = ("segmentation", "propensity")  # timed with each --threads value; the others with 1
TARGETS = {"segmentation": 60.0, "rules": 10.0, "propensity": 60.0, "render_p95_ms": 500.0}
PAGES = {"segmentation": "cube.views.segmentation", "cross_sell": "cube.views.cross_sell"}
LANG = "en"

# What is timed inside a child: (module, attribute path); wrapped only if it exists.
TIMED = (
    ("mining.features", "behaviour_frame"),
    ("mining.features", "product_matrix"),
    ("mining.features", "profile_frame"),
    ("mining.features", "trend_frame"),
    ("mining.features", "churn_labels"),
    ("mining.features", "reactivation_labels"),
    ("mining.features", "response_frame"),
    ("mining.features", "response_candidates"),
    ("mining.segmentation", "BehaviourSegmenter.fit"),
    ("mining.segmentation", "BehaviourSegmenter._choose_k"),
    ("mining.segmentation", "BehaviourSegmenter.profile"),
    ("mining.segmentation", "BehaviourSegmenter.predict"),
    ("mining.runs", "migration_matrix"),
    ("mining.value", "ValueScorer.fit"),
    ("mining.rules", "AssociationRules.fit"),
    ("mining.crosssell", "PropensityModels.fit"),
    ("mining.crosssell", "PropensityModels.targets"),
    ("mining.runs", "affinity_table"),
    ("mining.classifier", "ScoringModel.fit"),
    ("mining.classifier", "ScoringModel.score_samples"),
    ("mining.churn", "ChurnModel.evaluate"),
    ("mining.churn", "ChurnModel.drivers"),
    ("mining.churn", "ChurnModel.warning_list"),
    ("mining.runs", "rank_dormant"),
    ("mining.runs", "RunContext.write"),
    ("mining.guards", "screen"),
    ("mining.preflight", "check"),
    ("data.scores", "publish"),
)


# --- inside a child -------------------------------------------------------------------------


def _instrument() -> dict:
    """Wrap every :data:`TIMED` callable that exists; returns {name: [seconds, calls]}."""
    timings: dict = defaultdict(lambda: [0.0, 0])
    for module_name, path in TIMED:
        try:
            owner = importlib.import_module(module_name)
        except ImportError:
            continue
        *parents, attr = path.split(".")
        for p in parents:
            owner = getattr(owner, p, None)
        original = getattr(owner, attr, None) if owner is not None else None
        if original is None:
            continue

        def wrapper(*a, _f=original, _n=path, **kw):
            t = time.perf_counter()
            try:
                return _f(*a, **kw)
            finally:
                timings[_n][0] += time.perf_counter() - t
                timings[_n][1] += 1

        setattr(owner, attr, wrapper)
    return timings


def _machine() -> dict:
    import duckdb
    import numpy
    import pandas
    import sklearn

    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return {
        "nproc": os.cpu_count(),
        "mem_gib": round(int(mem.split()[1]) / 1024**2, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
    }


def child_run(kind: str, params: dict) -> dict:
    """One ``mining.runs.run`` with progress marks and step timings."""
    from mining import runs

    timings = _instrument()
    marks: list[tuple[float, float, str]] = []
    started = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        # peak RSS so far: at "done" it is the model's own, before publishing the scores
        peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        marks.append((round(time.perf_counter() - started, 2), fraction, message, peak))

    built: list[tuple[float, str]] = []  # when publishing starts each rollup's SELECT
    from data import derive

    select = derive.rollup_select

    def rollup_select(rollup, *a, **kw):
        built.append((time.perf_counter() - started, rollup.name))
        return select(rollup, *a, **kw)

    derive.rollup_select = rollup_select
    result = runs.run(kind, params, progress=progress, created_by="mining_bench")
    wall = time.perf_counter() - started
    ends = [t for t, _ in built[1:]] + [wall] * bool(built)
    before_publish = next((m[3] for m in marks if m[2] == "done"), None)
    rollups = {name: round(end - t, 2) for (t, name), end in zip(built, ends, strict=True)}
    metrics = {k: v for k, v in result.metrics.items() if not isinstance(v, (dict, list)) or k == "holdout"}
    return {
        "wall_s": round(wall, 2),
        "run_s": result.metrics.get("seconds"),
        "run_id": result.run_id,
        "peak_mib_before_publish": before_publish,
        "metrics": metrics,
        "marks": marks,
        "publish_rollups_s": rollups,
        "timings": {k: [round(v[0], 2), v[1]] for k, v in timings.items()},
    }


def child_rules(min_support: float, min_confidence: float) -> dict:
    """``AssociationRules`` on every product's holdings, as the cross-sell run calls it."""
    from threadpoolctl import threadpool_limits

    from data import warehouse
    from mining import features
    from mining.rules import AssociationRules

    started = time.perf_counter()
    db = warehouse.open_readonly(threads=2, memory_limit="4GB")
    con = db.cursor()
    month = features.last_month(con)
    held = features.product_matrix(con, month, level="product")
    loaded = time.perf_counter()
    with threadpool_limits(limits=1):
        model = AssociationRules(min_support, min_confidence).fit(held)
        fitted = time.perf_counter()
        model.graph(top=50)
    done = time.perf_counter()
    db.close()
    return {
        "wall_s": round(done - started, 2),
        "load_s": round(loaded - started, 2),
        "fit_s": round(fitted - loaded, 2),
        "graph_s": round(done - fitted, 2),
        "metrics": {
            "customers": len(held),
            "products": held.shape[1],
            "itemsets": len(model.itemsets_),
            "rules": len(model.rules_),
            "min_support": min_support,
        },
    }


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


def child_renders(page: str, runs_each: int) -> dict:
    """Time ``render`` of one page's view (cold, cache off, cache hit) under two scopes."""
    try:
        module = importlib.import_module(PAGES[page])
    except ModuleNotFoundError:
        return {"status": f"not built yet ({PAGES[page]} does not exist)"}
    render = getattr(module, "render", None)
    if render is None:
        return {"status": f"not built yet ({PAGES[page]} has no render(state, scope, lang))"}
    from cube import cache
    from cube.api import Scope
    from cube.standard_queries import view_states
    from cube.views import options
    from cube.views.state import ViewState

    bank = Scope.all(identities=False)  # an analyst: all rows, identities masked
    branch_id = view_states(Scope.all())["branch"].branch
    manager = Scope.for_role("branch_manager", branch_id=branch_id)
    lookups = [0]
    original_get = cache.get

    def counting_get(k):
        lookups[0] += 1
        return original_get(k)

    cache.get = counting_get
    out: dict = {"status": "built", "branch_id": branch_id}
    for name, scope in (("all-bank (analyst)", bank), (f"branch manager (branch {branch_id})", manager)):
        state = options.home_state(ViewState(), scope, 2 if scope is manager else 0)
        state = state.resolve(options.months(scope))
        cache.clear()
        lookups[0] = 0
        t = time.perf_counter()
        render(state, scope, LANG)
        cold = (time.perf_counter() - t) * 1000
        uses_cache = lookups[0] > 0
        off, hit = [], []
        for _ in range(runs_each):
            cache.clear()
            t = time.perf_counter()
            render(state, scope, LANG)
            off.append((time.perf_counter() - t) * 1000)
        for _ in range(runs_each):
            t = time.perf_counter()
            render(state, scope, LANG)
            hit.append((time.perf_counter() - t) * 1000)
        out[name] = {
            "cold_ms": round(cold, 1),
            "uses_cube_cache": uses_cache,
            "off": [round(statistics.median(off), 1), round(_pct(off, 0.95), 1)],
            "hit": [round(statistics.median(hit), 1), round(_pct(hit, 0.95), 1)],
        }
    return out


def child(args) -> dict:
    if args.child == "rules":
        facts = child_rules(args.support, 0.1)
    elif args.child.startswith("render:"):
        facts = child_renders(args.child.split(":", 1)[1], args.renders)
    elif args.child == "propensity":
        facts = child_run("crosssell", {"products": [args.product], "threads": args.child_threads})
    else:
        facts = child_run(args.child, {"threads": args.child_threads})
    return facts


# --- the parent -----------------------------------------------------------------------------


def run_child(step: str, args, threads: int = 1, support: float = 0.01) -> dict:
    """Run one step in a child Python; add its wall time and peak RSS (MiB)."""
    cmd = [sys.executable, __file__, "--child", step, "--child-threads", str(threads)]
    cmd += ["--support", str(support), "--product", args.product, "--renders", str(args.renders)]
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    facts: dict = {"step": step, "threads": threads, "process_s": round(time.perf_counter() - started, 2)}
    facts["peak_mib"] = round(usage.ru_maxrss / 1024)
    facts["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    if code != 0:
        facts["error"] = f"exit code {code} (see stderr above)"
        return facts
    facts.update(json.loads(out.strip().splitlines()[-1]))
    return facts


def _verdict(seconds: float, limit: float) -> str:
    return "met" if seconds <= limit else "**missed**"


def report(results: list[dict], machine: dict) -> None:
    print(
        f"Mining benchmark, {time.strftime('%Y-%m-%d %H:%M')}: {machine['nproc']} cores ({machine['cpu']}), "
        f"{machine['mem_gib']} GiB, Python {machine['python']}, DuckDB {machine['duckdb']}, "
        f"pandas {machine['pandas']}, numpy {machine['numpy']}, scikit-learn {machine['scikit-learn']}\n"
    )
    print(
        "| step | threads | run s (its metrics) | wall s (with publishing) | target | "
        "peak RSS MiB (before publishing) | load | facts |"
    )
    print("|---|---:|---:|---:|---|---:|---|---|")
    for r in results:
        if r["step"].startswith("render:"):
            continue
        if "error" in r:
            print(
                f"| {r['step']} | {r['threads']} | - | {r['process_s']} | - | {r['peak_mib']} | - | "
                f"{r['error']} |"
            )
            continue
        name = r["step"] if r["step"] != "rules" else f"rules (support {r['metrics']['min_support']})"
        limit = TARGETS.get(r["step"])
        if r["step"] == "rules" and r["metrics"]["min_support"] != 0.01:
            limit = None  # the target is for the run's default support
        run_s = r.get("run_s") or r.get("wall_s")  # rules: load + fit
        target = "-"
        if limit:
            target = f"<= {limit:.0f} s: run {_verdict(run_s, limit)}, wall {_verdict(r['wall_s'], limit)}"
        peak = f"{r['peak_mib']:,}"
        if r.get("peak_mib_before_publish"):
            peak += f" ({r['peak_mib_before_publish']:,})"
        facts = {k: v for k, v in r.get("metrics", {}).items() if k not in ("seconds", "min_support")}
        print(
            f"| {name} | {r['threads']} | {run_s} | {r['wall_s']} | {target} | {peak} | "
            f"{r['load_1min']} | {json.dumps(facts, default=str)} |"
        )
    print("\nWhere the time goes (seconds, calls; nested timers overlap):\n")
    for r in results:
        if r.get("timings"):
            parts = ", ".join(
                f"{k} {v[0]} ({v[1]})" for k, v in sorted(r["timings"].items(), key=lambda kv: -kv[1][0])
            )
            print(f"- {r['step']} / {r['threads']} thread(s), load {r['load_1min']}: {parts}")
            if r.get("publish_rollups_s"):
                built = ", ".join(f"{k} {v}" for k, v in r["publish_rollups_s"].items())
                print(f"  - publishing, per rollup built: {built}")
        elif "load_s" in r:
            print(
                f"- rules {r['metrics']['min_support']}: load {r['load_s']}, "
                f"fit {r['fit_s']}, graph {r['graph_s']}"
            )
    print("\nPage renders (ms; off/hit are p50 / p95 of the timed renders):\n")
    print("| page | scope | first (cold) | cache off | cache hit | uses cube cache | p95 <= 500 ms |")
    print("|---|---|---:|---:|---:|---|---|")
    for r in results:
        if not r["step"].startswith("render:"):
            continue
        page = r["step"].split(":", 1)[1]
        if r.get("status") != "built":
            print(f"| {page} | - | - | - | - | - | {r.get('status') or r.get('error')} |")
            continue
        for scope, f in r.items():
            if isinstance(f, dict):
                print(
                    f"| {page} | {scope} | {f['cold_ms']:.0f} | {f['off'][0]:.0f} / {f['off'][1]:.0f} | "
                    f"{f['hit'][0]:.0f} / {f['hit'][1]:.0f} | {f['uses_cube_cache']} | "
                    f"off {_verdict(f['off'][1], TARGETS['render_p95_ms'])}, "
                    f"hit {_verdict(f['hit'][1], TARGETS['render_p95_ms'])} |"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", default=",".join((*RUN_STEPS, "renders")), help="comma-separated steps")
    parser.add_argument("--threads", default="1,2", help="threads settings for segmentation and propensity")
    parser.add_argument("--product", default="CL01", help="the product of the one-model propensity step")
    parser.add_argument("--rules-support", default="0.01", help="min_support values of the rules step")
    parser.add_argument(
        "--renders", type=int, default=20, help="timed renders per page, scope and cache mode"
    )
    parser.add_argument("--json", type=Path, help="also write every fact as JSON here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--support", type=float, default=0.01, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args), default=str))
        return 0
    from data import paths, warehouse

    print(
        f"MAMS_HOME={paths.home()}, warehouse {warehouse.data_version()}",
        file=sys.stderr,
    )
    steps = args.steps.split(",")
    results = []
    for step in steps:
        if step == "renders":
            todo = [(f"render:{page}", 1, 0.01) for page in PAGES]
        elif step == "rules":
            todo = [("rules", 1, float(s)) for s in args.rules_support.split(",")]
        elif step in THREADED:
            todo = [(step, int(t), 0.01) for t in args.threads.split(",")]
        elif step in RUN_STEPS:
            todo = [(step, 1, 0.01)]
        else:
            parser.error(f"unknown step {step!r}; choose from {(*RUN_STEPS, 'renders')}")
        for name, threads, support in todo:
            facts = run_child(name, args, threads, support)
            print(json.dumps(facts, default=str), file=sys.stderr, flush=True)
            results.append(facts)
    machine = _machine()
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=1, default=str))
    report(results, machine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
