"""The Overview view: where a management review starts. Queries declared once, runners on top.

Builders (``*_query``) are pure: a ``ViewState`` (resolved to a period) in, ``Query`` objects
out. Runners take ``(state, scope, lang)``, run those queries through ``cube.api`` under the
caller's scope and return plain frames / dicts for the page. The page, the pandas reference
tests (``tests/cube/test_overview.py``) and the benchmark import these very definitions.

Everything is filtered by ``state.filters(cube)`` (org unit, customer filters, cross-filter
selections) and the period (one month; flows such as contribution, new and lost customers
are that month's). Figures read the customers cube (``customer_month``), except:

- product category / product decompositions of AUM, deposits and loans, read from the holdings
  cube (``holdings.balance`` by ``balance_type``: AUM = deposit + investment balances, exactly
  what ``customer_month.aum`` adds up per customer), and
- the transaction KPIs of the waterfall (``txn_amount``, ``txn_count``), read from the
  transactions cube, which alone knows the channel type. Their org is the *booking* branch.

**Products per customer** is ``customers.products / customers.customers`` in the month:
``customer_month.product_count`` (distinct products a customer holds at month end, built from
holdings by the derived layer) summed over the customers in scope and filters, divided by
those customers, so customers holding nothing count in the denominator. The numerator
equals the holdings cube's holdings count in the same month and org scope, but only the
customers cube can apply customer filters (age band, segment ...) to both parts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cube import explain
from cube.api import (
    CubeError,
    Filter,
    Query,
    Result,
    Scope,
    attainment,
    execute,
    label_column,
    member_label,
    scored,
)
from cube.views import options
from cube.views.state import ORG_LEVELS, ViewState, month_date, parse_month, shift_month

SPARKLINE_MONTHS = 13  # the period and the 12 months before
BRANCH_PAGE = "/branches"  # the view that explains one unit's performance
# Attainment below these is an exception: stocks move slowly, so 5% short is already material;
# one month's flows are noisier, so they are given 10%.
STOCK_THRESHOLD = 0.95
FLOW_THRESHOLD = 0.90
Z_THRESHOLD = 3.5  # |robust z| above this is unusual (Iglewicz & Hoaglin's modified z-score rule)
HISTORY_MONTHS = 36  # months read for the unusual-values check: up to 24 year-on-year changes
TOP = 10  # members shown in a waterfall before the rest are folded into "others"

CUSTOMER_DIMENSIONS = ("region", "branch", "manager", "segment", "value_tier", "age_band")
PRODUCT_DIMENSIONS = ("category", "product")
TRANSACTION_DIMENSIONS = ("region", "branch", "category", "product", "channel_type", "channel")
# holdings balance types a balance KPI adds up (customer_month: aum = deposit + investment)
BALANCE_TYPES = {"aum": ("deposit", "investment"), "deposits": ("deposit",), "loans": ("loan",)}


@dataclass(frozen=True)
class Kpi:
    """A KPI of the Overview.

    ``measure`` is the member shown; ``numerator``/``denominator`` (members) make it a ratio,
    decomposed into mix and rate effects; ``target`` names its metric in the targets cube;
    ``dimensions`` are the dimensions :func:`explain_change` can decompose it by.
    """

    key: str
    measure: str
    fmt: str
    higher_is_better: bool = True
    target: str | None = None
    stock: bool = True
    numerator: str | None = None
    denominator: str | None = None
    dimensions: tuple[str, ...] = CUSTOMER_DIMENSIONS

    @property
    def cube(self) -> str:
        return self.measure.split(".")[0]

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None

    def label(self, lang: str = "en") -> str:
        return member_label(self.measure, lang)


def _k(key: str, fmt: str, **kw: Any) -> Kpi:
    return Kpi(key, kw.pop("measure", f"customers.{key}"), fmt, **kw)


_BALANCE_DIMS = (*CUSTOMER_DIMENSIONS, *PRODUCT_DIMENSIONS)
KPIS: dict[str, Kpi] = {
    k.key: k
    for k in (
        _k("customers", "count"),
        _k("aum", "money", target="aum", dimensions=_BALANCE_DIMS),
        _k("deposits", "money", target="deposits", dimensions=_BALANCE_DIMS),
        _k("loans", "money", target="loans", dimensions=_BALANCE_DIMS),
        _k("contribution", "money", target="contribution", stock=False),
        _k("new_customers", "count", target="new_customers", stock=False),
        _k("lost_customers", "count", higher_is_better=False, stock=False),
        _k("active_customers", "count"),
        _k(
            "products_per_customer",
            "number",
            numerator="customers.products",
            denominator="customers.customers",
        ),
    )
}
"""The KPI tiles, in display order."""

EXPLAIN_KPIS: dict[str, Kpi] = {
    **KPIS,
    **{
        k.key: k
        for k in (
            _k("avg_aum", "money", numerator="customers.aum", denominator="customers.customers"),
            _k(
                "active_rate",
                "percent",
                numerator="customers.active_customers",
                denominator="customers.customers",
            ),
            _k(
                "txn_amount",
                "money",
                measure="transactions.amount",
                stock=False,
                dimensions=TRANSACTION_DIMENSIONS,
            ),
            _k(
                "txn_count",
                "count",
                measure="transactions.txn_count",
                stock=False,
                dimensions=TRANSACTION_DIMENSIONS,
            ),
        )
    },
}
"""KPIs the waterfall can explain: the tiles plus two ratios and two transaction KPIs.

