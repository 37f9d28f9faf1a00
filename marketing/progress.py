"""A campaign's progress (branch and head-office view): contacts made, customers reached,
outcomes and amounts, by branch, by manager and day by day.

Counts come from the stored contacts (``campaign_contacts``) and the target arm
(``campaign_members``): ``targets`` are the assigned target members, ``contacts`` the contacts
made, ``customers_contacted`` / ``customers_reached`` distinct customers, ``declined`` /
``interested`` / ``accepted`` contacts with that outcome, ``amount`` the amounts taken.
``reach_rate`` is customers reached / targets. Scope: a branch manager sees their branch only,
head office (admin, analysts, the marketing head) every branch.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auth import roles
from auth.users import User
from cube import api
from cube.query import Filter, Query
from data import ops_store
from marketing.acting import scope_of
from marketing.contacts import MemberScope, campaign_row, member_scope
from marketing.errors import MarketingInputError, NotPermitted

BY = ("branch", "manager", "day")
COUNTS = (
    "contacts",
    "customers_contacted",
    "customers_reached",
    "declined",
    "interested",
    "accepted",
    "amount",
)


def reader_scope(user: User) -> MemberScope:
    """The members whose progress ``user`` reads: a branch manager their branch, head office all."""
    if user.role not in roles.CAMPAIGN_READERS:
        raise NotPermitted(f"role {user.role} does not read campaign progress")
    if user.role == roles.BRANCH_MANAGER:
        return member_scope(user)
    return MemberScope(all=True)


def _counts(contacts: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    if contacts.empty:
        return pd.DataFrame(columns=[*key, *COUNTS])
    reached = contacts[contacts["reached"] == 1]
    grouped = contacts.groupby(key, dropna=False)
    out = pd.DataFrame(
        {
            "contacts": grouped.size(),
            "customers_contacted": grouped["customer_id"].nunique(),
            "customers_reached": reached.groupby(key, dropna=False)["customer_id"].nunique(),
            "declined": grouped["outcome"].agg(lambda s: int((s == "declined").sum())),
            "interested": grouped["outcome"].agg(lambda s: int((s == "interested").sum())),
            "accepted": grouped["outcome"].agg(lambda s: int((s == "accepted").sum())),
            "amount": grouped["amount"].sum(min_count=1),
        }
    )
    return out.reset_index()


def _labels(member: str, keys, user: User, lang: str) -> dict[int, str]:
    keys = tuple(sorted({int(k) for k in keys if k is not None and not pd.isna(k)}))
    if not keys:
        return {}
    query = Query("customers", ("customers.customers",), (member,), (Filter(member, "in", keys),))
    frame = api.execute(query, scope_of(user), lang).frame
    return dict(zip(frame[member].astype("int64"), frame[api.label_column(member)].astype(str), strict=True))


def progress(user: User, campaign_id: Any, by: str = "branch", lang: str = "en") -> pd.DataFrame:
    """The campaign's progress grouped ``by`` "branch", "manager" or "day".

    Columns: the key (``branch_id`` and ``branch``; ``manager_id``, ``manager`` and
    ``branch_id``; or ``day`` with ``cum_contacts`` and ``cum_customers_reached``), ``targets``
    (not by day), :data:`COUNTS`, ``reach_rate`` (not by day). Branches and managers with
    targets and no contacts yet show zeros; the branch pool (no manager) has ``manager_id``
    null.
    """
    if by not in BY:
        raise MarketingInputError("by", f"one of {', '.join(BY)}")
    scope = reader_scope(user)
    where, params = scope.sql("m")
    con = ops_store.connect()
    try:
        campaign = campaign_row(con, campaign_id)
        params["campaign"] = campaign["id"]
        members = pd.DataFrame(
            [
                tuple(r)
                for r in con.execute(
                    "SELECT m.customer_id, m.branch_id, m.manager_id FROM campaign_members m "
                    f"WHERE m.campaign_id = :campaign AND m.arm = 'target' AND {where}",
                    params,
                ).fetchall()
            ],
            columns=["customer_id", "branch_id", "manager_id"],
        )
        contacts = pd.DataFrame(
            [
                tuple(r)
                for r in con.execute(
                    "SELECT k.customer_id, m.branch_id, k.manager_id, k.contacted_at, k.reached, k.outcome, "
                    "k.amount FROM campaign_contacts k JOIN campaign_members m "
                    "ON m.campaign_id = k.campaign_id AND m.customer_id = k.customer_id "
                    f"WHERE k.campaign_id = :campaign AND {where}",
                    params,
                ).fetchall()
            ],
            columns=[
                "customer_id",
                "branch_id",
                "manager_id",
                "contacted_at",
                "reached",
                "outcome",
                "amount",
            ],
        )
    finally:
        con.close()
    contacts["amount"] = pd.to_numeric(contacts["amount"], errors="coerce").astype(float)
    if by == "day":
        return _by_day(contacts)
    key = ["branch_id"] if by == "branch" else ["manager_id", "branch_id"]
    for frame in (members, contacts):
        for column in key:
            frame[column] = frame[column].astype("Int64")
    targets = members.groupby(key, dropna=False).size().rename("targets").reset_index()
    counts = _counts(contacts, key)
    out = targets.merge(counts, on=key, how="outer")
    out["targets"] = out["targets"].fillna(0).astype("int64")
    for column in COUNTS:
        if column == "amount":
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).fillna(0.0)
        else:
            out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0).astype("int64")
    out["reach_rate"] = [
        r / n if n else None for r, n in zip(out["customers_reached"], out["targets"], strict=True)
    ]
    branches = _labels("customers.branch", out["branch_id"], user, lang)
    out.insert(
        1 if by == "branch" else 2,
        "branch",
        [branches.get(b) if pd.notna(b) else None for b in out["branch_id"]],
    )
    if by == "manager":
        managers = _labels("customers.manager", out["manager_id"], user, lang)
        out.insert(1, "manager", [managers.get(m) if pd.notna(m) else None for m in out["manager_id"]])
    out = out.sort_values(key, na_position="last").reset_index(drop=True)
    return out.astype(object).where(out.notna(), None) if by == "manager" else out


def _by_day(contacts: pd.DataFrame) -> pd.DataFrame:
    columns = ["day", *COUNTS, "cum_contacts", "cum_customers_reached"]
    if contacts.empty:
        return pd.DataFrame(columns=columns)
    contacts = contacts.assign(day=pd.to_datetime(contacts["contacted_at"].str[:10]))
    out = _counts(contacts, ["day"]).sort_values("day").reset_index(drop=True)
    out["customers_reached"] = out["customers_reached"].fillna(0).astype("int64")
    out["amount"] = out["amount"].astype(float).fillna(0.0)
    out["cum_contacts"] = out["contacts"].cumsum()
    first = contacts[contacts["reached"] == 1].groupby("customer_id")["day"].min()
    firsts = first.value_counts()
    out["cum_customers_reached"] = [int(firsts[firsts.index <= d].sum()) for d in out["day"]]
    return out[columns]
