"""Holdings cube over ``holdings_enriched``: month-end product positions with the product's
category and the holder's org that month (built at load time). Balances and holders are stocks;
holders are distinct customers, served by the holdings rollups at their own product level."""

from __future__ import annotations

import cube.model.labels as labels  # by full name: cube.model.__init__ imports this module
from cube.model.base import (
    BRANCH,
    CATEGORY,
    CUSTOMER,
    CUSTOMER_ATTRIBUTES,
    MANAGER,
    MODEL_ATTRIBUTES,
    ORG,
    PRODUCT,
    PRODUCT_HIERARCHY,
    REGION,
    TIME,
    Cube,
    Dimension,
    Measure,
    Part,
)
from cube.model.base import time_dimensions as _time

M = Measure
CUBE = Cube(
    name="holdings",
    label_en="Holdings",
    label_zh="持有产品",
    source="holdings_enriched",
    rollup_source="holdings_enriched",
    month_column="month_date",
    security={"region": "region_id", "branch": "branch_id", "manager": "manager_id", "category": "category"},
    measures=(
        M("balance", "Balance", "余额", "money", Part("sum", "balance", stock=True)),
        M(
            "avg_daily_balance",
            "Average daily balance",
            "日均余额",
            "money",
            Part("sum", "avg_daily_balance", stock=True),
        ),
        M(
            "margin",
            "Margin contribution",
            "利差贡献",
            "money",
            Part("sum", "margin"),
            description="Average daily balance × the product's margin rate / 12, for the month "
            "(the margin part of customer contribution; fees are in the transactions cube).",
        ),
        M("holdings", "Holdings", "持有笔数", "count", Part("count", None, stock=True)),
        M("holders", "Holders", "持有客户数", "count", Part("count_distinct", "customer_id", stock=True)),
        M(
            "balance_per_holder",
            "Balance per holder",
            "户均余额",
            "money",
            numerator="balance",
            denominator="holders",
        ),
        M("balance_share", "Share of balance", "余额占比", "percent", share_of="balance"),
    ),
    dimensions=(
        *_time("month_date", with_year_columns=False),
        REGION,
        BRANCH,
        MANAGER,
        Dimension("balance_type", "Balance type", "余额类型", "balance_type", values=labels.BALANCE_TYPE),
        CATEGORY,
        PRODUCT,
        # the holder's attributes that month (from customer_month, stored on holdings_enriched)
        *CUSTOMER_ATTRIBUTES,
        CUSTOMER,
        *MODEL_ATTRIBUTES,
    ),
    hierarchies=(TIME, ORG, PRODUCT_HIERARCHY),
    detail_columns=("month_date", "customer_id", "product_id", "balance", "avg_daily_balance"),
    detail_order=("month_date", "customer_id", "product_id"),
)
