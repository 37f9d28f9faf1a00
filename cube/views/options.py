"""The choices the filter bar offers: months, units of the organisation tree and customer
filter values, each only as far as the user's scope holds them."""

from __future__ import annotations

import pandas as pd

from cube import api
from cube.api import Filter, Query, Scope
from cube.views.state import ORG_LEVELS, ViewState

# Filter-bar key -> (cube, count measure) that lists its values.
SOURCES: dict[str, tuple[str, str]] = {
    "segment": ("customers", "customers.customers"),
    "value_tier": ("customers", "customers.customers"),
    "age_band": ("customers", "customers.customers"),
    "category": ("holdings", "holdings.holdings"),
    "channel_type": ("transactions", "transactions.txn_count"),
}
MONTHS_QUERY = Query("customers", measures=("customers.customers",), dimensions=("customers.month",))


def months(scope: Scope) -> list[str]:
    """Months with data in the scope, ``"YYYY-MM"``, oldest first."""
    frame = api.execute(MONTHS_QUERY, scope).frame
    return [pd.Timestamp(m).strftime("%Y-%m") for m in sorted(frame["customers.month"])]


def org_query(level: str, state: ViewState) -> Query:
    """Units at ``level`` under the state's coarser units."""
    i = ORG_LEVELS.index(level)
    parents = tuple(
        Filter(f"customers.{lvl}", "eq", (getattr(state, lvl),))
        for lvl in ORG_LEVELS[:i]
        if getattr(state, lvl) is not None
    )
    return Query("customers", ("customers.customers",), (f"customers.{level}",), parents)


def org_options(level: str, state: ViewState, scope: Scope, lang: str) -> list[dict]:
    """Dropdown options (label, value) for ``level``: only units the scope holds."""
    member = f"customers.{level}"
    frame = api.execute(org_query(level, state), scope, lang).frame
    return [
        {"label": str(label), "value": int(key)}
        for key, label in zip(frame[member], frame[api.label_column(member)], strict=True)
    ]


def value_options(key: str, scope: Scope, lang: str) -> list[dict]:
    """Dropdown options for one customer filter (values with data in the scope; scores that
    are not published yet offer nothing)."""
    cube, measure = SOURCES[key]
    member = f"{cube}.{key}"
    if not api.scored(member):
        return []  # no model run published for this data: nothing to choose (and no scan)
    frame = api.execute(Query(cube, (measure,), (member,)), scope, lang).frame
    frame = frame[frame[member].notna()]
    labels = frame[api.label_column(member)] if api.label_column(member) in frame else frame[member]
    return [
        {"label": str(label), "value": value.item() if hasattr(value, "item") else value}
        for value, label in zip(frame[member], labels, strict=True)
    ]


def home_state(state: ViewState, scope: Scope, levels: int) -> ViewState:
    """Where a scoped user's views open: down the organisation tree while the scope holds a
    single unit, for at most ``levels`` levels (1 region, 2 branch, 3 manager)."""
    for level in ORG_LEVELS[:levels]:
        if getattr(state, level) is not None:
            continue
        options = org_options(level, state, scope, "en")
        if len(options) != 1:
            break
        state = state.with_(**{level: options[0]["value"]})
    return state
