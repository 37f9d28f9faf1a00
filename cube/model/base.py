"""Building blocks of the semantic model: cubes, measures, dimensions, hierarchies (as data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import cube.model.labels as labels

AGGS = ("sum", "count", "count_distinct", "max", "min")
ADDITIVE = ("sum", "count")


@dataclass(frozen=True)
class Part:
    """An aggregate over one source column; measures are built from parts.

    ``stock`` parts take the last month of each period when months are not grouped.
    ``sum`` over a BOOLEAN column counts the true rows.
    """

    agg: str
    column: str | None = None
    stock: bool = False
    where: tuple[str, str] | None = None  # (column, value): aggregate only matching rows

    @property
    def key(self) -> str:
        cond = f"_{self.where[0]}_{self.where[1]}" if self.where else ""
        return f"_{self.agg}_{self.column or 'rows'}{cond}{'_last' if self.stock else ''}"


@dataclass(frozen=True)
class Measure:
    """A measure: one ``part``, or ``numerator / denominator`` (names of measures of the same
    cube), or the share of total of measure ``share_of``."""

    name: str
    label_en: str
    label_zh: str
    fmt: str
    part: Part | None = None
    numerator: str | None = None
    denominator: str | None = None
    share_of: str | None = None
    description: str = ""

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang.startswith("zh") else self.label_en


@dataclass(frozen=True)
class Lookup:
    """Display names of a dimension's keys, read from a warehouse table."""

    table: str
    key: str
    en: str
    zh: str


@dataclass(frozen=True)
class Dimension:
    """A dimension over source ``column``; ``derive`` ("year" | "quarter") computes a coarser
    level from a date column. Labels of values come from ``lookup`` or from ``values``
    (code -> (en, zh)). An ``attribute`` dimension's column is not in the warehouse: it comes
    from the customer scores published by a model run of that kind (data.scores), joined on
    the cube's customer column."""

    name: str
    label_en: str
    label_zh: str
    column: str
    fmt: str = "text"
    derive: str | None = None
    lookup: Lookup | None = None
    values: dict[str, tuple[str, str]] | None = None
    is_time: bool = False
    description: str = ""
    attribute: str | None = None

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang.startswith("zh") else self.label_en


@dataclass(frozen=True)
class Hierarchy:
    """Ordered levels (dimension names) from coarse to fine."""

    name: str
    label_en: str
    label_zh: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class Cube:
    """A cube over one source (a table, view, or a join built by ``build``).

    ``security`` maps grant kinds (region, branch, manager, category) to source columns; a
    ``manager`` grant on a cube without a manager column is applied through the customers
    table on ``customer_column``. ``rollup_source`` names the rollup source (data/rollups.py)
    whose rollups can serve this cube. ``tables`` lists every (table, column) the cube reads,
    for the contract rule.
    """

    name: str
    label_en: str
    label_zh: str
    source: str
    measures: tuple[Measure, ...]
    dimensions: tuple[Dimension, ...]
    hierarchies: tuple[Hierarchy, ...] = ()
    security: dict[str, str] = field(default_factory=dict)
    customer_column: str | None = "customer_id"
    month_column: str | None = None
    rollup_source: str | None = None
    build: Callable[[Any], Any] | None = None
    source_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    detail_columns: tuple[str, ...] = ()
    detail_order: tuple[str, ...] = ()

    def measure(self, name: str) -> Measure:
        for m in self.measures:
            if m.name == name:
                return m
        raise KeyError(name)

    def dimension(self, name: str) -> Dimension:
        for d in self.dimensions:
            if d.name == name:
                return d
        raise KeyError(name)

    @property
    def member_names(self) -> list[str]:
        return [f"{self.name}.{m.name}" for m in self.measures] + [
            f"{self.name}.{d.name}" for d in self.dimensions
        ]

    def parts(self, measure: str) -> list[Part]:
        """The parts a measure is computed from (recursively)."""
        m = self.measure(measure)
        if m.part is not None:
            return [m.part]
        if m.share_of:
            return self.parts(m.share_of)
        return self.parts(m.numerator) + self.parts(m.denominator)

    def members_frame(self, lang: str = "en") -> pd.DataFrame:
        rows = [
            {
                "member": f"{self.name}.{m.name}",
                "kind": "measure",
                "label": m.label(lang),
                "format": m.fmt,
                "description": m.description,
            }
            for m in self.measures
        ] + [
            {
                "member": f"{self.name}.{d.name}",
                "kind": "dimension",
                "label": d.label(lang),
                "format": d.fmt,
                "description": d.description,
            }
            for d in self.dimensions
        ]
        return pd.DataFrame(rows)


def time_dimensions(column: str, with_year_columns: bool) -> tuple[Dimension, ...]:
    """year > quarter > month over a month-date column (derived unless the source has them)."""
    return (
        Dimension(
            "year",
            "Year",
            "年",
            "year" if with_year_columns else column,
            "year",
            None if with_year_columns else "year",
            is_time=True,
        ),
        Dimension(
            "quarter",
            "Quarter",
            "季度",
            "quarter" if with_year_columns else column,
            "quarter",
            None if with_year_columns else "quarter",
            is_time=True,
        ),
        Dimension("month", "Month", "月份", column, "month", is_time=True),
    )


