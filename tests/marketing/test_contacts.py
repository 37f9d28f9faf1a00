"""Recording contacts, the work list and one customer's loop history, on SQLite and PostgreSQL.

Campaigns and their members are inserted straight into the store (:func:`make_campaign`), so
these tests do not depend on how campaigns are created and assigned."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from data import ops_store
from marketing import contacts
from marketing.contacts import ContactInput
from marketing.errors import MarketingInputError, NotPermitted

CHANNELS = ("phone_banking", "counter", "call_centre")


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 for the loop's test users (made before every test: seconds each otherwise);
    autouse, so it is in place before ``loop_users`` hashes their passwords."""
    from argon2 import PasswordHasher

    from auth import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def products(demo_source) -> list[str]:
    return sorted(pd.read_parquet(demo_source / "products.parquet")["product_code"].astype(str))[:3]


def customers_of(
    demo_source, manager_id: int | None = None, branch_id: int | None = None, other_branch_than=None
) -> list[int]:
    """Open customers of a manager, of a branch, or of any branch but one (sorted)."""
    cust = pd.read_parquet(demo_source / "customers.parquet")
    cust = cust[cust["close_date"].isna()]
    if manager_id is not None:
        cust = cust[cust["manager_id"] == manager_id]
    if branch_id is not None:
        cust = cust[cust["home_branch_id"] == branch_id]
    if other_branch_than is not None:
        cust = cust[cust["home_branch_id"] != other_branch_than]
    return sorted(int(c) for c in cust["customer_id"])


def make_campaign(
    loop_users,
    demo_source,
    *,
    status: str = "running",
    start: date | None = None,
    n: int = 4,
    other_branch: int = 0,
    name: str = "Loop test",
) -> dict:
    """A campaign with ``n`` target members assigned to rm, ``n`` to rm2 (same branch), two
    control members and one excluded member of that branch, and ``other_branch`` targets of
    another branch; returns its id and the members by kind."""
    u = loop_users
    start = start or (date.today() - timedelta(days=10))
    offered = products(demo_source)
    mine = customers_of(demo_source, manager_id=u.manager_id)
    theirs = customers_of(demo_source, manager_id=u.manager2_id)
    branch = [c for c in customers_of(demo_source, branch_id=u.branch_id) if c not in set(mine) | set(theirs)]
    if len(branch) < 3:
        branch = mine[n : n + 3]
    elsewhere = customers_of(demo_source, other_branch_than=u.branch_id)[:other_branch]
    cust = pd.read_parquet(demo_source / "customers.parquet").set_index("customer_id")
    stamp = datetime.now().isoformat(timespec="seconds")
    with ops_store.transaction() as con:
        group = con.execute(
            "INSERT INTO customer_groups (owner, name, origin, definition, data_version, member_count, aum, "
            "created_at) VALUES ('analyst', :name, 'selection', '{}', 'v', 0, 0, :at) RETURNING id",
            {"name": f"{name} {stamp} {status}", "at": stamp},
        ).scalar()
        cid = con.execute(
            "INSERT INTO campaigns (name, products, channels, start_date, end_date, cost_per_contact, "
            "budget, group_id, control_share, seed, priority, status, created_by, created_at) "
            "VALUES (:name, :p, :c, :start, :end, 5, 10000, :g, 0.1, 7, 5, :status, 'analyst', :at) "
            "RETURNING id",
            {
                "name": name,
                "p": json.dumps(offered),
                "c": json.dumps(CHANNELS),
                "start": start.isoformat(),
                "end": (start + timedelta(days=60)).isoformat(),
                "g": group,
                "status": status,
                "at": stamp,
            },
        ).scalar()

        def add(customer: int, arm: str, manager: int | None, propensity: float = 0.5) -> None:
            con.execute(
                "INSERT INTO campaign_members (campaign_id, customer_id, arm, branch_id, manager_id, "
                "segment, recommended_product, propensity, reason, excluded_reason) VALUES (:c, :k, :arm, "
                ":b, :m, 'Savers', :p, :prop, :reason, :why)",
                {
                    "c": cid,
                    "k": customer,
                    "arm": arm,
                    "b": int(cust.loc[customer, "home_branch_id"]),
                    "m": manager if arm == "target" else None,
                    "p": offered[0],
                    "prop": propensity,
                    "reason": json.dumps({"segment": "Savers", "propensity": propensity}),
                    "why": "over-contact" if arm == "excluded" else None,
                },
            )

        for i, k in enumerate(mine[:n]):
            add(k, "target", u.manager_id, 0.9 - i / 100)
        for k in theirs[:n]:
            add(k, "target", u.manager2_id)
        control = branch[:2]
        for k in control:
            add(k, "control", None)
        add(branch[2], "excluded", None)
        for k in elsewhere:
            add(k, "target", int(cust.loc[k, "manager_id"]) if pd.notna(cust.loc[k, "manager_id"]) else None)
    return {
        "id": int(cid),
        "products": offered,
        "start": start,
        "mine": mine[:n],
        "theirs": theirs[:n],
        "control": control,
        "excluded": branch[2],
        "elsewhere": elsewhere,
    }


