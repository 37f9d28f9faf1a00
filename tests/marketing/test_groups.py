"""Saved customer groups on both store engines: saving with the members of the data version and
an audit row, the bad inputs (each naming its field), who may make and read groups, sharing
that never widens what the reader sees, the refresh and its difference, and delete."""

from __future__ import annotations

import pytest

from cube.api import Filter, Scope
from cube.views import groups as view
from data import ops_store
from marketing import groups
from marketing.acting import scope_of
from marketing.errors import MarketingInputError, NotPermitted
from marketing.groups import Condition, GroupDefinition

RICH = GroupDefinition((Condition("aum", "gte", (100_000,)),))


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 for the loop's test users (autouse: in place before ``loop_users``)."""
    from argon2 import PasswordHasher

    from auth import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def stored(sql: str, params: dict | None = None) -> list:
    con = ops_store.connect()
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def test_a_saved_group_keeps_its_members_and_is_audited(loop_users) -> None:
    expected = view.member_frame(RICH, Scope.all(identities=False))
    group = groups.save(loop_users.analyst, "  Rich   customers ", RICH)
    assert group.name == "Rich customers" and group.origin == "filter"
    assert group.member_count == len(expected) > 0
    assert group.aum == pytest.approx(expected["aum"].sum(), rel=1e-9)
    ids = [
        r[0]
        for r in stored(
            "SELECT customer_id FROM customer_group_members WHERE group_id = :g ORDER BY 1", {"g": group.id}
        )
    ]
    assert ids == expected["customer_id"].tolist()
    again = groups.get(loop_users.analyst, group.id)
    assert again.definition == view.check(RICH) and again.data_version == expected.attrs["data_version"]
    assert [g.id for g in groups.list_for(loop_users.analyst)] == [group.id]
    audit = stored("SELECT username, detail FROM audit_log WHERE action = 'group_save'")
    assert audit[0][0] == "analyst" and f"group={group.id}" in audit[0][1]
    assert groups.members(loop_users.analyst, group.id)["customer_id"].tolist() == ids


def test_bad_inputs_name_their_field_and_store_nothing(loop_users) -> None:
    groups.save(loop_users.analyst, "Taken", RICH)
    cases = [
        (dict(name="  ", definition=RICH), "name"),
        (dict(name="Taken", definition=RICH), "name"),
        (dict(name="x" * 101, definition=RICH), "name"),
        (dict(name="None", definition=GroupDefinition((Condition("aum", "gte", (10**15,)),))), "conditions"),
        (dict(name="Odd", definition=GroupDefinition((Condition("shoe_size", "gte", (40,)),))), "shoe_size"),
        (dict(name="Bad", definition=GroupDefinition((Condition("aum", "gte", ("lots",)),))), "aum"),
        (dict(name="Ids", customer_ids=[1, 2], origin="selection"), "customer_ids"),
        (dict(name="Where", definition=RICH, origin="somewhere"), "origin"),
    ]
    for kwargs, field in cases:
        with pytest.raises(MarketingInputError) as err:
            groups.save(loop_users.analyst, **kwargs)
        assert err.value.field == field, kwargs
    assert stored("SELECT count(*) FROM customer_groups")[0][0] == 1
    assert stored("SELECT count(*) FROM audit_log WHERE action = 'group_save'")[0][0] == 1


def test_who_may_make_and_read_groups(loop_users) -> None:
    for user in (loop_users.presenter, loop_users.rm):
        with pytest.raises(NotPermitted):
            groups.save(user, "Mine", RICH)
    with pytest.raises(NotPermitted):
        groups.list_for(loop_users.presenter)
    group = groups.save(loop_users.analyst, "Rich", RICH)
    with pytest.raises(MarketingInputError) as err:  # not shared with them: no such group
        groups.members(loop_users.branch, group.id)
    assert err.value.field == "group_id"
    with pytest.raises(MarketingInputError):
        groups.share(loop_users.analyst, group.id, ["presenter"])  # sees no customer lists
    with pytest.raises(MarketingInputError):
        groups.share(loop_users.analyst, group.id, ["nobody"])
    groups.share(loop_users.analyst, group.id, ["head"])
    assert groups.get(loop_users.head, group.id).member_count == group.member_count
    for change in (groups.refresh, groups.delete):
        with pytest.raises(NotPermitted):  # a reader reads; only the maker changes it
            change(loop_users.head, group.id)


