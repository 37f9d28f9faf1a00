"""Declared pre-aggregations (rollups), built by the derived layer at load time.

Declared here, as data, so that the derived layer (the only writer of the warehouse) can build
them and the cube (which may import ``data``) can route queries to them. Sums and counts add
up over any grouping; ratios are computed from their additive parts. A distinct count
(``count_distinct``) adds up only where no customer can fall into two of the rollup rows a query
groups together: see :func:`distinct_sums_exactly`.

Each rollup groups one *rollup source* by some of its columns. The sources are views the
derived layer creates over the base tables:

- ``transactions_enriched``: every transactions column plus ``txn_date``, ``month_date``,
  ``year``, ``quarter``, ``weekday`` (ISO), ``hour``, ``region_id`` (of the booking branch),
  ``channel_type`` and ``category`` (of the product).
- ``customer_month``: the customer-month wide table itself.
- ``campaign_contacts_enriched``: every campaign contact with the campaign's product, start date
  and month, and the customer's home ``branch_id``, ``manager_id`` and ``region_id``.
- ``holdings_enriched``: every holdings column plus the product's ``category`` and
  ``balance_type`` and the holder's ``region_id``, ``branch_id`` and ``manager_id`` that month,
  the holding's month ``margin`` (avg_daily_balance * margin_rate / 12) and the holder's
  attributes that month (``HOLDER_ATTRIBUTES``).
- ``product_pairs``: customers holding both of two products, by month and holder's org.
"""

from __future__ import annotations

from dataclasses import dataclass

from data import contract

# The holder's customer_month attributes that month, carried on holdings_enriched (the Products
# view's "who holds a product"): one value per customer and month, so holder counts add up over them.
HOLDER_ATTRIBUTES = ("gender", "age_band", "income_band", "occupation", "tenure_band")

# The enriched relations the derived layer builds, with their columns (checked by a test).
ENRICHED: dict[str, tuple[str, ...]] = {
    "transactions_enriched": (
        *contract.TRANSACTIONS.column_names,
        "txn_date",
        "month_date",
        "year",
        "quarter",
        "weekday",
        "hour",
        "region_id",
        "channel_type",
        "category",
    ),
    "campaign_contacts_enriched": (
        *contract.CAMPAIGN_CONTACTS.column_names,
        "product_id",
        "start_date",
        "start_month",
        "branch_id",
        "manager_id",
        "region_id",
    ),
    "holdings_enriched": (
        *contract.HOLDINGS.column_names,
        "category",
        "balance_type",
        "region_id",
        "branch_id",
        "manager_id",
        "margin",
        *HOLDER_ATTRIBUTES,
    ),
    "product_pairs": (
        "month_date",
        "region_id",
        "branch_id",
        "manager_id",
        "category",
        "product_id",
        "other_category",
        "other_product_id",
        "customers",
    ),
}

ADDITIVE_AGGREGATIONS = ("sum", "count")
AGGREGATIONS = (*ADDITIVE_AGGREGATIONS, "count_distinct")

# Columns whose value is fixed by another column (the contract guarantees it: a branch lies in
# one region, a product in one category, a channel has one type, a day in one month and year).
DETERMINED_BY: dict[str, tuple[str, ...]] = {
    "region_id": ("branch_id",),
    "category": ("product_id",),
    "balance_type": ("product_id",),
    "channel_type": ("channel_id",),
    "month_date": ("txn_date",),
    "year": ("month_date", "txn_date"),
    "quarter": ("month_date", "txn_date"),
}


@dataclass(frozen=True)
class RollupMeasure:
    """A measure of a rollup: ``agg(column)``, stored as ``name``.

    For ``count_distinct``, ``additive_over`` names the dimensions that partition the counted
    keys once the others are fixed (a customer sits in one branch per month), so the stored
    counts may be summed over them.
    """

    name: str
    agg: str  # "sum" | "count" (count(*) when column is None) | "count_distinct"
    column: str | None = None
    additive_over: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rollup:
    """A pre-aggregation: ``source`` grouped by ``dimensions``, keeping ``measures``."""

    name: str
    source: str
    dimensions: tuple[str, ...]
    measures: tuple[RollupMeasure, ...]
    # built when model runs of these kinds have published customer scores (data.scores), over
    # the source joined with those scores, instead of at load time
    published_by: tuple[str, ...] | None = None


