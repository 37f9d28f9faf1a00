"""Operations built from plain queries: period comparison, top-N with others, pivot, attainment."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import pandas as pd

from cube import engine
from cube.model import get_cube, resolve_dimension, resolve_measure
from cube.query import ColumnInfo, CubeError, Filter, Query, Result, Scope, label_column

TARGET_METRICS = ("aum", "deposits", "loans", "contribution", "new_customers")


def _shift_month(d: dt.date, months: int) -> dt.date:
    idx = d.year * 12 + d.month - 1 + months
    return dt.date(idx // 12, idx % 12 + 1, 1)


def _month_member(query: Query) -> str:
    cube = get_cube(query.cube)
    for d in cube.dimensions:
        if d.is_time and d.fmt == "month" and d.derive is None:
            return f"{cube.name}.{d.name}"
    raise CubeError(f"cube {query.cube!r} has no month dimension to compare periods on")


def compare_periods(query: Query, scope: Scope, kind: str, lang: str, use_cache: bool) -> Result:
    """See :func:`cube.api.compare_periods`."""
    t0 = time.perf_counter()
    month = _month_member(query)
    flt = [f for f in query.filters if f.member == month and f.op in ("eq", "between")]
    if len(flt) != 1:
        raise CubeError(f"compare_periods needs one 'eq' or 'between' filter on {month!r}")
    f = flt[0]
    start = pd.Timestamp(f.values[0]).date().replace(day=1)
    end = pd.Timestamp(f.values[-1]).date().replace(day=1)
    if kind == "previous_period":
        n = (end.year - start.year) * 12 + end.month - start.month + 1
    elif kind == "same_period_last_year":
        n = 12
    else:
        raise CubeError(f"unknown comparison {kind!r}; expected previous_period or same_period_last_year")
    prev_filter = Filter(month, "between", (_shift_month(start, -n), _shift_month(end, -n)))
    prev_q = replace(
        query, filters=tuple(prev_filter if x is f else x for x in query.filters), limit=None, offset=0
    )
    cur = engine.execute(query, scope, lang, use_cache)
    prev = engine.execute(prev_q, scope, lang, use_cache)
    keys = list(query.dimensions)
    pf = prev.frame[keys + list(query.measures)].copy()
    if month in keys:
        pf[month] = pf[month].map(lambda d: _shift_month(pd.Timestamp(d).date(), n))
        cf = cur.frame.copy()
        cf[month] = cf[month].map(lambda d: pd.Timestamp(d).date())
    else:
        cf = cur.frame
    pf = pf.rename(columns={m: f"{m}.previous" for m in query.measures})
    frame = cf.merge(pf, on=keys, how="left") if keys else pd.concat([cf, pf], axis=1)
    cols = dict(cur.columns)
    for m in query.measures:
        info = cur.columns[m]
        frame[f"{m}.delta"] = frame[m] - frame[f"{m}.previous"]
        prevv = frame[f"{m}.previous"].astype("float64")
        frame[f"{m}.delta_pct"] = frame[f"{m}.delta"].astype("float64") / prevv.where(prevv != 0)
        cols[f"{m}.previous"] = ColumnInfo(
            f"{m}.previous", "measure", f"{info.label_en} (previous)", f"{info.label_zh}(上期)", info.fmt
        )
        cols[f"{m}.delta"] = ColumnInfo(
            f"{m}.delta", "measure", f"{info.label_en} change", f"{info.label_zh}变动", info.fmt
        )
        cols[f"{m}.delta_pct"] = ColumnInfo(
            f"{m}.delta_pct", "measure", f"{info.label_en} change %", f"{info.label_zh}变动率", "percent"
        )
    return Result(query, frame, cols, cur.sql, cur.served_by, (time.perf_counter() - t0) * 1000)


def top_n(query: Query, scope: Scope, n: int, measure: str, lang: str, use_cache: bool) -> Result:
    """See :func:`cube.api.top_n`. The query must have exactly one dimension."""
    t0 = time.perf_counter()
    if len(query.dimensions) != 1:
        raise CubeError("top_n needs a query with exactly one dimension")
    if not isinstance(n, int) or n < 1:
        raise CubeError("n must be a positive integer")
    resolve_measure(measure, query.cube)
    measures = query.measures if measure in query.measures else (*query.measures, measure)
    dim = query.dimensions[0]
    top_q = replace(query, measures=measures, sort=((measure, "desc"), (dim, "asc")), limit=n, offset=0)
    top = engine.execute(top_q, scope, lang, use_cache)
    values = [v.item() if hasattr(v, "item") else v for v in top.frame[dim].tolist()]
    frame = top.frame
    if values:
        rest_q = replace(
            query,
            measures=measures,
            dimensions=(),
            filters=(*query.filters, Filter(dim, "not_in", tuple(values))),
            sort=(),
            limit=None,
            offset=0,
        )
        rest = engine.execute(rest_q, scope, lang, use_cache).frame
        cube = get_cube(query.cube)
        for m in measures:
            if cube.measure(m.split(".")[1]).share_of:
                rest[m] = 1.0 - float(top.frame[m].sum())
        if len(rest) and not (
            rest[list(measures)].isna().all(axis=None) or rest[measure].fillna(0).eq(0).all()
        ):
            rest[dim] = None
            if label_column(dim) in top.frame.columns:
                rest[label_column(dim)] = "其他" if lang.startswith("zh") else "others"
            frame = pd.concat([top.frame, rest[top.frame.columns]], ignore_index=True)
    return Result(query, frame, top.columns, top.sql, top.served_by, (time.perf_counter() - t0) * 1000)


def pivot(result: Result, rows, columns: str, measure: str) -> pd.DataFrame:
    """See :func:`cube.api.pivot`."""
    rows = [rows] if isinstance(rows, str) else list(rows)
    for m in (*rows, columns, measure):
        if m not in result.frame.columns:
            raise CubeError(f"{m!r} is not a column of the result")
    return result.frame.pivot_table(index=rows, columns=columns, values=measure, aggfunc="sum", sort=True)


def attainment(query: Query, scope: Scope, lang: str, use_cache: bool) -> Result:
    """See :func:`cube.api.attainment`."""
    t0 = time.perf_counter()
    if query.cube != "customers":
        raise CubeError("attainment works on a customers query")
    allowed = {"year", "quarter", "month", "region", "branch", "manager"}
    names = [m.split(".")[1] for m in (*query.dimensions, *(f.member for f in query.filters))]
    for m in (*query.dimensions, *(f.member for f in query.filters)):
        resolve_dimension(m, "customers")
    bad = [n for n in names if n not in allowed]
    if bad:
        raise CubeError(f"attainment can only group/filter by time and org, not {bad}")
    by_manager = "manager" in names or any(g.kind == "manager" for g in scope.rows)
    tcube = "manager_targets" if by_manager else "targets"

    def move(member: str) -> str:
        return f"{tcube}.{member.split('.')[1]}"

    actual_q = replace(
        query, measures=tuple(f"customers.{m}" for m in TARGET_METRICS), sort=(), limit=None, offset=0
    )
    target_q = Query(
        tcube,
        tuple(f"{tcube}.{m}" for m in TARGET_METRICS),
        tuple(move(d) for d in query.dimensions),
        tuple(Filter(move(f.member), f.op, f.values) for f in query.filters),
    )
    actual = engine.execute(actual_q, scope, lang, use_cache)
    target = engine.execute(target_q, scope, lang, use_cache)
    # Target columns are always "targets.<metric>", whichever targets cube answered.
    renames = dict(zip(target_q.dimensions, query.dimensions, strict=True))
    renames.update({f"{tcube}.{m}": f"targets.{m}" for m in TARGET_METRICS})
    tf = target.frame[[*target_q.dimensions, *target_q.measures]].rename(columns=renames)
    keys = list(query.dimensions)
    frame = actual.frame.merge(tf, on=keys, how="left") if keys else pd.concat([actual.frame, tf], axis=1)
    cols = dict(actual.columns)
    for m in TARGET_METRICS:
        info = target.columns[f"{tcube}.{m}"]
        cols[f"targets.{m}"] = ColumnInfo(f"targets.{m}", "measure", info.label_en, info.label_zh, info.fmt)
        tv = frame[f"targets.{m}"].astype("float64")
        frame[f"{m}.attainment"] = frame[f"customers.{m}"].astype("float64") / tv.where(tv != 0)
        cols[f"{m}.attainment"] = ColumnInfo(
            f"{m}.attainment", "measure", f"{m} attainment", f"{m}达成率", "percent"
        )
    return Result(
        query,
        frame,
        cols,
        actual.sql,
        f"{actual.served_by}+{target.served_by}",
        (time.perf_counter() - t0) * 1000,
    )
