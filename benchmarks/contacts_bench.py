"""Contact recording benchmark: ``marketing.contacts.record`` latency under concurrent writers.

    python benchmarks/contacts_bench.py                       # SQLite, 20 writers x 50 contacts
    python benchmarks/contacts_bench.py --postgres            # and a throwaway PostgreSQL server
    python benchmarks/contacts_bench.py --writers 4 --contacts 5   # a smoke run

Target (issue 13): recording a contact p95 <= 100 ms under 20 concurrent writers. What is
timed: one ``record()`` call as the work list's Save runs it (role and scope checks, the
campaign and member read, every field checked, the over-contact guard, the insert and its audit
row, all in one write transaction, committed), from the moment a writer calls it until it
returns. Writers start together (a barrier) and each records ``--contacts`` contacts with its
own target members, half of them relationship managers and half the branch manager of their
members' branch (two managers writing for the same customers at once). The store is a fresh one
in a temporary home (no warehouse is needed: recording reads the ops store only), holding one
running campaign of ``writers x contacts`` target members. ``--pause`` makes each writer wait
(uniformly 0.5-1.5 x the pause) between two contacts, as people saving forms do; with no pause
the writers keep the store saturated, every write transaction queued behind the others
(writers are serialised store-wide, each commit is one fsync on SQLite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

TARGET_P95_MS = 100.0
BRANCH = 7


def _setup(writers: int, contacts_each: int) -> tuple[list, int, list[list[int]]]:
    """Users (a relationship manager per writer pair, one branch manager), a running campaign,
    and the customers each writer records contacts with."""
    from argon2 import PasswordHasher

    from auth import passwords, roles, users
    from data import ops_store

    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # users made fast
    managers = max(1, writers // 2)
    rms = [
        users.create_user(f"rm{i}", "bench-pass-2026", roles.RELATIONSHIP_MANAGER, manager_id=1000 + i)
        for i in range(managers)
    ]
    branch = users.create_user("branch", "bench-pass-2026", roles.BRANCH_MANAGER, branch_id=BRANCH)
    admin = users.create_user("admin", "bench-pass-2026", roles.ADMIN)
    from marketing import settings as loop_settings

    loop_settings.update(admin, contact_limit=100, contact_window_days=30)
    today = dt.date.today()
    per_manager = contacts_each * 2
    with ops_store.transaction() as con:
        group = con.execute(
            "INSERT INTO customer_groups (owner, name, origin, definition, data_version, member_count, aum, "
            "created_at) VALUES ('admin', 'bench', 'selection', '{}', 'v', 0, 0, :at) RETURNING id",
            {"at": today.isoformat()},
        ).scalar()
        campaign = con.execute(
            "INSERT INTO campaigns (name, products, channels, start_date, end_date, cost_per_contact, "
            "budget, group_id, control_share, seed, priority, status, created_by, created_at) "
            "VALUES ('bench', :p, :c, :start, :end, 5, 1e6, :g, 0.1, 1, 5, 'running', 'admin', :at) "
            "RETURNING id",
            {
                "p": json.dumps(["FUND01"]),
                "c": json.dumps(["phone_banking", "counter"]),
                "start": (today - dt.timedelta(days=5)).isoformat(),
                "end": (today + dt.timedelta(days=30)).isoformat(),
                "g": group,
                "at": today.isoformat(),
            },
        ).scalar()
        from data import ops_schema

        con.connection.execute(
            ops_schema.campaign_members.insert(),
            [
                {
                    "campaign_id": campaign,
                    "customer_id": 100_000 + m * per_manager + k,
                    "arm": "target",
                    "branch_id": BRANCH,
                    "manager_id": 1000 + m,
                    "recommended_product": "FUND01",
                }
                for m in range(managers)
                for k in range(per_manager)
            ],
        )
    who, customers = [], []
    for w in range(writers):
        manager = w // 2 if w // 2 < managers else managers - 1
        who.append(rms[manager] if w % 2 else branch)
        # the pair of writers of one manager record for the same customers, one contact each
        customers.append([100_000 + manager * per_manager + k for k in range(contacts_each)])
    return who, int(campaign), customers


def _run(writers: int, contacts_each: int, pause: float = 0.0, keep_open: bool = False) -> dict:
    from data import ops_store
    from marketing import contacts

    who, campaign, customers = _setup(writers, contacts_each)
    # one connection held open for the run, as a pooled store would hold it: on SQLite the last
    # connection to close checkpoints the WAL (an fsync of the database file) at every close
    held = ops_store.connect() if keep_open else None
    if held is not None:
        held.execute("SELECT count(*) FROM users")  # SQLite opens the file at the first statement
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def write(w: int) -> None:
        mine: list[float] = []
        barrier.wait()
        for k, customer in enumerate(customers[w]):
            data = contacts.ContactInput(
                campaign,
                customer,
                "phone_banking" if w % 2 else "counter",
                dt.datetime.now() - dt.timedelta(minutes=k + 1),
                True,
                "accepted" if k % 3 == 0 else "declined",
                "FUND01" if k % 3 == 0 else None,
                1000.0 if k % 3 == 0 else None,
                "bench",
            )
            t0 = time.perf_counter()
            try:
                contacts.record(who[w], data)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            mine.append((time.perf_counter() - t0) * 1000)
            if pause:
                time.sleep(random.uniform(0.5 * pause, 1.5 * pause))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if held is not None:
        held.close()
    con = ops_store.connect()
    try:
        stored = con.execute("SELECT count(*) FROM campaign_contacts").scalar()
        audited = con.execute("SELECT count(*) FROM audit_log WHERE action = 'contact_record'").scalar()
    finally:
        con.close()
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered) if ordered else float("nan"),
        "p95": ordered[max(0, int(round(0.95 * len(ordered))) - 1)] if ordered else float("nan"),
        "max": ordered[-1] if ordered else float("nan"),
        "per_s": len(ordered) / wall if wall else 0.0,
        "errors": errors,
        "stored": stored,
        "audited": audited,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writers", type=int, default=20)
    ap.add_argument("--contacts", type=int, default=50, help="contacts each writer records")
    ap.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL server")
    ap.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds a writer waits between two contacts (0: back to back, the store saturated)",
    )
    ap.add_argument(
        "--keep-open",
        action="store_true",
        help="hold one store connection open during the run (what a pooled SQLite store would do)",
    )
    args = ap.parse_args(argv)
    print(f"# Contact recording benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {platform.node()}, {psutil.cpu_count()} cores; {args.writers} concurrent writers x "
        f"{args.contacts} contacts, pause {args.pause:g} s, keep-open {args.keep_open}; "
        f"uptime: {os.popen('uptime').read().strip()}"
    )
    print()
    print("| engine | contacts | p50 ms | p95 ms | max ms | contacts/s | errors | stored | p95 <= 100 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    engines = ["sqlite", *(["postgresql"] if args.postgres else [])]
    for engine in engines:
        home = tempfile.mkdtemp(prefix="mams-contacts-bench-")
        os.environ.update(MAMS_HOME=home)
        server = None
        if engine == "postgresql":
            from tests.pg_server import Server

            server = Server()
            os.environ.update(MAMS_OPS_URL=server.new_database())
        else:
            os.environ.pop("MAMS_OPS_URL", None)
        from settings import get_settings

        getattr(get_settings, "cache_clear", lambda: None)()
        try:
            r = _run(args.writers, args.contacts, args.pause, args.keep_open)
        finally:
            if server is not None:
                from data import ops_store

                ops_store.dispose(ops_store.url())
                server.stop()
        ok = r["p95"] <= TARGET_P95_MS and not r["errors"] and r["stored"] == r["n"] == r["audited"]
        print(
            f"| {engine} | {r['n']:,} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
            f"{r['per_s']:,.0f} | {len(r['errors'])} | {r['stored']:,} | {'met' if ok else 'NOT met'} |"
        )
        for line in sorted(set(r["errors"]))[:5]:
            print(f"    error: {line}")


if __name__ == "__main__":
    main()
