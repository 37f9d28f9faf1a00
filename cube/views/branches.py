"""The Branches view: region > branch > relationship manager performance, one level at a time.

Declared once here and imported by the page, the reference tests and the benchmark. Every
builder takes a resolved :class:`ViewState` (a period set); every runner takes the caller's
scope, so a state naming another unit returns empty frames, never its figures.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cube import api
from cube.api import Query, Scope
from cube.views import channels as channels_view
from cube.views import customers as customers_view
from cube.views import options
from cube.views import products as products_view
from cube.views.options import MONTHS_QUERY, months
from cube.views.state import ORG_LEVELS, ViewState

CUBE = "customers"
MONTH = "customers.month"
ORG = {level: f"customers.{level}" for level in ORG_LEVELS}
KPIS: dict[str, str] = {  # KPI key on the page -> cube measure
    "customers": "customers.customers",
    "aum": "customers.aum",
    "deposits": "customers.deposits",
    "loans": "customers.loans",
    "contribution": "customers.contribution",
    "new_customers": "customers.new_customers",
    "lost_customers": "customers.lost_customers",
}
LOWER_IS_BETTER = frozenset({"lost_customers"})
TARGET_METRICS = ("aum", "deposits", "loans", "contribution", "new_customers")
TREND_MEASURES = ("customers.aum", "customers.deposits", "customers.loans")
# The composite score: each part scaled 0-100 against the best unit of the same level, then
# weighted. The page shows the weights (catalog key ``branches.score_explained``).
SCORE_WEIGHTS: dict[str, float] = {
    "aum": 0.30,
    "deposits": 0.20,
    "contribution": 0.20,
    "new_customers": 0.15,
    "attainment": 0.15,
}
SHOWN_CUSTOMERS = 500
# Chart keys ("<view>:<chart>"): the click menu and cross-filter name charts by these.
UNITS_CHART = "branches:units"
# The ranking table lists the same units as the bars: one key, so a value selected in either
# is one cross-filter, highlighted in both.
RANKING_CHART = UNITS_CHART
EXPORT_LIMIT = 100_000


# --- the queries ----------------------------------------------------------------------------


def kpi_query(state: ViewState, period: str | None = None) -> Query:
    """The unit's KPIs in ``period`` (the state's period by default)."""
    return Query(CUBE, tuple(KPIS.values()), (), (*state.filters(CUBE), state.period_filter(CUBE, period)))


def units_query(state: ViewState, chart: str = UNITS_CHART) -> Query | None:
    """Every KPI for each unit one level below the state's unit (None below a manager)."""
    level = state.child_level()
    if level is None:
        return None
    return Query(
        CUBE,
        tuple(KPIS.values()),
        (ORG[level],),
        (*state.filters(CUBE, exclude_chart=chart), state.period_filter(CUBE)),
    )


def attainment_query(state: ViewState, by_child: bool) -> Query:
    """Actuals beside targets (``cube.api.attainment``), for the unit or for each child."""
    dims = (ORG[state.child_level()],) if by_child and state.child_level() else ()
    own = UNITS_CHART if by_child else None  # the units chart's own selection only highlights
    org_only = tuple(f for f in state.filters(CUBE, exclude_chart=own) if f.member in ORG.values())
    return Query(
        CUBE, tuple(f"customers.{m}" for m in TARGET_METRICS), dims, (*org_only, state.period_filter(CUBE))
    )


def trend_query(state: ViewState) -> Query:
    """Month by month AUM, deposits and loans of the unit."""
    return Query(CUBE, TREND_MEASURES, (MONTH,), state.filters(CUBE))


def rows_filters(state: ViewState) -> tuple:
    """Filters of the customers behind the view's figures (for the cube's drill-through)."""
    return (*state.filters(CUBE), state.period_filter(CUBE))


ATTAINMENT_QUERIES = frozenset({"targets", "units.attainment"})
"""Names in :func:`queries` that run through ``cube.api.attainment`` (actuals + targets)."""


def queries(state: ViewState) -> dict[str, Query]:
    """Every aggregate query one render of the view runs (benchmark, cache warming); run each
    with :func:`run`."""
    out = {
        "months": MONTHS_QUERY,
        "kpis": kpi_query(state),
        "trend": trend_query(state),
        "targets": attainment_query(state, by_child=False),
    }
    comparison = state.comparison()
    if comparison:
        out["kpis_comparison"] = kpi_query(state, comparison)
    if state.child_level():
        out["units"] = units_query(state)
        out["units.attainment"] = attainment_query(state, by_child=True)
    return out