# Sources with one row per key (the contract's primary key of the fact they extend): a distinct
# count of one key column, grouped by all the other key columns, is a plain row count, which
# DuckDB computes several times faster (holders by product at 1M customers: 38 s to 9 s).
SOURCE_KEYS: dict[str, tuple[str, ...]] = {"holdings_enriched": ("month_date", "customer_id", "product_id")}


def counts_rows(rollup: Rollup, measure: RollupMeasure) -> bool:
    """Whether ``measure`` (a distinct count) equals the row count of each group of ``rollup``."""
    key = SOURCE_KEYS.get(rollup.source)
    if measure.agg != "count_distinct" or not key or measure.column not in key:
        return False
    return set(key) - {measure.column} <= set(rollup.dimensions)


def distinct_sums_exactly(rollup: Rollup, measure: RollupMeasure, kept: set[str]) -> bool:
    """Whether summing ``measure`` (a stored distinct count) over the rollup rows that agree on the
    ``kept`` columns gives the distinct count of the group: true iff every rollup dimension left
    out is fixed by a kept column or is one ``measure`` is additive over."""
    fixed = {col for col, by in DETERMINED_BY.items() if any(b in kept for b in by)}
    return all(d in kept or d in fixed or d in measure.additive_over for d in rollup.dimensions)


_TXN_MEASURES = (
    RollupMeasure("txn_count", "count"),
    RollupMeasure("amount", "sum", "amount"),
    RollupMeasure("fee", "sum", "fee"),
)

_TXN_CUSTOMERS = (*_TXN_MEASURES, RollupMeasure("customers", "count_distinct", "customer_id"))

ROLLUPS: tuple[Rollup, ...] = (
    Rollup(
        "rollup_txn_month",
        "transactions_enriched",
        (
            "month_date",
            "year",
            "quarter",
            "region_id",
            "branch_id",
            "channel_type",
            "channel_id",
            "category",
            "product_id",
            "txn_type",
        ),
        _TXN_MEASURES,
    ),
    Rollup(
        "rollup_txn_day_channel",
        "transactions_enriched",
        ("txn_date", "month_date", "region_id", "branch_id", "channel_type", "channel_id"),
        _TXN_MEASURES,
    ),
    Rollup(
        "rollup_txn_hour",
        "transactions_enriched",
        ("month_date", "channel_type", "channel_id", "weekday", "hour"),
        _TXN_MEASURES,
    ),
    # Distinct transacting customers: a customer may transact at any branch, on any channel, in
    # any month, so each of these answers distinct counts only at its own grain (or coarser
    # columns fixed by it); sums and counts it answers for any grouping of its dimensions.
    Rollup("rollup_txn_customers_region", "transactions_enriched", ("region_id",), _TXN_CUSTOMERS),
    Rollup(
        "rollup_txn_customers_branch", "transactions_enriched", ("region_id", "branch_id"), _TXN_CUSTOMERS
    ),
    Rollup(
        "rollup_txn_customers_channel",
        "transactions_enriched",
        ("channel_type", "channel_id"),
        _TXN_CUSTOMERS,
    ),
    Rollup("rollup_txn_customers_channel_type", "transactions_enriched", ("channel_type",), _TXN_CUSTOMERS),
    Rollup(
        "rollup_txn_customers_month",
        "transactions_enriched",
        ("month_date", "year", "quarter", "region_id"),
        _TXN_CUSTOMERS,
    ),
    Rollup(
        "rollup_txn_customers_month_channel",
        "transactions_enriched",
        ("month_date", "year", "quarter", "channel_type", "channel_id"),
        _TXN_CUSTOMERS,
    ),
)

# Customer-month rollups (cube "customers"). Every rollup keeps month_date, so stock measures
# (balances, customer counts) can still take the last month of a period; count(*) counts
# customer-months, and sum over a BOOLEAN column counts the customers where it is true.
_CM_MEASURES = (
    RollupMeasure("customers", "count"),
    RollupMeasure("aum", "sum", "aum"),
    RollupMeasure("aum_adb", "sum", "aum_adb"),
    RollupMeasure("deposit_balance", "sum", "deposit_balance"),
    RollupMeasure("investment_balance", "sum", "investment_balance"),
    RollupMeasure("loan_balance", "sum", "loan_balance"),
    RollupMeasure("contribution", "sum", "contribution"),
    RollupMeasure("fee_income", "sum", "fee_income"),
    RollupMeasure("txn_count", "sum", "txn_count"),
    RollupMeasure("txn_amount", "sum", "txn_amount"),
    RollupMeasure("is_active", "sum", "is_active"),
    RollupMeasure("is_dormant", "sum", "is_dormant"),
    RollupMeasure("is_new", "sum", "is_new"),
    RollupMeasure("is_churned", "sum", "is_churned"),
    RollupMeasure("product_count", "sum", "product_count"),
)

