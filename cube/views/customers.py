"""The Customers view: structure, behaviour, value, change and risk of the customer base.

Declared once here and imported by the page, the pandas reference tests and the benchmark.
Builders (``*_query``) are pure: a resolved :class:`ViewState` in, ``Query`` out. Runners take
``(state, scope, lang)`` and run them through ``cube.api`` under the caller's scope.

Two cubes answer:

- ``customers`` (``customer_month``): counts, balances, activity, products and transactions
  per channel (``txn_count_<channel>`` measures), segments and value tiers (published runs);
- ``customer_tiers`` (``customer_tiers``, built at load time beside ``customer_month``): where
  each customer stands in the month: AUM tier by fixed bands (this month, one month and twelve
  months before), bank-wide AUM and contribution deciles, opening month (cohort), city and
  credit grade. Grouping by customer per query (1M customers) is too slow, so the Pareto
  curve, deciles, cohorts and tier migrations are aggregates over these load-time columns.

**Pareto curve**: the month's customers are cut into bank-wide AUM deciles (ties broken by
customer id), so inside any subset (a branch, an age band) every customer of a better decile
holds at least as much as any of a worse one. Cumulating customers and AUM over deciles
therefore gives exact points of the subset's own Pareto curve ("the top x% of customers hold
y% of AUM"), at the subset's decile boundaries. The same for contribution.

**Pivot**: the cells, the row totals, the column totals and the grand total are four cube
queries; nothing is added up here (distinct customers do not add over a customer attribute
a customer could change within the period, and a share must use its own total).

**Tier migration** between the comparison month and the period uses the tier a month before
(``compare=previous_month``) or a year before (``compare=last_year``), stored per row; a freely
chosen comparison month has no stored tier and shows no matrix. Customers gone by the period
are the comparison month's customers of a tier minus those of that tier still there (two cube
queries).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cube import api
from cube.api import Filter, Query, Scope
from cube.model import resolve_member
from cube.views.state import ViewState, month_date, shift_month
from data import contract

CUBE = "customers"
TIERS = "customer_tiers"
CHANNEL_CODES = contract.CHANNEL_CODES  # customer_month's per-channel columns, in contract order
PIVOT_DIMENSIONS = (
    "age_band",
    "gender",
    "income_band",
    "occupation",
    "tenure_band",
    "city",
    "credit_grade",
    "segment",
    "value_tier",
)
# dimensions the customers cube has (its rollups answer); the others only customer_tiers
_CUSTOMERS_DIMS = frozenset(
    {"age_band", "gender", "income_band", "occupation", "tenure_band", "segment", "value_tier"}
)
PIVOT_MEASURES = ("customers", "aum", "contribution", "avg_aum")
DEFAULT_PIVOT = {"rows": "age_band", "cols": "gender", "measure": "customers"}
VALUE_TIERS = ("private", "vip", "gold", "silver", "mass")
BIG_TIERS = ("private", "vip")
AUM_TIERS = ("private", "diamond", "platinum", "gold", "mass")  # top down
FLOW_MONTHS = 13
COHORTS = 12  # cohorts shown: the 12 months up to the period
SHOWN_CUSTOMERS = 200

# Chart keys ("<view>:<chart>"): the click menu and cross-filter name charts by these.
PIVOT_CHART = "customers:pivot"
CHANNEL_CHART = "customers:channels"
TYPE_CHART = "customers:types"
SEGMENT_CHART = "customers:segments"
PYRAMID_CHART = "customers:pyramid"
PARETO_CHART = "customers:pareto"
DECILE_CHART = "customers:deciles"
FLOW_CHART = "customers:flows"
COHORT_CHART = "customers:cohorts"
MIGRATION_CHART = "customers:migration"


# --- helpers --------------------------------------------------------------------------------


def _py(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype(float).fillna(0.0)


def _labels(frame: pd.DataFrame, member: str) -> pd.Series:
    lab = api.label_column(member)
    return (frame[lab] if lab in frame else frame[member]).astype(str)


def _ordered(frame: pd.DataFrame, member: str) -> pd.DataFrame:
    """``frame`` in the order the model declares the member's values (unknown ones last)."""
    values = getattr(resolve_member(member), "values", None)
    if not values or frame.empty:
        return frame
    order = {k: i for i, k in enumerate(values)}
    rank = [order.get(str(_py(v)), len(order)) for v in frame[member]]
    return frame.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)