def contact(campaign: dict, customer: int, **changes) -> ContactInput:
    values = {
        "campaign_id": campaign["id"],
        "customer_id": customer,
        "channel": "phone_banking",
        "contacted_at": datetime.now() - timedelta(hours=1),
        "reached": True,
        "outcome": "accepted",
        "product": campaign["products"][0],
        "amount": 50000.0,
        "note": "called, took the fund",
    }
    return ContactInput(**(values | changes))


def stored(sql: str, params: dict | None = None) -> list:
    con = ops_store.connect()
    try:
        return [tuple(r) for r in con.execute(sql, params or {}).fetchall()]
    finally:
        con.close()


@pytest.fixture
def campaign(loop_users, demo_source) -> dict:
    return make_campaign(loop_users, demo_source)


def test_a_manager_records_a_contact_with_their_member_and_it_is_audited(loop_users, campaign) -> None:
    customer = campaign["mine"][0]
    contact_id = contacts.record(loop_users.rm, contact(campaign, customer))
    rows = stored(
        "SELECT customer_id, manager_id, branch_id, channel, reached, outcome, product, amount, source, "
        "recorded_by FROM campaign_contacts"
    )
    assert rows == [
        (
            customer,
            loop_users.manager_id,
            loop_users.branch_id,
            "phone_banking",
            1,
            "accepted",
            campaign["products"][0],
            50000.0,
            "manual",
            "rm",
        )
    ]
    audit = stored("SELECT username, action, detail FROM audit_log WHERE action = 'contact_record'")
    assert len(audit) == 1 and audit[0][0] == "rm"
    assert json.loads(audit[0][2]) | {} == {
        "campaign": campaign["id"],
        "customer": customer,
        "contact": contact_id,
        "reached": True,
        "outcome": "accepted",
    }
    # a not-reached contact needs no outcome, product or amount; the text forms parse
    contacts.record(
        loop_users.branch,
        contact(
            campaign,
            campaign["theirs"][0],
            reached="no",
            outcome=None,
            product=None,
            amount=None,
            contacted_at=(datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        ),
    )
    assert stored("SELECT count(*) FROM campaign_contacts")[0][0] == 2


BAD_FIELDS = [
    ({"channel": "pos"}, "channel", "not a channel of this campaign"),
    ({"channel": ""}, "channel", "required"),
    ({"contacted_at": datetime.now() + timedelta(hours=2)}, "contacted_at", "in the future"),
    ({"contacted_at": "yesterday"}, "contacted_at", "not a date"),
    ("before_start", "contacted_at", "before the campaign's start"),
    ({"reached": "maybe"}, "reached", "not yes or no"),
    ({"outcome": "thrilled"}, "outcome", "not one of"),
    ({"reached": False}, "outcome", "only a reached customer"),
    ({"product": "NOPE"}, "product", "not offered"),
    ({"product": None}, "product", "required when the customer accepted"),
    ({"amount": 0}, "amount", "greater than 0"),
    ({"amount": None}, "amount", "greater than 0"),
    ({"amount": -5.0}, "amount", "must not be negative"),
    ({"amount": "ten"}, "amount", "not a number"),
    ({"outcome": "declined"}, "amount", "only an accepted offer"),
    ({"note": "x" * (contacts.NOTE_MAX + 1)}, "note", "longer than"),
    ({"customer_id": "12ab"}, "customer_id", "not a customer number"),
]


def test_every_wrong_field_is_named_and_nothing_is_stored(loop_users, campaign) -> None:
    customer = campaign["mine"][0]
    for changes, field, words in BAD_FIELDS:
        if changes == "before_start":
            changes = {
                "contacted_at": datetime.combine(campaign["start"] - timedelta(days=1), datetime.min.time())
            }
        with pytest.raises(MarketingInputError) as caught:
            contacts.record(loop_users.rm, contact(campaign, customer, **changes))
        assert caught.value.field == field, (changes, caught.value)
        assert words in str(caught.value), (changes, caught.value)
    assert stored("SELECT count(*) FROM campaign_contacts")[0][0] == 0
    assert stored("SELECT count(*) FROM audit_log WHERE action = 'contact_record'")[0][0] == 0


def test_only_target_members_of_a_running_campaign_are_contacted(loop_users, demo_source, campaign) -> None:
    rm, admin = loop_users.rm, loop_users.admin
    with pytest.raises(MarketingInputError, match="in the control group: never contacted"):
        contacts.record(admin, contact(campaign, campaign["control"][0]))
    with pytest.raises(MarketingInputError, match="excluded from this campaign"):
        contacts.record(admin, contact(campaign, campaign["excluded"]))
    with pytest.raises(MarketingInputError, match="not a member") as caught:
        contacts.record(rm, contact(campaign, 1))
    assert caught.value.field == "customer_id"
    draft = make_campaign(loop_users, demo_source, status="approved", name="Not yet")
    with pytest.raises(MarketingInputError, match="approved, not running") as caught:
        contacts.record(rm, contact(draft, draft["mine"][0]))
    assert caught.value.field == "campaign_id"
    with pytest.raises(MarketingInputError, match="no campaign"):
        contacts.record(rm, contact({"id": 999_999, "products": ["X"]}, campaign["mine"][0]))
    assert stored("SELECT count(*) FROM campaign_contacts")[0][0] == 0


def test_who_may_record_for_whom(loop_users, campaign) -> None:
    u = loop_users
    mine, theirs = campaign["mine"][0], campaign["theirs"][0]
    with pytest.raises(NotPermitted):
        contacts.record(u.rm2, contact(campaign, mine))  # assigned to rm, not rm2
    for role_user in (u.analyst, u.head, u.presenter):
        with pytest.raises(NotPermitted):
            contacts.record(role_user, contact(campaign, mine))
    contacts.record(u.rm2, contact(campaign, theirs))
    contacts.record(u.branch, contact(campaign, mine))  # the branch's manager: any member of the branch
    contacts.record(u.admin, contact(campaign, campaign["mine"][1]))
    assert sorted(r[0] for r in stored("SELECT recorded_by FROM campaign_contacts")) == [
        "admin",
        "branch",
        "rm2",
    ]


def test_concurrent_writers_lose_nothing_and_never_see_a_locked_store(loop_users, demo_source) -> None:
    """20 threads at once: pairs of managers (the relationship manager and the branch manager)
    recording a contact with the same customer."""
    camp = make_campaign(loop_users, demo_source, n=10)
    errors: list[BaseException] = []
    ids: list[int] = []
    start = threading.Barrier(20)

    def write(i: int) -> None:
        who = loop_users.rm if i % 2 else loop_users.branch
        try:
            start.wait()
            ids.append(
                contacts.record(who, contact(camp, camp["mine"][i // 2], outcome="interested", amount=None))
            )
        except BaseException as exc:  # noqa: BLE001 - every failure is the test's business
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 20
    rows = stored("SELECT customer_id, count(*) FROM campaign_contacts GROUP BY customer_id")
    assert sorted(rows) == sorted((c, 2) for c in camp["mine"])
    assert stored("SELECT count(*) FROM audit_log WHERE action = 'contact_record'")[0][0] == 20


def test_the_work_list_shows_the_users_target_members_with_their_state(
    loop_users, demo_source, monkeypatch
) -> None:
    u = loop_users
    camp = make_campaign(u, demo_source, other_branch=2)
    other = make_campaign(u, demo_source, status="closed", name="Closed one")
    first, second = camp["mine"][0], camp["mine"][1]
    contacts.record(u.rm, contact(camp, first, reached=False, outcome=None, product=None, amount=None))
    contacts.record(u.rm, contact(camp, first, contacted_at=datetime.now() - timedelta(minutes=5)))
    contacts.record(u.rm, contact(camp, second, outcome="declined", amount=None, product=None))

    mine = contacts.work_list(u.rm)
    assert list(mine.columns) == contacts.WORK_LIST_COLUMNS
    assert sorted(mine["customer_id"]) == sorted(camp["mine"])  # not rm2's, no control, no closed campaign
    assert set(mine["campaign_id"]) == {camp["id"]} and other["id"] not in set(mine["campaign_id"])
    row = mine.set_index("customer_id").loc[first]
    assert row["contacts"] == 2 and row["status"] == "accepted" and row["last_outcome"] == "accepted"
    assert mine.set_index("customer_id").loc[second, "status"] == "declined"
    untouched = mine[~mine["customer_id"].isin([first, second])]
    assert set(untouched["status"]) == {"not_contacted"} and set(untouched["contacts"]) == {0}
    assert mine["customer_name"].notna().all() and not mine["customer_name"].str.contains(r"\*").any()
    assert set(mine["recommended_product"]) == {camp["products"][0]}
    assert mine["recommended_product_name"].iloc[0] != camp["products"][0]  # the product's name
    assert mine["propensity"].is_monotonic_decreasing

    branch = contacts.work_list(u.branch, campaign_id=camp["id"])
    assert sorted(branch["customer_id"]) == sorted(camp["mine"] + camp["theirs"])  # not another branch's
    assert (
        contacts.work_list(u.admin, campaign_id=camp["id"])["customer_id"].isin(camp["elsewhere"]).sum() == 2
    )
    assert contacts.work_list(u.rm2, campaign_id=other["id"]).empty
    with pytest.raises(NotPermitted):
        contacts.work_list(u.analyst)
    assert list(contacts.running_campaigns(u.rm)["id"]) == [camp["id"]]

    # the over-contact state: 2 contacts in 30 days reach a limit of 2 until the older one + 30 days
    monkeypatch.setattr(contacts, "contact_limit", lambda con=None: (2, 30))
    limited = contacts.work_list(u.rm).set_index("customer_id")
    assert bool(limited.loc[first, "limit_reached"]) and not bool(limited.loc[second, "limit_reached"])
    older = min(
        datetime.fromisoformat(r[0])
        for r in stored("SELECT contacted_at FROM campaign_contacts WHERE customer_id = :k", {"k": first})
    )
    assert limited.loc[first, "limit_until"] == (older + timedelta(days=30)).date()


def test_history_shows_the_loop_campaigns_and_contacts_in_scope(loop_users, campaign) -> None:
    u = loop_users
    first = campaign["mine"][0]
    contacts.record(
        u.rm,
        contact(
            campaign,
            first,
            outcome="interested",
            amount=None,
            contacted_at=datetime.now() - timedelta(hours=3),
        ),
    )
    contacts.record(u.rm, contact(campaign, first))
    mine = contacts.history(u.rm, first)
    assert list(mine.columns) == contacts.HISTORY_COLUMNS
    assert list(mine["outcome"]) == ["accepted", "interested"]  # latest first
    assert set(mine["campaign_name"]) == {"Loop test"} and set(mine["arm"]) == {"target"}
    assert mine["note"].notna().all()
    masked = contacts.history(u.analyst, first)
    assert len(masked) == 2 and masked["note"].isna().all()  # masked roles read no notes
    untouched = contacts.history(u.branch, campaign["mine"][1])
    assert len(untouched) == 1 and pd.isna(untouched["contact_id"].iloc[0])  # a member not contacted yet
    assert contacts.history(u.rm2, first).empty  # neither rm2's customer nor on rm2's list
    assert len(contacts.history(u.branch, campaign["control"][0])) == 1  # the control arm: membership only
    with pytest.raises(NotPermitted):
        contacts.history(u.presenter, first)


def test_the_over_contact_guard_holds_under_concurrent_writers(loop_users, demo_source) -> None:
    """20 threads record a contact with one customer at once under a limit of 5 in 30 days:
    exactly 5 are stored, the others are refused naming ``contacted_at``."""
    from marketing import settings as loop_settings

    loop_settings.update(loop_users.admin, contact_limit=5, contact_window_days=30)
    camp = make_campaign(loop_users, demo_source, n=1)
    customer = camp["mine"][0]
    refused: list[MarketingInputError] = []
    other: list[BaseException] = []
    start = threading.Barrier(20)

    def write(i: int) -> None:
        who = loop_users.rm if i % 2 else loop_users.branch
        try:
            start.wait()
            contacts.record(
                who, contact(camp, customer, reached=False, outcome=None, product=None, amount=None)
            )
        except MarketingInputError as exc:
            refused.append(exc)
        except BaseException as exc:  # noqa: BLE001
            other.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    assert len(refused) == 15 and {e.field for e in refused} == {"contacted_at"}
    assert stored("SELECT count(*) FROM campaign_contacts")[0][0] == 5
    state = contacts.work_list(loop_users.rm).set_index("customer_id").loc[customer]
    assert bool(state["limit_reached"]) and state["contacts"] == 5
