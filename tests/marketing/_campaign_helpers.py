"""Helpers of the campaign tests: a stored customer group made straight in the tables (the
groups module's contract), customers of the demo warehouse, a campaign input and contacts."""

from __future__ import annotations

import datetime as dt
import functools
import json

import pandas as pd

from cube.api import Query, Scope, execute
from data import ops_schema, ops_store
from marketing.campaigns import CampaignInput


@functools.cache
def customers() -> pd.DataFrame:
    """``customer_id, branch_id, manager_id`` of every customer in the latest month."""
    query = Query(
        "customers",
        measures=("customers.customers",),
        dimensions=("customers.customer", "customers.branch", "customers.manager"),
    )
    frame = execute(query, Scope.all(identities=False)).frame
    frame = frame[frame["customers.customers"] > 0]
    return pd.DataFrame(
        {
            "customer_id": frame["customers.customer"].astype("int64").to_numpy(),
            "branch_id": frame["customers.branch"].astype("int64").to_numpy(),
            "manager_id": frame["customers.manager"].astype("int64").to_numpy(),
        }
    ).sort_values("customer_id", ignore_index=True)


def in_branch(branch_id: int) -> pd.DataFrame:
    found = customers()
    return found[found["branch_id"] == branch_id].reset_index(drop=True)


def make_group(owner: str, customer_ids, name: str | None = None) -> int:
    """A saved customer group of ``customer_ids`` owned by ``owner``; its id."""
    ids = sorted({int(c) for c in customer_ids})
    known = customers().set_index("customer_id")
    with ops_store.transaction() as con:
        group_id = int(
            con.execute(
                "INSERT INTO customer_groups (owner, name, origin, definition, data_version, member_count, "
                "aum, created_at) VALUES (:o, :n, 'selection', :d, 'test', :c, 0, :at) RETURNING id",
                {
                    "o": owner,
                    "n": name or f"group of {len(ids)} ({owner}, {ids[:1]})",
                    "d": json.dumps({"customer_ids": len(ids)}),
                    "c": len(ids),
                    "at": "2026-01-01T00:00:00",
                },
            ).scalar()
        )
        if ids:
            con.connection.execute(
                ops_schema.customer_group_members.insert(),
                [
                    {
                        "group_id": group_id,
                        "customer_id": i,
                        "branch_id": int(known.at[i, "branch_id"]) if i in known.index else None,
                        "manager_id": int(known.at[i, "manager_id"]) if i in known.index else None,
                        "aum": 0.0,
                    }
                    for i in ids
                ],
            )
    return group_id


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def campaign_input(group: int, **changes) -> CampaignInput:
    values = {
        "name": "Funds for wealthy savers",
        "objective": "Sell funds",
        "products": ("FD01", "WM01"),
        "channels": ("phone_banking", "counter"),
        "start_date": today() + dt.timedelta(days=1),
        "end_date": today() + dt.timedelta(days=30),
        "cost_per_contact": 10.0,
        "budget": 1_000_000.0,
        "group_id": group,
        "control_share": 0.1,
        "priority": 5,
    }
    values.update(changes)
    return CampaignInput(**values)


def add_contact(campaign_id: int, customer_id: int, at: dt.datetime) -> None:
    """A recorded contact, straight in the table (what the contact recorder stores)."""
    with ops_store.transaction() as con:
        con.execute(
            "INSERT INTO campaign_contacts (campaign_id, customer_id, channel, contacted_at, reached, "
            "source, recorded_by, recorded_at) VALUES (:c, :k, 'phone_banking', :at, 1, 'manual', 't', :at)",
            {"c": campaign_id, "k": int(customer_id), "at": at.isoformat(timespec="seconds")},
        )


def audit_actions() -> list[tuple[str, str]]:
    con = ops_store.connect()
    try:
        return [
            (r[0], r[1]) for r in con.execute("SELECT username, action FROM audit_log ORDER BY id").fetchall()
        ]
    finally:
        con.close()


def member_rows(campaign_id: int) -> pd.DataFrame:
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT * FROM campaign_members WHERE campaign_id = :id ORDER BY customer_id", {"id": campaign_id}
        ).fetchall()
        cols = rows[0].keys() if rows else [c.name for c in ops_schema.campaign_members.columns]
    finally:
        con.close()
    return pd.DataFrame(rows, columns=cols)
