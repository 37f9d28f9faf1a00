"""The Products view: holdings, holders, penetration, balances and contribution by product
category > product, who holds a product, cross-holding and channel use. Queries declared once.

Builders (``*_query``) are pure: a resolved :class:`ViewState` in, :class:`Query` out. Runners
take ``(state, scope, lang)`` and run them through ``cube.api`` under the caller's scope. The
page, the pandas reference tests (``tests/cube/test_products_view.py``) and the benchmark
import these very definitions.

Definitions (the period is one month, ``state.period``):

- **Level.** The view shows categories; with exactly one category in the filter bar (a
  drill-down from a category) it shows that category's products.
- **Holdings, holders, balances** come from the holdings cube at month end. Holders are
  distinct customers: a category's holders are not the sum of its products' holders.
- **Penetration** of an item = its holders / the customers of the customers cube in the same
  month, scope and customer filters (org, segment, value tier, age band): the share of
  customers holding it. Customers holding nothing count in the denominator.
- **Contribution** of an item = its **margin** (``holdings.margin``: each holding's average
  daily balance × the product's margin rate / 12, exactly what ``customer_month.contribution``
  adds up as margin) + the **fees** of its transactions in the month (``transactions.fee`` by
  product). Summed over all items of the bank this is ``customers.contribution`` of the month
  exactly. Fees are booked at the transaction's branch (the transactions cube's org), margins
  at the holder's branch. Fees (and so contribution) are left empty when a filter applies that
  the transactions cube cannot (age band, segment, value tier): they would not be comparable.
- **Who holds** (profile) an item: for each customer attribute (gender, age band, income band,
  occupation, tenure band, segment, value tier) and value ``v``: holders with ``v`` / all the
  item's holders ("share among holders"), customers with ``v`` / all customers ("share among
  customers", the customers cube, same month, scope and filters), and the **index** =
  share among holders / share among customers × 100 (above 100: over-represented). Holders per
  attribute value come from the holdings cube's holder attributes (stored on
  ``holdings_enriched`` at load time, served by the ``rollup_holdings_<level>_<attribute>``
  rollups; segment and value tier by the rollups built when scores are published).
- **Cross-holding**: the ``product_pairs`` cube (a table built at load time: customers holding
  both A and B, per month and holder's org, so the user's scope applies): the share of A's
  holders who also hold B = pairs(A, B) / pairs(A, A).
- **Channels**: transactions (count, amount) by item × channel type in the month (the
  transactions cube; org = the booking branch).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cube import api
from cube.api import Filter, Query, Scope
from cube.model import get_cube
from cube.views.options import MONTHS_QUERY
from cube.views.state import ViewState, month_date, shift_month

CUBE = "holdings"
PAIRS_CUBE = "product_pairs"
TXN_CUBE = "transactions"
CUSTOMERS_CUBE = "customers"
TREND_MONTHS = 13  # the period and the 12 months before
CROSS_SELL_PAGE = "/cross-sell"
# The holder attributes of the profile, in display order (dimension names of both the holdings
# and the customers cube).
ATTRIBUTES = ("age_band", "gender", "income_band", "occupation", "tenure_band", "segment", "value_tier")
DEFAULT_ATTRIBUTE = "age_band"
ITEM_MEASURES = (
    "holdings.holdings",
    "holdings.holders",
    "holdings.balance",
    "holdings.avg_daily_balance",
    "holdings.margin",
)
TREND_MEASURES = ("holdings.holders", "holdings.balance")
CHANNEL_MEASURES = ("transactions.txn_count", "transactions.amount")
# Chart keys ("<view>:<chart>"): the click menu and the cross-filter name charts by these. The
# items table lists the same members as the bars: one key, one selection.
ITEMS_CHART = "products:items"
TREND_CHART = "products:trend"
PROFILE_CHART = "products:profile"
PAIRS_CHART = "products:pairs"
CHANNELS_CHART = "products:channels"


# --- small helpers ------------------------------------------------------------------------------


def _py(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _ratio(num: Any, den: Any) -> float | None:
    num, den = _py(num), _py(den)
    if num is None or den is None or not den:
        return None
    return float(num) / float(den)


def _months_filter(cube: str, months: list[str]) -> Filter:
    dates = tuple(month_date(m) for m in sorted(set(months)))
    return Filter(f"{cube}.month", "eq" if len(dates) == 1 else "in", dates)


def level(state: ViewState) -> str:
    """``"product"`` when the filter bar holds exactly one category (a drill-down from it),
    else ``"category"``."""
    return "product" if len(state.category) == 1 else "category"


def item_member(state: ViewState, cube: str = CUBE) -> str:
    return f"{cube}.{level(state)}"


def trend_months(state: ViewState) -> list[str]:
    """The period and the 12 months before it, oldest first."""
    return [shift_month(state.period, -k) for k in range(TREND_MONTHS - 1, -1, -1)]


def fees_comparable(state: ViewState) -> bool:
    """Whether the transactions cube can apply every filter the holdings figures apply (else
    fees and contribution are not shown)."""
    holdings = {f.member.split(".")[1] for f in state.filters(CUBE)}
    txn = {f.member.split(".")[1] for f in state.filters(TXN_CUBE)}
    return holdings <= txn


# --- the queries --------------------------------------------------------------------------------


def items_query(state: ViewState, chart: str = ITEMS_CHART) -> Query:
    """Holdings, holders, balances and margin per item (category or product) in the period."""
    return Query(
        CUBE,
        ITEM_MEASURES,
        (item_member(state),),
        (*state.filters(CUBE, exclude_chart=chart), state.period_filter(CUBE)),
    )


def customers_query(state: ViewState, period: str | None = None) -> Query:
    """Customers in the month, scope and customer filters (the penetration denominator)."""
    return Query(
        CUSTOMERS_CUBE,
        ("customers.customers",),
        (),
        (*state.filters(CUSTOMERS_CUBE), state.period_filter(CUSTOMERS_CUBE, period)),
    )


def fees_query(state: ViewState) -> Query:
    """Fees per item in the period (the transactions cube: org = booking branch)."""
    return Query(
        TXN_CUBE,
        ("transactions.fee",),
        (item_member(state, TXN_CUBE),),
        (*state.filters(TXN_CUBE, exclude_chart=ITEMS_CHART), state.period_filter(TXN_CUBE)),
    )


def trend_query(state: ViewState) -> Query:
    """Holders and balances per item and month over the 13 trend months."""
    return Query(
        CUBE,
        TREND_MEASURES,
        (f"{CUBE}.month", item_member(state)),
        (*state.filters(CUBE, exclude_chart=ITEMS_CHART), _months_filter(CUBE, trend_months(state))),
    )


def trend_customers_query(state: ViewState) -> Query:
    """Customers per month over the trend months (penetration's denominators)."""
    return Query(
        CUSTOMERS_CUBE,
        ("customers.customers",),
        ("customers.month",),
        (*state.filters(CUSTOMERS_CUBE), _months_filter(CUSTOMERS_CUBE, trend_months(state))),
    )


def trend_point_query(state: ViewState) -> Query:
    """What a click on a trend line stands for: holders per item in the period."""
    return Query(
        CUBE,
        TREND_MEASURES,
        (item_member(state),),
        (*state.filters(CUBE, exclude_chart=ITEMS_CHART), state.period_filter(CUBE)),
    )


def parse_subject(text: str | None) -> tuple[str, Any] | None:
    """``"p:<id>"`` -> ("product", id), ``"c:<code>"`` -> ("category", code); None otherwise."""
    if not isinstance(text, str) or len(text) < 3 or text[1] != ":":
        return None
    kind, value = text[0], text[2:]
    if kind == "p" and value.isdigit() and len(value) < 10:
        return "product", int(value)
    if kind == "c" and value.replace("_", "").isalnum() and len(value) <= 64:
        return "category", value
    return None


def subject_text(dimension: str, value: Any) -> str:
    return f"{'p' if dimension == 'product' else 'c'}:{value}"


def explicit_subject(state: ViewState) -> tuple[str, Any] | None:
    """The profile's item as the state names it: the page control ``x_profile``, else a single
    value selected on the items chart."""
    found = parse_subject(state.param("profile"))
    if found:
        return found
    sel = state.selected(ITEMS_CHART)
    if sel and len(sel.values) == 1 and sel.dimension in ("category", "product"):
        return sel.dimension, sel.values[0]
    return None


def _subject_filters(state: ViewState, cube: str, subject: tuple[str, Any]) -> tuple[Filter, ...]:
    dim, value = subject
    own = {f"{cube}.{dim}", f"{cube}.category", f"{cube}.product"}
    rest = tuple(f for f in state.filters(cube, exclude_chart=ITEMS_CHART) if f.member not in own)
    return (*rest, Filter(f"{cube}.{dim}", "eq", (value,)))


def profile_query(state: ViewState, subject: tuple[str, Any], attribute: str) -> Query:
    """The subject's holders by one holder attribute in the period."""
    return Query(
        CUBE,
        ("holdings.holders",),
        (f"{CUBE}.{attribute}",),
        (*_subject_filters(state, CUBE, subject), state.period_filter(CUBE)),
    )


def profile_base_query(state: ViewState, attribute: str) -> Query:
    """All customers by one attribute in the period (the share the index compares with)."""
    return Query(
        CUSTOMERS_CUBE,
        ("customers.customers",),
        (f"{CUSTOMERS_CUBE}.{attribute}",),
        (*state.filters(CUSTOMERS_CUBE), state.period_filter(CUSTOMERS_CUBE)),
    )


def profile_point_query(state: ViewState, subject: tuple[str, Any] | None = None) -> Query | None:
    """A click on a profile bar: the subject's holders (default :func:`explicit_subject`) by
    the shown attribute."""
    subject = subject or explicit_subject(state)
    if subject is None:
        return None
    return profile_query(state, subject, profile_attribute(state))


def profile_attribute(state: ViewState) -> str:
    value = state.param("attr")
    return value if value in ATTRIBUTES else DEFAULT_ATTRIBUTE


def pairs_query(state: ViewState) -> Query:
    """Customers holding both of two products (A = B: A's holders) in the period."""
    return Query(
        PAIRS_CUBE,
        ("product_pairs.customers",),
        ("product_pairs.product", "product_pairs.other_product"),
        (*state.filters(PAIRS_CUBE), state.period_filter(PAIRS_CUBE)),
    )


def channels_query(state: ViewState) -> Query:
    """Transactions and amounts per item and channel type in the period."""
    return Query(
        TXN_CUBE,
        CHANNEL_MEASURES,
        (item_member(state, TXN_CUBE), "transactions.channel_type"),
        (*state.filters(TXN_CUBE), state.period_filter(TXN_CUBE)),
    )


def queries(state: ViewState, subject: tuple[str, Any] | None = None) -> dict[str, Query]:
    """Every aggregate query one render of the view runs, named (benchmark, cache warming).
    The profile's queries are included for ``subject`` (default: :func:`explicit_subject`;
    without one, :func:`render` picks the item with the most holders)."""
    out = {
        "months": MONTHS_QUERY,
        "items": items_query(state),
        "customers": customers_query(state),
        "trend": trend_query(state),
        "trend_customers": trend_customers_query(state),
        "pairs": pairs_query(state),
        "channels": channels_query(state),
    }
    if fees_comparable(state):
        out["fees"] = fees_query(state)
    subject = subject or explicit_subject(state)
    if subject is not None:
        for attribute in ATTRIBUTES:
            out[f"profile.{attribute}"] = profile_query(state, subject, attribute)
            out[f"profile_base.{attribute}"] = profile_base_query(state, attribute)
    return out


# --- runners --------------------------------------------------------------------------------------


def customers(state: ViewState, scope: Scope, period: str | None = None) -> int:
    """Customers in the month, scope and customer filters."""
    frame = api.execute(customers_query(state, period), scope).frame
    value = _py(frame["customers.customers"].iloc[0]) if len(frame) else None
    return int(value or 0)


ITEM_COLUMNS = [
    "key",
    "name",
    "holdings",
    "holders",
    "penetration",
    "balance",
    "avg_daily_balance",
    "balance_per_holder",
    "balance_share",
    "margin",
    "fee",
    "contribution",
]


def items(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """One row per item (category, or product within the one category chosen), most holders
    first: ``key, name, holdings, holders, penetration, balance, avg_daily_balance,
    balance_per_holder, balance_share, margin, fee, contribution`` (fee and contribution NaN
    when not comparable, see :func:`fees_comparable`). ``attrs["customers"]`` holds the
    penetration denominator."""
    query = items_query(state)
    member = query.dimensions[0]
    frame = api.execute(query, scope, lang).frame
    out = pd.DataFrame(
        {
            "key": frame[member].to_numpy(dtype=object),
            "name": frame[api.label_column(member)].astype(str).to_numpy(),
        }
    )
    for m in ITEM_MEASURES:
        out[m.split(".")[1]] = frame[m].astype("float64").fillna(0.0).to_numpy()
    total_customers = customers(state, scope)
    out["penetration"] = out["holders"] / total_customers if total_customers else np.nan
    out["balance_per_holder"] = np.where(
        out["holders"] > 0, out["balance"] / out["holders"].where(out["holders"] > 0, 1), np.nan
    )
    total_balance = out["balance"].sum()
    out["balance_share"] = out["balance"] / total_balance if total_balance else np.nan
    if fees_comparable(state):
        fq = fees_query(state)
        fees = api.execute(fq, scope, lang).frame
        by_key = dict(
            zip(fees[fq.dimensions[0]].map(_py), fees["transactions.fee"].astype("float64"), strict=True)
        )
        out["fee"] = [float(by_key.get(_py(k), 0.0)) for k in out["key"]]
        # items with fees but no holdings (services) still contribute
        extra = [k for k in by_key if k not in set(out["key"].map(_py))]
        if extra:
            labels = dict(
                zip(fees[fq.dimensions[0]].map(_py), fees[api.label_column(fq.dimensions[0])], strict=True)
            )
            rows = pd.DataFrame(
                {
                    "key": extra,
                    "name": [str(labels[k]) for k in extra],
                    "fee": [float(by_key[k]) for k in extra],
                }
            )
            out = pd.concat([out, rows], ignore_index=True)
            for c in ("holdings", "holders", "balance", "avg_daily_balance", "margin"):
                out[c] = out[c].fillna(0.0)
            out["penetration"] = out["holders"] / total_customers if total_customers else np.nan
        out["contribution"] = out["margin"] + out["fee"]
    else:
        out["fee"] = np.nan
        out["contribution"] = np.nan
    out["key"] = pd.Series([_py(k) for k in out["key"]], index=out.index, dtype=object)
    out = out.sort_values(["holders", "balance"], ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["customers"] = total_customers
    return out[ITEM_COLUMNS]


def trend(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """Per month (the 13 trend months) and item: ``month`` (a timestamp), ``key``, ``name``,
    ``holders``, ``balance``, ``customers`` and ``penetration``."""
    query = trend_query(state)
    member = query.dimensions[1]
    frame = api.execute(query, scope, lang).frame
    cust = api.execute(trend_customers_query(state), scope).frame
    by_month = {
        pd.Timestamp(m): float(v)
        for m, v in zip(cust["customers.month"], cust["customers.customers"], strict=True)
    }
    out = pd.DataFrame(
        {
            "month": pd.to_datetime(frame[f"{CUBE}.month"]),
            "key": [_py(k) for k in frame[member]],
            "name": frame[api.label_column(member)].astype(str).to_numpy(),
            "holders": frame["holdings.holders"].astype("float64").to_numpy(),
            "balance": frame["holdings.balance"].astype("float64").to_numpy(),
        }
    )
    out["customers"] = [by_month.get(pd.Timestamp(m), np.nan) for m in out["month"]]
    out["penetration"] = out["holders"] / out["customers"]
    return out.sort_values(["month", "key"], kind="stable").reset_index(drop=True)


PROFILE_MAX_PENETRATION = 0.5  # an item nearly everyone holds has no telling profile


def default_subject(state: ViewState, scope: Scope, lang: str = "en") -> tuple[str, Any] | None:
    """:func:`explicit_subject`, else the item of the view's level with the most holders among
    those held by at most half the customers (else the most held item)."""
    found = explicit_subject(state)
    if found:
        return found
    frame = items(state, scope, lang)
    frame = frame[frame["holders"] > 0]
    telling = frame[frame["penetration"] <= PROFILE_MAX_PENETRATION]
    frame = telling if len(telling) else frame
    return (level(state), _py(frame["key"].iloc[0])) if len(frame) else None


PROFILE_COLUMNS = [
    "attribute",
    "value",
    "label",
    "holders",
    "holder_share",
    "customers",
    "customer_share",
    "index",
]


def profile(
    state: ViewState,
    scope: Scope,
    subject: tuple[str, Any],
    lang: str = "en",
    attributes: tuple[str, ...] = ATTRIBUTES,
) -> pd.DataFrame:
    """Who holds ``subject`` (("product", id) or ("category", code)): per attribute and value,
    ``holders``, ``holder_share`` (of the subject's holders), ``customers``,
    ``customer_share`` (of all customers in scope and filters) and ``index`` = holder_share /
    customer_share × 100 (NaN when no customer has the value). Missing values (customers
    without a published score) are one value ``None`` labelled "Not scored"."""
    parts = []
    for attribute in attributes:
        hq, bq = profile_query(state, subject, attribute), profile_base_query(state, attribute)
        h = api.execute(hq, scope, lang).frame
        b = api.execute(bq, scope, lang).frame
        hm, bm = hq.dimensions[0], bq.dimensions[0]
        labels = {_py(k): str(v) for k, v in zip(b[bm], b[api.label_column(bm)], strict=True)}
        labels.update({_py(k): str(v) for k, v in zip(h[hm], h[api.label_column(hm)], strict=True)})
        held = {_py(k): float(v) for k, v in zip(h[hm], h["holdings.holders"], strict=True)}
        base = {_py(k): float(v) for k, v in zip(b[bm], b["customers.customers"], strict=True)}
        keys = list(dict.fromkeys([*base, *held]))
        total_h, total_b = sum(held.values()), sum(base.values())
        rows = []
        for k in keys:
            hs = held.get(k, 0.0) / total_h if total_h else np.nan
            cs = base.get(k, 0.0) / total_b if total_b else np.nan
            rows.append(
                {
                    "attribute": attribute,
                    "value": k,
                    "label": labels.get(k, str(k)),
                    "holders": held.get(k, 0.0),
                    "holder_share": hs,
                    "customers": base.get(k, 0.0),
                    "customer_share": cs,
                    "index": hs / cs * 100 if cs and not math.isnan(cs) else np.nan,
                }
            )
        part = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
        declared = list(get_cube(CUSTOMERS_CUBE).dimension(attribute).values or {})
        rank = {v: i for i, v in enumerate(declared)}  # the model's order (age bands young to old)
        order = [(v is None, rank.get(v, len(rank)), str(v)) for v in part["value"]]
        parts.append(part.iloc[sorted(range(len(part)), key=lambda i: order[i])])
    if not parts:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def subject_label(subject: tuple[str, Any], scope: Scope, lang: str) -> str:
    """Display name of the profile's item (its key when outside the data)."""
    dim, value = subject
    member = f"{CUBE}.{dim}"
    frame = api.execute(
        Query(CUBE, ("holdings.holdings",), (member,), (Filter(member, "eq", (value,)),)), scope, lang
    ).frame
    return str(frame[api.label_column(member)].iloc[0]) if len(frame) else str(value)


def subject_options(scope: Scope, lang: str) -> list[dict]:
    """Every category and product with holdings in scope, for the profile's chooser:
    ``{"label", "value"}`` with values ``"c:<code>"`` / ``"p:<id>"``, products under their
    category."""
    q = Query(CUBE, ("holdings.holdings",), (f"{CUBE}.category", f"{CUBE}.product"))
    frame = api.execute(q, scope, lang).frame
    out: list[dict] = []
    for cat, part in frame.groupby(f"{CUBE}.category", sort=True):
        out.append(
            {
                "label": str(part[api.label_column(f"{CUBE}.category")].iloc[0]),
                "value": subject_text("category", cat),
            }
        )
        for pid, name in zip(part[f"{CUBE}.product"], part[api.label_column(f"{CUBE}.product")], strict=True):
            out.append({"label": f"  · {name}", "value": subject_text("product", _py(pid))})
    return out


def pairs(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """The cross-holding matrix, long form: ``product, product_name, other_product,
    other_name, both`` (customers holding both), ``holders`` (of ``product``) and ``share`` =
    both / holders (the share of the product's holders who also hold the other)."""
    query = pairs_query(state)
    a, b = query.dimensions
    frame = api.execute(query, scope, lang).frame
    out = pd.DataFrame(
        {
            "product": [_py(k) for k in frame[a]],
            "product_name": frame[api.label_column(a)].astype(str).to_numpy(),
            "other_product": [_py(k) for k in frame[b]],
            "other_name": frame[api.label_column(b)].astype(str).to_numpy(),
            "both": frame["product_pairs.customers"].astype("float64").to_numpy(),
        }
    )
    diag = out[out["product"] == out["other_product"]].set_index("product")["both"]
    out["holders"] = out["product"].map(diag).astype("float64")
    out["share"] = out["both"] / out["holders"]
    return out


def channels(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """Per item and channel type in the period: ``key, name, channel_type, channel_name,
    txn_count, amount`` and ``txn_share`` (of the item's transactions)."""
    query = channels_query(state)
    member, ch = query.dimensions
    frame = api.execute(query, scope, lang).frame
    out = pd.DataFrame(
        {
            "key": [_py(k) for k in frame[member]],
            "name": frame[api.label_column(member)].astype(str).to_numpy(),
            "channel_type": frame[ch].astype(str).to_numpy(),
            "channel_name": frame[api.label_column(ch)].astype(str).to_numpy(),
            "txn_count": frame["transactions.txn_count"].astype("float64").to_numpy(),
            "amount": frame["transactions.amount"].astype("float64").to_numpy(),
        }
    )
    total = out.groupby("key", dropna=False)["txn_count"].transform("sum")
    out["txn_share"] = out["txn_count"] / total
    return out


def cross_sell_href(state: ViewState, subject: tuple[str, Any]) -> str:
    """The mining studio's association rules and propensity list for ``subject``: the global
    filters and the item as a link selection (``sel=link:product:<id>``), as the frame's
    "open in" links carry a value to another view."""
    dim, value = subject
    return state.for_other_page().toggle_selection("link", dim, value).href(CROSS_SELL_PAGE)


def render(state: ViewState, scope: Scope, lang: str = "en") -> dict[str, Any]:
    """Every runner the page calls, as the page calls them (the benchmark times this)."""
    out: dict[str, Any] = {"items": items(state, scope, lang), "trend": trend(state, scope, lang)}
    subject = default_subject(state, scope, lang)
    out["subject"] = subject
    if subject is not None:
        out["subject_label"] = subject_label(subject, scope, lang)
        out["profile"] = profile(state, scope, subject, lang)
        out["cross_sell"] = cross_sell_href(state, subject)
    out["subject_options"] = subject_options(scope, lang)
    out["pairs"] = pairs(state, scope, lang)
    out["channels"] = channels(state, scope, lang)
    return out
