"""Declared pre-aggregations (rollups), built by the derived layer at load time.

Declared here, as data, so that the derived layer (the only writer of the warehouse) can build
them and the cube (which may import ``data``) can route queries to them. Only additive
measures (sum, count) may be declared: ratios are computed from their additive parts, and
distinct counts are served from the customer-grain table instead.

Each rollup groups one *rollup source* by some of its columns. The sources are views the
derived layer creates over the base tables:

- ``transactions_enriched``: every transactions column plus ``txn_date``, ``month_date``,
  ``year``, ``quarter``, ``weekday`` (ISO), ``hour``, ``region_id`` (of the booking branch),
  ``channel_type`` and ``category`` (of the product).
- ``customer_month``: the customer-month wide table itself.
"""

from __future__ import annotations

from dataclasses import dataclass

ADDITIVE_AGGREGATIONS = ("sum", "count")


@dataclass(frozen=True)
class RollupMeasure:
    """An additive measure of a rollup: ``agg(column)``, stored as ``name``."""

    name: str
    agg: str  # "sum" | "count" (count(*) when column is None)
    column: str | None = None


@dataclass(frozen=True)
class Rollup:
    """A pre-aggregation: ``source`` grouped by ``dimensions``, keeping ``measures``."""

    name: str
    source: str
    dimensions: tuple[str, ...]
    measures: tuple[RollupMeasure, ...]


_TXN_MEASURES = (
    RollupMeasure("txn_count", "count"),
    RollupMeasure("amount", "sum", "amount"),
    RollupMeasure("fee", "sum", "fee"),
)

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
)

ROLLUPS += (
    Rollup(
        "rollup_cm_org",
        "customer_month",
        ("month_date", "region_id", "branch_id", "manager_id"),
        _CM_MEASURES,
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
