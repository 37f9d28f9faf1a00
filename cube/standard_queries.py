"""The dashboard queries shared by the pages, the correctness tests and the benchmark, so what
is tested and measured is what users see.

Two kinds:

- **Views that are built** declare their own queries (``cube.views.branches``,
  ``cube.views.overview``: ``queries(state)`` and the runners). :func:`view_queries` lists them
  for a few representative states (the bank, one region, one branch; the latest month against
  the previous one), as the benchmarks run them. Their pandas references are
  ``tests/cube/test_branches_view.py`` and ``tests/cube/test_overview.py``.
- **Views to come**: :data:`STANDARD_QUERIES`, the first view and a drill step of each page
  that is not built yet (customers, segmentation, products, channels, campaigns). Each entry is
  a stand-in, to be **replaced by its view's declaration when that view is built** (then
  removed here). Their pandas reference is ``tests/cube/test_standard.py``.

Standard queries without a month filter show the latest month for stocks (balances, customer
counts) and all months for flows. Drill steps use id 1 / codes the contract allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from cube.api import Filter, Query, Result, Scope, attainment, execute
from cube.views import branches as bv
from cube.views import channels as chv
from cube.views import customers as cv
from cube.views import options
from cube.views import overview as ov
from cube.views import products as pv
from cube.views.state import ViewState


@dataclass(frozen=True)
class StandardQuery:
    name: str
    page: str
    query: Query
    description: str


_TXN = ("transactions.txn_count", "transactions.amount")

STANDARD_QUERIES: tuple[StandardQuery, ...] = (
    StandardQuery(
        "customers_by_age",
        "customers",
        Query(
            "customers",
            ("customers.customers", "customers.aum", "customers.avg_aum"),
            ("customers.age_band",),
        ),
        "Customers by age band",
    ),
    StandardQuery(
        "customers_age_gender",
        "customers",
        Query(
            "customers",
            ("customers.customers", "customers.aum"),
            ("customers.gender",),
            (Filter("customers.age_band", "eq", ("35-44",)),),
        ),
        "Drill: one age band by gender",
    ),
    StandardQuery(
        "customers_by_income",
        "customers",
        Query(
            "customers",
            ("customers.customers", "customers.contribution"),
            ("customers.income_band", "customers.occupation"),
        ),
        "Income band by occupation",
    ),
    StandardQuery(
        "customers_by_tenure",
        "customers",
        Query(
            "customers",
            ("customers.customers", "customers.active_rate", "customers.contribution_rate"),
            ("customers.tenure_band",),
        ),
        "Tenure bands",
    ),
    StandardQuery(
        "customers_by_segment",
        "segmentation",
        Query(
            "customers",
            ("customers.customers", "customers.aum", "customers.contribution", "customers.aum_share"),
            ("customers.segment",),
        ),
        "Behaviour segments (published segmentation)",
    ),
    StandardQuery(
        "segment_by_value_tier",
        "segmentation",
        Query(
            "customers",
            ("customers.customers", "customers.avg_aum"),
            ("customers.value_tier",),
            (Filter("customers.segment", "eq", (1,)),),
        ),
        "Drill: one segment by value tier",
    ),
    StandardQuery(
        "products_by_category",
        "products",
        Query(
            "holdings",
            ("holdings.balance", "holdings.holders", "holdings.balance_share"),
            ("holdings.category",),
        ),
        "Balances by product category",
    ),
    StandardQuery(
        "products_in_category",
        "products",
        Query(
            "holdings",
            ("holdings.balance", "holdings.holders"),
            ("holdings.product",),
            (Filter("holdings.category", "eq", ("demand_deposit",)),),
        ),
        "Drill: products of one category",
    ),
    StandardQuery(
        "products_txn_by_category",
        "products",
        Query("transactions", (*_TXN, "transactions.fee"), ("transactions.category",)),
        "Transactions by product category",
    ),
    StandardQuery(
        "channels_by_type",
        "channels",
        Query("transactions", (*_TXN, "transactions.amount_share"), ("transactions.channel_type",)),
        "Channel types",
    ),
    StandardQuery(
        "channels_in_type",
        "channels",
        Query(
            "transactions",
            (*_TXN, "transactions.avg_amount"),
            ("transactions.channel",),
            (Filter("transactions.channel_type", "eq", ("digital",)),),
        ),
        "Drill: channels of one type",
    ),
    StandardQuery(
        "channels_by_month",
        "channels",
        Query("transactions", _TXN, ("transactions.month", "transactions.channel_type")),
        "Channel mix per month",
    ),
    StandardQuery(
        "channels_by_hour",
        "channels",
        Query("transactions", ("transactions.txn_count",), ("transactions.weekday", "transactions.hour")),
        "When customers transact",
    ),
    StandardQuery(
        "channel_customers_by_region",
        "channels",
        Query("transactions", ("transactions.customers", "transactions.txn_count"), ("transactions.region",)),
        "Distinct transacting customers (base table)",
    ),
    StandardQuery(
        "campaigns_overview",
        "campaigns",
        Query(
            "campaigns",
            (
                "campaigns.targeted",
                "campaigns.contacted",
                "campaigns.responded",
                "campaigns.contact_rate",
                "campaigns.success_rate",
                "campaigns.response_amount",
            ),
            ("campaigns.campaign",),
        ),
        "Campaign results",
    ),
    StandardQuery(
        "campaigns_by_region",
        "campaigns",
        Query(
            "campaigns",
            ("campaigns.targeted", "campaigns.responded", "campaigns.success_rate"),
            ("campaigns.region",),
            (Filter("campaigns.campaign", "eq", (1,)),),
        ),
        "Drill: one campaign by region",
    ),
)
"""Queries of the views to come (not built yet): each to be replaced by its view's declaration."""

