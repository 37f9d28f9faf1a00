"""Query API: errors, drill operations, top-N, period comparison, pivot, attainment."""

from __future__ import annotations

import pandas as pd
import pytest

from cube import api, engine
from cube.api import CubeError, Filter, Query, Scope
from cube.resolve import resolve


def test_unknown_names_suggest_close_matches(served):
    with pytest.raises(CubeError, match="customers.aum"):
        api.execute(Query("customers", ("customers.aun",)), Scope.all())
    with pytest.raises(CubeError, match="customers"):
        api.execute(Query("customer", ("customer.aum",)), Scope.all())


@pytest.mark.parametrize(
    "flt",
    [
        Filter("customers.branch", "like", (1,)),
        Filter("customers.branch", "eq", (1, 2)),
        Filter("customers.branch", "between", (1,)),
        Filter("customers.branch", "in", ()),
        Filter("customers.month", "eq", ("not a date",)),
        Filter("customers.branch", "eq", ({"a": 1},)),
        Filter("customers.aum", "gt", (5,)),
    ],
)
def test_malformed_filters_raise(served, flt):
    with pytest.raises(CubeError):
        api.execute(Query("customers", ("customers.customers",), (), (flt,)), Scope.all(), use_cache=False)


def test_sort_limit_offset(served):
    q = Query("customers", ("customers.aum",), ("customers.branch",), sort=(("customers.aum", "desc"),))
    full = api.execute(q, Scope.all(), use_cache=False).frame
    assert full["customers.aum"].is_monotonic_decreasing
    page = api.execute(Query(**{**q.__dict__, "limit": 2, "offset": 1}), Scope.all(), use_cache=False).frame
    assert page["customers.branch"].tolist() == full["customers.branch"].tolist()[1:3]


def test_drill_down_and_up():
    q = Query("customers", ("customers.aum",), ("customers.region",))
    d = api.drill_down(q, "customers.region", 1)
    assert d.dimensions == ("customers.branch",) and d.filters == (Filter("customers.region", "eq", (1,)),)
    d2 = api.drill_down(d, "customers.branch", 4)
    assert d2.dimensions == ("customers.manager",)
    up = api.drill_up(d2, "customers.org")
    assert up.dimensions == ("customers.branch",) and Filter("customers.branch", "eq", (4,)) not in up.filters
    assert api.drill_up(api.drill_up(up, "customers.org"), "customers.org").dimensions == (
        "customers.region",
    )


def test_drill_down_sums_to_parent(served):
    q = Query("customers", ("customers.aum", "customers.contribution"), ("customers.region",))
    parent = api.execute(q, Scope.all(), use_cache=False).frame
    child = api.execute(api.drill_down(q, "customers.region", 1), Scope.all(), use_cache=False).frame
    row = parent[parent["customers.region"] == 1].iloc[0]
    assert child["customers.aum"].sum() == pytest.approx(row["customers.aum"], abs=0.01)
    assert child["customers.contribution"].sum() == pytest.approx(row["customers.contribution"], abs=0.01)


def test_top_n_folds_others(served):
    q = Query("transactions", ("transactions.amount", "transactions.amount_share"), ("transactions.branch",))
    full = api.execute(q, Scope.all(), use_cache=False).frame
    top = api.top_n(q, Scope.all(), 3, "transactions.amount", use_cache=False).frame
    assert len(top) == 4 and top["transactions.branch.label"].iloc[-1] == "others"
    assert (
        top["transactions.amount"].iloc[:3].tolist() == sorted(full["transactions.amount"], reverse=True)[:3]
    )
    assert top["transactions.amount"].sum() == pytest.approx(full["transactions.amount"].sum(), abs=0.01)
    assert top["transactions.amount_share"].sum() == pytest.approx(1.0)


def test_compare_periods(served):
    q = Query(
        "customers",
        ("customers.contribution", "customers.aum"),
        ("customers.region",),
        (Filter("customers.month", "between", ("2025-01-01", "2025-03-01")),),
    )
    r = api.compare_periods(q, Scope.all(), "previous_period", use_cache=False).frame
    prev_q = Query(
        "customers",
        q.measures,
        q.dimensions,
        (Filter("customers.month", "between", ("2024-10-01", "2024-12-01")),),
    )
    prev = api.execute(prev_q, Scope.all(), use_cache=False).frame.set_index("customers.region")
    for _, row in r.iterrows():
        p = prev.loc[row["customers.region"], "customers.contribution"]
        assert row["customers.contribution.previous"] == pytest.approx(p)
        assert row["customers.contribution.delta"] == pytest.approx(row["customers.contribution"] - p)
        assert row["customers.contribution.delta_pct"] == pytest.approx(
            (row["customers.contribution"] - p) / p
        )
    yoy = api.compare_periods(q, Scope.all(), "same_period_last_year", use_cache=False).frame
    assert "customers.aum.delta_pct" in yoy.columns
    with pytest.raises(CubeError):
        api.compare_periods(Query("customers", ("customers.aum",)), Scope.all())


def test_pivot(served):
    r = api.execute(
        Query("customers", ("customers.aum",), ("customers.region", "customers.gender")),
        Scope.all(),
        use_cache=False,
    )
    p = api.pivot(r, ["customers.region"], "customers.gender", "customers.aum")
    assert list(p.columns) == ["F", "M"] and p.to_numpy().sum() == pytest.approx(
        r.frame["customers.aum"].sum()
    )


def test_attainment(served):
    q = Query("customers", (), ("customers.branch",), (Filter("customers.month", "eq", ("2025-06-01",)),))
    r = api.attainment(q, Scope.of("region", 1), use_cache=False).frame
    want = (
        served.sql(
            "SELECT branch_id, target_value FROM branch_targets "
            "WHERE metric='aum' AND month_date='2025-06-01'"
        )
        .df()
        .set_index("branch_id")["target_value"]
    )
    for _, row in r.iterrows():
        t = want[row["customers.branch"]]
        assert row["targets.aum"] == pytest.approx(t)
        assert row["aum.attainment"] == pytest.approx(row["customers.aum"] / t)
    rm = api.attainment(
        Query("customers", (), ("customers.manager",)), Scope.of("manager", 5), use_cache=False
    )
    assert "manager_targets" in rm.served_by and rm.frame["customers.manager"].tolist() == [5]
    mt = served.sql(
        "SELECT sum(target_value) FROM manager_targets WHERE manager_id = 5 AND metric = 'contribution'"
    )
    assert rm.frame["targets.contribution"].iloc[0] == pytest.approx(mt.fetchone()[0])


def test_result_metadata(served):
    r = api.execute(
        Query("customers", ("customers.aum",), ("customers.branch",)), Scope.all(), lang="zh", use_cache=False
    )
    assert (
        r.columns["customers.aum"].label("zh") == "管理资产(AUM)"
        and r.columns["customers.aum"].fmt == "money"
    )
    assert r.frame["customers.branch.label"].str.startswith("支行").all()
    assert "SELECT" in r.sql and r.served_by and r.ms > 0


def test_query_is_hashable_and_canonical():
    a = Query(
        "customers", ["customers.aum"], ["customers.branch"], [Filter("customers.branch", "in", [1, 2])]
    )
    b = Query(
        "customers", ("customers.aum",), ("customers.branch",), (Filter("customers.branch", "in", (1, 2)),)
    )
    assert a == b and hash(a) == hash(b)
    assert isinstance(engine.column_infos(resolve(a)), dict) and isinstance(pd.DataFrame(), pd.DataFrame)
