"""The over-contact guard at its boundaries: recording a contact with N-1 / N contacts in the
window, a contact exactly D days before and D-1 days before; the conflicts a campaign's create
and approval report and the resolutions (keep the existing campaigns, or by priority, where a
campaign that already contacted the customer keeps them); the admin's settings."""

from __future__ import annotations

import datetime as dt

import pytest

from data import ops_store
from marketing import campaigns, guard
from marketing import settings as loop_settings
from marketing.errors import MarketingInputError, NotPermitted
from tests.marketing._campaign_helpers import (
    add_contact,
    campaign_input,
    in_branch,
    make_group,
    member_rows,
    today,
)

AT = dt.datetime(2026, 6, 30, 12, 0, 0)


def _approved(loop_users, ids, **changes) -> campaigns.Campaign:
    group = make_group(
        "analyst", ids, name=f"g{len(ids)}-{changes.get('priority', 5)}-{changes.get('name', '')}"
    )
    made = campaigns.create(loop_users.analyst, campaign_input(group, control_share=0, **changes))
    campaigns.submit(loop_users.analyst, made.id)
    return campaigns.approve(loop_users.head, made.id)


def _check(customer_id: int, at: dt.datetime) -> None:
    with ops_store.transaction() as con:
        guard.check_contact(con, customer_id, at)


def test_recording_a_contact_at_the_window_boundaries(loop_users) -> None:
    loop_settings.update(loop_users.admin, contact_limit=3, contact_window_days=30)
    ids = in_branch(loop_users.branch_id)["customer_id"].head(3).tolist()
    camp = _approved(loop_users, ids)
    customer = ids[0]
    days = dt.timedelta(days=30)
    # N-1 = 2 contacts in the window: one more is allowed
    add_contact(camp.id, customer, AT - dt.timedelta(days=29))  # D-1 days before: in the window
    add_contact(camp.id, customer, AT - dt.timedelta(days=1))
    _check(customer, AT)
    # a contact exactly D days before has left the window: still 2, still allowed
    add_contact(camp.id, customer, AT - days)
    _check(customer, AT)
    # N = 3 in the window: the N+1-th is refused, naming the field and when it is allowed again
    add_contact(camp.id, customer, AT - dt.timedelta(days=10))
    with pytest.raises(MarketingInputError) as caught:
        _check(customer, AT)
    assert caught.value.field == "contacted_at"
    message = str(caught.value)
    assert "already contacted 3 times in the last 30 days" in message
    # the oldest counted contact (29 days before) leaves the window 30 days after it was made
    allowed = AT - dt.timedelta(days=29) + days
    assert f"next contact allowed from {allowed:%Y-%m-%d %H:%M}" in message
    _check(customer, allowed)  # exactly then: allowed
    with pytest.raises(MarketingInputError):
        _check(customer, allowed - dt.timedelta(seconds=1))
    # other customers are not affected; timezone-aware times are read as UTC
    _check(ids[1], AT.replace(tzinfo=dt.UTC))


def test_a_campaign_reports_and_resolves_conflicts(loop_users) -> None:
    loop_settings.update(loop_users.admin, contact_limit=1, contact_window_days=30)
    ids = in_branch(loop_users.branch_id)["customer_id"].head(10).tolist()
    first = _approved(loop_users, ids[:8], priority=5, name="first")
    start = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time())
    add_contact(first.id, ids[0], start - dt.timedelta(days=29))  # D-1 days before the start: counted
    add_contact(first.id, ids[1], start - dt.timedelta(days=30))  # exactly D days before: not
    group = make_group("analyst", ids, name="second")
    second = campaigns.create(
        loop_users.analyst, campaign_input(group, control_share=0, priority=2, name="second")
    )
    found = guard.conflicts(second.id).set_index("customer_id")
    assert list(found.index) == ids[:8]  # 8 and 9 are in no other campaign: 1 contact, the limit
    assert found.loc[ids[0], ["recorded", "planned", "load", "limit"]].tolist() == [1, 0, 2, 1]
    assert found.loc[ids[1], ["recorded", "planned", "load", "limit"]].tolist() == [0, 1, 2, 1]
    assert found.loc[ids[2], "campaigns"] == str(first.id)
    campaigns.submit(loop_users.analyst, second.id)
    result = campaigns.approve(loop_users.head, second.id, resolution="priority")
    # priority 2 beats 5: the first campaign yields the customers it has not contacted; those it
    # contacted (0, and 1 whose contact is older than the window) stay with it: excluded here
    assert result.extra["yielded"] == {first.id: ids[2:8]}
    assert result.extra["excluded"] == ids[:2]
    first_rows = member_rows(first.id).set_index("customer_id")
    assert (first_rows.loc[ids[:2], "arm"] == "target").all()
    assert (first_rows.loc[ids[2:8], "arm"] == "excluded").all()
    assert first_rows.loc[ids[2:8], "manager_id"].isna().all()
    second_rows = member_rows(second.id).set_index("customer_id")
    assert (second_rows.loc[ids[2:], "arm"] == "target").all()
    assert "over_contact" in second_rows.at[ids[0], "excluded_reason"]
    # keep_existing: a third campaign, even of the first priority, leaves them all where they are
    group = make_group("analyst", ids, name="third")
    third = campaigns.create(
        loop_users.analyst, campaign_input(group, control_share=0, priority=1, name="third")
    )
    assert len(guard.conflicts(third.id)) == 10
    campaigns.submit(loop_users.analyst, third.id)
    kept = campaigns.approve(loop_users.head, third.id, resolution="keep_existing")
    assert kept.targets == 0 and kept.excluded == 10 and kept.extra["yielded"] == {}


def test_priority_ties_keep_the_existing_campaign(loop_users) -> None:
    loop_settings.update(loop_users.admin, contact_limit=1)
    ids = in_branch(loop_users.branch_id)["customer_id"].head(4).tolist()
    _approved(loop_users, ids, priority=3, name="a")
    group = make_group("analyst", ids, name="tie")
    made = campaigns.create(loop_users.analyst, campaign_input(group, control_share=0, priority=3))
    campaigns.submit(loop_users.analyst, made.id)
    result = campaigns.approve(loop_users.head, made.id, resolution="priority")
    assert result.extra["excluded"] == ids and result.targets == 0 and result.excluded == 4
    with pytest.raises(MarketingInputError) as caught:
        campaigns.approve(loop_users.head, made.id, resolution="whatever")
    assert caught.value.field == "resolution"


def test_settings_are_the_admins(loop_users) -> None:
    assert loop_settings.load() == loop_settings.LoopSettings(3, 30, 300)
    with pytest.raises(NotPermitted):
        loop_settings.update(loop_users.head, contact_limit=5)
    for bad, field_name in (
        ({"contact_limit": 0}, "contact_limit"),
        ({"contact_window_days": "x"}, "contact_window_days"),
    ):
        with pytest.raises(MarketingInputError) as caught:
            loop_settings.update(loop_users.admin, **bad)
        assert caught.value.field == field_name
    done = loop_settings.update(loop_users.admin, contact_limit="4", manager_capacity=50)
    assert done == loop_settings.LoopSettings(4, 30, 50) == loop_settings.load()
