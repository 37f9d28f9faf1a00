"""Mining benchmark: time and peak memory of the models at bank scale (default 1M customers).

    python benchmarks/mining_bench.py                    # 1M customers, synthetic feature frames
    python benchmarks/mining_bench.py --rows 200000      # smaller
    python benchmarks/mining_bench.py --warehouse        # features from the current warehouse

There is usually no 1M-customer warehouse at hand, so by default the frames the models consume
are synthesised with the shapes :mod:`mining.features` produces: a behaviour frame with the
columns of ``features.BEHAVIOUR_FEATURES`` (six latent groups with distinct channel and product
habits) and a customers x 14 products holdings matrix with planted affinity pairs. Building the
data is not timed; only the model step is. Each step runs in its own child process so its peak
RSS (``os.wait4``) is its own. Prints a Markdown table.

Steps: segmentation (standardise, factor analysis on a sample, k by silhouette on a sample,
MiniBatchKMeans on all rows, profiles, 2-D projection); association rules (all itemsets and
single-consequent rules at support 0.001, confidence 0.1); one propensity model trained on a
50k sample and scored on every non-holder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PRODUCTS = ("DD01", "TD03", "TD12", "DC01", "CC01", "CL01", "ML01", "BL01", "FD01", "WM01", "IN01", "FX01",
            "UP01", "OS01")  # fmt: skip
PAIRS = (("CC01", "CL01"), ("ML01", "IN01"), ("FD01", "WM01"), ("BL01", "FX01"))


def synthetic_behaviour(rows: int, seed: int = 0):
    """A behaviour frame shaped like ``features.behaviour_frame`` with six latent groups."""
    import numpy as np
    import pandas as pd

    from mining import features

    rng = np.random.default_rng(seed)
    groups = rng.choice(6, rows, p=[0.2, 0.17, 0.08, 0.16, 0.1, 0.29])
    channels = rng.dirichlet(np.ones(9) * 0.7, 6)
    mix = np.vstack([rng.dirichlet(channels[g] * 30) for g in range(6)])  # per-group share centre
    shares = mix[groups] + rng.normal(0, 0.03, (rows, 9))
    shares = np.clip(shares, 0, None)
    shares /= shares.sum(axis=1, keepdims=True)
    held = rng.random((rows, 13)) < rng.uniform(0.02, 0.9, (6, 13))[groups]
    frame = {f"share_{c}": shares[:, i] for i, c in enumerate(features.CHANNELS)}
    aum_mu = np.array([10.0, 11.9, 14.0, 11.0, 12.6, 8.5])[groups]
    frame.update(
        log_txn_count=np.log1p(rng.poisson(np.array([7.5, 2.5, 5, 5, 7, 0.9])[groups] * 3) / 3),
        log_txn_amount=rng.normal(8, 1.5, rows),
        active_share=rng.beta(2, 1, rows),
        log_aum=rng.normal(aum_mu, 1.0),
        log_loan_balance=np.where(rng.random(rows) < 0.4, rng.normal(11, 1.5, rows), 0.0),
        investment_share=rng.beta(1, 4, rows),
        product_count=held.sum(axis=1).astype(float),
    )
    frame.update({f"has_{c}": held[:, i].astype(float) for i, c in enumerate(features.CATEGORIES)})
    out = pd.DataFrame(frame)
    out.insert(0, "customer_id", np.arange(1, rows + 1, dtype=np.int64))
    out["aum"] = np.exp(out["log_aum"])
    out["contribution"] = out["aum"] * 0.001 + rng.gamma(2, 20, rows)
    return out, groups


def synthetic_holdings(rows: int, seed: int = 1):
    """A customers x products bool matrix with the planted affinity pairs."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rates = np.array([1.0, 0.2, 0.25, 0.85, 0.35, 0.08, 0.15, 0.08, 0.12, 0.12, 0.15, 0.06, 0.4, 0.3])
    held = pd.DataFrame(rng.random((rows, len(PRODUCTS))) < rates, columns=list(PRODUCTS))
    for a, b in PAIRS:
        held[b] |= held[a] & (rng.random(rows) < 0.35)
    return held


