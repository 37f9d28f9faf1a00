"""Campaigns: created from a group with a stratified control held out, every bad field named,
the lifecycle with four eyes and its audit rows, concurrent approvals (one wins, the other is
told who approved), and who sees which campaigns; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading

import numpy as np
import pytest

from marketing import campaigns
from marketing.control import per_branch
from marketing.errors import MarketingInputError, NotPermitted, StaleCampaign
from tests.marketing._campaign_helpers import (
    audit_actions,
    campaign_input,
    customers,
    in_branch,
    make_group,
    member_rows,
    today,
)


def _branch_group(loop_users, owner: str = "analyst", n: int = 120) -> tuple[int, list[int]]:
    """A group of ``n`` customers of the loop's branch plus 40 of two other branches."""
    own = in_branch(loop_users.branch_id)["customer_id"].head(n).tolist()
    others = customers()
    others = others[others["branch_id"] != loop_users.branch_id]
    other_ids = others.groupby("branch_id").head(20)["customer_id"].head(40).tolist()
    ids = own + other_ids
    return make_group(owner, ids), ids


def test_create_draws_members_with_a_stratified_control(loop_users) -> None:
    group_id, ids = _branch_group(loop_users)
    made = campaigns.create(loop_users.analyst, campaign_input(group_id, control_share=0.1))
    assert made.status == "draft" and made.created_by == "analyst" and made.products == ("FD01", "WM01")
    rows = member_rows(made.id)
    assert sorted(rows["customer_id"]) == sorted(ids)
    for branch, part in rows.groupby("branch_id"):
        assert (part["arm"] == "control").sum() == per_branch(len(part), 0.1), branch
    controls = rows[rows["arm"] == "control"]
    assert controls["manager_id"].isna().all() and controls["assigned_by"].isna().all()
    assert made.controls == len(controls) and made.targets == len(rows) - len(controls)
    assert set(rows["recommended_product"]) <= {"FD01", "WM01"}
    reason = json.loads(rows["reason"].iloc[0])
    assert {"segment", "best_offer", "offer_score", "product", "why"} <= set(reason)
    # the recommended product is the best offer when offered, else the first product offered
    for r in rows.itertuples():
        why = json.loads(r.reason)
        expected = why["best_offer"] if why["best_offer"] in ("FD01", "WM01") else "FD01"
        assert r.recommended_product == expected
    assert ("analyst", "campaign_create") in audit_actions()


def test_every_bad_field_is_named(loop_users) -> None:
    group_id, _ = _branch_group(loop_users, n=30)
    empty = make_group("analyst", [], name="empty")
    theirs = make_group("head", in_branch(loop_users.branch_id)["customer_id"].head(5), name="theirs")
    past = today() - dt.timedelta(days=1)
    cases = {
        "name": {"name": "  "},
        "products": {"products": ("NOPE",)},
        "channels": {"channels": ()},
        "start_date": {"start_date": past},
        "end_date": {"end_date": today()},
        "cost_per_contact": {"cost_per_contact": -1},
        "budget": {"budget": 0},
        "control_share": {"control_share": 0.6},
        "priority": {"priority": 12},
        "group_id": {"group_id": 987654},
    }
    for field_name, change in cases.items():
        if field_name == "end_date":
            change = {
                "start_date": today() + dt.timedelta(days=3),
                "end_date": today() + dt.timedelta(days=2),
            }
        with pytest.raises(MarketingInputError) as caught:
            campaigns.create(loop_users.analyst, campaign_input(group_id, **change))
        assert caught.value.field == field_name, (field_name, str(caught.value))
    with pytest.raises(MarketingInputError, match="no customers") as caught:
        campaigns.create(loop_users.analyst, campaign_input(empty))
    assert caught.value.field == "group_id"
    with pytest.raises(MarketingInputError, match="no such group") as caught:
        campaigns.create(loop_users.analyst, campaign_input(theirs))
    with pytest.raises(MarketingInputError, match="does not cover") as caught:
        campaigns.create(loop_users.analyst, campaign_input(group_id, budget=50, cost_per_contact=10))
    assert caught.value.field == "budget"
    with pytest.raises(NotPermitted):
        campaigns.create(loop_users.branch, campaign_input(group_id))
    # nothing was stored by any refused create
    assert campaigns.list_for(loop_users.analyst) == []