Not decomposable by product category: customer counts, new/lost/active customers, products
per customer and the ratios (a customer holds several categories, so customers do not split
by category), and contribution (margins and fees are not kept by category in any cube).
"""

DEFAULT_KPI = "aum"


# --- small helpers ----------------------------------------------------------------------------


def _month_str(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def _months_filter(cube: str, months: list[str] | tuple[str, ...]) -> Filter:
    dates = tuple(month_date(m) for m in sorted(set(months)))
    return Filter(f"{cube}.month", "eq" if len(dates) == 1 else "in", dates)


def _py(value: Any) -> Any:
    """A plain Python value (JSON-friendly): numpy scalars unwrapped, NaN as None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _keys(values: pd.Series) -> pd.Series:
    """Member keys as plain Python values (None for a missing key), kept as objects: ``map``
    would turn integer keys beside a None into floats."""
    return pd.Series([_py(v) for v in values], index=values.index, dtype=object)


def _ratio(num: Any, den: Any) -> float | None:
    num, den = _py(num), _py(den)
    if num is None or den is None or den == 0:
        return None
    return float(num) / float(den)


def _org_filters(state: ViewState) -> tuple[Filter, ...]:
    return tuple(f for f in state.filters("customers") if f.member.split(".")[1] in ORG_LEVELS)


def _customer_filters_only_org(state: ViewState) -> bool:
    return len(_org_filters(state)) == len(state.filters("customers"))


def _resolved(state: ViewState, scope: Scope) -> tuple[ViewState, list[str]]:
    available = months(scope)
    return (state if state.period in available else state.resolve(available)), available


def _others(lang: str) -> str:
    return "其他" if lang.startswith("zh") else "others"


def kpi(key: str) -> Kpi:
    """The explainable KPI ``key`` (CubeError naming the known ones otherwise)."""
    if key not in EXPLAIN_KPIS:
        raise CubeError(f"unknown KPI {key!r}; expected one of {sorted(EXPLAIN_KPIS)}")
    return EXPLAIN_KPIS[key]


# --- months -----------------------------------------------------------------------------------


def months_query() -> Query:
    """Customers by month (every month of the cube, under the caller's scope)."""
    return options.MONTHS_QUERY


def months(scope: Scope) -> list[str]:
    """Months with data (at least one customer) in ``scope``, as ``"YYYY-MM"``, oldest first."""
    return options.months(scope)


# --- KPI tiles --------------------------------------------------------------------------------


def sparkline_months(state: ViewState) -> list[str]:
    """The period and the 12 months before it, oldest first."""
    return [shift_month(state.period, -k) for k in range(SPARKLINE_MONTHS - 1, -1, -1)]


def tiles_query(state: ViewState, available: list[str] | None = None) -> Query:
    """Every tile KPI by month over the sparkline months and the comparison month."""
    wanted = set(sparkline_months(state))
    other = state.comparison(available)
    if other:
        wanted.add(other)
    return Query(
        "customers",
        tuple(dict.fromkeys(k.measure for k in KPIS.values())),
        ("customers.month",),
        (*state.filters("customers"), _months_filter("customers", sorted(wanted))),
    )


