"""Product pairs cube over ``product_pairs`` (built at load time): for every two products A and
B (A = B included) the customers holding both at month end, by month and holder's org.

The cell (A, A) is A's holders, so "share of A's holders who also hold B" is (A, B) / (A, A).
Counts add up over the org levels (a customer has one region, branch and manager a month); a
sum over B (grouping by A alone) counts a customer once per product held, not once.
"""

from __future__ import annotations

from cube.model.base import (
    BRANCH,
    CATEGORY,
    MANAGER,
    ORG,
    PRODUCT,
    PRODUCT_HIERARCHY,
    REGION,
    TIME,
    Cube,
    Dimension,
    Hierarchy,
    Lookup,
    Measure,
    Part,
)
from cube.model.base import time_dimensions as _time

CUBE = Cube(
    name="product_pairs",
    label_en="Cross-holding",
    label_zh="交叉持有",
    source="product_pairs",
    rollup_source="product_pairs",
    month_column="month_date",
    customer_column=None,
    # A category grant restricts product A (the matrix rows); B columns stay whole products.
    security={"region": "region_id", "branch": "branch_id", "manager": "manager_id", "category": "category"},
    measures=(
        Measure(
            "customers",
            "Customers holding both",
            "同时持有客户数",
            "count",
            Part("sum", "customers", stock=True),
            description="Customers holding both products at month end (A with A: A's holders).",
        ),
    ),
    dimensions=(
        *_time("month_date", with_year_columns=False),
        REGION,
        BRANCH,
        MANAGER,
        CATEGORY,
        PRODUCT,
        Dimension(
            "other_category",
            "Also holds: category",
            "同时持有：产品类别",
            "other_category",
            lookup=Lookup("products", "category", "category_name_en", "category_name_zh"),
        ),
        Dimension(
            "other_product",
            "Also holds: product",
            "同时持有：产品",
            "other_product_id",
            "id",
            lookup=Lookup("products", "product_id", "name_en", "name_zh"),
        ),
    ),
    hierarchies=(
        TIME,
        ORG,
        PRODUCT_HIERARCHY,
        Hierarchy("other_product", "Also holds", "同时持有", ("other_category", "other_product")),
    ),
    detail_columns=(
        "month_date",
        "region_id",
        "branch_id",
        "manager_id",
        "product_id",
        "other_product_id",
        "customers",
    ),
    detail_order=("month_date", "branch_id", "manager_id", "product_id", "other_product_id"),
)
