"""Campaign benchmark: create a campaign over a group of 100,000 customers and approve it, with
the over-contact guard and the assignment, on a fresh operational store.

    MAMS_HOME=/work/bench1m python benchmarks/campaigns_bench.py              # 100,000 members, SQLite
    MAMS_HOME=/work/bench1m python benchmarks/campaigns_bench.py --pg URL     # the same on PostgreSQL
    python benchmarks/campaigns_bench.py --members 5000                        # the current warehouse

Target (issue 13): assigning 100,000 customers with the over-contact check in at most 10 s.
What is timed, as a maker and an approver run it:

- **create**: ``marketing.campaigns.create``: every field checked, the group's members described
  through the cube under the maker's scope (latest month: branch, own manager, segment, best
  offer), the control held out per branch, the recommended product and reason, the assignment
  preview, the members written (bulk) and audited.
- **conflicts**: ``marketing.guard.conflicts`` over the target arm (the report the detail shows).
- **approve**: ``marketing.campaigns.approve`` with ``priority``: the guard's conflicts resolved
  (customers taken from a lower-priority campaign or excluded) and the target arm assigned again
  (own manager, else capacity, else pool), in one write transaction.

The store is made busy first: another approved campaign over half the members (priority 5) and
one recorded contact (by that campaign) for a tenth of them in the 30 days before the start,
with the limit at 1 contact in 30 days: the guard takes the half not yet contacted from the
other campaign (this one has the first priority) and excludes the tenth it already contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _customers(n: int):
    from cube.api import Query, Scope, execute

    query = Query("customers", measures=("customers.customers",), dimensions=("customers.customer",))
    frame = execute(query, Scope.all(identities=False)).frame
    ids = frame.loc[frame["customers.customers"] > 0, "customers.customer"].astype("int64").sort_values()
    return ids.head(n).to_numpy()


def _group(owner: str, ids, name: str) -> int:
    from data import ops_schema, ops_store

    with ops_store.transaction() as con:
        group_id = int(
            con.execute(
                "INSERT INTO customer_groups (owner, name, origin, definition, data_version, member_count, "
                "aum, created_at) VALUES (:o, :n, 'selection', '{}', 'bench', :c, 0, :at) RETURNING id",
                {"o": owner, "n": name, "c": len(ids), "at": dt.datetime.now(dt.UTC).isoformat()},
            ).scalar()
        )
        con.connection.execute(
            ops_schema.customer_group_members.insert(),
            [{"group_id": group_id, "customer_id": int(i)} for i in ids],
        )
    return group_id


def _contacts(campaign_id: int, ids, start: dt.date) -> None:
    from data import ops_schema, ops_store

    at = (dt.datetime.combine(start, dt.time()) - dt.timedelta(days=5)).isoformat(timespec="seconds")
    with ops_store.transaction() as con:
        con.connection.execute(
            ops_schema.campaign_contacts.insert(),
            [
                {
                    "campaign_id": campaign_id,
                    "customer_id": int(i),
                    "channel": "phone_banking",
                    "contacted_at": at,
                    "reached": 1,
                    "source": "manual",
                    "recorded_by": "bench",
                    "recorded_at": at,
                }
                for i in ids
            ],
        )


def run(members: int) -> list[tuple[str, float, str]]:
    from auth import roles, users
    from marketing import campaigns, guard
    from marketing import settings as loop_settings

    password = "bench-pass-2026-campaigns"
    admin = users.create_user("admin", password, roles.ADMIN)
    analyst = users.create_user("analyst", password, roles.ANALYST)
    head = users.create_user("head", password, roles.MARKETING_HEAD)
    loop_settings.update(admin, contact_limit=1, contact_window_days=30)
    ids = _customers(members)
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    data = {
        "objective": "bench",
        "products": ("FD01", "WM01"),
        "channels": ("phone_banking",),
        "start_date": start,
        "end_date": start + dt.timedelta(days=30),
        "cost_per_contact": 1.0,
        "budget": 10.0 * len(ids),
        "control_share": 0.1,
    }
    # the busy store: an approved campaign over half of them, contacts for a tenth
    half = _group("analyst", ids[: len(ids) // 2], "bench half")
    other = campaigns.create(
        analyst, campaigns.CampaignInput(name="existing", group_id=half, priority=5, **data)
    )
    campaigns.submit(analyst, other.id)
    campaigns.approve(head, other.id)
    _contacts(other.id, ids[: len(ids) // 10], start)

    group = _group("analyst", ids, "bench all")
    out = []
    t0 = time.perf_counter()
    made = campaigns.create(
        analyst, campaigns.CampaignInput(name="bench", group_id=group, priority=1, **data)
    )
    t1 = time.perf_counter()
    out.append(("create", t1 - t0, f"{made.targets:,} targets, {made.controls:,} controls"))
    found = guard.conflicts(made.id)
    t2 = time.perf_counter()
    out.append(("conflicts", t2 - t1, f"{len(found):,} customers over the limit"))
    campaigns.submit(analyst, made.id)
    t3 = time.perf_counter()
    approved = campaigns.approve(head, made.id, resolution="priority")
    t4 = time.perf_counter()
    yielded = sum(len(v) for v in approved.extra["yielded"].values())
    out.append(
        (
            "approve",
            t4 - t3,
            f"{len(approved.extra['excluded']):,} excluded, {yielded:,} taken from the other",
        )
    )
    out.append(("create + approve", (t1 - t0) + (t4 - t3), f"{len(ids):,} members"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000, help="group size (default 100,000)")
    parser.add_argument("--pg", help="a PostgreSQL URL for the store (an empty database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(MAMS_OPS_URL=args.pg or f"sqlite:///{Path(tmp) / 'ops.sqlite'}")
        from cube import connection

        engine = "PostgreSQL" if args.pg else "SQLite"
        rows = run(args.members)
        print(
            f"Campaign benchmark, store on {engine}, data version {connection.data_version()}, "
            f"{platform.node()} ({os.cpu_count()} cores)\n"
        )
        print("| step | seconds | what |")
        print("|---|---:|---|")
        for name, seconds, what in rows:
            print(f"| {name} | {seconds:.2f} | {what} |")


if __name__ == "__main__":
    main()
