"""Assignment (分配): a campaign's target customers to branches and relationship managers.

The rule, in order: the customer's own manager (the warehouse's ``customers.manager_id`` as the
customers cube shows it in the latest month) when that manager works in the member's branch;
else the branch's managers with the most remaining capacity (``manager_capacity`` target
customers per manager per campaign, :mod:`marketing.settings`; own customers count against it,
ties to the lower manager id); else the branch's pool (``manager_id`` NULL, for the branch
manager to hand out). Control and excluded members are never assigned.

A manager's branch is the branch holding most of their customers in the latest month.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from auth import audit, roles
from auth.users import User
from cube import api
from cube.api import Query, Scope
from data import ops_store
from marketing import settings as loop_settings
from marketing.errors import MarketingInputError, NotPermitted
from marketing.guard import bulk_update, read_frame

STAFF_QUERY = Query(
    "customers", measures=("customers.customers",), dimensions=("customers.branch", "customers.manager")
)
# who may hand customers to other managers: head office anywhere, branch managers in their branch
HEAD_OFFICE = {roles.ADMIN, roles.ANALYST, roles.MARKETING_HEAD}
REASSIGNABLE = ("approved", "running")


def staff() -> pd.DataFrame:
    """Every manager with customers in the latest month and their branch: ``manager_id``,
    ``branch_id`` (int64), by manager id."""
    frame = api.execute(STAFF_QUERY, Scope.all(identities=False)).frame
    frame = frame[frame["customers.customers"].fillna(0) > 0].dropna(subset=["customers.manager"])
    if frame.empty:
        return pd.DataFrame({"manager_id": np.array([], np.int64), "branch_id": np.array([], np.int64)})
    frame = frame.sort_values(["customers.manager", "customers.customers"], ascending=[True, False])
    top = frame.drop_duplicates("customers.manager")
    return pd.DataFrame(
        {
            "manager_id": top["customers.manager"].astype(np.int64).to_numpy(),
            "branch_id": top["customers.branch"].astype(np.int64).to_numpy(),
        }
    ).reset_index(drop=True)


def plan(branch_ids: np.ndarray, owner_ids: np.ndarray, managers: pd.DataFrame, capacity: int) -> np.ndarray:
    """The manager of each target member (float array, NaN = the branch pool) by the module's
    rule; members in the order given (callers sort by customer id, so a plan is reproducible).

    ``managers``: ``manager_id``, ``branch_id`` of the bank's managers (:func:`staff`).
    """
    n = len(branch_ids)
    branch = pd.array(branch_ids, dtype="Int64")
    owner = pd.array(owner_ids, dtype="Int64")
    works_in = pd.Series(managers["branch_id"].to_numpy(), index=managers["manager_id"].to_numpy())
    owner_branch = pd.Series(owner).map(works_in).astype("Int64")
    own = (owner_branch == pd.Series(branch)).fillna(False).to_numpy(dtype=bool)
    out = np.full(n, np.nan)
    out[own] = np.asarray(owner, dtype="float64")[own]
    rest = np.flatnonzero(~own & pd.Series(branch).notna().to_numpy())
    if not len(rest) or managers.empty:
        return out
    used = pd.Series(out[own]).value_counts()
    remaining = (capacity - used.reindex(managers["manager_id"].astype(float)).fillna(0).to_numpy()).clip(0)
    remaining = remaining.astype(np.int64)
    # one slot per unit of remaining capacity, valued by the capacity left before it is taken:
    # handing out the highest-valued slots first = always to the manager with most remaining
    mgr = np.repeat(managers["manager_id"].to_numpy(np.int64), remaining)
    mbr = np.repeat(managers["branch_id"].to_numpy(np.int64), remaining)
    starts = np.repeat(np.cumsum(remaining) - remaining, remaining)
    value = np.repeat(remaining, remaining) - (np.arange(len(mgr)) - starts)
    order = np.lexsort((mgr, -value, mbr))
    mgr, mbr = mgr[order], mbr[order]
    slot_rank = np.arange(len(mbr)) - np.searchsorted(mbr, mbr, side="left")
    members = pd.DataFrame({"pos": rest, "branch": np.asarray(branch, dtype="float64")[rest]})
    members["rank"] = members.groupby("branch").cumcount()
    slots = pd.DataFrame({"branch": mbr.astype("float64"), "rank": slot_rank, "manager": mgr})
    matched = members.merge(slots, on=["branch", "rank"], how="inner")
    out[matched["pos"].to_numpy()] = matched["manager"].to_numpy(dtype="float64")
    return out


def owners(customer_ids: np.ndarray, scope: Scope) -> pd.DataFrame:
    """``customer_id``, ``branch_id``, ``manager_id`` of the customers in the latest month."""
    from cube.views.groups import describe

    frame = describe(customer_ids, scope)
    return frame[["customer_id", "branch_id", "manager_id"]]


def assign(con: ops_store.StoreConnection, campaign_id: int, by: str) -> dict[str, int]:
    """Assign the campaign's target members by the rule, inside the caller's write transaction
    (at approval): members whose manager changes are updated, every target member is stamped
    with ``by`` and the time. Returns counts: ``assigned`` (to a manager), ``pool``."""
    members = read_frame(
        con,
        "SELECT customer_id, branch_id, manager_id FROM campaign_members "
        "WHERE campaign_id = :id AND arm = 'target' ORDER BY customer_id",
        {"id": int(campaign_id)},
        ["customer_id", "branch_id", "manager_id"],
    )
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if members.empty:
        return {"assigned": 0, "pool": 0}
    found = owners(members["customer_id"].to_numpy(np.int64), Scope.all(identities=False))
    found = members[["customer_id"]].merge(found, on="customer_id", how="left", suffixes=("", "_now"))
    branch = found["branch_id"].astype("Float64").fillna(members["branch_id"].astype("Float64")).to_numpy()
    capacity = loop_settings.load(con).manager_capacity
    planned = plan(branch, found["manager_id"].to_numpy(), staff(), capacity)
    before = members["manager_id"].astype("float64").to_numpy()
    branch_before = members["branch_id"].astype("float64").to_numpy()
    changed = ~(
        ((planned == before) | (np.isnan(planned) & np.isnan(before)))
        & ((branch == branch_before) | (np.isnan(branch) & np.isnan(branch_before)))
    )
    if changed.any():
        bulk_update(
            con,
            "campaign_members",
            {"manager_id": "integer", "branch_id": "integer"},
            {"campaign_id": "integer", "customer_id": "integer"},
            [
                (None if np.isnan(m) else int(m), None if np.isnan(b) else int(b), int(campaign_id), int(c))
                for c, m, b in zip(
                    members["customer_id"][changed], planned[changed], branch[changed], strict=True
                )
            ],
        )
    con.execute(
        "UPDATE campaign_members SET assigned_by = :by, assigned_at = :at "
        "WHERE campaign_id = :id AND arm = 'target'",
        {"by": by, "at": now, "id": int(campaign_id)},
    )
    pool = int(np.isnan(planned).sum())
    return {"assigned": len(planned) - pool, "pool": pool}


def reassign(user: User, campaign_id: int, customer_ids, manager_id: int | None) -> int:
    """Hand target members of an approved or running campaign to ``manager_id`` (None: the
    branch pool). Branch managers: members and manager of their own branch only; head office
    anywhere (the manager must work in each member's branch). Audited. Returns members moved.

    Raises
    ------
    NotPermitted
        Another role, or members / manager outside a branch manager's branch.
    MarketingInputError
        ``customer_ids`` empty, not target members (controls are never assigned) or
        ``manager_id`` not a manager of the members' branch.
    """
    if user.role not in HEAD_OFFICE and user.role != roles.BRANCH_MANAGER:
        raise NotPermitted("only head office and branch managers reassign customers")
    try:
        ids = sorted({int(c) for c in customer_ids})
    except (TypeError, ValueError):
        raise MarketingInputError("customer_ids", "must be customer numbers") from None
    if not ids:
        raise MarketingInputError("customer_ids", "choose at least one customer")
    works_in = staff().set_index("manager_id")["branch_id"]
    if manager_id is not None and int(manager_id) not in works_in.index:
        raise MarketingInputError("manager_id", f"{manager_id} is not a relationship manager")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with ops_store.transaction() as con:
        status = con.execute("SELECT status FROM campaigns WHERE id = :id", {"id": int(campaign_id)}).scalar()
        if status is None:
            raise MarketingInputError("campaign_id", f"no campaign {campaign_id}")
        if status not in REASSIGNABLE:
            raise MarketingInputError(
                "campaign_id", f"the campaign is {status}: only approved or running ones"
            )
        rows = con.execute(
            "SELECT customer_id, arm, branch_id FROM campaign_members WHERE campaign_id = :id AND "
            "customer_id IN (" + ", ".join(str(i) for i in ids) + ")",
            {"id": int(campaign_id)},
        ).fetchall()
        found = {int(r[0]): (r[1], r[2]) for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise MarketingInputError("customer_ids", f"not members of this campaign: {missing[:5]}")
        wrong = [i for i in ids if found[i][0] != "target"]
        if wrong:
            raise MarketingInputError(
                "customer_ids", f"control or excluded members are never assigned: {wrong[:5]}"
            )
        branches = {found[i][1] for i in ids}
        if user.role == roles.BRANCH_MANAGER and branches != {user.branch_id}:
            raise NotPermitted("a branch manager reassigns only their own branch's customers")
        if manager_id is not None:
            home = int(works_in[int(manager_id)])
            if branches != {home}:
                raise MarketingInputError("manager_id", f"manager {manager_id} works in another branch")
        con.connection.execute(
            sa.text(
                "UPDATE campaign_members SET manager_id = :m, assigned_by = :by, assigned_at = :at "
                "WHERE campaign_id = :c AND customer_id = :cu"
            ),
            [
                {"m": None if manager_id is None else int(manager_id), "by": user.username, "at": now}
                | {"c": int(campaign_id), "cu": i}
                for i in ids
            ],
        )
        detail = {"campaign": int(campaign_id), "customers": len(ids), "manager": manager_id}
        audit.record_in(con, user.username, "campaign_reassign", json.dumps(detail))
    return len(ids)


def member_filter(user: User) -> tuple[str, dict]:
    """SQL condition on ``m`` (campaign_members) for the members ``user`` may see, and its
    parameters: head office all, a branch manager their branch (or region), a relationship
    manager those assigned to them, anyone else none."""
    if user.role in HEAD_OFFICE:
        return "1 = 1", {}
    if user.role == roles.BRANCH_MANAGER and user.branch_id is not None:
        return "m.branch_id = :scope_branch", {"scope_branch": int(user.branch_id)}
    if user.role == roles.BRANCH_MANAGER and user.region_id is not None:
        from cube.views.campaign_products import branch_regions

        regions = branch_regions()
        ids = regions.loc[regions["region_id"] == user.region_id, "branch_id"].astype(int).tolist()
        return ("m.branch_id IN (" + ", ".join(str(i) for i in ids) + ")" if ids else "1 = 0"), {}
    if user.role == roles.RELATIONSHIP_MANAGER and user.manager_id is not None:
        return "m.manager_id = :scope_manager AND m.arm = 'target'", {"scope_manager": int(user.manager_id)}
    return "1 = 0", {}


def assignment_summary(user: User, campaign_id: int) -> pd.DataFrame:
    """Members by branch and manager as ``user`` may see them: ``branch_id``, ``manager_id``
    (None = the branch pool, and for the control arm), ``arm``, ``members``."""
    where, params = member_filter(user)
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT m.branch_id, m.manager_id, m.arm, count(*) AS members FROM campaign_members m "
            f"WHERE m.campaign_id = :id AND {where} GROUP BY m.branch_id, m.manager_id, m.arm "
            "ORDER BY m.branch_id, m.manager_id, m.arm",
            {"id": int(campaign_id), **params},
        ).fetchall()
    finally:
        con.close()
    return pd.DataFrame(rows, columns=["branch_id", "manager_id", "arm", "members"])
