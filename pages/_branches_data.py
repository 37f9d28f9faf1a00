"""The cube queries behind the Branches view, as module-level values and small runners.

Everything runs under the signed-in user's scope (``_session.current_scope``), so no URL or
callback argument can widen what a user sees: a branch manager asking for another branch gets
empty frames. Member names live in one place here, for the page, its tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from cube import api
from cube.api import Filter, Query
from pages._session import current_scope

CUBE = "customers"
MONTH = "customers.month"
LEVELS = ("region", "branch", "manager")
ORG = {level: f"customers.{level}" for level in LEVELS}
# KPI name on the page -> cube measure.
MEASURES = {
    "customers": "customers.customers",
    "aum": "customers.aum",
    "deposits": "customers.deposits",
    "loans": "customers.loans",
    "contribution": "customers.contribution",
    "new_customers": "customers.new_customers",
    "lost_customers": "customers.lost_customers",
}
FORMATS = {"customers": "count", "new_customers": "count", "lost_customers": "count", "attainment": "percent"}
TARGET_METRICS = ("aum", "deposits", "loans", "contribution", "new_customers")
SHOWN_CUSTOMERS = 500
PAGE_SIZE = 1000  # the cube's largest drill-through page
EXPORT_LIMIT = 100_000
CUSTOMER_COLUMNS = {  # the customers cube's detail columns, with their headers (en, zh)
    "customer_id": ("Customer", "客户号"),
    "customer_name": ("Name", "客户姓名"),  # masked by the cube outside the user's own customers
    "customer_phone": ("Phone", "手机号"),
    "customer_id_card_no": ("ID card number", "身份证号"),
    "branch_id": ("Branch", "网点"),
    "manager_id": ("Manager", "客户经理"),
    "age_band": ("Age band", "年龄段"),
    "aum": ("AUM", "管理资产"),
    "deposit_balance": ("Deposits", "存款"),
    "loan_balance": ("Loans", "贷款"),
    "contribution": ("Contribution", "贡献"),
    "txn_count": ("Transactions", "交易笔数"),
}

# The queries this page runs (before the view's period and org filters are added).
PERIODS_QUERY = Query(CUBE, measures=(MEASURES["customers"],), dimensions=(MONTH,))
KPI_QUERY = Query(CUBE, measures=tuple(MEASURES.values()))
TREND_QUERY = Query(
    CUBE, measures=(MEASURES["aum"], MEASURES["deposits"], MEASURES["loans"]), dimensions=(MONTH,)
)
TARGETS_QUERY = Query(CUBE, measures=tuple(MEASURES[m] for m in TARGET_METRICS))


@dataclass(frozen=True)
class Node:
    """Where the view is in the org hierarchy; None everywhere is the whole (scoped) bank."""

    region: int | None = None
    branch: int | None = None
    manager: int | None = None

    def as_query(self) -> dict:
        return {"region": self.region, "branch": self.branch, "manager": self.manager}

    @classmethod
    def from_query(cls, state: dict | None) -> Node:
        state = state or {}

        def num(key):
            try:
                return int(state.get(key))
            except (TypeError, ValueError):
                return None

        return cls(num("region"), num("branch"), num("manager"))

    def filters(self) -> tuple[Filter, ...]:
        return tuple(
            Filter(ORG[level], "eq", (value,))
            for level, value in self.as_query().items()
            if value is not None
        )


def child_level(node: Node) -> str | None:
    """The level one below the node (None at a single manager)."""
    if node.manager is not None:
        return None
    if node.branch is not None:
        return "manager"
    if node.region is not None:
        return "branch"
    return "region"


def drill_state(node: Node, level: str, key) -> dict:
    """The URL state after drilling from ``node`` into child ``key`` at ``level``."""
    state = node.as_query()
    state[level] = int(key)
    return state


def _month(period: str) -> date:
    return date.fromisoformat(f"{period}-01")


def _period_filter(period: str) -> Filter:
    return Filter(MONTH, "eq", (_month(period),))


def _run(query: Query, lang: str = "en") -> pd.DataFrame:
    return api.execute(query, current_scope(), lang).frame


def fmt(value, kpi: str, lang: str) -> str:
    """A KPI value formatted for the language (万/亿 in Chinese)."""
    return api.format_value(value, FORMATS.get(kpi, "money"), lang)


def periods() -> list[str]:
    """Months with data in the user's scope, as YYYY-MM, oldest first."""
    frame = _run(PERIODS_QUERY)
    return [pd.Timestamp(m).strftime("%Y-%m") for m in sorted(frame[MONTH])]


def previous_period(period: str, all_periods: list[str]) -> str | None:
    i = all_periods.index(period)
    return all_periods[i - 1] if i > 0 else None


def kpis(node: Node, period: str) -> dict[str, float]:
    """The node's KPIs in the period (zeros when the scope leaves nothing)."""
    frame = _run(Query(CUBE, KPI_QUERY.measures, filters=(*node.filters(), _period_filter(period))))
    row = frame.iloc[0] if len(frame) else {}
    return {k: float(row.get(m, 0) or 0) if len(frame) else 0.0 for k, m in MEASURES.items()}


