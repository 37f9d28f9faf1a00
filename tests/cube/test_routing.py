"""Rollup routing: random valid queries give the same answers routed and on the base tables."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cube import engine
from cube.api import Filter, Query, Scope
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
TXN_MEASURES = ["txn_count", "amount", "fee", "avg_amount", "fee_rate", "amount_share"]
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
    ],
}
SCOPES = [Scope.all(), Scope.of("region", 1), Scope.of("branch", (2, 4))]


@st.composite
def queries(draw):
    cube = draw(st.sampled_from(["transactions", "customers"]))
    dims, measures = (TXN_DIMS, TXN_MEASURES) if cube == "transactions" else (CM_DIMS, CM_MEASURES)
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
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qs=queries())
def test_routed_equals_base(served, qs, monkeypatch):
    q, scope = qs
    routed = engine.execute(q, scope, use_cache=False)
    with monkeypatch.context() as mp:
        mp.setattr(engine, "choose_source", lambda cube, *a: (cube.source, {}))
        mp.setattr(engine, "_plans", OrderedDict())  # no memoised routed plan
        base = engine.execute(q, scope, use_cache=False)
    assert base.served_by in ("transactions_enriched", "customer_month")
    assert_frames_match(routed.frame, base.frame, q.dimensions, q.measures)


def test_routes_to_smallest_answering_rollup(served):
    q = Query("transactions", ("transactions.amount",), ("transactions.channel_type",))
    r = engine.execute(q, Scope.all(), use_cache=False)
    counts = {
        n: served.sql(f"SELECT count(*) FROM {n}").fetchone()[0]
        for n in ("rollup_txn_month", "rollup_txn_day_channel", "rollup_txn_hour")
    }
    assert r.served_by == min(counts, key=counts.get)
    q2 = Query("customers", ("customers.aum",), ("customers.manager",))
    assert engine.execute(q2, Scope.all(), use_cache=False).served_by == "rollup_cm_org"


def test_non_additive_or_uncovered_goes_to_base(served):
    distinct = Query("transactions", ("transactions.customers",), ("transactions.channel_type",))
    assert engine.execute(distinct, Scope.all(), use_cache=False).served_by == "transactions_enriched"
    uncovered = Query("customers", ("customers.aum",), ("customers.manager", "customers.gender"))
    assert engine.execute(uncovered, Scope.all(), use_cache=False).served_by == "customer_month"
    rm = Query("transactions", ("transactions.amount",), ("transactions.channel_type",))
    assert engine.execute(rm, Scope.of("manager", 3), use_cache=False).served_by == "transactions_enriched"