def attainment_query(state: ViewState, level: str | None = None) -> Query | None:
    """The customers query ``cube.api.attainment`` runs for the period (grouped by ``level``,
    an org level, if given). None when customer filters other than the org are active: targets
    are set for whole units, so a filtered figure (one age band, say) has no target."""
    if not _customer_filters_only_org(state):
        return None
    dims = (f"customers.{level}",) if level else ()
    return Query("customers", (), dims, (*_org_filters(state), state.period_filter("customers")))


def kpi_tiles(state: ViewState, scope: Scope, lang: str = "en") -> list[dict[str, Any]]:
    """One dict per tile of :data:`KPIS`, in order.

    Keys: ``key, label, fmt, higher_is_better, period, value``; ``comparison_month,
    comparison_value, change, change_pct`` (vs ``state.comparison``: previous month, same month
    last year or a chosen month); ``last_year_month, last_year_value, yoy_change,
    yoy_change_pct``; ``target, attainment`` (None without a target, or under customer
    filters); ``favourable`` (the change vs the comparison month goes the KPI's good way);
    ``sparkline_months`` and ``sparkline`` (13 values, None for a month without data).
    Values are plain floats/ints (JSON-friendly).
    """
    state, available = _resolved(state, scope)
    if not state.period:
        return []
    frame = execute(tiles_query(state, available), scope, lang).frame
    by_month = {
        _month_str(m): row for m, row in zip(frame["customers.month"], frame.to_dict("records"), strict=True)
    }
    targets: dict[str, Any] = {}
    aq = attainment_query(state)
    if aq is not None:
        rows = attainment(aq, scope, lang).frame
        targets = rows.iloc[0].to_dict() if len(rows) else {}
    other = state.comparison(available)
    last_year = shift_month(state.period, -12)
    spark = sparkline_months(state)

    def value(k: Kpi, month: str | None) -> Any:
        row = by_month.get(month) if month else None
        return None if row is None else _py(row.get(k.measure))

    tiles = []
    for k in KPIS.values():
        v, c, y = value(k, state.period), value(k, other), value(k, last_year)
        change = None if v is None or c is None else v - c
        yoy = None if v is None or y is None else v - y
        tile = {
            "key": k.key,
            "label": k.label(lang),
            "fmt": k.fmt,
            "higher_is_better": k.higher_is_better,
            "period": state.period,
            "value": v,
            "comparison_month": other,
            "comparison_value": c,
            "change": change,
            "change_pct": _ratio(change, c),
            "last_year_month": last_year,
            "last_year_value": y,
            "yoy_change": yoy,
            "yoy_change_pct": _ratio(yoy, y),
            "target": _py(targets.get(f"targets.{k.target}")) if k.target else None,
            "attainment": _py(targets.get(f"{k.target}.attainment")) if k.target else None,
            "favourable": None if not change else (change > 0) == k.higher_is_better,
            "sparkline_months": spark,
            "sparkline": [value(k, m) for m in spark],
        }
        tiles.append(tile)
    return tiles


# --- explaining a change ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    query: Query
    member: str  # the dimension member grouped by
    columns: tuple[str, ...]  # measure members: (value,) or (numerator, denominator)


def _explain_plan(state: ViewState, k: Kpi, dimension: str, period_a: str, period_b: str) -> _Plan:
    if dimension not in k.dimensions:
        raise CubeError(
            f"KPI {k.key!r} cannot be decomposed by {dimension!r}; allowed: {', '.join(k.dimensions)}"
        )
    periods = (period_a, period_b)
    if k.cube == "transactions":
        ignored = state.ignored("transactions")
        if ignored:
            raise CubeError(f"transaction KPIs cannot apply the filters {ignored}; clear them first")
        cube, columns, filters = "transactions", (k.measure,), state.filters("transactions")
    elif dimension in PRODUCT_DIMENSIONS:
        # The holdings cube must see exactly the rows the tile adds up: the customers cube's
        # filters, which must then all be org filters (holdings has no customer attributes).
        extra = [f.member for f in state.filters("customers") if f not in _org_filters(state)]
        if extra:
            raise CubeError(
                f"{k.key!r} by {dimension!r} reads the holdings cube, which cannot apply {extra}; "
                f"allowed dimensions under these filters: {', '.join(CUSTOMER_DIMENSIONS)}"
            )
        types = BALANCE_TYPES[k.key]
        filters = (
            *(Filter(f"holdings.{f.member.split('.')[1]}", f.op, f.values) for f in _org_filters(state)),
            Filter("holdings.balance_type", "eq" if len(types) == 1 else "in", types),
        )
        cube, columns = "holdings", ("holdings.balance",)
    else:
        cube = "customers"
        columns = (k.numerator, k.denominator) if k.is_ratio else (k.measure,)
        filters = state.filters("customers")
    member = f"{cube}.{dimension}"
    query = Query(cube, columns, (f"{cube}.month", member), (*filters, _months_filter(cube, periods)))
    return _Plan(query, member, columns)


