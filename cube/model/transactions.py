"""Transactions cube over the view ``transactions_enriched`` (one row per transaction).

All measures are flows; distinct customers are counted exactly on the base view (never from
rollups). A relationship-manager scope applies through the customers table.
"""

from __future__ import annotations

import cube.model.labels as labels  # by full name: cube.model.__init__ imports this module
from cube.model.base import (
    BRANCH,
    CATEGORY,
    CHANNEL,
    ORG,
    PRODUCT,
    PRODUCT_HIERARCHY,
    REGION,
    Cube,
    Dimension,
    Hierarchy,
    Lookup,
    Measure,
    Part,
)
from cube.model.base import time_dimensions as _time

M = Measure
CUBE = Cube(
    name="transactions",
    label_en="Transactions",
    label_zh="交易",
    source="transactions_enriched",
    rollup_source="transactions_enriched",
    security={"region": "region_id", "branch": "branch_id", "category": "category"},
    measures=(
        M("txn_count", "Transactions", "交易笔数", "count", Part("count")),
        M("amount", "Amount", "交易金额", "money", Part("sum", "amount")),
        M("fee", "Fees", "手续费", "money", Part("sum", "fee")),
        M("customers", "Transacting customers", "交易客户数", "count", Part("count_distinct", "customer_id")),
        M("avg_amount", "Average amount", "笔均金额", "money", numerator="amount", denominator="txn_count"),
        M("fee_rate", "Fee rate", "费率", "percent", numerator="fee", denominator="amount"),
        M("amount_share", "Share of amount", "金额占比", "percent", share_of="amount"),
        M("txn_share", "Share of transactions", "笔数占比", "percent", share_of="txn_count"),
    ),
    dimensions=(
        *_time("month_date", with_year_columns=True),
        Dimension("day", "Day", "日期", "txn_date", "date", is_time=True),
        Dimension("weekday", "Weekday", "星期", "weekday", "int", values=labels.WEEKDAY),
        Dimension("hour", "Hour", "小时", "hour", "int"),
        REGION,
        BRANCH,
        CATEGORY,
        PRODUCT,
        Dimension(
            "channel_type",
            "Channel type",
            "渠道类型",
            "channel_type",
            lookup=Lookup("channels", "channel_type", "type_name_en", "type_name_zh"),
        ),
        CHANNEL,
        Dimension("txn_type", "Transaction type", "交易类型", "txn_type", values=labels.TXN_TYPE),
    ),
    hierarchies=(
        Hierarchy("time", "Time", "时间", ("year", "quarter", "month", "day")),
        Hierarchy("org", ORG.label_en, ORG.label_zh, ("region", "branch")),
        PRODUCT_HIERARCHY,
        Hierarchy("channel", "Channel", "渠道", ("channel_type", "channel")),
    ),
    detail_columns=(
        "txn_id",
        "txn_at",
        "customer_id",
        "branch_id",
        "product_id",
        "channel_id",
        "txn_type",
        "amount",
        "fee",
    ),
    detail_order=("txn_at", "txn_id"),
)
