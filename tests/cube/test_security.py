"""Row-level security as a table, and attempts to escape the scope."""

from __future__ import annotations

import pytest

from cube import api, engine
from cube.api import CubeError, Filter, Grant, Query, Scope

Q_BRANCH = Query("customers", ("customers.customers",), ("customers.branch",))


def _branches(scope: Scope) -> set[int]:
    return set(engine.execute(Q_BRANCH, scope, use_cache=False).frame["customers.branch"].tolist())


def _truth(con, sql: str) -> set[int]:
    return {r[0] for r in con.sql(sql).fetchall()}


def test_scope_table(served):
    con = served
    b_of_region1 = _truth(con, "SELECT branch_id FROM branches WHERE region_id = 1")
    b_of_mgr5 = _truth(con, "SELECT DISTINCT branch_id FROM customer_month WHERE manager_id = 5")
    all_b = _truth(con, "SELECT DISTINCT branch_id FROM customer_month")
    cases = [
        (Scope.all(), all_b),
        (Scope.none(), set()),
        (Scope(), set()),
        (Scope.of("region", 1), b_of_region1 & all_b),
        (Scope.of("branch", 2), {2}),
        # same hierarchy: union
        (Scope((Grant("branch", (2,)), Grant("branch", (3,)))), {2, 3}),
        (Scope((Grant("region", (1,)), Grant("branch", (2,)))), (b_of_region1 & all_b) | {2}),
        (Scope.of("manager", 5), b_of_mgr5),
        # different hierarchies: a product grant cannot be applied to customers -> nothing
        (Scope((Grant("branch", (2,)), Grant("category", ("mortgage",)))), set()),
        (Scope((Grant("branch", ()),)), set()),
    ]
    for scope, want in cases:
        assert _branches(scope) == want, scope


def test_different_hierarchies_intersect_on_transactions(served):
    con = served
    scope = Scope((Grant("branch", (2, 3)), Grant("category", ("mortgage",))))
    q = Query("transactions", ("transactions.txn_count",), ("transactions.branch", "transactions.category"))
    f = engine.execute(q, scope, use_cache=False).frame
    assert set(f["transactions.branch"]) <= {2, 3}
    assert set(f["transactions.category"]) == {"mortgage"}
    want = con.sql(
        "SELECT count(*) FROM transactions_enriched WHERE branch_id IN (2,3) AND category = 'mortgage'"
    ).fetchone()[0]
    assert f["transactions.txn_count"].sum() == want


def test_filters_cannot_widen_scope(served):
    scope = Scope.of("branch", 2)
    for flt in (
        Filter("customers.branch", "eq", (3,)),
        Filter("customers.branch", "in", (1, 2, 3, 4)),
        Filter("customers.region", "in", (1, 2, 3)),
        Filter("customers.branch", "ne", (2,)),
    ):
        q = Query("customers", ("customers.customers",), ("customers.branch",), (flt,))
        assert set(engine.execute(q, scope, use_cache=False).frame["customers.branch"]) <= {2}


def test_manager_scope_on_transactions_uses_customer_owner(served):
    con = served
    q = Query("transactions", ("transactions.txn_count", "transactions.customers"))
    f = engine.execute(q, Scope.of("manager", 5), use_cache=False).frame
    want = con.sql(
        "SELECT count(*), count(DISTINCT customer_id) FROM transactions WHERE customer_id IN "
        "(SELECT customer_id FROM customers WHERE manager_id = 5)"
    ).fetchone()
    assert (f.iloc[0, 0], f.iloc[0, 1]) == want


def test_names_cannot_reach_other_cubes_or_columns(served):
    scope = Scope.of("branch", 2)
    bad = [
        Query("customers", ("customers.customers",), ("customers.branch_id",)),
        Query("customers", ("transactions.amount",)),
        Query("customers", ("customers.aum; DROP TABLE x",)),
        Query("customers", ("customers.customers",), (), (Filter("customers.name", "eq", ("x",)),)),
        Query("customers", ("customers.customers",), (), (Filter("customers.branch", "eq", ("2 OR 1=1",)),)),
    ]
    for q in bad:
        with pytest.raises(CubeError):
            engine.execute(q, scope, use_cache=False)


def test_drill_through_respects_scope_and_masks(served):
    con = served
    scope = Scope((Grant("branch", (2, 3)),), (Grant("branch", (2,)),))
    r = api.drill_through("customers", [Filter("customers.branch", "in", (1, 2, 3, 4))], scope, 0, 1000)
    f = r.frame
    assert set(f["branch_id"]) <= {2, 3} and len(f) > 0
    want = con.sql("SELECT count(*) FROM customer_month WHERE branch_id IN (2, 3)").fetchone()[0]
    assert r.total_rows == want
    home = dict(con.sql("SELECT customer_id, home_branch_id FROM customers").fetchall())
    names = dict(con.sql("SELECT customer_id, name FROM customers").fetchall())
    for cid, name, phone in zip(f["customer_id"], f["customer_name"], f["customer_phone"], strict=True):
        if home[cid] == 2:
            assert name == names[cid]
        else:
            assert name != names[cid] and name.endswith("**") and "****" in phone


def test_drill_through_with_no_grant_is_empty(served):
    r = api.drill_through("transactions", [], Scope.none(), 0, 10)
    assert r.total_rows == 0 and len(r.frame) == 0


def test_analyst_sees_all_rows_masked(served):
    scope = Scope.for_role("analyst")
    r = api.drill_through("transactions", [], scope, 0, 20)
    assert len(r.frame) == 20
    assert all(n.endswith("**") for n in r.frame["customer_name"])


def test_manager_labels_masked_outside_identities(served):
    q = Query("customers", ("customers.customers",), ("customers.manager",))
    masked = engine.execute(q, Scope.all(identities=False), use_cache=False).frame
    assert all(lbl.startswith("RM #") for lbl in masked["customers.manager.label"])
    shown = engine.execute(q, Scope.all(), use_cache=False).frame
    assert all(lbl.startswith("Manager") for lbl in shown["customers.manager.label"])


def test_roles_map_to_scopes():
    assert Scope.for_role("admin") == Scope.all()
    assert Scope.for_role("presenter").identities == ()
    assert Scope.for_role("presenter").customer_rows is False and Scope.for_role("analyst").customer_rows
    assert Scope.for_role("branch_manager", branch_id=4) == Scope.of("branch", 4)
    assert Scope.for_role("relationship_manager") == Scope.none()
    assert Scope.for_role("nobody") == Scope.none()


def test_filter_values_are_literals_not_sql(served):
    q = Query("customers", ("customers.customers",), ("customers.gender",))
    sneaky = Query(q.cube, q.measures, q.dimensions, (Filter("customers.gender", "eq", ("F' OR '1'='1",)),))
    assert engine.execute(sneaky, Scope.all(), use_cache=False).frame.empty
    contains = Query(
        "transactions",
        ("transactions.txn_count",),
        ("transactions.channel_type",),
        (Filter("transactions.channel_type", "contains", ("DIGI",)),),
    )
    assert engine.execute(contains, Scope.all(), use_cache=False).frame[
        "transactions.channel_type"
    ].tolist() == ["digital"]
