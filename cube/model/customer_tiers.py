"""Customer tiers cube over ``customer_tiers`` (customer_month's rows with distribution columns).

Where a customer stands in the month: the AUM tier by fixed bands (this month, one month and
twelve months before: the migration matrices), the bank-wide AUM and contribution deciles of
the month (Pareto curve, deciles) and the opening month (cohort retention). Built at load
time (``data.derive.build_customer_tiers``) so that none of these groups by customer per query.
Customer counts and balances are stocks; contribution and lost customers are flows.
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

AUM_TIER = {
    "mass": ("Mass (< 50K)", "大众 (5万以下)"),
    "gold": ("Gold (50K-300K)", "金卡 (5万-30万)"),
    "platinum": ("Platinum (300K-1M)", "白金 (30万-100万)"),
    "diamond": ("Diamond (1M-6M)", "钻石 (100万-600万)"),
    "private": ("Private (6M+)", "私行 (600万以上)"),
    "none": ("Not a customer", "非客户"),
}
DECILE = {str(i): (f"Top {i * 10 - 9}-{i * 10}%", f"前{i * 10 - 9}-{i * 10}%") for i in range(1, 11)}
DECILE["1"] = ("Top 10%", "前10%")
CREDIT_GRADE = {g: (g, g) for g in ("AAA", "AA", "A", "BBB", "BB", "B", "C")}

M = Measure
CUBE = Cube(
    name="customer_tiers",
    label_en="Customer tiers",
    label_zh="客户分层",
    source="customer_tiers",
    rollup_source="customer_tiers",
    month_column="month_date",
    security={"region": "region_id", "branch": "branch_id", "manager": "manager_id"},
    measures=(
        M("customers", "Customers", "客户数", "count", Part("count", None, stock=True)),
        M("aum", "AUM", "管理资产(AUM)", "money", Part("sum", "aum", stock=True)),
        M("contribution", "Contribution", "贡献", "money", Part("sum", "contribution")),
        M("lost_customers", "Lost customers", "流失客户", "count", Part("sum", "is_churned")),
        M("aum_share", "Share of AUM", "AUM占比", "percent", share_of="aum"),
        M("contribution_share", "Share of contribution", "贡献占比", "percent", share_of="contribution"),
        M("customers_share", "Share of customers", "客户占比", "percent", share_of="customers"),
        M("avg_aum", "AUM per customer", "户均AUM", "money", numerator="aum", denominator="customers"),
    ),
    dimensions=(
        *_time("month_date", with_year_columns=False),
        REGION,
        BRANCH,
        MANAGER,
        *CUSTOMER_ATTRIBUTES,
        Dimension("city", "City", "城市", "city", description="City of residence, as the bank records it."),
        Dimension("credit_grade", "Credit grade", "信用等级", "credit_grade", values=CREDIT_GRADE),
        Dimension(
            "cohort",
            "Opening month",
            "开户月份",
            "open_month",
            "month",
            description="Month the customer relationship began.",
        ),
        Dimension(
            "aum_tier",
            "AUM tier",
            "资产层级",
            "aum_tier",
            values=AUM_TIER,
            description="Tier by month-end AUM: < 50K, 50K-300K, 300K-1M, 1M-6M, 6M+ yuan.",
        ),
        Dimension(
            "aum_tier_before",
            "AUM tier a month before",
            "上月资产层级",
            "aum_tier_before",
            values=AUM_TIER,
            description="The customer's AUM tier one month before.",
        ),
        Dimension(
            "aum_tier_year_before",
            "AUM tier a year before",
            "去年同月资产层级",
            "aum_tier_year_before",
            values=AUM_TIER,
            description="The customer's AUM tier twelve months before.",
        ),
        Dimension(
            "aum_decile",
            "AUM decile",
            "AUM十分位",
            "aum_decile",
            "int",
            values=DECILE,
            description="Bank-wide AUM decile of the month; 1 = the 10% of customers with the most AUM.",
        ),
        Dimension(
            "contribution_decile",
            "Contribution decile",
            "贡献十分位",
            "contribution_decile",
            "int",
            values=DECILE,
            description="Bank-wide contribution decile of the month; 1 = the top 10% by contribution.",
        ),
        *MODEL_ATTRIBUTES,
        CUSTOMER,
    ),
    hierarchies=(TIME, ORG, Hierarchy("demographics", "Demographics", "人口属性", ("age_band",))),
    detail_columns=(
        "month_date",
        "customer_id",
        "branch_id",
        "manager_id",
        "age_band",
        "aum",
        "contribution",
    ),
    detail_order=("month_date", "customer_id"),
)
