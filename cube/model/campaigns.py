"""Campaigns cube over ``campaign_contacts_enriched``: contacts with their campaign and the
customer's home org (built at load time).

Contact rate = contacted / targeted; success (response) rate = responded / contacted.
"""

from __future__ import annotations

from cube.model.base import (
    BRANCH,
    CHANNEL,
    CUSTOMER,
    MANAGER,
    ORG,
    PRODUCT,
    REGION,
    Cube,
    Dimension,
    Hierarchy,
    Lookup,
    Measure,
    Part,
)

M = Measure
CUBE = Cube(
    name="campaigns",
    label_en="Campaigns",
    label_zh="营销活动",
    source="campaign_contacts_enriched",
    security={"region": "region_id", "branch": "branch_id", "manager": "manager_id"},
    measures=(
        M("targeted", "Targeted", "目标客户数", "count", Part("count")),
        M("contacted", "Contacted", "接触客户数", "count", Part("sum", "contacted")),
        M("responded", "Responded", "响应客户数", "count", Part("sum", "responded")),
        M("response_amount", "Response amount", "响应金额", "money", Part("sum", "response_amount")),
        M("contact_rate", "Contact rate", "接触率", "percent", numerator="contacted", denominator="targeted"),
        M(
            "success_rate",
            "Success rate",
            "成功率",
            "percent",
            numerator="responded",
            denominator="contacted",
        ),
        M(
            "response_rate",
            "Response rate",
            "响应率",
            "percent",
            numerator="responded",
            denominator="targeted",
        ),
    ),
    dimensions=(
        Dimension(
            "campaign",
            "Campaign",
            "活动",
            "campaign_id",
            "id",
            lookup=Lookup("campaigns", "campaign_id", "name_en", "name_zh"),
        ),
        Dimension("start_month", "Start month", "开始月份", "start_month", "month", is_time=True),
        CHANNEL,
        PRODUCT,
        REGION,
        BRANCH,
        MANAGER,
        CUSTOMER,
    ),
    hierarchies=(ORG, Hierarchy("campaign", "Campaign", "活动", ("campaign",))),
    detail_columns=(
        "campaign_id",
        "customer_id",
        "channel_id",
        "contacted_date",
        "contacted",
        "responded",
        "response_amount",
    ),
    detail_order=("campaign_id", "customer_id"),
)