def test_sharing_never_widens_what_the_reader_sees(loop_users) -> None:
    group = groups.save(loop_users.analyst, "Head office", RICH)
    assert groups.share(loop_users.analyst, group.id, ["branch", "rm"]) == ("branch", "rm")
    everyone = groups.members(loop_users.analyst, group.id)
    theirs = groups.members(loop_users.branch, group.id)
    in_branch = view.describe(everyone["customer_id"], Scope.of("branch", loop_users.branch_id))
    assert 0 < len(theirs) < len(everyone)
    assert theirs["customer_id"].tolist() == in_branch["customer_id"].tolist()
    assert set(theirs["branch_id"]) == {loop_users.branch_id}
    seen = groups.get(loop_users.branch, group.id)
    assert seen.member_count == len(theirs) and not seen.visible
    assert seen.aum == pytest.approx(theirs["aum"].sum())
    mine = groups.members(loop_users.rm, group.id)
    assert set(mine["manager_id"]) <= {loop_users.manager_id}
    assert [g.id for g in groups.list_for(loop_users.branch)] == [group.id]
    assert groups.get(loop_users.analyst, group.id).shared_with == ("branch", "rm")
    with pytest.raises(NotPermitted):
        groups.share(loop_users.branch, group.id, [])  # a reader cannot re-share


def test_a_branch_managers_group_holds_their_branch_only(loop_users) -> None:
    group = groups.save(loop_users.branch, "My rich", RICH)
    expected = view.member_frame(RICH, scope_of(loop_users.branch))
    assert group.member_count == len(expected)
    assert set(groups.members(loop_users.branch, group.id)["branch_id"]) == {loop_users.branch_id}


def test_refresh_recomputes_and_records_the_difference(loop_users) -> None:
    group = groups.save(loop_users.analyst, "Rich", RICH)
    ids = [
        r[0]
        for r in stored("SELECT customer_id FROM customer_group_members WHERE group_id = :g", {"g": group.id})
    ]
    with ops_store.transaction() as con:  # as if the data had moved: 3 members gone, 2 strangers in
        for cid in ids[:3]:
            con.execute(
                "DELETE FROM customer_group_members WHERE group_id = :g AND customer_id = :c",
                {"g": group.id, "c": cid},
            )
        for cid in (1, 2):
            con.execute(
                "INSERT INTO customer_group_members (group_id, customer_id) VALUES (:g, :c)",
                {"g": group.id, "c": cid},
            )
    diff = groups.refresh(loop_users.analyst, group.id)
    assert (diff.added, diff.removed) == (3, 2)
    again = groups.get(loop_users.analyst, group.id)
    assert again.last_diff == diff and again.version == 1 and again.refreshed_at
    assert again.member_count == len(ids)
    assert stored("SELECT count(*) FROM audit_log WHERE action = 'group_refresh'")[0][0] == 1
    assert groups.refresh(loop_users.analyst, group.id) == groups.GroupDiff(0, 0)


def test_a_group_made_from_rows_keeps_its_customers_and_its_source(loop_users) -> None:
    month = view.latest_month()
    filters = (
        Filter("customers.month", "eq", (month,)),
        Filter("customers.branch", "eq", (loop_users.branch_id,)),
    )
    group = groups.save_from_rows(
        loop_users.analyst,
        "Busiest branch",
        "customers",
        filters,
        "selection",
        {"kind": "drill_through", "chart": "x"},
    )
    expected = view.customers_matching("customers", filters, Scope.all(identities=False))
    assert group.origin == "selection" and group.member_count == len(expected) > 0
    source = groups.get(loop_users.analyst, group.id).definition.source_dict
    assert source["kind"] == "drill_through" and source["cube"] == "customers"
    assert source["filters"][1] == {
        "member": "customers.branch",
        "op": "eq",
        "values": [str(loop_users.branch_id)],
    }
    # a listed group keeps its ids on refresh, dropping customers that no longer exist
    with ops_store.transaction() as con:
        con.execute(
            "INSERT INTO customer_group_members (group_id, customer_id) VALUES (:g, 5)", {"g": group.id}
        )
    assert groups.refresh(loop_users.analyst, group.id) == groups.GroupDiff(0, 1)
    assert groups.get(loop_users.analyst, group.id).member_count == len(expected)


def test_delete_removes_the_group_with_its_members_and_shares(loop_users) -> None:
    group = groups.save(loop_users.analyst, "Rich", RICH)
    groups.share(loop_users.analyst, group.id, ["branch"])
    with pytest.raises(NotPermitted):
        groups.delete(loop_users.branch, group.id)
    groups.delete(loop_users.analyst, group.id)
    assert stored("SELECT count(*) FROM customer_group_members")[0][0] == 0
    assert stored("SELECT count(*) FROM customer_group_shares")[0][0] == 0
    assert groups.list_for(loop_users.analyst) == []
    assert stored("SELECT count(*) FROM audit_log WHERE action = 'group_delete'")[0][0] == 1
    groups.save(loop_users.analyst, "Rich", RICH)  # the name is free again