def children(node: Node, period: str, lang: str) -> pd.DataFrame:
    """One row per child unit: key, name and every KPI."""
    level = child_level(node)
    member = ORG[level]
    query = Query(CUBE, KPI_QUERY.measures, (member,), (*node.filters(), _period_filter(period)))
    frame = _run(query, lang)
    out = pd.DataFrame({"key": frame[member], "name": frame.get(api.label_column(member), frame[member])})
    for k, m in MEASURES.items():
        out[k] = frame[m].astype(float)
    return out.reset_index(drop=True)


def _attainment(node: Node, period: str, dims: tuple[str, ...]) -> pd.DataFrame:
    query = Query(CUBE, TARGETS_QUERY.measures, dims, (*node.filters(), _period_filter(period)))
    return api.attainment(query, current_scope()).frame


def attainment_by_child(node: Node, period: str) -> pd.DataFrame:
    """Mean attainment over the target metrics per child unit (key, attainment)."""
    member = ORG[child_level(node)]
    frame = _attainment(node, period, (member,))
    cols = [f"{m}.attainment" for m in TARGET_METRICS if f"{m}.attainment" in frame]
    return pd.DataFrame({"key": frame[member], "attainment": frame[cols].mean(axis=1, skipna=True)})


def targets(node: Node, period: str) -> pd.DataFrame:
    """Target versus actual per metric for the node (metric, target, actual)."""
    frame = _attainment(node, period, ())
    if frame.empty:
        return pd.DataFrame(columns=["metric", "target", "actual"])
    row = frame.iloc[0]
    rows = [
        {"metric": m, "target": float(row[f"targets.{m}"]), "actual": float(row[f"customers.{m}"])}
        for m in TARGET_METRICS
        if f"targets.{m}" in frame and pd.notna(row[f"targets.{m}"]) and row[f"targets.{m}"]
    ]
    return pd.DataFrame(rows, columns=["metric", "target", "actual"])


def trend(node: Node) -> pd.DataFrame:
    """Month by month AUM, deposits and loans of the node."""
    frame = _run(Query(CUBE, TREND_QUERY.measures, TREND_QUERY.dimensions, node.filters()))
    return pd.DataFrame(
        {
            "month_date": pd.to_datetime(frame[MONTH]),
            **{k: frame[MEASURES[k]].astype(float) for k in ("aum", "deposits", "loans")},
        }
    )


def customers(node: Node, period: str, lang: str, limit: int | None) -> pd.DataFrame:
    """The customers behind the node's figures (identities masked by the cube's scope);
    ``limit=None`` reads page after page (the cube serves at most PAGE_SIZE rows a call)."""
    wanted = limit or EXPORT_LIMIT
    filters = (*node.filters(), _period_filter(period))
    frames, page = [], 0
    while sum(len(f) for f in frames) < wanted:
        result = api.drill_through(CUBE, filters, current_scope(), page=page, page_size=PAGE_SIZE, lang=lang)
        frames.append(result.frame)
        page += 1
        if len(result.frame) < PAGE_SIZE:
            break
    frame = pd.concat(frames, ignore_index=True).head(wanted)
    keep = [c for c in CUSTOMER_COLUMNS if c in frame.columns]
    return frame[keep]


def customer_headers(lang: str) -> dict[str, str]:
    i = 1 if lang == "zh" else 0
    return {c: labels[i] for c, labels in CUSTOMER_COLUMNS.items()}


def region_options(lang: str) -> list[dict]:
    member = ORG["region"]
    frame = _run(Query(CUBE, (MEASURES["customers"],), (member,)), lang)
    return [{"label": str(r[api.label_column(member)]), "value": int(r[member])} for _, r in frame.iterrows()]


def branch_options(region: int, lang: str) -> list[dict]:
    member = ORG["branch"]
    frame = _run(
        Query(CUBE, (MEASURES["customers"],), (member,), (Filter(ORG["region"], "eq", (region,)),)), lang
    )
    return [{"label": str(r[api.label_column(member)]), "value": int(r[member])} for _, r in frame.iterrows()]


def _name(level: str, key: int, lang: str) -> str:
    member = ORG[level]
    frame = _run(Query(CUBE, (MEASURES["customers"],), (member,), (Filter(member, "eq", (key,)),)), lang)
    return str(frame[api.label_column(member)].iloc[0]) if len(frame) else str(key)


def trail(node: Node, lang: str) -> list[tuple[str, dict]]:
    """Breadcrumb: (label, URL state) from the whole bank down to the node."""
    from components.i18n import t

    items = [(t("branches.all_regions", lang), {})]
    state: dict = {}
    for level in LEVELS:
        key = node.as_query()[level]
        if key is None:
            break
        state = {**state, level: key}
        items.append((_name(level, key, lang), dict(state)))
    return items