REGION = Dimension(
    "region", "Region", "区域", "region_id", "id", lookup=Lookup("regions", "region_id", "name_en", "name_zh")
)
BRANCH = Dimension(
    "branch",
    "Branch",
    "网点",
    "branch_id",
    "id",
    lookup=Lookup("branches", "branch_id", "name_en", "name_zh"),
)
MANAGER = Dimension(
    "manager",
    "Relationship manager",
    "客户经理",
    "manager_id",
    "id",
    lookup=Lookup("managers", "manager_id", "name", "name"),
)
# Product dimensions shared by every cube whose rows carry product_id and category.
CATEGORY = Dimension(
    "category",
    "Product category",
    "产品类别",
    "category",
    lookup=Lookup("products", "category", "category_name_en", "category_name_zh"),
)
PRODUCT = Dimension(
    "product",
    "Product",
    "产品",
    "product_id",
    "id",
    lookup=Lookup("products", "product_id", "name_en", "name_zh"),
)
CHANNEL = Dimension(
    "channel",
    "Channel",
    "渠道",
    "channel_id",
    "id",
    lookup=Lookup("channels", "channel_id", "name_en", "name_zh"),
)
# Customer attributes, shared by every cube whose rows carry the customer's attributes of the
# month (customers, holdings, customer tiers): one declaration, the same labels everywhere.
GENDER = Dimension("gender", "Gender", "性别", "gender", values=labels.GENDER)
AGE_BAND = Dimension("age_band", "Age band", "年龄段", "age_band", values=labels.AGE_BAND)
INCOME_BAND = Dimension("income_band", "Income band", "收入段", "income_band", values=labels.INCOME_BAND)
OCCUPATION = Dimension("occupation", "Occupation", "职业", "occupation", values=labels.OCCUPATION)
TENURE_BAND = Dimension("tenure_band", "Tenure band", "客龄段", "tenure_band", values=labels.TENURE_BAND)
SEGMENT = Dimension(
    "segment",
    "Behaviour segment",
    "行为客群",
    "segment",
    "id",
    attribute="segmentation",
    description="Segment of the latest segmentation run published for this data version.",
)
VALUE_TIER = Dimension(
    "value_tier",
    "Value tier",
    "价值层级",
    "value_tier",
    values=labels.VALUE_TIER,
    attribute="value",
    description="Tier of the latest value-scoring run published for this data version.",
)
VALUE_POTENTIAL = Dimension(
    "value_potential",
    "Potential big customer",
    "潜力大客户",
    "is_potential",
    "int",  # a boolean column: filters compare it with 1 / 0
    values={"True": ("Potential big customer", "潜力大客户"), "False": ("Not potential", "非潜力客户")},
    attribute="value",
    description="Whether the latest value run on this data version finds the customer's value "
    "predicted from their profile well above their value today (a wallet not yet won).",
)
# Bands of a model score by rank: high = top 10%, medium = next 20%, low = the rest
# (mining.metrics.rank_bands).
_BANDS = {"high": ("High", "高"), "medium": ("Medium", "中"), "low": ("Low", "低")}
BEST_OFFER = Dimension(
    "best_offer",
    "Best next offer",
    "最佳推荐产品",
    "best_offer",
    lookup=Lookup("products", "product_code", "name_en", "name_zh"),
    attribute="crosssell",
    description="Product not yet held with the highest expected value (propensity x the product's "
    "mean monthly contribution among holders), from the latest cross-sell run on this data version.",
)
PROPENSITY_BAND = Dimension(
    "propensity_band",
    "Propensity band",
    "倾向等级",
    "propensity_band",
    values=_BANDS,
    attribute="crosssell",
    description="Band of the best offer's propensity score: high = top 10% of customers, medium = "
    "next 20%, low = the rest.",
)
CHURN_BAND = Dimension(
    "churn_band",
    "Churn risk band",
    "流失风险等级",
    "churn_band",
    values=_BANDS,
    attribute="churn",
    description="Band of the churn score of the latest churn run on this data version: high = top "
    "10% of customers, medium = next 20%, low = the rest.",
)
ACTIVATION_BAND = Dimension(
    "activation_band",
    "Dormant activation band",
    "睡眠客户激活等级",
    "activation_band",
    values=_BANDS,
    attribute="churn",
    description="Dormant customers only: band of the activation value (past value x reactivation "
    "likelihood), high = top 10% of them; empty for customers not dormant.",
)
# One customer, by customer number (Customer 360 filters by it). Customer-level: a scope that
# shows aggregates only may neither group nor filter by it (cube.engine), and the click menu
# never offers it as a break-down (one bar per customer is a drill-through, not a chart).
CUSTOMER = Dimension(
    "customer",
    "Customer",
    "客户",
    "customer_id",
    "id",
    description="One customer, by customer number.",
)
CUSTOMER_ATTRIBUTES = (GENDER, AGE_BAND, INCOME_BAND, OCCUPATION, TENURE_BAND)
MODEL_ATTRIBUTES = (
    SEGMENT,
    VALUE_TIER,
    VALUE_POTENTIAL,
    BEST_OFFER,
    PROPENSITY_BAND,
    CHURN_BAND,
    ACTIVATION_BAND,
)
PRODUCT_HIERARCHY = Hierarchy("product", "Product", "产品", ("category", "product"))
ORG = Hierarchy("org", "Organisation", "机构", ("region", "branch", "manager"))
TIME = Hierarchy("time", "Time", "时间", ("year", "quarter", "month"))
