"""The standard dashboard queries: each page's first view and a drill step.

Shared by the pages, the correctness tests and the benchmark, so what is tested and measured
is what users see. Queries without a month filter show the latest month for stocks (balances,
customer counts) and all months for flows. Drill steps use id 1 / codes the contract allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from cube.api import Filter, Query


@dataclass(frozen=True)
class StandardQuery:
    name: str
    page: str
    query: Query
    description: str


_BRANCH_MEASURES = tuple(
    f"customers.{m}"
    for m in (
        "customers",
        "aum",
        "deposits",
        "loans",
        "contribution",
        "new_customers",
        "lost_customers",
        "active_customers",
    )
)
_TXN = ("transactions.txn_count", "transactions.amount")

STANDARD_QUERIES: tuple[StandardQuery, ...] = (
    StandardQuery("overview_kpis", "overview", Query("customers", _BRANCH_MEASURES), "Headline KPIs"),
    StandardQuery(
        "overview_trend_month",
        "overview",
        Query(
            "customers",
            ("customers.aum", "customers.contribution", "customers.customers"),
            ("customers.month",),
        ),
        "Monthly trend",
    ),
    StandardQuery(
        "overview_trend_year",
        "overview",
        Query(
            "customers", ("customers.aum", "customers.contribution", "customers.avg_aum"), ("customers.year",)
        ),
        "Yearly trend (stocks at year end)",
    ),
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
        "branches_by_region",
        "branches",
        Query("customers", _BRANCH_MEASURES, ("customers.region",)),
        "Regions",
    ),
    StandardQuery(
        "branches_in_region",
        "branches",
        Query(
            "customers", _BRANCH_MEASURES, ("customers.branch",), (Filter("customers.region", "eq", (1,)),)
        ),
        "Drill: branches of region 1",
    ),
    StandardQuery(
        "branches_managers",
        "branches",
        Query(
            "customers", _BRANCH_MEASURES, ("customers.manager",), (Filter("customers.branch", "eq", (1,)),)
        ),
        "Drill: managers of branch 1",
    ),
    StandardQuery(
        "branches_monthly",
        "branches",
        Query(
            "customers", ("customers.aum", "customers.new_customers"), ("customers.month", "customers.region")
        ),
        "Regions per month",
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
    StandardQuery(
        "targets_by_branch",
        "branches",
        Query(
            "targets", ("targets.aum", "targets.contribution", "targets.new_customers"), ("targets.region",)
        ),
        "Targets by region",
    ),
)

BY_NAME: dict[str, StandardQuery] = {s.name: s for s in STANDARD_QUERIES}