def _months_filter(cube: str, months: list[str]) -> Filter:
    return Filter(f"{cube}.month", "in", tuple(month_date(m) for m in sorted(set(months))))


# --- structure: the pivot --------------------------------------------------------------------


def pivot_controls(state: ViewState) -> dict[str, str]:
    """The pivot's rows, columns and measure from the page's controls (``x_rows``, ``x_cols``,
    ``x_measure`` in the URL), defaults for anything unknown; columns never equal rows."""
    rows = state.param("rows", DEFAULT_PIVOT["rows"])
    rows = rows if rows in PIVOT_DIMENSIONS else DEFAULT_PIVOT["rows"]
    cols = state.param("cols", DEFAULT_PIVOT["cols"])
    if cols not in PIVOT_DIMENSIONS or cols == rows:
        cols = next(d for d in (DEFAULT_PIVOT["cols"], *PIVOT_DIMENSIONS) if d != rows)
    measure = state.param("measure", DEFAULT_PIVOT["measure"])
    measure = measure if measure in PIVOT_MEASURES else DEFAULT_PIVOT["measure"]
    return {"rows": rows, "cols": cols, "measure": measure}


def pivot_cube(rows: str, cols: str) -> str:
    """The customers cube when it has both dimensions (its rollups answer), else customer_tiers."""
    return CUBE if rows in _CUSTOMERS_DIMS and cols in _CUSTOMERS_DIMS else TIERS


def pivot_queries(state: ViewState) -> dict[str, Query]:
    """The four queries of the pivot: ``cells`` (rows x cols), ``rows`` (row totals), ``cols``
    (column totals) and ``total`` (grand total), in the period."""
    c = pivot_controls(state)
    cube = pivot_cube(c["rows"], c["cols"])
    measure = f"{cube}.{c['measure']}"
    r, k = f"{cube}.{c['rows']}", f"{cube}.{c['cols']}"
    filters = (*state.filters(cube, exclude_chart=PIVOT_CHART), state.period_filter(cube))
    return {
        "cells": Query(cube, (measure,), (r, k), filters),
        "rows": Query(cube, (measure,), (r,), filters),
        "cols": Query(cube, (measure,), (k,), filters),
        "total": Query(cube, (measure,), (), filters),
    }


def pivot_chart_query(state: ViewState) -> Query:
    """What the pivot's rows answer to in the click menu: the row totals."""
    return pivot_queries(state)["rows"]


def pivot(state: ViewState, scope: Scope, lang: str = "en") -> dict[str, Any]:
    """The pivot table with row and column subtotals, every figure from the cube.

    Returns
    -------
    dict
        ``table``: one row per row member (``key``, ``label``, one column per column member
        key (as text), ``total``), then a last row ``key=None`` with the column totals and the
        grand total; ``columns``: [(column key as text, label)]; ``measure``, ``fmt``,
        ``rows``/``cols`` (dimension members) and ``cube``.
    """
    qs = pivot_queries(state)
    c = pivot_controls(state)
    cube = qs["cells"].cube
    measure = qs["cells"].measures[0]
    r, k = qs["cells"].dimensions
    cells = api.execute(qs["cells"], scope, lang).frame
    rows = _ordered(api.execute(qs["rows"], scope, lang).frame, r)
    cols = _ordered(api.execute(qs["cols"], scope, lang).frame, k)
    total = api.execute(qs["total"], scope, lang).frame
    col_keys = [str(_py(v)) for v in cols[k]]
    columns = list(zip(col_keys, _labels(cols, k), strict=True))
    table = pd.DataFrame({"key": [_py(v) for v in rows[r]], "label": _labels(rows, r).to_numpy()})
    cell = {
        (str(_py(a)), str(_py(b))): _py(v) for a, b, v in zip(cells[r], cells[k], cells[measure], strict=True)
    }
    for ck in col_keys:
        table[ck] = [cell.get((str(rk), ck)) for rk in table["key"]]
    table["total"] = [_py(v) for v in rows[measure]]
    totals = {"key": None, "label": None, **dict(zip(col_keys, [_py(v) for v in cols[measure]], strict=True))}
    totals["total"] = _py(total[measure].iloc[0]) if len(total) else None
    table = pd.concat([table, pd.DataFrame([totals])], ignore_index=True)
    fmt = api.members(cube, lang).set_index("member").at[measure, "format"]
    return {
        "table": table,
        "columns": columns,
        "measure": measure,
        "fmt": fmt,
        "rows": r,
        "cols": k,
        "cube": cube,
        **{f"control_{n}": v for n, v in c.items()},
    }


