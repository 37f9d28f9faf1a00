"""The Channels view: how customers use counters, machines, phones and apps. Queries declared
once here, runners on top; imported by the page, the pandas reference tests and the benchmark.

Builders (``*_query``) are pure: a resolved :class:`ViewState` in, a ``Query`` out. Runners take
``(state, scope, lang)`` and run them through ``cube.api`` under the caller's scope.

What reads what:

- **Volume, amount, fees, transacting customers** by channel or channel type, the 13 months up
  to the period; the channel mix of the period; the share of each channel in each branch; the
  weekday x hour busyness; the anomaly scan: the ``transactions`` cube (org = the *booking*
  branch). Distinct customers come from the month x channel rollups at bank, region and
  branch grain (``data.rollups``), exact at that grain.
- **Main-channel migration** and **channel preference** by segment, age band and value tier:
  the ``customers`` cube (``customer_month``; org = the customer's home branch). A customer's
  main channel in a month is the channel code with most transactions that month (ties: the
  code first in ``data.contract.CHANNEL_CODES``; none without transactions), built at load
  time with the main channel of the month before and of 12 months before
  (``main_channel_prev``, ``main_channel_ly``), so a migration is one two-dimension query of one
  month: previous month or same month last year. A chosen comparison month other than those
  two is answered with the previous month (the page says so).
- **Anomalies**: every channel x branch x month cell of the scope scored by
  :mod:`cube.anomalies` from one query (counts and amounts by month, branch and channel),
  memoised per data version, scope and filters.
"""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd

from cube import anomalies as anomaly_method
from cube.api import Filter, Query, Scope, execute, label_column, member_label
from cube.connection import data_version
from cube.model import resolve_dimension
from cube.views.options import MONTHS_QUERY
from cube.views.state import ViewState, month_date, shift_month

TXN = "transactions"
CUS = "customers"
TREND_MONTHS = 13
MEASURES: dict[str, str] = {  # page control value -> transactions measure
    "txn_count": "transactions.txn_count",
    "amount": "transactions.amount",
    "customers": "transactions.customers",
    "fee": "transactions.fee",
}
DEFAULT_MEASURE = "txn_count"
LEVELS = ("channel_type", "channel")  # the transactions cube's channel hierarchy, coarse to fine
DEFAULT_LEVEL = "channel"
PREFERENCE_BY = ("age_band", "segment", "value_tier")
DEFAULT_PREFERENCE = "age_band"
NONE_KEY = "none"  # no main channel: no transactions that month, or not a customer yet
ANOMALY_MEASURES = ("transactions.txn_count", "transactions.amount")
SHOWN_ANOMALIES = 20

TREND_CHART = "channels:trend"
MIX_CHART = "channels:mix"
SHARE_CHART = "channels:share"
BUSY_CHART = "channels:busy"
MIGRATION_CHART = "channels:migration"
PREFERENCE_CHART = "channels:preference"
ANOMALY_CHART = "channels:anomalies"


def channel_codes() -> list[str]:
    """Channel codes in the contract's order (the main-channel dimension's values)."""
    return list(resolve_dimension("customers.main_channel", CUS).values or {})


def channel_names(lang: str) -> dict[str, str]:
    """Channel code -> display name, from the cube model."""
    values = resolve_dimension("customers.main_channel", CUS).values or {}
    return {code: (zh if lang.startswith("zh") else en) for code, (en, zh) in values.items()}


# --- page controls ----------------------------------------------------------------------------


def controls(state: ViewState) -> dict[str, Any]:
    """The page's own controls from the URL (``x_measure``, ``x_level``, ``x_channel``,
    ``x_pref``), defaults where missing or invalid."""
    measure = state.param("measure")
    level = state.param("level")
    pref = state.param("pref")
    channel = state.param("channel")
    return {
        "measure": measure if measure in MEASURES else DEFAULT_MEASURE,
        "level": level if level in LEVELS else DEFAULT_LEVEL,
        "pref": pref if pref in PREFERENCE_BY else DEFAULT_PREFERENCE,
        "channel": int(channel) if channel and channel.isdigit() else None,
    }


def trend_months(state: ViewState) -> list[str]:
    """The period and the 12 months before it, oldest first."""
    return [shift_month(state.period, -k) for k in range(TREND_MONTHS - 1, -1, -1)]


def _span(cube: str, first: str, last: str) -> Filter:
    return Filter(f"{cube}.month", "between", (month_date(first), month_date(last)))


# --- the queries ----------------------------------------------------------------------------


def trend_query(state: ViewState) -> Query:
    """Every transactions measure by channel (or channel type: ``x_level``) and month over the
    13 months up to the period. The channel member comes first: a click pins it."""
    c = controls(state)
    months = trend_months(state)
    member = f"{TXN}.{c['level']}"
    return Query(
        TXN,
        tuple(MEASURES.values()),
        (member, f"{TXN}.month"),
        (*state.filters(TXN, exclude_chart=TREND_CHART), _span(TXN, months[0], months[-1])),
    )