def explain_query(state: ViewState, kpi_key: str, dimension: str, period_a: str, period_b: str) -> Query:
    """The one query :func:`explain_change` runs: the KPI's parts by month and ``dimension``
    in the two periods."""
    return _explain_plan(state, kpi(kpi_key), dimension, period_a, period_b).query


def explain_change(
    state: ViewState,
    scope: Scope,
    kpi_key: str,
    dimension: str,
    period_a: str,
    period_b: str,
    lang: str = "en",
    top: int = TOP,
) -> pd.DataFrame:
    """Decompose KPI(``period_b``) - KPI(``period_a``) over the members of ``dimension``.

    Additive KPIs: member ``i`` contributes ``v_i(b) - v_i(a)``. Ratio KPIs (``Kpi.is_ratio``):
    mix and rate effects per member (:func:`cube.explain.ratio`). Allowed dimensions per KPI:
    ``EXPLAIN_KPIS[kpi].dimensions`` (CubeError naming them otherwise); product category and
    product apply to AUM, deposits and loans (holdings cube, org filters only), channel type to
    the transaction KPIs.

    Returns
    -------
    DataFrame
        Rows: one ``kind="start"`` row (``total`` = KPI(a), ``label`` = ``period_a``), the
        members sorted by ``|total|`` (largest first, ``kind="member"``), beyond ``top`` one
        ``kind="others"`` row folding the rest, and one ``kind="end"`` row (``total`` = KPI(b)).
        Columns ``kind, key, label, value_a, value_b, total`` and ``contribution`` (additive) or
        ``num_a, den_a, num_b, den_b, weight_a, weight_b, mix, rate`` (ratio). The member and
        others totals add up to end - start. ``frame.attrs`` holds ``kpi, dimension, method
        ("additive" | "mix_rate"), period_a, period_b, start, end``.
    """
    k = kpi(kpi_key)
    plan = _explain_plan(state, k, dimension, period_a, period_b)
    frame = execute(plan.query, scope, lang).frame
    month = frame[plan.query.dimensions[0]].map(_month_str)
    labels: dict[Any, str] = {}
    lab = label_column(plan.member)
    for key, text in zip(frame[plan.member], frame[lab] if lab in frame else frame[plan.member], strict=True):
        labels[_py(key)] = str(text)

    def side(period: str) -> pd.DataFrame:
        part = frame[month == period]
        out = pd.DataFrame({"key": _keys(part[plan.member])})
        for name, col in zip(("num", "den") if k.is_ratio else ("value",), plan.columns, strict=True):
            out[name] = part[col].to_numpy()
        return out.reset_index(drop=True)

    a, b = side(period_a), side(period_b)
    if k.is_ratio:
        members = explain.ratio(a, b)
        start, end = explain.ratio_totals(a), explain.ratio_totals(b)
    else:
        members = explain.additive(a, b)
        start, end = float(members["value_a"].sum()), float(members["value_b"].sum())
    members = explain.fold(members, top)
    members.insert(2, "label", [labels.get(_py(x), str(x)) for x in members["key"]])
    members.loc[members["kind"] == "others", "label"] = _others(lang)
    members["key"] = _keys(members["key"])
    ends = pd.DataFrame(
        [
            {"kind": "start", "key": None, "label": period_a, "total": start},
            {"kind": "end", "key": None, "label": period_b, "total": end},
        ]
    )
    out = pd.concat([ends.iloc[:1], members, ends.iloc[1:]], ignore_index=True)
    out = out[["kind", "key", "label", *[c for c in members.columns if c not in ("kind", "key", "label")]]]
    out.attrs.update(
        kpi=k.key,
        dimension=dimension,
        method="mix_rate" if k.is_ratio else "additive",
        period_a=period_a,
        period_b=period_b,
        start=start,
        end=end,
    )
    return out