# --- behaviour --------------------------------------------------------------------------------


def channel_query(state: ViewState) -> Query:
    """Transactions per customer by channel, for each segment, in the period."""
    measures = (
        "customers.customers",
        "customers.txn_per_customer",
        *(f"customers.txn_per_customer_{c}" for c in CHANNEL_CODES),
    )
    return Query(
        CUBE,
        measures,
        ("customers.segment",),
        (*state.filters(CUBE, exclude_chart=CHANNEL_CHART), state.period_filter(CUBE)),
    )


def channels(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """One row per segment and channel: ``segment``, ``segment_label``, ``channel``,
    ``channel_label``, ``per_customer`` (transactions in the month per customer)."""
    frame = api.execute(channel_query(state), scope, lang).frame
    rows = []
    for code in CHANNEL_CODES:
        member = f"customers.txn_per_customer_{code}"
        label = api.member_label(f"customers.txn_count_{code}", lang).split(": ", 1)[-1]
        for key, seg, value in zip(
            frame["customers.segment"], _labels(frame, "customers.segment"), frame[member], strict=True
        ):
            rows.append(
                {
                    "segment": _py(key),
                    "segment_label": seg,
                    "channel": code,
                    "channel_label": label,
                    "per_customer": float(value or 0.0),
                }
            )
    return pd.DataFrame(
        rows, columns=["segment", "segment_label", "channel", "channel_label", "per_customer"]
    )


def type_query(state: ViewState) -> Query:
    """Transactions by type in the period (transactions cube: the booking branch's org)."""
    return Query(
        "transactions",
        ("transactions.txn_count",),
        ("transactions.txn_type",),
        (*state.filters("transactions", exclude_chart=TYPE_CHART), state.period_filter("transactions")),
    )


def customers_query(state: ViewState) -> Query:
    """The period's customers (the denominator of transactions per customer by type)."""
    return Query(CUBE, ("customers.customers",), (), (*state.filters(CUBE), state.period_filter(CUBE)))


def types(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """``key, label, txn_count, per_customer`` per transaction type, most first."""
    frame = api.execute(type_query(state), scope, lang).frame
    base = api.execute(customers_query(state), scope, lang).frame
    customers = float(base["customers.customers"].iloc[0] or 0) if len(base) else 0.0
    out = pd.DataFrame(
        {
            "key": frame["transactions.txn_type"].astype(str),
            "label": _labels(frame, "transactions.txn_type").to_numpy(),
            "txn_count": _num(frame, "transactions.txn_count").to_numpy(),
        }
    )
    out["per_customer"] = out["txn_count"] / customers if customers else 0.0
    return out.sort_values("txn_count", ascending=False, kind="stable").reset_index(drop=True)


SEGMENT_MEASURES = (
    "customers.customers",
    "customers.active_customers",
    "customers.active_rate",
    "customers.dormant_customers",
    "customers.products_per_customer",
    "customers.txn_per_customer",
    "customers.avg_aum",
)


def segment_query(state: ViewState) -> Query:
    """Activity, products and transactions per customer by segment, in the period."""
    return Query(
        CUBE,
        SEGMENT_MEASURES,
        ("customers.segment",),
        (*state.filters(CUBE, exclude_chart=SEGMENT_CHART), state.period_filter(CUBE)),
    )


def segments(state: ViewState, scope: Scope, lang: str = "en") -> api.Result:
    """The segment query's result plus ``inactive_customers`` (customers - active) per row;
    ``frame.attrs["scored"]`` says whether a segmentation run is published (some segment)."""
    result = api.execute(segment_query(state), scope, lang)
    frame = result.frame.copy()
    frame["inactive_customers"] = _num(frame, "customers.customers") - _num(
        frame, "customers.active_customers"
    )
    frame.attrs["scored"] = bool(frame["customers.segment"].notna().any())
    return api.Result(result.query, frame, result.columns, total_rows=len(frame))


# --- value ------------------------------------------------------------------------------------


def pyramid_query(state: ViewState) -> Query:
    """Customers, AUM and contribution (and their shares) per value tier, in the period."""
    return Query(
        CUBE,
        (
            "customers.customers",
            "customers.aum",
            "customers.contribution",
            "customers.aum_share",
            "customers.contribution_share",
        ),
        ("customers.value_tier",),
        (*state.filters(CUBE, exclude_chart=PYRAMID_CHART), state.period_filter(CUBE)),
    )


def pyramid(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """One row per value tier, top of the pyramid first: ``key, label, customers, aum,
    contribution, aum_share, contribution_share``. Empty when no value run is published for
    this data version (every customer "Not scored")."""
    frame = api.execute(pyramid_query(state), scope, lang).frame
    if not frame["customers.value_tier"].notna().any():
        return pd.DataFrame(
            columns=["key", "label", "customers", "aum", "contribution", "aum_share", "contribution_share"]
        )
    out = pd.DataFrame(
        {
            "key": [_py(v) for v in frame["customers.value_tier"]],
            "label": _labels(frame, "customers.value_tier").to_numpy(),
            **{
                m: _num(frame, f"customers.{m}").to_numpy()
                for m in ("customers", "aum", "contribution", "aum_share", "contribution_share")
            },
        }
    )
    order = {t: i for i, t in enumerate(VALUE_TIERS)}
    out["_o"] = [order.get(k, len(order)) for k in out["key"]]
    return out.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def decile_query(state: ViewState, by: str = "aum") -> Query:
    """Customers, AUM and contribution per bank-wide ``by`` decile ("aum" | "contribution")."""
    member = f"{TIERS}.{by}_decile"
    return Query(
        TIERS,
        (f"{TIERS}.customers", f"{TIERS}.aum", f"{TIERS}.contribution"),
        (member,),
        (
            *state.filters(TIERS, exclude_chart=PARETO_CHART if by == "aum" else DECILE_CHART),
            state.period_filter(TIERS),
        ),
    )


def contribution_decile_query(state: ViewState) -> Query:
    return decile_query(state, "contribution")


def deciles(state: ViewState, scope: Scope, by: str = "aum", lang: str = "en") -> pd.DataFrame:
    """One row per decile (1 = top): ``decile, label, customers, aum, contribution``, their
    shares (``customers_share``, ``aum_share``, ``contribution_share``) and the cumulated
    shares from the top (``cum_customers``, ``cum_aum``, ``cum_contribution``): the Pareto
    curve's points (see the module docstring for why they are exact)."""
    frame = api.execute(decile_query(state, by), scope, lang).frame
    member = f"{TIERS}.{by}_decile"
    out = pd.DataFrame(
        {"decile": [int(v) for v in frame[member]], "label": _labels(frame, member).to_numpy()}
    )
    for m in ("customers", "aum", "contribution"):
        out[m] = _num(frame, f"{TIERS}.{m}").to_numpy()
    out = out.sort_values("decile").reset_index(drop=True)
    for m in ("customers", "aum", "contribution"):
        total = out[m].sum()
        out[f"{m}_share"] = out[m] / total if total else 0.0
        out[f"cum_{m}"] = out[m].cumsum() / total if total else 0.0
    return out


def pareto(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """The Pareto curves: from AUM deciles (``cum_customers``, ``cum_aum``) and contribution
    deciles (``cum_customers_c``, ``cum_contribution``), one row per decile, a (0, 0) start."""
    a = deciles(state, scope, "aum", lang)
    c = deciles(state, scope, "contribution", lang)
    out = pd.DataFrame(
        {
            "decile": a["decile"],
            "cum_customers": a["cum_customers"],
            "cum_aum": a["cum_aum"],
        }
    ).merge(
        pd.DataFrame(
            {
                "decile": c["decile"],
                "cum_customers_c": c["cum_customers"],
                "cum_contribution": c["cum_contribution"],
            }
        ),
        on="decile",
        how="outer",
    )
    start = pd.DataFrame(
        [{"decile": 0, "cum_customers": 0.0, "cum_aum": 0.0, "cum_customers_c": 0.0, "cum_contribution": 0.0}]
    )
    return pd.concat([start, out], ignore_index=True)


def share_of_top(
    curve: pd.DataFrame, top: float = 0.2, column: str = "cum_aum", x: str = "cum_customers"
) -> float:
    """The share of ``column`` held by the top ``top`` of customers, read off the curve's points
    (linear between two points)."""
    frame = curve.dropna(subset=[x, column]).sort_values(x)
    return float(np.interp(top, frame[x].to_numpy(), frame[column].to_numpy())) if len(frame) else 0.0


def rows_filters(state: ViewState, extra: tuple[Filter, ...] = ()) -> tuple[Filter, ...]:
    """Filters of the customers behind the view's figures in the period (drill-through)."""
    return (*state.filters(CUBE), state.period_filter(CUBE), *extra)


CUSTOMER_COLUMNS = (
    "customer_id",
    "customer_name",
    "customer_phone",
    "branch_id",
    "manager_id",
    "age_band",
    "aum",
    "contribution",
    "txn_count",
)


def customer_rows(
    state: ViewState, scope: Scope, lang: str, extra: tuple[Filter, ...] = (), limit: int = SHOWN_CUSTOMERS
) -> api.Result:
    """The first ``limit`` customers behind the view under ``extra`` filters (identities masked
    by the cube), ``total_rows`` the true number of them."""
    result = api.drill_through(
        CUBE, rows_filters(state, extra), scope, page=0, page_size=min(limit, api.MAX_PAGE_SIZE), lang=lang
    )
    keep = [c for c in CUSTOMER_COLUMNS if c in result.frame.columns]
    return api.Result(
        None, result.frame[keep], {c: result.columns[c] for c in keep}, total_rows=result.total_rows
    )


def big_customers(
    state: ViewState, scope: Scope, lang: str = "en", limit: int = SHOWN_CUSTOMERS
) -> api.Result:
    """Customers of the top value tiers (private banking and VIP) in the period."""
    return customer_rows(state, scope, lang, (Filter("customers.value_tier", "in", BIG_TIERS),), limit)


# --- change -----------------------------------------------------------------------------------


def flow_months(state: ViewState) -> list[str]:
    return [shift_month(state.period, -k) for k in range(FLOW_MONTHS - 1, -1, -1)]


def flow_query(state: ViewState) -> Query:
    """New, lost and all customers by month over the 13 months up to the period."""
    return Query(
        CUBE,
        ("customers.new_customers", "customers.lost_customers", "customers.customers"),
        ("customers.month",),
        (*state.filters(CUBE, exclude_chart=FLOW_CHART), _months_filter(CUBE, flow_months(state))),
    )


def flows(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """``month`` (timestamp), ``key`` ("YYYY-MM-DD"), ``new``, ``lost``, ``net`` (new - lost),
    ``customers`` per month, oldest first."""
    frame = api.execute(flow_query(state), scope, lang).frame
    out = pd.DataFrame(
        {
            "month": pd.to_datetime(frame["customers.month"]),
            "new": _num(frame, "customers.new_customers").to_numpy(),
            "lost": _num(frame, "customers.lost_customers").to_numpy(),
            "customers": _num(frame, "customers.customers").to_numpy(),
        }
    ).sort_values("month")
    out["net"] = out["new"] - out["lost"]
    out.insert(1, "key", out["month"].dt.strftime("%Y-%m-%d"))
    return out.reset_index(drop=True)


def cohort_months(state: ViewState) -> list[str]:
    return [shift_month(state.period, -k) for k in range(COHORTS - 1, -1, -1)]


def cohort_query(state: ViewState) -> Query:
    """Customers and lost customers by opening month (the 12 cohorts up to the period) and
    month, from each cohort's month to the period."""
    cohorts = cohort_months(state)
    return Query(
        TIERS,
        (f"{TIERS}.customers", f"{TIERS}.lost_customers"),
        (f"{TIERS}.cohort", f"{TIERS}.month"),
        (
            *state.filters(TIERS, exclude_chart=COHORT_CHART),
            Filter(f"{TIERS}.cohort", "in", tuple(month_date(m) for m in cohorts)),
            _months_filter(TIERS, cohorts),
        ),
    )


def cohorts(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """One row per cohort (opening month, oldest first): ``cohort`` ("YYYY-MM"), ``key``
    ("YYYY-MM-DD"), ``opened`` (customers in their opening month) and ``m0`` .. ``m11``: the
    share of them still open N months later (open at that month's end: customers minus those
    who closed in it), None where that month is after the period."""
    frame = api.execute(cohort_query(state), scope, lang).frame
    cohort = pd.to_datetime(frame[f"{TIERS}.cohort"]).dt.strftime("%Y-%m")
    month = pd.to_datetime(frame[f"{TIERS}.month"]).dt.strftime("%Y-%m")
    still = dict(
        zip(
            zip(cohort, month, strict=True),
            _num(frame, f"{TIERS}.customers") - _num(frame, f"{TIERS}.lost_customers"),
            strict=True,
        )
    )
    opened = dict(zip(zip(cohort, month, strict=True), _num(frame, f"{TIERS}.customers"), strict=True))
    rows = []
    for c in cohort_months(state):
        size = opened.get((c, c), 0.0)
        if not size:
            continue
        row: dict[str, Any] = {"cohort": c, "key": f"{c}-01", "opened": size}
        for n in range(COHORTS):
            m = shift_month(c, n)
            row[f"m{n}"] = None if m > state.period else still.get((c, m), 0.0) / size
        rows.append(row)
    return pd.DataFrame(rows, columns=["cohort", "key", "opened", *[f"m{n}" for n in range(COHORTS)]])


def migration_member(state: ViewState) -> str | None:
    """The stored earlier tier the migration matrix compares with (None for a free month)."""
    return {"previous_month": "aum_tier_before", "last_year": "aum_tier_year_before"}.get(state.compare)


def migration_queries(state: ViewState) -> dict[str, Query] | None:
    """``cells`` (earlier tier x tier now, in the period), ``stayed`` (the period's customers
    by earlier tier) and ``before`` (the comparison month's customers by tier); None when
    the comparison is a freely chosen month."""
    before = migration_member(state)
    other = state.comparison()
    if before is None or other is None:
        return None
    b, now = f"{TIERS}.{before}", f"{TIERS}.aum_tier"
    filters = state.filters(TIERS, exclude_chart=MIGRATION_CHART)
    period = (*filters, state.period_filter(TIERS))
    return {
        "cells": Query(TIERS, (f"{TIERS}.customers",), (b, now), period),
        "stayed": Query(TIERS, (f"{TIERS}.customers",), (b,), period),
        "before": Query(
            TIERS, (f"{TIERS}.customers",), (now,), (*filters, state.period_filter(TIERS, other))
        ),
    }


def migration_chart_query(state: ViewState) -> Query | None:
    qs = migration_queries(state)
    return qs["stayed"] if qs else None


def migration(state: ViewState, scope: Scope, lang: str = "en") -> dict[str, Any] | None:
    """The AUM-tier migration matrix from the comparison month to the period.

    Returns
    -------
    dict or None
        ``table``: one row per earlier tier (``key``, ``label``; top tier first, then
        ``none`` = not a customer then), a column per tier now (its code), ``gone`` (customers
        of that tier then who are no longer customers; None for ``none``); ``columns``:
        [(tier, label)]; ``up``, ``down``, ``same``: customers who moved to a higher, a lower or
        stayed in the same tier; ``member`` (the earlier-tier dimension). None without a
        stored comparison (a freely chosen month).
    """
    qs = migration_queries(state)
    if qs is None:
        return None
    b, now = qs["cells"].dimensions
    m = f"{TIERS}.customers"
    cells = api.execute(qs["cells"], scope, lang).frame
    stayed = api.execute(qs["stayed"], scope, lang).frame
    before = api.execute(qs["before"], scope, lang).frame
    labels = dict(zip(stayed[b], _labels(stayed, b), strict=True)) | dict(
        zip(before[now], _labels(before, now), strict=True)
    )
    labels |= dict(zip(cells[now], _labels(cells, now), strict=True))
    cell = {(a, c): float(v) for a, c, v in zip(cells[b], cells[now], cells[m], strict=True)}
    stay = dict(zip(stayed[b], _num(stayed, m), strict=True))
    then = dict(zip(before[now], _num(before, m), strict=True))
    rows = []
    for tier in (*AUM_TIERS, "none"):
        if tier not in stay and tier not in then:
            continue
        row: dict[str, Any] = {"key": tier, "label": labels.get(tier, tier)}
        for to in AUM_TIERS:
            row[to] = cell.get((tier, to), 0.0)
        row["gone"] = None if tier == "none" else then.get(tier, 0.0) - stay.get(tier, 0.0)
        rows.append(row)
    rank = {t: i for i, t in enumerate(reversed(AUM_TIERS))}
    up = sum(v for (a, c), v in cell.items() if a in rank and rank[c] > rank[a])
    down = sum(v for (a, c), v in cell.items() if a in rank and rank[c] < rank[a])
    same = sum(v for (a, c), v in cell.items() if a == c)
    return {
        "table": pd.DataFrame(rows, columns=["key", "label", *AUM_TIERS, "gone"]),
        "columns": [(t, labels.get(t, t)) for t in AUM_TIERS],
        "up": up,
        "down": down,
        "same": same,
        "member": b,
        "comparison": state.comparison(),
    }


# --- risk -------------------------------------------------------------------------------------


def dormant_query(state: ViewState) -> Query:
    """Dormant customers (no transaction in six months) and all customers in the period."""
    return Query(
        CUBE,
        ("customers.dormant_customers", "customers.customers"),
        (),
        (*state.filters(CUBE), state.period_filter(CUBE)),
    )


def dormant(state: ViewState, scope: Scope, lang: str = "en") -> dict[str, float]:
    """``dormant`` and ``customers`` in the period (zeros when the scope leaves nothing)."""
    frame = api.execute(dormant_query(state), scope, lang).frame
    row = frame.iloc[0] if len(frame) else {}
    return {
        "dormant": float(_py(row.get("customers.dormant_customers")) or 0.0) if len(frame) else 0.0,
        "customers": float(_py(row.get("customers.customers")) or 0.0) if len(frame) else 0.0,
    }


# --- the whole view ---------------------------------------------------------------------------


def queries(state: ViewState) -> dict[str, Query]:
    """Every aggregate query one render of the view runs (benchmark, cache warming)."""
    out = {f"pivot_{k}": q for k, q in pivot_queries(state).items()}
    out |= {
        "channels": channel_query(state),
        "types": type_query(state),
        "customers": customers_query(state),
        "segments": segment_query(state),
        "pyramid": pyramid_query(state),
        "aum_deciles": decile_query(state, "aum"),
        "contribution_deciles": decile_query(state, "contribution"),
        "flows": flow_query(state),
        "cohorts": cohort_query(state),
        "dormant": dormant_query(state),
    }
    mq = migration_queries(state)
    if mq:
        out |= {f"migration_{k}": q for k, q in mq.items()}
    return out


def render(state: ViewState, scope: Scope, lang: str = "en") -> dict[str, Any]:
    """Run every runner the page calls, as it calls them (the benchmark times this)."""
    seg = segments(state, scope, lang)
    return {
        "pivot": pivot(state, scope, lang),
        "channels": channels(state, scope, lang),
        "types": types(state, scope, lang),
        "segments": seg,
        "pyramid": pyramid(state, scope, lang),
        "pareto": pareto(state, scope, lang),
        "contribution_deciles": deciles(state, scope, "contribution", lang),
        "flows": flows(state, scope, lang),
        "cohorts": cohorts(state, scope, lang),
        "migration": migration(state, scope, lang),
        "dormant": dormant(state, scope, lang),
    }
