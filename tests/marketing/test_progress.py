"""A campaign's progress by branch, manager and day equals pandas over the stored contacts, and
a branch manager reads their branch only; both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from marketing import contacts, progress
from marketing.errors import MarketingInputError, NotPermitted
from tests.marketing.test_contacts import contact, fast_hash, make_campaign, stored  # noqa: F401 - fixture


def test_progress_by_branch_manager_and_day_equals_the_stored_contacts(loop_users, demo_source) -> None:
    u = loop_users
    camp = make_campaign(u, demo_source, n=3, other_branch=2)
    mine, theirs, far = camp["mine"], camp["theirs"], camp["elsewhere"]
    earlier = datetime.now() - timedelta(days=2)
    contacts.record(
        u.rm,
        contact(camp, mine[0], contacted_at=earlier, reached=False, outcome=None, product=None, amount=None),
    )
    contacts.record(u.rm, contact(camp, mine[0], amount=1500.0))
    contacts.record(
        u.rm, contact(camp, mine[1], outcome="declined", product=None, amount=None, contacted_at=earlier)
    )
    contacts.record(u.rm2, contact(camp, theirs[0], outcome="interested", product=None, amount=None))
    contacts.record(u.admin, contact(camp, far[0], amount=700.0))

    frame = pd.DataFrame(
        stored(
            "SELECT customer_id, branch_id, manager_id, contacted_at, reached, outcome, amount "
            "FROM campaign_contacts"
        ),
        columns=["customer_id", "branch_id", "manager_id", "contacted_at", "reached", "outcome", "amount"],
    )
    by_branch = progress.progress(u.analyst, camp["id"], "branch").set_index("branch_id")
    homes = pd.read_parquet(demo_source / "customers.parquet").set_index("customer_id")["home_branch_id"]
    assert set(by_branch.index) == {u.branch_id, *(int(homes[k]) for k in far)}
    for branch, part in frame.groupby("branch_id"):
        row = by_branch.loc[branch]
        assert row["contacts"] == len(part)
        assert row["customers_contacted"] == part["customer_id"].nunique()
        assert row["customers_reached"] == part[part["reached"] == 1]["customer_id"].nunique()
        assert row["accepted"] == (part["outcome"] == "accepted").sum()
        assert row["declined"] == (part["outcome"] == "declined").sum()
        assert row["amount"] == pytest.approx(part["amount"].fillna(0).sum())
        assert isinstance(row["branch"], str) and row["branch"]
    own = by_branch.loc[u.branch_id]
    assert own["targets"] == 6 and own["reach_rate"] == pytest.approx(3 / 6)

    managers = progress.progress(u.head, camp["id"], "manager")
    rm_row = managers[managers["manager_id"] == u.manager_id].iloc[0]
    assert (rm_row["targets"], rm_row["contacts"], rm_row["customers_reached"], rm_row["accepted"]) == (
        3,
        3,
        2,
        1,
    )
    assert rm_row["amount"] == pytest.approx(1500.0)
    assert managers[managers["manager_id"] == u.manager2_id].iloc[0]["interested"] == 1

    days = progress.progress(u.admin, camp["id"], "day")
    assert list(days["day"].dt.date) == sorted({earlier.date(), datetime.now().date()})
    assert list(days["contacts"]) == [2, 3] and list(days["cum_contacts"]) == [2, 5]
    assert list(days["cum_customers_reached"]) == [
        1,
        4,
    ]  # mine[1] on day 1; mine[0], theirs[0], far[0] on day 2

    # a branch manager: their branch only
    branch_view = progress.progress(u.branch, camp["id"], "branch")
    assert list(branch_view["branch_id"]) == [u.branch_id]
    assert progress.progress(u.branch, camp["id"], "day")["contacts"].sum() == 4
    with pytest.raises(NotPermitted):
        progress.progress(u.rm, camp["id"], "branch")
    with pytest.raises(MarketingInputError, match="one of branch, manager, day"):
        progress.progress(u.admin, camp["id"], "week")
    with pytest.raises(MarketingInputError, match="no campaign"):
        progress.progress(u.admin, 424242, "branch")


def test_a_campaign_without_contacts_shows_its_targets_and_zeros(loop_users, demo_source) -> None:
    camp = make_campaign(loop_users, demo_source, n=2)
    frame = progress.progress(loop_users.analyst, camp["id"], "manager")
    assert sorted(frame["targets"]) == [2, 2] and set(frame["contacts"]) == {0}
    assert progress.progress(loop_users.analyst, camp["id"], "day").empty
