"""Targets cubes: monthly targets per branch (``targets``) and per relationship manager
(``manager_targets``). Stock metrics (aum, deposits, loans) take the last month of a period,
flow metrics (contribution, new customers) sum - the same semantics as the customers cube,
so attainment = actual / target compares like with like."""

from __future__ import annotations

from cube.model.base import BRANCH, MANAGER, ORG, REGION, TIME, Cube, Hierarchy, Measure, Part
from cube.model.base import time_dimensions as _time

STOCK_METRICS = ("aum", "deposits", "loans")
FLOW_METRICS = ("contribution", "new_customers")
_LABELS = {
    "aum": ("AUM target", "AUM目标", "money"),
    "deposits": ("Deposits target", "存款目标", "money"),
    "loans": ("Loans target", "贷款目标", "money"),
    "contribution": ("Contribution target", "贡献目标", "money"),
    "new_customers": ("New customers target", "新增客户目标", "count"),
}


def _measures() -> tuple[Measure, ...]:
    return tuple(
        Measure(
            metric,
            _LABELS[metric][0],
            _LABELS[metric][1],
            _LABELS[metric][2],
            Part("sum", "target_value", stock=metric in STOCK_METRICS, where=("metric", metric)),
        )
        for metric in (*STOCK_METRICS, *FLOW_METRICS)
    )


def build_branch(con):
    """branch_targets x branches(region)."""
    t = con.table("branch_targets")
    return t.join(con.table("branches").select("branch_id", "region_id"), "branch_id")


def build_manager(con):
    """manager_targets x managers(branch) x branches(region)."""
    t = con.table("manager_targets")
    m = con.table("managers").select("manager_id", "branch_id")
    b = con.table("branches").select("branch_id", "region_id")
    return t.join(m, "manager_id").join(b, "branch_id")


CUBE = Cube(
    name="targets",
    label_en="Branch targets",
    label_zh="网点目标",
    source="branch_targets",
    build=build_branch,
    source_columns={
        "branch_targets": ("month_date", "branch_id", "metric", "target_value"),
        "branches": ("branch_id", "region_id"),
    },
    customer_column=None,
    month_column="month_date",
    security={"region": "region_id", "branch": "branch_id"},
    measures=_measures(),
    dimensions=(*_time("month_date", with_year_columns=False), REGION, BRANCH),
    hierarchies=(TIME, Hierarchy("org", ORG.label_en, ORG.label_zh, ("region", "branch"))),
)

MANAGER_CUBE = Cube(
    name="manager_targets",
    label_en="Manager targets",
    label_zh="客户经理目标",
    source="manager_targets",
    build=build_manager,
    source_columns={
        "manager_targets": ("month_date", "manager_id", "metric", "target_value"),
        "managers": ("manager_id", "branch_id"),
        "branches": ("branch_id", "region_id"),
    },
    customer_column=None,
    month_column="month_date",
    security={"region": "region_id", "branch": "branch_id", "manager": "manager_id"},
    measures=_measures(),
    dimensions=(*_time("month_date", with_year_columns=False), REGION, BRANCH, MANAGER),
    hierarchies=(TIME, ORG),
)
