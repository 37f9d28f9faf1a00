"""An independent pandas evaluation of cube queries over raw source frames.

It shares only the model's declarations (which column a member means, which aggregation a
measure is) with the cube; joins, filters, stock semantics and ratios are redone in pandas.
``customer_month`` is derived data, so the customers cube reads the warehouse's table as-is.
"""

from __future__ import annotations

import pandas as pd

from cube.api import Query
from cube.model import get_cube, resolve_dimension


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.date


def flat(
    cube_name: str,
    src: dict[str, pd.DataFrame],
    customer_month: pd.DataFrame,
    scores: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The cube's base rows, joined in pandas from raw frames (and published ``scores`` by kind,
    for the customer dimensions read from model outputs)."""
    p, ch, br = src["products"], src["channels"], src["branches"]
    if cube_name == "transactions":
        t = src["transactions"].copy()
        t = t.merge(p[["product_id", "category"]], on="product_id").merge(
            ch[["channel_id", "channel_type"]], on="channel_id"
        )
        t = t.merge(br[["branch_id", "region_id"]], on="branch_id")
        at = pd.to_datetime(t["txn_at"])
        t["txn_date"] = at.dt.date
        t["month_date"] = at.dt.to_period("M").dt.start_time.dt.date
        t["year"], t["quarter"], t["weekday"], t["hour"] = (
            at.dt.year,
            at.dt.quarter,
            at.dt.day_of_week + 1,
            at.dt.hour,
        )
        return t
    if cube_name == "customers":
        t = customer_month.copy()
        t["month_date"] = _dates(t["month_date"])
        cube = get_cube("customers")
        for kind in {d.attribute for d in cube.dimensions if d.attribute}:
            columns = [d.column for d in cube.dimensions if d.attribute == kind]
            if scores and kind in scores:
                t = t.merge(scores[kind][["customer_id", *columns]], on="customer_id", how="left")
            else:
                t[columns] = None
        return t
    if cube_name == "holdings":
        h = src["holdings"].copy()
        h["month_date"] = _dates(h["month_date"])
        cm = customer_month[["month_date", "customer_id", "region_id", "branch_id", "manager_id"]].copy()
        cm["month_date"] = _dates(cm["month_date"])
        return h.merge(p[["product_id", "category", "balance_type"]], on="product_id").merge(
            cm, on=["month_date", "customer_id"]
        )
    if cube_name == "campaigns":
        c = src["campaign_contacts"].merge(
            src["campaigns"][["campaign_id", "product_id", "start_date"]], on="campaign_id"
        )
        cu = src["customers"][["customer_id", "home_branch_id", "manager_id"]].rename(
            columns={"home_branch_id": "branch_id"}
        )
        c = c.merge(cu, on="customer_id").merge(br[["branch_id", "region_id"]], on="branch_id")
        c["start_month"] = pd.to_datetime(c["start_date"]).dt.to_period("M").dt.start_time.dt.date
        return c
    if cube_name == "targets":
        t = src["branch_targets"].merge(br[["branch_id", "region_id"]], on="branch_id")
        t["month_date"] = _dates(t["month_date"])
        return t
    raise KeyError(cube_name)


def _dim(t: pd.DataFrame, d) -> pd.Series:
    col = t[d.column]
    if d.derive == "year":
        return pd.to_datetime(col).dt.year
    if d.derive == "quarter":
        return pd.to_datetime(col).dt.quarter
    return col


def evaluate(query: Query, rows: pd.DataFrame) -> pd.DataFrame:
    """Evaluate ``query`` (eq/in/between filters) on the flat rows; columns named by member."""
    cube = get_cube(query.cube)
    t = rows.copy(deep=False)  # copy-on-write: new columns never reach the caller's frame
    for f in query.filters:
        d = resolve_dimension(f.member, cube.name)
        s = _dim(t, d)
        vals = list(f.values)
        if d.fmt in ("month", "date"):
            vals = [pd.Timestamp(v).date() for v in vals]
        if f.op == "eq":
            t = t[s == vals[0]]
        elif f.op == "in":
            t = t[s.isin(vals)]
        elif f.op == "not_in":
            t = t[~s.isin(vals)]
        elif f.op == "between":
            t = t[(s >= vals[0]) & (s <= vals[1])]
        else:
            raise NotImplementedError(f.op)
    dims = [resolve_dimension(m, cube.name) for m in query.dimensions]
    for m, d in zip(query.dimensions, dims, strict=True):
        t[m] = _dim(t, d)
    time_keys = [m for m, d in zip(query.dimensions, dims, strict=True) if d.is_time]
    by_month = any(d.column == cube.month_column and d.derive is None for d in dims)
    if cube.month_column:
        if by_month:
            t["_last"] = True
        elif time_keys:
            t["_last"] = t[cube.month_column] == t.groupby(time_keys)[cube.month_column].transform("max")
        else:
            t["_last"] = t[cube.month_column] == t[cube.month_column].max()

    def part_value(g: pd.DataFrame, p) -> float:
        if p.stock:
            g = g[g["_last"]]
        if p.where:
            g = g[g[p.where[0]] == p.where[1]]
        if p.agg == "count":
            return len(g)
        if p.agg == "count_distinct":
            return g[p.column].nunique()
        return g[p.column].astype("float64").sum() if len(g) else float("nan")

    def measure(g: pd.DataFrame, name: str, totals: dict) -> float:
        m = cube.measure(name)
        if m.part is not None:
            return part_value(g, m.part)
        if m.share_of:
            tot = totals[m.share_of]
            return measure(g, m.share_of, totals) / tot if tot else float("nan")
        den = measure(g, m.denominator, totals)
        return measure(g, m.numerator, totals) / den if den else float("nan")

    groups = list(t.groupby(list(query.dimensions), dropna=False)) if dims else [((), t)]
    out = []
    names = [m.split(".")[1] for m in query.measures]
    shares = {cube.measure(n).share_of for n in names if cube.measure(n).share_of}
    totals = {s: sum(measure(g, s, {}) for _, g in groups) for s in shares}
    for key, g in groups:
        row = dict(zip(query.dimensions, key if isinstance(key, tuple) else (key,), strict=True))
        for q, n in zip(query.measures, names, strict=True):
            row[q] = measure(g, n, totals)
        out.append(row)
    return pd.DataFrame(out, columns=[*query.dimensions, *query.measures])