# --- movers -----------------------------------------------------------------------------------


def mover_dimensions(state: ViewState, kpi_key: str) -> list[str]:
    """Dimensions :func:`movers` looks at for ``kpi_key``: the units one org level below the
    state's (none below a manager), products (balance KPIs, only without customer filters,
    which the holdings cube cannot apply) and segments (customers-cube KPIs), as allowed."""
    k = kpi(kpi_key)
    out = []
    child = state.child_level()
    if child and child in k.dimensions:
        out.append(child)
    if "product" in k.dimensions and (k.cube == "transactions" or _customer_filters_only_org(state)):
        out.append("product")
    if "segment" in k.dimensions and scored("customers.segment"):
        out.append("segment")  # only once a segmentation run is published for this data
    return out


def movers(state: ViewState, scope: Scope, kpi_key: str, lang: str = "en", n: int = 5) -> pd.DataFrame:
    """The ``n`` largest contributors (by ``|contribution|``) per dimension of
    :func:`mover_dimensions` to the KPI's change from the comparison month to the period.

    Returns
    -------
    DataFrame
        ``dimension, key, label, contribution, share`` (contribution / the KPI's total change;
        NaN if it did not change), largest first within each dimension; empty without a
        comparison month. Contributions are :func:`explain_change`'s totals (mix + rate for
        ratios).
    """
    columns = ["dimension", "key", "label", "contribution", "share"]
    state, available = _resolved(state, scope)
    other = state.comparison(available)
    if not state.period or not other:
        return pd.DataFrame(columns=columns)
    parts = []
    for dim in mover_dimensions(state, kpi_key):
        frame = explain_change(state, scope, kpi_key, dim, other, state.period, lang, top=n)
        change = frame.attrs["end"] - frame.attrs["start"]
        rows = frame[frame["kind"] == "member"].head(n)  # fold keeps a lone n+1-th member
        parts.append(
            pd.DataFrame(
                {
                    "dimension": dim,
                    "key": rows["key"].to_numpy(),
                    "label": rows["label"].to_numpy(),
                    "contribution": rows["total"].to_numpy(dtype="float64"),
                    "share": rows["total"].to_numpy(dtype="float64") / change if change else np.nan,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


# --- exceptions -------------------------------------------------------------------------------


def exception_level(state: ViewState) -> tuple[str, int | None]:
    """The org level exceptions are looked for at: one below the state's unit, or the state's
    own manager below a manager."""
    child = state.child_level()
    if child:
        return child, None
    return "manager", state.manager


def exception_queries(state: ViewState) -> dict[str, Query]:
    """``targets`` (run through ``cube.api.attainment``; absent under customer filters) and
    ``history`` (tile KPIs by month and unit over :data:`HISTORY_MONTHS` months)."""
    level, _ = exception_level(state)
    out: dict[str, Query] = {}
    tq = attainment_query(state, level)
    if tq is not None:
        out["targets"] = tq
    span = Filter(
        "customers.month",
        "between",
        (month_date(shift_month(state.period, -(HISTORY_MONTHS - 1))), month_date(state.period)),
    )
    out["history"] = Query(
        "customers",
        tuple(dict.fromkeys(k.measure for k in KPIS.values())),
        ("customers.month", f"customers.{level}"),
        (*state.filters("customers"), span),
    )
    return out


def unusual(series: pd.Series, period: str, stock: bool) -> dict[str, float] | None:
    """Whether a unit's monthly KPI ``series`` (index ``"YYYY-MM"``) is unusual in ``period``.

    The month's change is compared with the unit's own earlier changes of the same kind,
    robustly: z = (x - median) / (1.4826 * MAD) (:func:`cube.explain.robust_z`; the median and
    MAD are not dragged by the unit's past outliers), flagged when ``|z| >`` :data:`Z_THRESHOLD`.

    - Flows (contribution, new and lost customers): ``x`` is the change vs the same month last
      year, which takes the season out (Spring Festival, year-end pushes); the unit's earlier
      year-on-year changes hold its trend. Needs 12 + ``explain.MIN_HISTORY`` months.
    - Stocks (balances, customer counts, products per customer): ``x`` is the month-on-month
      change. A year-on-year change of a stock carries every shock of the past twelve months
      (a large deposit a year ago would make this month look like a fall), whereas a
      month-end snapshot's monthly change shows a shock once, in the month it happens. With
      two years of data there is only one earlier same-month change, too few to model the
      season of stocks; their seasonality is much weaker than that of flows.

    Needs ``explain.MIN_HISTORY`` earlier changes, else None (a median and MAD of a handful of
    points swing with every new one, so flags would mostly be noise). Returns ``z``, ``value``,
    ``expected`` (the base month's value plus the usual change), ``change`` and ``base`` (the
    month compared with).
    """
    found = unusual_units(series.astype("float64").to_frame().T, period, stock)
    if found.empty or not math.isfinite(found["z"].iloc[0]):
        return None
    row = found.iloc[0]
    return {
        k: (row[k] if k == "base" else float(row[k])) for k in ("z", "value", "expected", "change", "base")
    }


def unusual_units(wide: pd.DataFrame, period: str, stock: bool) -> pd.DataFrame:
    """:func:`unusual` for many units at once (one numpy pass instead of one loop per unit).

    ``wide``: one row per unit, one column per month ``"YYYY-MM"`` (missing months NaN).
    Returns, per unit (same index), ``z`` (NaN where too little history), ``value``,
    ``expected``, ``change`` and ``base``; empty when the period has no change to look at.
    """
    lag = 1 if stock else 12
    pairs = [(m, shift_month(m, -lag)) for m in wide.columns if shift_month(m, -lag) in wide.columns]
    months = [m for m, _ in pairs]
    if period not in months:
        return pd.DataFrame(columns=["z", "value", "expected", "change", "base"])
    values = wide.to_numpy(dtype="float64")
    col = {m: i for i, m in enumerate(wide.columns)}
    changes = np.column_stack([values[:, col[m]] - values[:, col[b]] for m, b in pairs])
    changes[~np.isfinite(changes)] = np.nan
    history = changes[:, [i for i, m in enumerate(months) if m < period]]
    x = changes[:, months.index(period)]
    enough = np.isfinite(history).sum(axis=1) >= explain.MIN_HISTORY
    with warnings.catch_warnings():  # all-NaN rows: NaN results, masked by ``enough`` below
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(history, axis=1)
        deviation = np.abs(history - med[:, None])
        spread = explain.MAD_SCALE * np.nanmedian(deviation, axis=1)
        spread = np.where(spread == 0, explain.MEANAD_SCALE * np.nanmean(deviation, axis=1), spread)
    ok = enough & np.isfinite(x) & (spread > 0)
    z = np.where(ok, (x - med) / np.where(ok, spread, 1.0), np.nan)
    base = shift_month(period, -lag)
    return pd.DataFrame(
        {
            "z": z,
            "value": values[:, col[period]],
            "expected": values[:, col[base]] + med,
            "change": x,
            "base": base,
        },
        index=wide.index,
    )


EXCEPTION_COLUMNS = [
    "kind",
    "level",
    "key",
    "label",
    "kpi",
    "kpi_label",
    "fmt",
    "value",
    "target",
    "attainment",
    "threshold",
    "gap",
    "expected",
    "z",
    "direction",
    "favourable",
    "severity",
    "page",
    "params",
]


def exceptions(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """Units (one org level below the state's) that need attention in the period.

    - ``kind="target"``: attainment (``cube.api.attainment``) of a target metric below
      :data:`STOCK_THRESHOLD` (95%, AUM, deposits, loans) or :data:`FLOW_THRESHOLD` (90%,
      contribution, new customers), for units with a positive target; ``gap`` = actual -
      target; ``severity`` = (1 - attainment) / (1 - threshold). Skipped under customer filters
      (targets are for whole units).
    - ``kind="unusual"``: a tile KPI whose change (flows: vs the same month last year; stocks:
      vs the month before) lies outside the unit's usual changes, ``|z| >`` :data:`Z_THRESHOLD`
      (see :func:`unusual`); ``expected`` is the value the usual change would have given,
      ``severity`` = ``|z|`` / 3.5.

    Both kinds have severity >= 1 when flagged, so one sort serves. Each row carries the link
    into the view that explains it: ``page`` (``"/branches"``) and ``params`` (the state moved to
    that unit, as URL parameters). Sorted by severity, largest first.
    """
    state, _ = _resolved(state, scope)
    if not state.period:
        return pd.DataFrame(columns=EXCEPTION_COLUMNS)
    level, _own = exception_level(state)
    queries_ = exception_queries(state)
    member = f"customers.{level}"
    rows: list[dict[str, Any]] = []

    def link(key: Any) -> dict[str, Any]:
        return {"page": BRANCH_PAGE, "params": state.at_unit(level, int(key)).to_params()}

    if "targets" in queries_:
        frame = attainment(queries_["targets"], scope, lang).frame
        lab = label_column(member)
        for rec in frame.to_dict("records"):
            for k in KPIS.values():
                if not k.target:
                    continue
                target, att = _py(rec.get(f"targets.{k.target}")), _py(rec.get(f"{k.target}.attainment"))
                threshold = STOCK_THRESHOLD if k.stock else FLOW_THRESHOLD
                if not target or att is None or att >= threshold:
                    continue
                actual = _py(rec.get(f"customers.{k.target}"))
                rows.append(
                    {
                        "kind": "target",
                        "level": level,
                        "key": _py(rec[member]),
                        "label": str(rec.get(lab, rec[member])),
                        "kpi": k.key,
                        "kpi_label": k.label(lang),
                        "fmt": k.fmt,
                        "value": actual,
                        "target": target,
                        "attainment": att,
                        "threshold": threshold,
                        "gap": (actual or 0) - target,
                        "direction": "down",
                        "favourable": False,
                        "severity": (1 - att) / (1 - threshold),
                        **link(rec[member]),
                    }
                )
    hist = execute(queries_["history"], scope, lang).frame
    if len(hist):
        hist = hist.assign(_month=hist["customers.month"].map(_month_str))
        lab = label_column(member)
        labels = hist.groupby(member)[lab].first() if lab in hist else None
        for k in KPIS.values():
            wide = hist.pivot_table(index=member, columns="_month", values=k.measure, aggfunc="first")
            found = unusual_units(wide.reindex(columns=sorted(wide.columns)), state.period, k.stock)
            flagged = found[found["z"].abs() > Z_THRESHOLD]
            for key, f in flagged.iterrows():
                up = f["z"] > 0
                rows.append(
                    {
                        "kind": "unusual",
                        "level": level,
                        "key": _py(key),
                        "label": str(labels[key]) if labels is not None else str(key),
                        "kpi": k.key,
                        "kpi_label": k.label(lang),
                        "fmt": k.fmt,
                        "value": float(f["value"]),
                        "expected": float(f["expected"]),
                        "gap": float(f["value"] - f["expected"]),
                        "z": float(f["z"]),
                        "threshold": Z_THRESHOLD,
                        "direction": "up" if up else "down",
                        "favourable": up == k.higher_is_better,
                        "severity": abs(float(f["z"])) / Z_THRESHOLD,
                        **link(key),
                    }
                )
    out = pd.DataFrame(rows, columns=EXCEPTION_COLUMNS)
    return out.sort_values("severity", ascending=False, kind="stable").reset_index(drop=True)


# --- the whole view ---------------------------------------------------------------------------

ATTAINMENT_QUERIES = frozenset({"attainment", "exceptions.targets"})
"""Names in :func:`queries` that run through ``cube.api.attainment`` (actuals + targets)."""


def queries(state: ViewState, available: list[str] | None = None) -> dict[str, Query]:
    """Every cube query one Overview render runs, named (benchmark, cache warming): months,
    tiles, the tiles' attainment, the movers (and the default waterfall) of
    :data:`DEFAULT_KPI` vs the comparison month, and the exception checks. Run each with
    :func:`run` (``ATTAINMENT_QUERIES`` go through ``cube.api.attainment``)."""
    out: dict[str, Query] = {"months": months_query(), "tiles": tiles_query(state, available)}
    aq = attainment_query(state)
    if aq is not None:
        out["attainment"] = aq
    other = state.comparison(available)
    if other:
        for dim in mover_dimensions(state, DEFAULT_KPI):
            out[f"movers.{dim}"] = explain_query(state, DEFAULT_KPI, dim, other, state.period)
    out.update({f"exceptions.{name}": q for name, q in exception_queries(state).items()})
    return out


def run(name: str, query: Query, scope: Scope, lang: str = "en") -> Result:
    """Run one entry of :func:`queries` the way the view does."""
    runner: Callable[..., Result] = attainment if name in ATTAINMENT_QUERIES else execute
    return runner(query, scope, lang)


# --- the page's clickable pieces and controls ---------------------------------------------------

TILE_CHART = "overview:tile"  # + ":" + KPI key
EXPLAIN_CHART = "overview:explain"
MOVERS_CHART = "overview:movers"  # + ":" + dimension


def explain_controls(state: ViewState, available: list[str] | None = None) -> dict[str, str | None]:
    """The waterfall's KPI, dimension and two periods: the page's own URL controls
    (``x_kpi``, ``x_by``, ``x_a``, ``x_b``) where valid (months among ``available`` when
    given), else sensible defaults (AUM, by the units one level down, comparison month to
    period)."""
    key = state.param("kpi")
    k = EXPLAIN_KPIS.get(key) if key else None
    k = k or EXPLAIN_KPIS[DEFAULT_KPI]
    by = state.param("by")
    if by not in k.dimensions:
        child = state.child_level()
        by = child if child in k.dimensions else k.dimensions[0]

    def month(name: str) -> str | None:
        value = parse_month(state.param(name))
        return value if value and (available is None or value in available) else None

    period_b = month("b") or state.period
    period_a = month("a") or state.comparison(available)
    return {"kpi": k.key, "by": by, "a": period_a, "b": period_b}


def point_query(state: ViewState, kpi_key: str, dimension: str, period: str) -> Query:
    """The KPI by ``dimension`` in one month: what a click on a waterfall bar or a mover row
    stands for (the click menu drills, breaks down and shows rows from it)."""
    k = kpi(kpi_key)
    plan = _explain_plan(state, k, dimension, period, period)
    measures = (k.measure,) if plan.query.cube == k.cube else plan.columns
    filters = tuple(f for f in plan.query.filters if f.member != f"{plan.query.cube}.month")
    return Query(
        plan.query.cube, measures, (plan.member,), (*filters, state.period_filter(plan.query.cube, period))
    )


def explain_point_query(state: ViewState) -> Query | None:
    """:func:`point_query` for the waterfall as the state's controls set it (None without two
    periods)."""
    controls = explain_controls(state)
    if not controls["a"] or not controls["b"]:
        return None
    return point_query(state, controls["kpi"], controls["by"], controls["b"])


def movers_point_query(state: ViewState, dimension: str) -> Query | None:
    """:func:`point_query` for one movers table of the default KPI (None if not offered)."""
    if dimension not in mover_dimensions(state, DEFAULT_KPI) or not state.period:
        return None
    return point_query(state, DEFAULT_KPI, dimension, state.period)


def tile_query(state: ViewState, kpi_key: str) -> Query:
    """One tile's KPI by month over its sparkline months (a click on a sparkline point)."""
    k = KPIS[kpi_key]
    return Query(
        "customers",
        (k.measure,),
        ("customers.month",),
        (*state.filters("customers"), _months_filter("customers", sparkline_months(state))),
    )


def render(state: ViewState, scope: Scope, lang: str = "en") -> dict[str, Any]:
    """Everything one render of the page runs, as the page runs it (the benchmark times it)."""
    available = months(scope)
    out: dict[str, Any] = {"tiles": kpi_tiles(state, scope, lang)}
    controls = explain_controls(state, available)
    if controls["a"] and controls["b"]:
        out["explain"] = explain_change(
            state, scope, controls["kpi"], controls["by"], controls["a"], controls["b"], lang
        )
    out["movers"] = movers(state, scope, DEFAULT_KPI, lang)
    out["exceptions"] = exceptions(state, scope, lang)
    return out
