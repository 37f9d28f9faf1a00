"""Assignment and the control group: the rule (own manager in the member's branch, else the
branch's managers by remaining capacity, else the pool), the stratified random hold-out, the
control arm never assigned (at create, at approval, by reassignment), and reassignment per role."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing import assignment, campaigns, control
from marketing import settings as loop_settings
from marketing.errors import MarketingInputError, NotPermitted
from tests.marketing._campaign_helpers import (
    audit_actions,
    campaign_input,
    in_branch,
    make_group,
    member_rows,
)

STAFF = pd.DataFrame({"manager_id": [1, 2, 3, 4], "branch_id": [10, 10, 10, 20]})


def test_plan_own_manager_then_capacity_then_pool() -> None:
    branch = np.array([10, 10, 10, 10, 10, 10, 20, 30, 20], dtype=float)
    # own managers: 1 (branch 10), 4 works in branch 20 (not the member's 10), none, 3, ...
    owner = np.array([1, 4, np.nan, 3, np.nan, np.nan, 4, np.nan, 1], dtype=float)
    got = assignment.plan(branch, owner, STAFF, capacity=2)
    assert got[0] == 1 and got[3] == 3 and got[6] == 4
    # the rest of branch 10 (members 1, 2, 4, 5) go to the most remaining capacity: 2 has 2 left,
    # 1 and 3 one each; ties to the lower id
    assert got[[1, 2, 4, 5]].tolist() == [2, 1, 2, 3]
    counts = pd.Series(got[branch == 10]).value_counts(dropna=False)
    assert counts[1.0] == 2 and counts[2.0] == 2 and counts[3.0] == 2  # every manager at capacity
    assert np.isnan(got[7])  # branch 30 has no managers: its pool
    assert got[8] == 4  # manager 1 works in branch 10: branch 20's own manager 4 (capacity left)


def test_plan_levels_remaining_capacity() -> None:
    staff = pd.DataFrame({"manager_id": [7, 8, 9], "branch_id": [1, 1, 1]})
    branch = np.ones(12)
    owner = np.array([7, 7, 7, 7] + [np.nan] * 8)
    got = assignment.plan(branch, owner, staff, capacity=6)
    counts = pd.Series(got).value_counts()
    # 7 has 2 left after its own 4; the 8 others go to 8 and 9 first (6 left each), levelled
    assert counts.to_dict() == {7.0: 4, 8.0: 4, 9.0: 4}


def test_hold_out_is_stratified_and_reproducible() -> None:
    rng = np.random.default_rng(1)
    branches = rng.choice([1, 2, 3, np.nan], size=1000, p=[0.5, 0.3, 0.15, 0.05])
    mask = control.hold_out(branches, 0.1, seed=42)
    assert np.array_equal(mask, control.hold_out(branches, 0.1, seed=42))
    assert not np.array_equal(mask, control.hold_out(branches, 0.1, seed=43))
    frame = pd.DataFrame({"b": pd.Series(branches).fillna(-1), "c": mask})
    for _, part in frame.groupby("b"):
        assert part["c"].sum() == control.per_branch(len(part), 0.1)
    assert control.per_branch(15, 0.1) == 2 and control.per_branch(14, 0.1) == 1  # half up
    assert not control.hold_out(branches, 0.0, 1).any()
    with pytest.raises(ValueError):
        control.hold_out(branches, 0.6, 1)


def test_controls_are_never_assigned_and_reassignment_per_role(loop_users) -> None:
    loop_settings.update(loop_users.admin, manager_capacity=1000)
    ids = in_branch(loop_users.branch_id)["customer_id"].head(80).tolist()
    made = campaigns.create(loop_users.analyst, campaign_input(make_group("analyst", ids), control_share=0.2))
    rows = member_rows(made.id)
    assert rows.loc[rows["arm"] == "control", "manager_id"].isna().all()
    assert rows.loc[rows["arm"] == "target", "manager_id"].notna().all()  # own managers, same branch
    campaigns.submit(loop_users.analyst, made.id)
    with pytest.raises(MarketingInputError):  # not before approval
        assignment.reassign(loop_users.head, made.id, rows["customer_id"].head(1), loop_users.manager_id)
    campaigns.approve(loop_users.head, made.id)
    rows = member_rows(made.id)
    controls = rows[rows["arm"] == "control"]
    assert len(controls) == control.per_branch(80, 0.2) and controls["manager_id"].isna().all()
    assert (rows.loc[rows["arm"] == "target", "assigned_by"] == "head").all()
    targets = rows[rows["arm"] == "target"]
    theirs = targets[targets["manager_id"] == loop_users.manager2_id]["customer_id"].head(3).tolist()
    assert theirs
    # a control member is never handed to anyone
    with pytest.raises(MarketingInputError, match="never assigned") as caught:
        assignment.reassign(
            loop_users.branch, made.id, controls["customer_id"].head(1), loop_users.manager_id
        )
    assert caught.value.field == "customer_ids"
    with pytest.raises(NotPermitted):
        assignment.reassign(loop_users.rm, made.id, theirs, loop_users.manager_id)
    assert assignment.reassign(loop_users.branch, made.id, theirs, loop_users.manager_id) == len(theirs)
    rows = member_rows(made.id).set_index("customer_id")
    assert (rows.loc[theirs, "manager_id"] == loop_users.manager_id).all()
    assert (rows.loc[theirs, "assigned_by"] == "branch").all()
    assert ("branch", "campaign_reassign") in audit_actions()
    assignment.reassign(loop_users.head, made.id, theirs[:1], None)  # to the branch pool
    assert pd.isna(member_rows(made.id).set_index("customer_id").at[theirs[0], "manager_id"])
    summary = assignment.assignment_summary(loop_users.branch, made.id)
    assert set(summary["branch_id"]) == {loop_users.branch_id}
    assert summary.loc[summary["arm"] == "control", "manager_id"].isna().all()
    assert summary["members"].sum() == 80
    rm_summary = assignment.assignment_summary(loop_users.rm, made.id)
    assert set(rm_summary["manager_id"]) == {loop_users.manager_id} and set(rm_summary["arm"]) == {"target"}