def run(name: str, query: Query, scope: Scope, lang: str = "en") -> api.Result:
    """Run one entry of :func:`queries` the way the view does."""
    runner = api.attainment if name in ATTAINMENT_QUERIES else api.execute
    return runner(query, scope, lang)


# --- runners --------------------------------------------------------------------------------


def kpi_meta(lang: str) -> dict[str, tuple[str, str]]:
    """KPI key -> (label, format), as the cube model declares the measure."""
    members = api.members(CUBE, lang).set_index("member")
    return {k: (members.at[m, "label"], members.at[m, "format"]) for k, m in KPIS.items()}


def kpis(state: ViewState, scope: Scope, period: str | None = None) -> dict[str, float]:
    """KPI key -> value of the unit in ``period`` (zeros when the scope leaves nothing)."""
    frame = api.execute(kpi_query(state, period), scope).frame
    row = frame.iloc[0] if len(frame) else pd.Series(dtype=float)
    # an empty scope or month sums to NULL (NaN here): shown as 0, not "nan"
    return {k: float(row[m]) if m in row and pd.notna(row[m]) else 0.0 for k, m in KPIS.items()}


def composite_score(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``score`` (0-100, unrounded) and ``rank`` (1 = best, ties share a rank).

    Negative values count as 0 and a part whose best value is 0 adds nothing, so one empty unit
    cannot divide by zero or push the others' scores around. Ranks come from the unrounded
    score: two units shown as 71.3 may still rank 1 and 2.
    """
    out = frame.copy()
    score = pd.Series(0.0, index=out.index)
    for column, weight in SCORE_WEIGHTS.items():
        values = out[column].fillna(0).clip(lower=0).astype(float)
        best = values.max() if len(values) else 0.0
        if best > 0:
            score += weight * 100 * values / best
    out["score"] = score
    out["rank"] = out["score"].rank(ascending=False, method="min").astype(int)
    return out.sort_values(["rank", "score"], ascending=[True, False], kind="stable")


def units(state: ViewState, scope: Scope, lang: str) -> pd.DataFrame:
    """One row per child unit: key, name, every KPI, mean attainment, score and rank."""
    query = units_query(state)
    if query is None:
        return pd.DataFrame()
    member = query.dimensions[0]
    frame = api.execute(query, scope, lang).frame
    out = pd.DataFrame({"key": frame[member], "name": frame[api.label_column(member)]})
    for key, measure in KPIS.items():
        out[key] = frame[measure].astype(float)
    if out.empty:
        return out
    att = api.attainment(attainment_query(state, by_child=True), scope).frame
    cols = [f"{m}.attainment" for m in TARGET_METRICS if f"{m}.attainment" in att]
    mean = pd.DataFrame({"key": att[member], "attainment": att[cols].mean(axis=1, skipna=True)})
    out = out.merge(mean, on="key", how="left")
    return composite_score(out.fillna({"attainment": 0.0})).reset_index(drop=True)


def targets(state: ViewState, scope: Scope) -> pd.DataFrame:
    """Target versus actual per metric for the unit (metric, target, actual, attainment)."""
    frame = api.attainment(attainment_query(state, by_child=False), scope).frame
    columns = ["metric", "target", "actual", "attainment"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    row = frame.iloc[0]
    rows = []
    for m in TARGET_METRICS:
        target = row.get(f"targets.{m}")
        if target is not None and pd.notna(target) and target:
            actual = float(row[f"customers.{m}"])
            rows.append(
                {"metric": m, "target": float(target), "actual": actual, "attainment": actual / target}
            )
    return pd.DataFrame(rows, columns=columns)


def trend(state: ViewState, scope: Scope) -> pd.DataFrame:
    """Month by month AUM, deposits and loans of the unit (month as a timestamp)."""
    frame = api.execute(trend_query(state), scope).frame
    return pd.DataFrame(
        {"month": pd.to_datetime(frame[MONTH]), **{m: frame[m].astype(float) for m in TREND_MEASURES}}
    )


# Columns of the customer list, in the order shown: who, where, then the figures.
CUSTOMER_COLUMNS = (
    "customer_id",
    "customer_name",
    "customer_phone",
    "customer_id_card_no",
    "branch_id",
    "manager_id",
    "age_band",
    "aum",
    "deposit_balance",
    "loan_balance",
    "contribution",
    "txn_count",
)


def customers(state: ViewState, scope: Scope, lang: str, limit: int) -> api.Result:
    """The first ``limit`` customers behind the view's figures (identities masked by the
    cube's scope), as a result whose ``total_rows`` is the true number of them and whose
    ``columns`` carry each column's header and format."""
    frames, page, total, columns = [], 0, 0, {}
    while sum(len(f) for f in frames) < limit:
        size = min(api.MAX_PAGE_SIZE, limit)
        result = api.drill_through(CUBE, rows_filters(state), scope, page=page, page_size=size, lang=lang)
        frames.append(result.frame)
        total, columns = result.total_rows or 0, result.columns
        page += 1
        if len(result.frame) < size:
            break
    frame = pd.concat(frames, ignore_index=True).head(limit) if frames else pd.DataFrame()
    keep = [c for c in CUSTOMER_COLUMNS if c in frame.columns]
    return api.Result(None, frame[keep], {c: columns[c] for c in keep}, total_rows=total)


def unit_name(level: str, key: int, scope: Scope, lang: str) -> str | None:
    """Display name of one unit, or None when it is outside the scope."""
    member = ORG[level]
    query = Query(CUBE, ("customers.customers",), (member,), (api.Filter(member, "eq", (key,)),))
    frame = api.execute(query, scope, lang).frame
    return str(frame[api.label_column(member)].iloc[0]) if len(frame) else None


def render(state: ViewState, scope: Scope, lang: str = "en") -> dict:
    """Everything one render of the page runs, as the page runs it (the benchmark times it)."""
    out: dict = {"crumbs": []}
    for level in ORG_LEVELS:  # the breadcrumb
        key = getattr(state, level)
        if key is None:
            break
        out["crumbs"].append(unit_name(level, key, scope, lang))
    out["kpis"] = kpis(state, scope)
    comparison = state.comparison(months(scope))
    if comparison:
        out["kpis_comparison"] = kpis(state, scope, comparison)
    if state.child_level():
        out["units"] = units(state, scope, lang)
    out["targets"] = targets(state, scope)
    out["trend"] = trend(state, scope)
    out["customers"] = customers(state, scope, lang, SHOWN_CUSTOMERS)
    return out


# --- the unit's mix, from the other views' own queries ----------------------------------------

MIX_CHARTS = {  # chart key -> the view whose declared query it shows
    "customers": "branches:mix-customers",
    "products": "branches:mix-products",
    "channels": "branches:mix-channels",
}


def _mix_state(state: ViewState) -> ViewState:
    """The unit on screen with the other views' default controls (no page selections)."""
    return state.for_other_page()


def mix_queries(state: ViewState) -> dict[str, Query]:
    """The unit's customer mix (customers and AUM by age band: the Customers pivot's row
    totals), product mix (holdings by category: the Products view's items) and channel mix
    (transactions by channel type: the Channels view's mix), each the other view's own query
    with the unit as a filter."""
    mixed = _mix_state(state)
    by_age = (
        mixed.with_param("rows", "age_band").with_param("cols", "gender").with_param("measure", "customers")
    )
    return {
        "customers": customers_view.pivot_queries(by_age)["rows"],
        "products": products_view.items_query(mixed),
        "channels": channels_view.mix_query(mixed.with_param("level", "channel_type")),
    }


def mix_query(view: str) -> Callable[[ViewState], Query]:
    """The builder of one mix chart (what its click menu acts on)."""
    return lambda state: mix_queries(state)[view]


def mix(state: ViewState, scope: Scope, lang: str) -> dict[str, api.Result]:
    """The three mix results of the unit, under the caller's scope."""
    return {view: api.execute(query, scope, lang) for view, query in mix_queries(state).items()}


# --- a branch manager's place among the region's branches ---------------------------------------


def peer_rank(state: ViewState, own_scope: Scope, lang: str) -> dict | None:
    """The branch's composite-score rank among the branches of its region, and the region's
    median figures, for a user whose own scope is that one branch.

    The peers are read under the region's scope, wider than the user's: only the rank, the
    number of branches and medians leave this function, never another branch's figures. The
    branch and region come from what ``own_scope`` holds (never from the URL), so a forged
    state cannot point this at another region. None when the scope holds not exactly one
    branch (analysts see every branch's figures in the ranking table instead).
    """
    home = options.home_state(ViewState(period=state.period), own_scope, 2)
    if home.branch is None or home.region is None:
        return None
    peers = units(
        home.at_unit("region", home.region), Scope.of("region", home.region, identities=False), lang
    )
    own = peers[peers["key"] == home.branch]
    if own.empty:
        return None
    figures = [*KPIS, "attainment", "score"]
    return {
        "branch": home.branch,
        "region": home.region,
        "rank": int(own["rank"].iloc[0]),
        "of": len(peers),
        "own": {k: float(own[k].iloc[0]) for k in figures},
        "median": {k: float(peers[k].median()) for k in figures},
    }
