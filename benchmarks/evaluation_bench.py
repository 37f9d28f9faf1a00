"""Campaign evaluation render benchmark: ``marketing.evaluation.evaluate`` plus building the
evaluation section's body (tiles, the four tables with their names, the uplift chart), as the
campaign detail runs them, for a campaign of ``--members`` members (100,000 by default).

    python benchmarks/evaluation_bench.py                      # the current warehouse ($MAMS_HOME)
    python benchmarks/evaluation_bench.py --members 20000 --runs 10

The campaign is written into a throwaway SQLite ops store (``MAMS_OPS_URL`` pointed at a
temporary file; ``--store URL`` to use another, e.g. PostgreSQL) with 10% control members,
targets assigned to the warehouse's own branches and managers, 1 to 3 contacts per target for
80% of them (through three channels), outcomes and amounts, and take-ups in both arms. Members
are the warehouse's customers (``customer_month`` of the latest month) when it has enough,
else numbers beyond them. Each series: one untimed warm-up, then ``--runs`` timed renders;
p50 / p95 / max in ms, for an analyst (every member) and for the branch manager of the busiest
branch, each render computing the evaluation afresh (the kept evaluations forgotten first),
then an analyst's repeat renders of the unchanged campaign (kept). ``--postgres`` runs it on a
throwaway PostgreSQL server instead. The target (issue 13): p95 <= 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _customers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from data import warehouse

    con = warehouse.open_readonly()
    try:
        table = con.execute(
            "SELECT customer_id, branch_id, manager_id FROM customer_month "
            "WHERE month_date = (SELECT max(month_date) FROM customer_month) ORDER BY customer_id"
        ).to_arrow_table()
    finally:
        con.close()
    return tuple(table.column(i).to_numpy() for i in range(3))


def build_campaign(members: int, seed: int = 0) -> tuple[int, int]:
    """Write the campaign; its id and the busiest branch."""
    from cube.views import campaign_products
    from data import ops_schema, ops_store

    rng = np.random.default_rng(seed)
    ids, branches, managers = _customers()
    if len(ids) >= members:
        pick = rng.choice(len(ids), size=members, replace=False)
        ids, branches, managers = ids[pick], branches[pick], managers[pick]
    else:
        extra = members - len(ids)
        take = rng.integers(0, len(ids), size=extra)
        ids = np.concatenate([ids, ids.max() + 1 + np.arange(extra)])
        branches, managers = (
            np.concatenate([branches, branches[take]]),
            np.concatenate([managers, managers[take]]),
        )
    products = campaign_products.product_rates()["product_code"].tolist()
    offered = products[:2]
    channels = ["phone_banking", "counter", "mobile_banking"]
    now = "2026-04-01T09:00:00"
    with ops_store.transaction() as con:
        group = con.execute(
            "INSERT INTO customer_groups (owner, name, origin, definition, data_version, member_count, aum, "
            "created_at) VALUES ('bench', :n, 'filter', '{}', 'x', :m, 0, :at) RETURNING id",
            {"n": f"bench {time.time()}", "m": members, "at": now},
        ).scalar()
        cid = con.execute(
            "INSERT INTO campaigns (name, objective, products, channels, start_date, end_date, "
            "cost_per_contact, budget, group_id, control_share, seed, priority, status, created_by, "
            "created_at) VALUES ('bench', '', :p, :c, '2026-03-01', '2026-03-31', 6.5, 1e7, :g, 0.1, 1, 5, "
            "'closed', 'bench', :at) "
            "RETURNING id",
            {"p": json.dumps(offered), "c": json.dumps(channels), "g": group, "at": now},
        ).scalar()
    arm = np.where(rng.random(members) < 0.1, "control", "target")
    segments = rng.choice(["S0", "S1", "S2", "S3", "S4"], size=members)
    rows = [
        {
            "campaign_id": cid,
            "customer_id": int(c),
            "arm": str(a),
            "branch_id": int(b),
            "manager_id": int(m) if a == "target" else None,
            "segment": str(s),
        }
        for c, a, b, m, s in zip(ids, arm, branches, managers, segments, strict=True)
    ]
    contacts, takeups = [], []
    for row in rows:
        if row["arm"] == "target" and rng.random() < 0.8:
            for k in range(int(rng.integers(1, 4))):
                reached = rng.random() < 0.85
                accepted = reached and rng.random() < 0.14
                contacts.append(
                    {
                        "campaign_id": cid,
                        "customer_id": row["customer_id"],
                        "manager_id": row["manager_id"],
                        "branch_id": row["branch_id"],
                        "channel": channels[k % 3],
                        "contacted_at": f"2026-03-{1 + k * 9:02d}T10:00:00",
                        "reached": int(reached),
                        "outcome": "accepted" if accepted else ("declined" if reached else None),
                        "product": offered[0] if accepted else None,
                        "amount": 20000.0 if accepted else None,
                        "source": "manual",
                        "recorded_by": "bench",
                        "recorded_at": now,
                    }
                )
        if rng.random() < 0.05:
            takeups.append(
                {
                    "campaign_id": cid,
                    "customer_id": row["customer_id"],
                    "product": offered[1],
                    "amount": 5000.0,
                    "taken_on": "2026-03-15",
                    "recorded_by": "bench",
                    "recorded_at": now,
                }
            )
    with ops_store.transaction() as con:
        for table, batch in (
            (ops_schema.campaign_members, rows),
            (ops_schema.campaign_contacts, contacts),
            (ops_schema.campaign_takeups, takeups),
        ):
            for start in range(0, len(batch), 20000):
                con.connection.execute(table.insert(), batch[start : start + 20000])
    if con.dialect == "postgresql":  # statistics, as autovacuum gathers them soon after a bulk load
        with ops_store.transaction() as con:
            con.execute("ANALYZE campaign_members, campaign_contacts, campaign_takeups")
    busiest = int(np.bincount(branches.astype(np.int64)).argmax())
    print(f"campaign {cid}: {members:,} members, {len(contacts):,} contacts, {len(takeups):,} take-ups")
    return int(cid), busiest


def time_renders(user, campaign_id: int, runs: int, cached: bool = False) -> list[float]:
    """Render times in ms; ``cached`` False forgets the kept evaluations before each render
    (what the first render after a change costs), True keeps them (a repeat render)."""
    from marketing import evaluation
    from pages import _campaign_eval

    _campaign_eval.evaluation_body(user, campaign_id, "en")  # warm-up
    out = []
    for _ in range(runs):
        if not cached:
            evaluation.clear_cache()
        started = time.perf_counter()
        _campaign_eval.evaluation_body(user, campaign_id, "en")
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(name: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"{name:<28} p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  max {max(ms):7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--store", default=None, help="ops store URL (default: a temporary SQLite file)")
    ap.add_argument(
        "--postgres",
        action="store_true",
        help="a throwaway PostgreSQL server (tests/pg_server.py) as the store",
    )
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    server = None
    store = args.store or f"sqlite:///{Path(tmp.name) / 'ops.sqlite'}"
    if args.postgres:
        from tests.pg_server import Server

        server = Server()
        store = server.new_database()
    # the store is chosen here, so this writes MAMS_OPS_URL; every read goes through settings
    os.environ.update(MAMS_OPS_URL=store)
    try:
        _run(args)
    finally:
        if server is not None:
            from data import ops_store

            ops_store.dispose(ops_store.url())
            server.stop()
        tmp.cleanup()


def _run(args: argparse.Namespace) -> None:
    from auth.users import User
    from data import ops_store, warehouse

    print(f"warehouse {warehouse.data_version()}, store {ops_store.url()}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    started = time.perf_counter()
    cid, branch = build_campaign(args.members)
    print(f"written in {time.perf_counter() - started:.1f} s")
    analyst = User("bench-analyst", "analyst")
    manager = User("bench-branch", "branch_manager", branch_id=branch)
    print(_summary("analyst (every member)", time_renders(analyst, cid, args.runs)))
    print(_summary(f"branch manager ({branch})", time_renders(manager, cid, args.runs)))
    print(_summary("analyst, repeat (kept)", time_renders(analyst, cid, args.runs, cached=True)))
    from marketing import evaluation

    started = time.perf_counter()
    for _ in range(args.runs):
        evaluation.clear_cache()
        evaluation.evaluate(analyst, cid)
    print(f"{'evaluate() alone (mean)':<28} {((time.perf_counter() - started) * 1000 / args.runs):7.1f} ms")
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