ROLLUPS += (
    Rollup(
        "rollup_cm_org",
        "customer_month",
        ("month_date", "region_id", "branch_id", "manager_id"),
        _CM_MEASURES,
    ),
    *(
        Rollup(
            f"rollup_cm_{column}",
            "customer_month",
            ("month_date", "region_id", "branch_id", column),
            _CM_MEASURES,
        )
        for column in ("gender", "age_band", "income_band", "occupation", "tenure_band")
    ),
    Rollup(
        "rollup_cm_age_gender",
        "customer_month",
        ("month_date", "region_id", "branch_id", "age_band", "gender"),
        _CM_MEASURES,
    ),
    Rollup(
        "rollup_cm_income_occupation",
        "customer_month",
        ("month_date", "region_id", "branch_id", "income_band", "occupation"),
        _CM_MEASURES,
    ),
    # over customer_month joined with the published scores: see data.scores
    *(
        Rollup(
            f"rollup_cm_{attribute}_{level}",
            "customer_month",
            ("month_date", *org, attribute),
            _CM_MEASURES,
            published_by=(kind,),
        )
        for kind, attribute in (("segmentation", "segment"), ("value", "value_tier"))
        for level, org in (
            ("branch", ("region_id", "branch_id")),
            ("manager", ("region_id", "branch_id", "manager_id")),
        )
    ),
    Rollup(
        "rollup_cm_segment_value_tier",
        "customer_month",
        ("month_date", "region_id", "branch_id", "segment", "value_tier"),
        _CM_MEASURES,
        published_by=("segmentation", "value"),
    ),
    Rollup(
        "rollup_cm_demographics",
        "customer_month",
        (
            "month_date",
            "region_id",
            "branch_id",
            "gender",
            "age_band",
            "income_band",
            "occupation",
            "tenure_band",
        ),
        _CM_MEASURES,
    ),
)

# Behaviour of the Customers view: transactions per channel beside the counts they divide by.
_CM_CHANNEL_MEASURES = (
    *_CM_MEASURES,
    *(RollupMeasure(f"txn_count_{code}", "sum", f"txn_count_{code}") for code in contract.CHANNEL_CODES),
)
ROLLUPS += (
    Rollup(
        "rollup_cm_channels_org",
        "customer_month",
        ("month_date", "region_id", "branch_id", "manager_id"),
        _CM_CHANNEL_MEASURES,
    ),
    Rollup(
        "rollup_cm_channels_segment",
        "customer_month",
        ("month_date", "region_id", "branch_id", "segment"),
        _CM_CHANNEL_MEASURES,
        published_by=("segmentation",),
    ),
)

# Customer tiers (cube "customer_tiers", the Customers view): deciles, AUM-tier migrations,
# cohorts and the city x credit-grade structure, each at manager grain (scoped users too).
_CT_MEASURES = (
    RollupMeasure("customers", "count"),
    RollupMeasure("aum", "sum", "aum"),
    RollupMeasure("contribution", "sum", "contribution"),
    RollupMeasure("is_churned", "sum", "is_churned"),
)
ROLLUPS += tuple(
    Rollup(
        f"rollup_ct_{name}", "customer_tiers", ("month_date", "region_id", "branch_id", *dims), _CT_MEASURES
    )
    for name, dims in (
        ("aum_decile", ("manager_id", "aum_decile")),
        ("contribution_decile", ("manager_id", "contribution_decile")),
        ("migration", ("manager_id", "aum_tier_before", "aum_tier")),
        ("migration_year", ("manager_id", "aum_tier_year_before", "aum_tier")),
        ("cohort", ("manager_id", "open_month")),
        ("city_credit", ("city", "credit_grade")),
        ("demographics", ("gender", "age_band", "income_band", "occupation", "tenure_band")),
    )
)

# Holdings rollups (cube "holdings"). Holders are distinct customers: a customer has one org
# (region, branch, manager) per month, so holder counts add up over the org levels, but not over
# products or categories (one customer holds several): hence one rollup per product level.
_HOLDING_MEASURES = (
    RollupMeasure("holdings", "count"),
    RollupMeasure("balance", "sum", "balance"),
    RollupMeasure("avg_daily_balance", "sum", "avg_daily_balance"),
    RollupMeasure("margin", "sum", "margin"),
)
_ORG = ("region_id", "branch_id", "manager_id")