def mix_query(state: ViewState) -> Query:
    """Every transactions measure by channel (or type) in the period, with shares."""
    c = controls(state)
    return Query(
        TXN,
        (*MEASURES.values(), "transactions.txn_share", "transactions.amount_share", "transactions.fee_rate"),
        (f"{TXN}.{c['level']}",),
        (*state.filters(TXN, exclude_chart=MIX_CHART), state.period_filter(TXN)),
    )


def share_query(state: ViewState) -> Query:
    """Transactions by booking branch and channel (or type) in the period (the share matrix)."""
    c = controls(state)
    return Query(
        TXN,
        ("transactions.txn_count",),
        (f"{TXN}.branch", f"{TXN}.{c['level']}"),
        (*state.filters(TXN, exclude_chart=SHARE_CHART), state.period_filter(TXN)),
    )


def busy_query(state: ViewState) -> Query:
    """Transactions by weekday and hour in the period, on one channel (``x_channel``) or all."""
    c = controls(state)
    pinned = (Filter(f"{TXN}.channel", "eq", (c["channel"],)),) if c["channel"] else ()
    return Query(
        TXN,
        ("transactions.txn_count",),
        (f"{TXN}.weekday", f"{TXN}.hour"),
        (*state.filters(TXN, exclude_chart=BUSY_CHART), *pinned, state.period_filter(TXN)),
    )


def migration_basis(state: ViewState) -> str:
    """``"last_year"`` when the period is compared with the same month last year, else
    ``"previous_month"`` (also for a chosen month: see the module docstring)."""
    return "last_year" if state.compare == "last_year" else "previous_month"


def migration_query(state: ViewState) -> Query:
    """Customers by main channel in the period and in the month compared with (12 months
    before for "same month last year", else the month before)."""
    before = "main_channel_ly" if migration_basis(state) == "last_year" else "main_channel_prev"
    return Query(
        CUS,
        ("customers.customers",),
        (f"{CUS}.{before}", f"{CUS}.main_channel"),
        (*state.filters(CUS, exclude_chart=MIGRATION_CHART), state.period_filter(CUS)),
    )


def preference_query(state: ViewState, by: str | None = None) -> Query:
    """Transactions per channel code (and in all) by segment, age band or value tier, in the
    period (customer_month's per-channel counts)."""
    by = by or controls(state)["pref"]
    measures = (
        "customers.customers",
        "customers.txn_count",
        *(f"customers.txn_count_{c}" for c in channel_codes()),
    )
    return Query(
        CUS,
        measures,
        (f"{CUS}.{by}",),
        (*state.filters(CUS, exclude_chart=PREFERENCE_CHART), state.period_filter(CUS)),
    )


def anomaly_scan_query(state: ViewState) -> Query:
    """Counts and amounts by day, region, branch and channel over every month (the day x
    channel rollup): the one query the anomaly scan reads. Org filters are left to the
    listing: the season of a channel is taken from all the branches the scope holds."""
    return Query(
        TXN,
        ANOMALY_MEASURES,
        (f"{TXN}.day", f"{TXN}.region", f"{TXN}.branch", f"{TXN}.channel"),
        state.filters(TXN, exclude_chart=ANOMALY_CHART, org=False),
    )


def anomaly_row_id(month: Any, branch: Any, channel: Any) -> str:
    """The anomaly table's row id: ``"YYYY-MM-01|branch|channel"`` (month first: the click
    menu reads the month from its first ten characters)."""
    return f"{pd.Timestamp(month).strftime('%Y-%m-%d')}|{int(branch)}|{int(channel)}"


def anomaly_cell_query(state: ViewState, row_id: Any) -> Query | None:
    """What one anomaly row stands for: the cell's branch and channel by month (the click
    menu pins the month), so "rows behind" lists the cell's transactions. None for a
    malformed id."""
    try:
        month, branch, channel = str(row_id).split("|")
        month_date(month[:7])
        branch_id, channel_id = int(branch), int(channel)
    except (TypeError, ValueError):
        return None
    return Query(
        TXN,
        ANOMALY_MEASURES,
        (f"{TXN}.month",),
        (
            *state.filters(TXN, exclude_chart=ANOMALY_CHART, org=False),
            Filter(f"{TXN}.branch", "eq", (branch_id,)),
            Filter(f"{TXN}.channel", "eq", (channel_id,)),
        ),
    )


def queries(state: ViewState) -> dict[str, Query]:
    """Every aggregate query one render of the view runs, named (benchmark, cache warming)."""
    return {
        "months": MONTHS_QUERY,
        "trend": trend_query(state),
        "mix": mix_query(state),
        "share": share_query(state),
        "busy": busy_query(state),
        "migration": migration_query(state),
        "preference": preference_query(state),
        "anomalies": anomaly_scan_query(state),
    }


