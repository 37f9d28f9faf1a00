"""Rollup routing: random valid queries give the same answers routed and on the base tables."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cube import engine, routing
from cube.api import Filter, Query, Scope
from data import rollups
from tests.cube.helpers import assert_frames_match

TXN_DIMS = [
    "year",
    "quarter",
    "month",
    "day",
    "weekday",
    "hour",
    "region",
    "branch",
    "category",
    "product",
    "channel_type",
    "channel",
    "txn_type",
]
TXN_MEASURES = ["txn_count", "amount", "fee", "customers", "avg_amount", "fee_rate", "amount_share"]
CM_DIMS = [
    "year",
    "quarter",
    "month",
    "region",
    "branch",
    "manager",
    "gender",
    "age_band",
    "income_band",
    "occupation",
    "tenure_band",
    "segment",
    "value_tier",
]
CM_MEASURES = [
    "customers",
    "aum",
    "deposits",
    "loans",
    "contribution",
    "new_customers",
    "lost_customers",
    "active_customers",
    "avg_aum",
    "active_rate",
    "contribution_rate",
    "aum_share",
]
HOLDING_DIMS = [
    "year",
    "quarter",
    "month",
    "region",
    "branch",
    "manager",
    "balance_type",
    "category",
    "product",
]
HOLDING_MEASURES = [
    "balance",
    "avg_daily_balance",
    "holdings",
    "holders",
    "balance_per_holder",
    "balance_share",
]
MEMBERS = {
    "transactions": (TXN_DIMS, TXN_MEASURES),
    "customers": (CM_DIMS, CM_MEASURES),
    "holdings": (HOLDING_DIMS, HOLDING_MEASURES),
}
FILTERS = {
    "transactions": [
        ("region", "eq", (1,)),
        ("branch", "in", (1, 2, 5)),
        ("channel_type", "eq", ("digital",)),
        ("year", "eq", (2024,)),
        ("month", "between", ("2024-03-01", "2024-08-01")),
    ],
    "customers": [
        ("region", "eq", (2,)),
        ("branch", "in", (1, 3)),
        ("gender", "eq", ("F",)),
        ("month", "between", ("2024-06-01", "2025-03-01")),
        ("quarter", "eq", (2,)),
        ("segment", "eq", (1,)),
        ("value_tier", "in", ("gold", "vip")),
    ],
    "holdings": [
        ("region", "eq", (1,)),
        ("branch", "in", (1, 2, 5)),
        ("category", "eq", ("demand_deposit",)),
        ("product", "in", (1, 2, 3)),
        ("product", "in", (2,)),
        ("month", "between", ("2024-03-01", "2024-08-01")),
    ],
}
SCOPES = [Scope.all(), Scope.of("region", 1), Scope.of("branch", (2, 4))]


@st.composite
def queries(draw):
    cube = draw(st.sampled_from(list(MEMBERS)))
    dims, measures = MEMBERS[cube]
    d = draw(st.lists(st.sampled_from(dims), max_size=2, unique=True))
    m = draw(st.lists(st.sampled_from(measures), min_size=1, max_size=3, unique=True))
    f = draw(st.lists(st.sampled_from(FILTERS[cube]), max_size=2, unique_by=lambda x: x[0]))
    q = Query(
        cube,
        tuple(f"{cube}.{x}" for x in m),
        tuple(f"{cube}.{x}" for x in d),
        tuple(Filter(f"{cube}.{a}", op, v) for a, op, v in f),
    )
    return q, draw(st.sampled_from(SCOPES))


@pytest.mark.slow
@settings(max_examples=90, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qs=queries())
def test_routed_equals_base(scored, qs, monkeypatch):
    q, scope = qs
    routed = engine.execute(q, scope, use_cache=False)
    with monkeypatch.context() as mp:
        mp.setattr(routing, "choose_source", lambda cube, *a: (cube.source, {}))
        mp.setattr(engine, "_plans", OrderedDict())  # no memoised routed plan
        base = engine.execute(q, scope, use_cache=False)
    assert base.served_by in ("transactions_enriched", "customer_month", "holdings_enriched")
    assert_frames_match(routed.frame, base.frame, q.dimensions, q.measures)


def _rows(con, source: str, having: str) -> dict[str, int]:
    names = [r.name for r in rollups.ROLLUPS if r.source == source and having in r.dimensions]
    return {n: con.sql(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


def test_routes_to_smallest_answering_rollup(served):
    q = Query("transactions", ("transactions.amount",), ("transactions.channel_type",))
    r = engine.execute(q, Scope.all(), use_cache=False)
    counts = _rows(served, "transactions_enriched", "channel_type")
    assert len(counts) > 2 and r.served_by == min(counts, key=counts.get)
    q2 = Query("customers", ("customers.aum",), ("customers.manager",))
    assert engine.execute(q2, Scope.all(), use_cache=False).served_by == "rollup_cm_org"


def _served(query: Query, scope: Scope | None = None) -> str:
    return engine.execute(query, scope or Scope.all(), use_cache=False).served_by


def test_distinct_counts_route_only_where_they_sum_exactly(served):
    by_type = Query("transactions", ("transactions.customers",), ("transactions.channel_type",))
    assert _served(by_type) == "rollup_txn_customers_channel_type"
    # a customer may use several branches: summing per-branch distinct counts would double count
    two_branches = Query(
        "transactions",
        ("transactions.customers",),
        ("transactions.region",),
        (Filter("transactions.branch", "in", (1, 2)),),
    )
    assert _served(two_branches) == "transactions_enriched"
    assert (
        _served(
            Query("transactions", ("transactions.customers",), ("transactions.region",)),
            Scope.of("branch", (2, 4)),
        )
        == "transactions_enriched"
    )
    holders = Query("holdings", ("holdings.holders",), ("holdings.category",))
    assert _served(holders) == "rollup_holdings_category_branch"
    # a customer sits in one branch a month, so holder counts add up over branches in scope
    assert _served(holders, Scope.of("branch", (2, 4))) == "rollup_holdings_category_branch"
    # ... but not over products: a customer may hold two products of one category
    products = Query(
        "holdings", ("holdings.holders",), ("holdings.category",), (Filter("holdings.product", "in", (1, 2)),)
    )
    assert _served(products) == "holdings_enriched"
    one_product = Query(
        "holdings", ("holdings.holders",), ("holdings.category",), (Filter("holdings.product", "eq", (2,)),)
    )
    assert _served(one_product).startswith("rollup_holdings_product")


def test_uncovered_goes_to_base(served):
    assert _served(Query("transactions", ("transactions.customers",), ("transactions.weekday",))) == (
        "transactions_enriched"
    )
    uncovered = Query("customers", ("customers.aum",), ("customers.manager", "customers.gender"))
    assert _served(uncovered) == "customer_month"
    rm = Query("transactions", ("transactions.amount",), ("transactions.channel_type",))
    assert _served(rm, Scope.of("manager", 3)) == "transactions_enriched"