def _warehouse_frames():
    from data import warehouse
    from mining import features

    con = warehouse.open_readonly().cursor()
    behaviour = features.behaviour_frame(con)
    held = features.product_matrix(con, level="product")
    return behaviour, held, features.own_balance_features(con)


def step(name: str, rows: int, use_warehouse: bool, threads: int) -> dict:
    """Run one benchmark step in this process with ``threads`` CPU threads; return its facts."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        return _step(name, rows, use_warehouse)


def _step(name: str, rows: int, use_warehouse: bool) -> dict:
    own_features = None
    if use_warehouse:
        behaviour, held, own_features = _warehouse_frames()
    else:
        behaviour = synthetic_behaviour(rows)[0] if name == "segmentation" or name == "propensity" else None
        held = synthetic_holdings(rows) if name in ("rules", "propensity") else None
    started = time.perf_counter()
    facts: dict = {}
    if name == "segmentation":
        from mining import features
        from mining.segmentation import BehaviourSegmenter

        seg = BehaviourSegmenter(features=list(features.BEHAVIOUR_FEATURES), random_state=0).fit(behaviour)
        facts = {"k": seg.n_clusters_, "rows": len(behaviour)}
    elif name == "rules":
        from mining.rules import AssociationRules

        model = AssociationRules(min_support=0.001, min_confidence=0.1).fit(held)
        facts = {"itemsets": len(model.itemsets_), "rules": len(model.rules_), "rows": len(held)}
    elif name == "propensity":
        from mining.crosssell import PropensityModels

        if use_warehouse:
            behaviour = behaviour[behaviour["customer_id"].isin(held.index)]
            held = held.loc[behaviour["customer_id"].to_numpy()]
        X = behaviour.drop(columns=[c for c in behaviour.columns if c.startswith("has_")])
        product = "CL01" if "CL01" in held.columns else held.columns[1]
        models = PropensityModels(
            products=[product], train_size=50_000, random_state=0, own_features=own_features
        ).fit(held, X)
        targets = models.targets(held, X, X["customer_id"], product)
        facts = {
            "product": product,
            "auc": round(float(models.metrics_["auc"].iloc[0]), 4),
            "scored": len(targets),
            "rows": len(held),
        }
    facts["seconds"] = round(time.perf_counter() - started, 2)
    facts["step"] = name
    return facts


def run_child(name: str, rows: int, use_warehouse: bool, threads: int) -> dict:
    """Run ``step`` in a child Python; add its peak RSS in MiB."""
    args = [sys.executable, __file__, "--step", name, "--rows", str(rows), "--threads", str(threads)] + (
        ["--warehouse"] if use_warehouse else []
    )
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"step {name} failed")
    facts = json.loads(out.strip().splitlines()[-1])
    facts["peak_mib"] = round(usage.ru_maxrss / 1024, 1)
    return facts


LIMITS = {"segmentation": 60.0, "rules": 10.0, "propensity": 60.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="customers to synthesise")
    parser.add_argument("--warehouse", action="store_true", help="read features from the current warehouse")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model libraries")
    parser.add_argument("--step", choices=sorted(LIMITS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(step(args.step, args.rows, args.warehouse, args.threads)))
        return 0
    source = "current warehouse" if args.warehouse else f"synthetic frames, {args.rows:,} customers"
    print(f"Mining benchmark ({source}; {os.cpu_count()} cores, {args.threads} threads)\n")
    print("| step | rows | seconds | limit | peak RSS (MiB) | facts |")
    print("|---|---:|---:|---:|---:|---|")
    for name, limit in LIMITS.items():
        facts = run_child(name, args.rows, args.warehouse, args.threads)
        extra = {k: v for k, v in facts.items() if k not in ("step", "seconds", "peak_mib", "rows")}
        cells = [name, f"{facts['rows']:,}", facts["seconds"], f"{limit:.0f}", facts["peak_mib"], extra]
        print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