# --- runners --------------------------------------------------------------------------------


def _key(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def trend(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """``key, label, month`` (timestamp) and one column per measure key of :data:`MEASURES`,
    for every channel (or type) and month of the 13 months with data."""
    query = trend_query(state)
    member = query.dimensions[0]
    frame = execute(query, scope, lang).frame
    out = pd.DataFrame(
        {
            "key": [_key(v) for v in frame[member]],
            "label": frame[label_column(member)].astype(str).to_numpy(),
            "month": pd.to_datetime(frame[f"{TXN}.month"]).to_numpy(),
        }
    )
    for key, measure in MEASURES.items():
        out[key] = frame[measure].astype(float).to_numpy()
    return out


def mix(state: ViewState, scope: Scope, lang: str = "en"):
    """The period's figures by channel (or type), largest volume first, as a cube result (the
    page shows it as a table with the cube's headers and formats)."""
    result = execute(mix_query(state), scope, lang)
    result.frame = result.frame.sort_values("transactions.txn_count", ascending=False, kind="stable")
    return result.frame.reset_index(drop=True), result


def share(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """``branch, branch_label, key, label, txn_count, share`` (the channel's share of the
    branch's transactions in the period)."""
    query = share_query(state)
    member = query.dimensions[1]
    frame = execute(query, scope, lang).frame
    out = pd.DataFrame(
        {
            "branch": [_key(v) for v in frame[f"{TXN}.branch"]],
            "branch_label": frame[label_column(f"{TXN}.branch")].astype(str).to_numpy(),
            "key": [_key(v) for v in frame[member]],
            "label": frame[label_column(member)].astype(str).to_numpy(),
            "txn_count": frame["transactions.txn_count"].astype(float).to_numpy(),
        }
    )
    total = out.groupby("branch")["txn_count"].transform("sum")
    out["share"] = out["txn_count"] / total.where(total > 0)
    return out


def busy(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """``hour, weekday, weekday_label, txn_count`` in the period (one channel or all)."""
    frame = execute(busy_query(state), scope, lang).frame
    frame = frame[frame[f"{TXN}.hour"].notna()]  # transactions whose extract gave no time of day
    return pd.DataFrame(
        {
            "hour": frame[f"{TXN}.hour"].astype(int).to_numpy(),
            "weekday": frame[f"{TXN}.weekday"].astype(int).to_numpy(),
            "weekday_label": frame[label_column(f"{TXN}.weekday")].astype(str).to_numpy(),
            "txn_count": frame["transactions.txn_count"].astype(float).to_numpy(),
        }
    )


def migration(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """``before, after, customers``: customers of the period by main channel in the compared
    month (``before``) and in the period (``after``); codes, :data:`NONE_KEY` for none. Every
    customer of the period is counted once (customers who joined since count as "none"
    before)."""
    query = migration_query(state)
    frame = execute(query, scope, lang).frame
    before, after = query.dimensions
    out = pd.DataFrame(
        {
            "before": [NONE_KEY if pd.isna(v) else str(v) for v in frame[before]],
            "after": [NONE_KEY if pd.isna(v) else str(v) for v in frame[after]],
            "customers": frame["customers.customers"].astype(float).to_numpy(),
        }
    )
    return out.groupby(["before", "after"], as_index=False)["customers"].sum()


def migration_summary(frame: pd.DataFrame) -> dict[str, float]:
    """Customers who kept their main channel, moved to another, started (none before) and
    stopped (none now), from :func:`migration`'s frame."""
    same = frame["before"] == frame["after"]
    none_b, none_a = frame["before"] == NONE_KEY, frame["after"] == NONE_KEY
    return {
        "kept": float(frame.loc[same & ~none_a, "customers"].sum()),
        "moved": float(frame.loc[~same & ~none_b & ~none_a, "customers"].sum()),
        "started": float(frame.loc[none_b & ~none_a, "customers"].sum()),
        "stopped": float(frame.loc[~none_b & none_a, "customers"].sum()),
        "total": float(frame["customers"].sum()),
    }


def preference(state: ViewState, scope: Scope, lang: str = "en", by: str | None = None) -> pd.DataFrame:
    """``key, label, channel, channel_label, txn_count, share, customers``: each group's
    transactions per channel and the channel's share of the group's transactions."""
    query = preference_query(state, by)
    member = query.dimensions[0]
    frame = execute(query, scope, lang).frame
    names = channel_names(lang)
    rows = []
    for rec in frame.to_dict("records"):
        total = float(rec["customers.txn_count"] or 0)
        for code in channel_codes():
            count = float(rec[f"customers.txn_count_{code}"] or 0)
            rows.append(
                {
                    "key": _key(rec[member]),
                    "label": str(rec.get(label_column(member), rec[member])),
                    "channel": code,
                    "channel_label": names[code],
                    "txn_count": count,
                    "share": count / total if total else float("nan"),
                    "customers": float(rec["customers.customers"] or 0),
                }
            )
    columns = ["key", "label", "channel", "channel_label", "txn_count", "share", "customers"]
    return pd.DataFrame(rows, columns=columns)


# --- anomalies --------------------------------------------------------------------------------

_memo: dict[tuple, pd.DataFrame] = {}
_memo_lock = threading.Lock()
MEMO_SIZE = 64


def anomaly_scores(state: ViewState, scope: Scope, lang: str = "en") -> pd.DataFrame:
    """Every channel x branch x month cell of the scope, scored by
    :func:`cube.anomalies.score_cells` (counts and amounts), most severe first.

    Columns: ``month`` (``"YYYY-MM"``), ``region``, ``branch``, ``branch_label``, ``channel``,
    ``channel_label``, ``txn_count``, ``amount``, ``expected_*``, ``z_*``, ``window_*`` (the
    most unusual run of days), ``severity``, ``driver``, ``direction``. Memoised per data
    version, query, scope and language: the scan runs once per data version (the query itself
    is in the cube's result cache too).
    """
    query = anomaly_scan_query(state)
    version = data_version()
    key = (version, query, scope, lang)
    if version is not None:
        with _memo_lock:
            if key in _memo:
                return _memo[key]
    frame = execute(query, scope, lang).frame
    daily = pd.DataFrame(
        {
            "day": pd.to_datetime(frame[f"{TXN}.day"]).to_numpy(),
            "unit": frame[f"{TXN}.branch"].astype("int64").to_numpy(),
            "channel": frame[f"{TXN}.channel"].astype("int64").to_numpy(),
            "txn_count": frame["transactions.txn_count"].astype(float).to_numpy(),
            "amount": frame["transactions.amount"].astype(float).to_numpy(),
        }
    )
    if daily.empty:
        scored = pd.DataFrame(columns=["month", "unit", "channel", "severity"])
    else:
        scored = anomaly_method.score_daily(daily)
    names = frame.drop_duplicates(f"{TXN}.branch").set_index(f"{TXN}.branch")
    channels = frame.drop_duplicates(f"{TXN}.channel").set_index(f"{TXN}.channel")
    scored = scored.rename(columns={"unit": "branch"})
    if len(scored):
        scored["region"] = scored["branch"].map(names[f"{TXN}.region"]).map(_key)
        scored["branch_label"] = scored["branch"].map(names[label_column(f"{TXN}.branch")]).astype(str)
        scored["channel_label"] = scored["channel"].map(channels[label_column(f"{TXN}.channel")]).astype(str)
    if version is not None:
        with _memo_lock:
            if len(_memo) >= MEMO_SIZE:
                _memo.pop(next(iter(_memo)))
            _memo[key] = scored
    return scored


def anomalies(state: ViewState, scope: Scope, lang: str = "en", limit: int = SHOWN_ANOMALIES) -> pd.DataFrame:
    """The unusual cells (``severity`` above :data:`cube.anomalies.Z_THRESHOLD`) of the state's
    org unit within the 13 months up to the period, most severe first, at most ``limit``; each
    with its ``row_id`` (:func:`anomaly_row_id`)."""
    scored = anomaly_scores(state, scope, lang)
    if scored.empty:
        return scored.assign(row_id=pd.Series(dtype=str))
    months = trend_months(state)
    rows = scored[(scored["month"] >= months[0]) & (scored["month"] <= months[-1])]
    if state.region is not None:
        rows = rows[rows["region"] == state.region]
    if state.branch is not None:
        rows = rows[rows["branch"] == state.branch]
    rows = rows[rows["severity"] > anomaly_method.Z_THRESHOLD].head(limit)
    rows = rows.assign(
        row_id=[
            anomaly_row_id(f"{m}-01", b, c)
            for m, b, c in zip(rows["month"], rows["branch"], rows["channel"], strict=True)
        ]
    )
    return rows.reset_index(drop=True)


def render(state: ViewState, scope: Scope, lang: str = "en") -> dict[str, Any]:
    """Everything one render of the page runs, as the page runs it (the benchmark times it)."""
    return {
        "trend": trend(state, scope, lang),
        "mix": mix(state, scope, lang)[0],
        "share": share(state, scope, lang),
        "busy": busy(state, scope, lang),
        "migration": migration(state, scope, lang),
        "preference": preference(state, scope, lang),
        "anomalies": anomalies(state, scope, lang),
    }


def measure_label(key: str, lang: str) -> str:
    """Display label of a measure key of :data:`MEASURES` (from the cube model)."""
    return member_label(MEASURES[key], lang)
