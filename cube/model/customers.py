"""Customers cube over ``customer_month`` (one row per customer per month).

Balances and customer counts are stocks (the last month of each period when months are not
grouped); contribution, fees, transactions and new/lost customers are flows (they sum).
"""

from __future__ import annotations

from cube.model.base import (
    BRANCH,
    CUSTOMER,
    CUSTOMER_ATTRIBUTES,
    MANAGER,
    MODEL_ATTRIBUTES,
    ORG,
    REGION,
    TIME,
    Cube,
    Dimension,
    Hierarchy,
    Measure,
    Part,
)
from cube.model.base import time_dimensions as _time
from data import contract as _contract

M = Measure
# channel code -> (zh, en): per-channel transaction counts of customer_month
_CHANNELS = {c: _contract.CHANNEL_NAMES[c] for c in _contract.CHANNEL_CODES}
CUBE = Cube(
    name="customers",
    label_en="Customers",
    label_zh="客户",
    source="customer_month",
    rollup_source="customer_month",
    month_column="month_date",
    security={"region": "region_id", "branch": "branch_id", "manager": "manager_id"},
    measures=(
        M("customers", "Customers", "客户数", "count", Part("count", None, stock=True)),
        M("aum", "AUM", "管理资产(AUM)", "money", Part("sum", "aum", stock=True)),
        M("deposits", "Deposits", "存款余额", "money", Part("sum", "deposit_balance", stock=True)),
        M("investments", "Investments", "投资余额", "money", Part("sum", "investment_balance", stock=True)),
        M("loans", "Loans", "贷款余额", "money", Part("sum", "loan_balance", stock=True)),
        M(
            "active_customers",
            "Active customers",
            "活跃客户数",
            "count",
            Part("sum", "is_active", stock=True),
        ),
        M(
            "dormant_customers",
            "Dormant customers",
            "睡眠客户数",
            "count",
            Part("sum", "is_dormant", stock=True),
        ),
        M("contribution", "Contribution", "贡献", "money", Part("sum", "contribution")),
        M("fee_income", "Fee income", "手续费收入", "money", Part("sum", "fee_income")),
        M("balance_months", "AUM balance-months", "AUM日均余额累计", "money", Part("sum", "aum_adb")),
        M("txn_count", "Transactions", "交易笔数", "count", Part("sum", "txn_count")),
        M("txn_amount", "Transaction amount", "交易金额", "money", Part("sum", "txn_amount")),
        M(
            "products",
            "Products held",
            "持有产品数",
            "count",
            Part("sum", "product_count", stock=True),
            description="Distinct products the customers hold at month end, added up over customers.",
        ),
        M("new_customers", "New customers", "新增客户", "count", Part("sum", "is_new")),
        M("lost_customers", "Lost customers", "流失客户", "count", Part("sum", "is_churned")),
        M("avg_aum", "AUM per customer", "户均AUM", "money", numerator="aum", denominator="customers"),
        M(
            "active_rate",
            "Active rate",
            "活跃率",
            "percent",
            numerator="active_customers",
            denominator="customers",
        ),
        M(
            "products_per_customer",
            "Products per customer",
            "户均产品数",
            "number",
            numerator="products",
            denominator="customers",
            description="Distinct products held at month end per customer (customers holding none count).",
        ),
        M(
            "contribution_rate",
            "Contribution rate (monthly)",
            "贡献率(月)",
            "percent",
            numerator="contribution",
            denominator="balance_months",
            description="Contribution over summed monthly average daily AUM balances.",
        ),
        M("aum_share", "Share of AUM", "AUM占比", "percent", share_of="aum"),
        M("contribution_share", "Share of contribution", "贡献占比", "percent", share_of="contribution"),
        M(
            "txn_per_customer",
            "Transactions per customer",
            "户均交易笔数",
            "number",
            numerator="txn_count",
            denominator="customers",
            description="Transactions in the month per customer (customers without any count).",
        ),
        *(
            M(
                f"txn_count_{code}",
                f"Transactions: {en}",
                f"交易笔数: {zh}",
                "count",
                Part("sum", f"txn_count_{code}"),
                description=f"Transactions through {en} in the month.",
            )
            for code, (zh, en) in _CHANNELS.items()
        ),
        *(
            M(
                f"txn_per_customer_{code}",
                f"{en} transactions per customer",
                f"户均{zh}交易笔数",
                "number",
                numerator=f"txn_count_{code}",
                denominator="customers",
                description=f"Transactions through {en} in the month per customer.",
            )
            for code, (zh, en) in _CHANNELS.items()
        ),
    ),
    dimensions=(
        *_time("month_date", with_year_columns=False),
        REGION,
        BRANCH,
        MANAGER,
        *CUSTOMER_ATTRIBUTES,
        CUSTOMER,
        *MODEL_ATTRIBUTES,
        # The Channels view's migration: the customer's main channel this month and before
        # (customer_month.main_channel*, null in a month without transactions).
        *(
            Dimension(
                name,
                en,
                zh,
                name,
                values={c: (_contract.CHANNEL_NAMES[c][1], _contract.CHANNEL_NAMES[c][0]) for c in _CHANNELS},
                description=what,
            )
            for name, en, zh, what in (
                ("main_channel", "Main channel", "主渠道", "Channel with most transactions in the month."),
                (
                    "main_channel_prev",
                    "Main channel, month before",
                    "上月主渠道",
                    "Main channel in the month before.",
                ),
                (
                    "main_channel_ly",
                    "Main channel, a year before",
                    "去年同月主渠道",
                    "Main channel in the same month a year before.",
                ),
            )
        ),
    ),
    hierarchies=(TIME, ORG, Hierarchy("demographics", "Demographics", "人口属性", ("age_band",))),
    detail_columns=(
        "month_date",
        "customer_id",
        "branch_id",
        "manager_id",
        "age_band",
        "aum",
        "deposit_balance",
        "loan_balance",
        "contribution",
        "txn_count",
    ),
    detail_order=("month_date", "customer_id"),
)