def _holders(org: tuple[str, ...]) -> tuple[RollupMeasure, ...]:
    return (*_HOLDING_MEASURES, RollupMeasure("holders", "count_distinct", "customer_id", additive_over=org))


ROLLUPS += tuple(
    Rollup(
        f"rollup_holdings_{level}_{org_name}",
        "holdings_enriched",
        ("month_date", *org, *level_dims),
        _holders(org),
    )
    for org_name, org in (("branch", _ORG[:2]), ("manager", _ORG))
    for level, level_dims in (
        ("product", ("balance_type", "category", "product_id")),
        ("category", ("category",)),
        ("total", ()),
    )
)

# Holders by product (or category) and one holder attribute, at branch level: the Products
# view's "who holds" profile. A customer has one value of each attribute a month, so holder
# counts add up over the attribute as over the org. Segment and value tier are published scores:
# their rollups are built when the scores are published (data.scores).
ROLLUPS += tuple(
    Rollup(
        f"rollup_holdings_{level}_{attribute}",
        "holdings_enriched",
        ("month_date", *_ORG[:2], *level_dims, attribute),
        (
            *_HOLDING_MEASURES,
            RollupMeasure("holders", "count_distinct", "customer_id", additive_over=(*_ORG[:2], attribute)),
        ),
        published_by=published,
    )
    for attribute, published in (
        *((a, None) for a in HOLDER_ATTRIBUTES),
        ("segment", ("segmentation",)),
        ("value_tier", ("value",)),
    )
    for level, level_dims in (
        ("product", ("balance_type", "category", "product_id")),
        ("category", ("category",)),
    )
)

# Customers holding two products, by month and org (cube "product_pairs"): plain sums, exact
# over any org grouping (each customer counts once per cell and has one org a month).
_PAIRS = ("category", "product_id", "other_category", "other_product_id")
ROLLUPS += tuple(
    Rollup(
        f"rollup_pairs_{name}",
        "product_pairs",
        ("month_date", *org, *_PAIRS),
        (RollupMeasure("customers", "sum", "customers"),),
    )
    for name, org in (("region", _ORG[:1]), ("branch", _ORG[:2]))
)

# The Channels view. Distinct transacting customers by channel (or channel type) and month, at
# bank, region and branch level: each answers distinct counts at its own grain only (a customer
# uses several channels and branches). The branch x channel x month rollup also serves the
# anomaly scan; the hour rollup with branches serves the weekday x hour heatmap per branch.
ROLLUPS += tuple(
    Rollup(
        f"rollup_txn_customers_month_{level}_{grain}",
        "transactions_enriched",
        ("month_date", "year", "quarter", *org, *channel),
        _TXN_CUSTOMERS,
    )
    for level, org in (("bank", ()), ("region", ("region_id",)), ("branch", ("region_id", "branch_id")))
    for grain, channel in (("channel", ("channel_type", "channel_id")), ("channel_type", ("channel_type",)))
    if (level, grain) != ("bank", "channel")  # rollup_txn_customers_month_channel has it
)
ROLLUPS += (
    Rollup(
        "rollup_txn_hour_branch",
        "transactions_enriched",
        ("month_date", "region_id", "branch_id", "channel_type", "channel_id", "weekday", "hour"),
        _TXN_MEASURES,
    ),
)
# Channel preference (transactions per channel code, with _CM_CHANNEL_MEASURES of the Customers
# view above) by age band and value tier, and main-channel migration, from customer_month:
# plain sums and counts, exact over any grouping.
ROLLUPS += (
    Rollup(
        "rollup_cm_channels_age_band",
        "customer_month",
        ("month_date", "region_id", "branch_id", "age_band"),
        _CM_CHANNEL_MEASURES,
    ),
    Rollup(
        "rollup_cm_channels_value_tier",
        "customer_month",
        ("month_date", "region_id", "branch_id", "value_tier"),
        _CM_CHANNEL_MEASURES,
        published_by=("value",),
    ),
    *(
        Rollup(
            f"rollup_cm_{before}",
            "customer_month",
            ("month_date", "region_id", "branch_id", before, "main_channel"),
            (RollupMeasure("customers", "count"),),
        )
        for before in ("main_channel_prev", "main_channel_ly")
    ),
)

# Rollups the derived layer builds at load time.
LOAD_ROLLUPS: tuple[Rollup, ...] = tuple(r for r in ROLLUPS if r.published_by is None)