def test_lifecycle_with_four_eyes_and_audit(loop_users) -> None:
    group_id, _ = _branch_group(loop_users, owner="head", n=40)
    made = campaigns.create(loop_users.head, campaign_input(group_id))
    with pytest.raises(NotPermitted):
        campaigns.submit(loop_users.branch, made.id)
    submitted = campaigns.submit(loop_users.head, made.id)
    assert submitted.status == "submitted" and submitted.submitted_by == "head"
    assert submitted.version == made.version + 1
    with pytest.raises(NotPermitted, match="four eyes"):
        campaigns.approve(loop_users.head, made.id)
    with pytest.raises(NotPermitted):
        campaigns.approve(loop_users.analyst, made.id)
    with pytest.raises(MarketingInputError) as caught:
        campaigns.reject(loop_users.head2, made.id, " ")
    assert caught.value.field == "note"
    back = campaigns.reject(loop_users.head2, made.id, "budget too high")
    assert back.status == "draft" and back.review_note == "budget too high" and back.submitted_by is None
    campaigns.submit(loop_users.head, made.id)
    with pytest.raises(StaleCampaign):  # an old version read before the resubmission
        campaigns.approve(loop_users.head2, made.id, version=made.version)
    approved = campaigns.approve(loop_users.head2, made.id, resolution="keep_existing")
    assert approved.status == "approved" and approved.approved_by == "head2"
    with pytest.raises(StaleCampaign, match="already approved by head2"):
        campaigns.approve(loop_users.head2, made.id)
    running = campaigns.start(loop_users.head, made.id)
    assert running.status == "running" and running.started_at
    closed = campaigns.close(loop_users.analyst, made.id)
    assert closed.status == "closed" and closed.closed_by == "analyst"
    actions = [a for a in audit_actions() if a[1].startswith("campaign_")]
    assert actions == [
        ("head", "campaign_create"),
        ("head", "campaign_submit"),
        ("head2", "campaign_reject"),
        ("head", "campaign_submit"),
        ("head2", "campaign_approve"),
        ("head", "campaign_start"),
        ("analyst", "campaign_close"),
    ]
    with pytest.raises(MarketingInputError) as caught:
        campaigns.submit(loop_users.head, 424242)
    assert caught.value.field == "campaign_id"


def test_rejected_for_good(loop_users) -> None:
    group_id, _ = _branch_group(loop_users, n=20)
    made = campaigns.submit(
        loop_users.analyst, campaigns.create(loop_users.analyst, campaign_input(group_id)).id
    )
    gone = campaigns.reject(loop_users.head, made.id, "not this quarter", final=True)
    assert gone.status == "rejected"
    with pytest.raises(StaleCampaign, match="rejected: not this quarter"):
        campaigns.approve(loop_users.head, made.id)


def test_two_heads_approving_at_once_one_wins(loop_users) -> None:
    group_id, _ = _branch_group(loop_users, n=60)
    made = campaigns.create(loop_users.analyst, campaign_input(group_id))
    campaigns.submit(loop_users.analyst, made.id)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def approve(user) -> None:
        barrier.wait()
        try:
            results[user.username] = campaigns.approve(user, made.id)
        except Exception as exc:  # noqa: BLE001 - the loser's error is what is checked
            results[user.username] = exc

    threads = [threading.Thread(target=approve, args=(u,)) for u in (loop_users.head, loop_users.head2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [r for r in results.values() if isinstance(r, campaigns.Campaign)]
    lost = [r for r in results.values() if not isinstance(r, campaigns.Campaign)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], StaleCampaign)
    assert f"already approved by {won[0].approved_by}" in str(lost[0])
    assert "locked" not in str(lost[0])
    assert [a for a in audit_actions() if a[1] == "campaign_approve"] == [
        (won[0].approved_by, "campaign_approve")
    ]


def test_who_sees_which_campaigns(loop_users) -> None:
    group_id, ids = _branch_group(loop_users, n=50)
    mine = campaigns.create(loop_users.analyst, campaign_input(group_id))
    # a draft is its maker's (and administrators'): other head office does not list it
    assert [c.id for c in campaigns.list_for(loop_users.head)] == []
    assert [c.id for c in campaigns.list_for(loop_users.admin)] == [mine.id]
    assert campaigns.list_for(loop_users.branch) == []
    campaigns.submit(loop_users.analyst, mine.id)
    campaigns.approve(loop_users.head, mine.id)
    seen = campaigns.list_for(loop_users.branch)
    assert [c.id for c in seen] == [mine.id]
    branch_rows = campaigns.members(loop_users.branch, mine.id)
    assert set(branch_rows["branch_id"]) == {loop_users.branch_id}  # only their branch's members
    assert seen[0].members == len(branch_rows) < len(ids)
    assert campaigns.list_for(loop_users.presenter) == []
    with pytest.raises(NotPermitted):
        campaigns.get(loop_users.presenter, mine.id)
    rm_rows = campaigns.members(loop_users.rm, mine.id)
    assert len(rm_rows) and set(rm_rows["arm"]) == {"target"}
    assert set(rm_rows["manager_id"]) == {loop_users.manager_id}
    assert len(campaigns.conflicts(loop_users.head, mine.id)) == 0
    with pytest.raises(NotPermitted):
        campaigns.conflicts(loop_users.branch, mine.id)


def test_update_redraws_a_draft_only(loop_users) -> None:
    group_id, _ = _branch_group(loop_users, n=30)
    made = campaigns.create(loop_users.analyst, campaign_input(group_id, control_share=0))
    assert made.controls == 0
    changed = campaigns.update(
        loop_users.analyst, made.id, campaign_input(group_id, control_share=0.5), made.version
    )
    assert changed.controls > 0 and changed.version == made.version + 1
    with pytest.raises(StaleCampaign):
        campaigns.update(loop_users.analyst, made.id, campaign_input(group_id), made.version)
    rows = member_rows(made.id)
    assert np.all(rows.loc[rows["arm"] == "control", "manager_id"].isna())