BY_NAME: dict[str, StandardQuery] = {s.name: s for s in STANDARD_QUERIES}


# --- the views that are built -----------------------------------------------------------------


@dataclass(frozen=True)
class ViewQuery:
    """One aggregate query of a built view, in one representative state. ``name`` is
    ``<view>.<state>.<query>``; ``attainment`` says it runs through ``cube.api.attainment``
    (actuals beside targets: two cube queries) instead of ``cube.api.execute``."""

    name: str
    view: str
    state: str
    query: Query
    attainment: bool = False

    def run(self, scope: Scope, lang: str = "en", use_cache: bool = True) -> Result:
        runner = attainment if self.attainment else execute
        return runner(self.query, scope, lang, use_cache)


def view_states(scope: Scope) -> dict:
    """The representative states of the built views, resolved under ``scope``: ``bank``,
    ``region`` (region 1, or the scope's first) and ``branch`` (the first branch of that
    region); the default period (the latest month) against the previous month."""
    available = options.months(scope)
    bank = ViewState().resolve(available)
    out = {"bank": bank}
    regions = [o["value"] for o in options.org_options("region", bank, scope, "en")]
    if regions:
        region = bank.with_(region=1 if 1 in regions else regions[0])
        out["region"] = region
        branches = [o["value"] for o in options.org_options("branch", region, scope, "en")]
        if branches:
            out["branch"] = region.with_(branch=branches[0])
    return out


def view_queries(scope: Scope, states: dict | None = None) -> tuple[ViewQuery, ...]:
    """Every aggregate query one render of each built view runs, per state
    of :func:`view_states` (or ``states``), from the views' own declarations (duplicates within
    one render listed once)."""
    states = states if states is not None else view_states(scope)
    available = options.months(scope)
    out: list[ViewQuery] = []
    for sname, state in states.items():
        seen: set[Query] = set()

        def add(view: str, name: str, q: Query | None, att: bool = False, sname=sname, seen=seen) -> None:
            if q is not None and (q, att) not in seen:
                seen.add((q, att))
                out.append(ViewQuery(f"{view}.{sname}.{name}", view, sname, q, att))

        for name, q in bv.queries(state).items():
            add("branches", name, q, name in bv.ATTAINMENT_QUERIES)
        seen.clear()
        for name, q in ov.queries(state, available).items():
            add("overview", name, q, name in ov.ATTAINMENT_QUERIES)
        for view, module in (("customers", cv), ("products", pv), ("channels", chv)):
            seen.clear()
            for name, q in module.queries(state).items():
                add(view, name, q)
    return tuple(out)
