"""Compiles cube queries to Ibis expressions and runs them under a security scope.

Pipeline: source (a rollup that answers exactly, else the base table/view/join) -> row-level
security filter -> query filters -> stock flag (last month per period) -> aggregate parts ->
measures from parts (ratios, shares) -> sort/limit -> labels. No SQL text is ever built from
query values: every value reaches the engine as an Ibis literal.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import operator
import threading
import time
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from cube import cache, connection, security
from cube.api import (
    FILTER_OPS,
    MAX_PAGE_SIZE,
    ColumnInfo,
    CubeError,
    Filter,
    Query,
    Result,
    Scope,
    label_column,
)
from cube.model import get_cube, resolve_dimension, resolve_measure
from cube.model.base import Cube, Dimension, Part
from data import rollups, scores

_SCALARS = (str, int, float, bool, dt.date, dt.datetime)
_DATE_FMTS = ("month", "date")
_INT_FMTS = ("id", "int", "year", "quarter")
# identifying columns (contract Column.identifying) every drill-through over a cube with a
# customer column carries, masked per Scope.identities inside the query
IDENTITY_COLUMNS = (
    ("customer_name", "Customer name", "客户姓名"),
    ("customer_phone", "Phone", "手机号"),
    ("customer_id_card_no", "ID card number", "身份证号"),
)


# --- sources --------------------------------------------------------------------------------


def base_table(cube: Cube, con: Any, attributes: set[str] = frozenset()):
    """The cube's base relation on backend ``con``, with the published customer-score columns
    among ``attributes`` joined on (null for every customer when nothing is published)."""
    t = cube.build(con) if cube.build else con.table(cube.source)
    if not attributes or not cube.customer_column:
        return t
    published = scores.current(connection.warehouse_version())
    for kind, columns in scores.ATTRIBUTES.items():
        wanted = [c for c in columns if c in attributes]
        if not wanted:
            continue
        if kind not in published:
            t = t.mutate(**{c: ibis.null(columns[c]) for c in wanted})
            continue
        s = con.table(_parquet_view(con, published[kind].path, f"scores_{kind}")).select(
            "customer_id", *wanted
        )
        j = t.left_join(s, t[cube.customer_column] == s.customer_id)
        t = j.select(*[j[c] for c in t.columns], *[j[c] for c in wanted])
    return t


def _parquet_view(con: Any, path, prefix: str) -> str:
    """Name of a view of backend ``con`` over a published Parquet file, registered once per
    backend (DuckDB views are private to the cursor that made them)."""
    registered = con.__dict__.setdefault("_mams_parquet_views", {})
    name = registered.get(path)
    if name is None:
        name = f"{prefix}_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
        con.read_parquet(str(path), table_name=name)
        registered[path] = name
    return name


def _rollup_table(r: rollups.Rollup, con: Any) -> str | None:
    """The table serving rollup ``r`` on ``con``: the warehouse table, or for a rollup built when
    scores were published, a view over the file of the publication in force (None if none)."""
    if not r.published_by:
        return r.name
    path = scores.rollup_file(connection.warehouse_version(), r)
    return _parquet_view(con, path, r.name) if path else None


def attribute_columns(cube: Cube, dims: list[Dimension], filters: tuple[Filter, ...]) -> set[str]:
    """Columns of published customer scores a query groups or filters by."""
    found = {d.column for d in dims if d.attribute}
    for f in filters:
        d = resolve_dimension(f.member, cube.name)
        if d.attribute:
            found.add(d.column)
    return found


def dim_expr(t, d: Dimension):
    col = t[d.column]
    if d.derive == "year":
        return col.year()
    if d.derive == "quarter":
        return col.quarter()
    return col


def _coerce(value: Any, d: Dimension, member: str) -> Any:
    if not isinstance(value, _SCALARS) or isinstance(value, float) and value != value:
        raise CubeError(f"filter on {member!r}: value {value!r} is not a plain scalar")
    try:
        if d.fmt in _DATE_FMTS:
            return pd.Timestamp(value).date()
        if d.fmt in _INT_FMTS:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
    except (ValueError, TypeError) as exc:
        raise CubeError(f"filter on {member!r}: {value!r} is not a valid {d.fmt}") from exc
    if not isinstance(value, str):
        raise CubeError(f"filter on {member!r}: {value!r} must be text")
    return value


def filter_predicate(t, f: Filter, cube: Cube):
    """Ibis predicate for one filter; CubeError when malformed."""
    if not isinstance(f, Filter):
        raise CubeError(f"filters must be Filter objects, got {f!r}")
    d = resolve_dimension(f.member, cube.name)
    if f.op not in FILTER_OPS:
        raise CubeError(f"filter on {f.member!r}: unknown op {f.op!r}; expected one of {FILTER_OPS}")
    n = len(f.values)
    if f.op in ("in", "not_in"):
        if n == 0:
            raise CubeError(f"filter on {f.member!r}: {f.op} needs at least one value")
    elif f.op == "between":
        if n != 2:
            raise CubeError(f"filter on {f.member!r}: between needs two values")
    elif n != 1:
        raise CubeError(f"filter on {f.member!r}: {f.op} needs exactly one value")
    e = dim_expr(t, d)
    if f.op == "contains":
        if not isinstance(f.values[0], str):
            raise CubeError(f"filter on {f.member!r}: contains needs text")
        return e.cast("string").lower().contains(f.values[0].lower())
    vals = [_coerce(v, d, f.member) for v in f.values]
    ops = {
        "eq": lambda: e == vals[0],
        "ne": lambda: e != vals[0],
        "gt": lambda: e > vals[0],
        "gte": lambda: e >= vals[0],
        "lt": lambda: e < vals[0],
        "lte": lambda: e <= vals[0],
        "between": lambda: e.between(vals[0], vals[1]),
        "in": lambda: e.isin(vals),
        "not_in": lambda: e.notin(vals),
    }
    return ops[f.op]()


# --- validation and planning ----------------------------------------------------------------


def _validate(query: Query) -> tuple[Cube, list[Dimension], list[str]]:
    if not isinstance(query, Query):
        raise CubeError(f"expected a Query, got {type(query).__name__}")
    cube = get_cube(query.cube)
    dims = [resolve_dimension(m, cube.name) for m in query.dimensions]
    measures = [resolve_measure(m, cube.name).name for m in query.measures]
    if not measures and not dims:
        raise CubeError("a query needs at least one measure or dimension")
    if len(set(query.dimensions)) != len(query.dimensions) or len(set(query.measures)) != len(query.measures):
        raise CubeError("a member is named twice in the query")
    for f in query.filters:
        if not isinstance(f, Filter):
            raise CubeError(f"filters must be Filter objects, got {f!r}")
        resolve_dimension(f.member, cube.name)
        for v in f.values:
            if not isinstance(v, _SCALARS):
                raise CubeError(f"filter on {f.member!r}: value {v!r} is not a plain scalar")
    for s in query.sort:
        if len(s) != 2 or s[1] not in ("asc", "desc"):
            raise CubeError(f"sort item {s!r} must be (member, 'asc' | 'desc')")
        if s[0] not in query.dimensions and s[0] not in query.measures:
            raise CubeError(f"sort member {s[0]!r} is not in the query")
    if query.limit is not None and (not isinstance(query.limit, int) or query.limit < 0):
        raise CubeError("limit must be a non-negative integer")
    if not isinstance(query.offset, int) or query.offset < 0:
        raise CubeError("offset must be a non-negative integer")
    return cube, dims, measures


def _parts(cube: Cube, measures: list[str]) -> list[Part]:
    seen: dict[str, Part] = {}
    for m in measures:
        for p in cube.parts(m):
            seen.setdefault(p.key, p)
    return list(seen.values())


_row_counts: dict[tuple[str | None, str], int | None] = {}


def _rollup_rows(con: Any, name: str) -> int | None:
    key = (connection.warehouse_version() or str(id(con)), name)
    if key not in _row_counts:
        try:
            _row_counts[key] = int(con.table(name).count().execute())
        except Exception:  # noqa: BLE001 - a rollup missing from this warehouse simply cannot serve
            _row_counts[key] = None
    return _row_counts[key]


def _match_part(p: Part, r: rollups.Rollup, kept: set[str]) -> str | None:
    """The rollup column that sums to part ``p`` when the rows agreeing on ``kept`` are summed."""
    for rm in r.measures:
        if p.agg == "count" and p.column is None and rm.agg == "count" and rm.column is None:
            return rm.name
        same = p.agg in ("sum", "count_distinct") and rm.agg == p.agg and rm.column == p.column
        if same and (p.agg == "sum" or rollups.distinct_sums_exactly(r, rm, kept)):
            return rm.name
    return None


def kept_columns(query: Query, cube: Cube, dims: list[Dimension]) -> set[str]:
    """Columns that hold one value within each result row: the plain group-by columns and the
    columns an ``eq`` filter pins. (A column only filtered to several values, or grouped by a
    coarser derived level such as year, is summed over.)"""
    kept = {d.column for d in dims if d.derive is None}
    for f in query.filters:
        d = resolve_dimension(f.member, cube.name)
        if d.derive is None and (f.op == "eq" or f.op == "in" and len(set(f.values)) == 1):
            kept.add(d.column)
    return kept


def choose_source(
    cube: Cube, needed: set[str], parts: list[Part], con: Any, kept: set[str] = frozenset()
) -> tuple[str, dict[str, str]]:
    """The smallest rollup answering exactly (all ``needed`` columns are rollup dimensions and
    every part is stored and sums exactly over the rows agreeing on the ``kept`` columns), as
    (name, part key -> rollup column); else (base source, {}). A stock part is taken on one month
    per result row, so the month column counts as kept for it."""
    best: tuple[int, str, dict[str, str]] | None = None
    if cube.rollup_source and needed is not None:
        for r in rollups.ROLLUPS:
            if r.source != cube.rollup_source or not needed <= set(r.dimensions):
                continue
            mapping = {
                p.key: _match_part(p, r, set(kept) | ({cube.month_column} if p.stock else set()))
                for p in parts
            }
            if any(v is None for v in mapping.values()):
                continue
            table = _rollup_table(r, con)
            rows = _rollup_rows(con, table) if table else None
            if rows is not None and (best is None or rows < best[0]):
                best = (rows, table, mapping)
    if best is None:
        return cube.source, {}
    return best[1], best[2]


def _as_count(expr, t_col):
    dtype = t_col.type()
    if dtype.is_integer() or dtype.is_decimal() or dtype.is_boolean():
        return expr.cast("int64")
    return expr.cast("float64")


def compile_query(query: Query, scope: Scope, con: Any | None = None, route: bool = True):
    """Compile ``query`` under ``scope`` to an Ibis expression.

    Returns
    -------
    (expr, served_by, aliases)
        ``aliases`` maps the expression's column names to member names. ``route=False`` reads
    the base tables only (benchmarks, tests).
    """
    con = con or connection.backend()
    cube, dims, measures = _validate(query)
    parts = _parts(cube, measures)
    plan = security.row_plan(cube, scope)
    needed: set[str] | None = {d.column for d in dims}
    needed |= {resolve_dimension(f.member, cube.name).column for f in query.filters}
    needed |= set(plan.columns)
    needed |= {p.where[0] for p in parts if p.where}
    if (
        not route
        or plan.needs_customers
        or any(p.agg not in ("sum", "count", "count_distinct") for p in parts)
    ):
        needed = None
    if needed is not None and cube.month_column and any(p.stock for p in parts):
        needed.add(cube.month_column)
    served_by, mapping = (
        choose_source(cube, needed, parts, con, kept_columns(query, cube, dims))
        if needed is not None
        else (cube.source, {})
    )
    t = (
        con.table(served_by)
        if mapping
        else base_table(cube, con, attribute_columns(cube, dims, query.filters))
    )

    pred = security.row_predicate(t, cube, scope, con)
    if pred is not None:
        t = t.filter(pred)
    for f in query.filters:
        t = t.filter(filter_predicate(t, f, cube))

    aliases = {f"d{i}": q for i, q in enumerate(query.dimensions)}
    aliases.update({f"m{i}": q for i, q in enumerate(query.measures)})
    dim_alias = {q: a for a, q in aliases.items() if q in query.dimensions}
    t = t.mutate(**{dim_alias[q]: dim_expr(t, d) for q, d in zip(query.dimensions, dims, strict=True)})

    if any(p.stock for p in parts) and cube.month_column:
        by_month = any(d.column == cube.month_column and d.derive is None for d in dims)
        if by_month:
            t = t.mutate(_is_last=ibis.literal(True))
        else:
            time_keys = [dim_alias[q] for q, d in zip(query.dimensions, dims, strict=True) if d.is_time]
            mcol = t[cube.month_column]
            t = t.mutate(_is_last=mcol == mcol.max().over(group_by=time_keys or None))

    metrics = {}
    for p in parts:
        cond = [t._is_last] if p.stock and cube.month_column else []
        if p.where:
            cond.append(t[p.where[0]] == p.where[1])
        where = functools.reduce(operator.and_, cond) if cond else None
        if mapping:
            col = t[mapping[p.key]]
            agg = col.sum(where=where)
        elif p.agg == "count" and p.column is None:
            col = t[cube.customer_column or cube.month_column or t.columns[0]]
            agg = t.count(where=where)
        else:
            col = t[p.column]
            c = col.cast("int64") if col.type().is_boolean() else col
            agg = {
                "sum": lambda c=c, w=where: c.sum(where=w),
                "count": lambda c=c, w=where: c.count(where=w),
                "count_distinct": lambda c=c, w=where: c.nunique(where=w),
                "max": lambda c=c, w=where: c.max(where=w),
                "min": lambda c=c, w=where: c.min(where=w),
            }[p.agg]()
        if p.agg in ("count", "count_distinct"):
            # a count over no rows is 0 whether it is counted or summed from a rollup
            metrics[p.key] = agg.cast("int64").coalesce(0)
        else:
            metrics[p.key] = _as_count(agg, col)
    keys = [dim_alias[q] for q in query.dimensions]
    a = t.aggregate(by=keys, **metrics) if keys else t.aggregate(**metrics)

    def measure_expr(name: str):
        m = cube.measure(name)
        if m.part is not None:
            return a[m.part.key]
        if m.share_of:
            x = measure_expr(m.share_of).cast("float64")
            return x / x.sum().over().nullif(0)
        return measure_expr(m.numerator).cast("float64") / measure_expr(m.denominator).cast("float64").nullif(
            0
        )

    out = a.select(
        *keys, **{alias: measure_expr(q.split(".")[1]) for alias, q in aliases.items() if q in query.measures}
    )
    rev = {q: a_ for a_, q in aliases.items()}
    order = [ibis.desc(rev[m]) if d == "desc" else ibis.asc(rev[m]) for m, d in query.sort]
    order += [ibis.asc(k) for k in keys if aliases[k] not in {m for m, _ in query.sort}]
    if order:
        out = out.order_by(order)
    if query.limit is not None or query.offset:
        out = out.limit(query.limit, offset=query.offset)
    return out, served_by, aliases


@contextmanager
def _ibis_quiet():
    """Silence exactly one Ibis-internal warning while the cube runs a query.

    Ibis 12's DuckDB backend calls ``fetch_arrow_table()`` itself (reading a table's schema in
    ``con.table``, ``get_schema``), which DuckDB 1.5 deprecates in favour of ``to_arrow_table()``;
    our own code already uses the new name. Only that message is filtered, so any other warning,
    including DuckDB deprecations in our code, still shows. Drop this once Ibis stops calling it.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"fetch_arrow_table\(\) is deprecated",
            category=DeprecationWarning,
        )
        yield


# --- running ----------------------------------------------------------------------------------


def column_infos(query: Query) -> dict[str, ColumnInfo]:
    infos: dict[str, ColumnInfo] = {}
    for q in query.dimensions:
        d = resolve_dimension(q, query.cube)
        infos[q] = ColumnInfo(q, "dimension", d.label_en, d.label_zh, d.fmt)
        if d.lookup or d.values or d.attribute:
            infos[label_column(q)] = ColumnInfo(label_column(q), "label", d.label_en, d.label_zh, "text")
    for q in query.measures:
        m = resolve_measure(q, query.cube)
        infos[q] = ColumnInfo(q, "measure", m.label_en, m.label_zh, m.fmt)
    return infos


def add_labels(frame: pd.DataFrame, query: Query, scope: Scope, lang: str, con: Any) -> pd.DataFrame:
    from cube import labels

    for q in query.dimensions:
        d = resolve_dimension(q, query.cube)
        if d.lookup or d.values or d.attribute:
            frame[label_column(q)] = labels.labels_for(frame[q], d, scope, lang, con)
    return frame


_plans: OrderedDict[tuple, tuple] = OrderedDict()
_plans_lock = threading.Lock()
PLAN_CACHE_SIZE = 512


def _plan(query: Query, scope: Scope, con: Any, version: str | None) -> tuple[str, str, dict[str, str], Any]:
    """Compiled (sql, served_by, aliases, expr), memoised per query, scope, data and backend:
    compiling through Ibis costs tens of ms, running a rollup query a few."""
    key = (query, scope, version or id(con), id(con))
    with _plans_lock:
        hit = _plans.get(key)
        if hit is not None:
            _plans.move_to_end(key)
            return hit
    expr, served_by, aliases = compile_query(query, scope, con)
    try:
        sql = str(ibis.to_sql(expr))
    except Exception:  # noqa: BLE001 - some backends cannot render SQL; run the expression
        sql = ""
    plan = (sql, served_by, aliases, expr)
    with _plans_lock:
        _plans[key] = plan
        while len(_plans) > PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan


def _plain_numbers(table: pa.Table) -> pa.Table:
    """Decimals as int64 (scale 0) or float64. DuckDB sums BIGINT columns into HUGEINT, which
    Arrow carries as decimal (pandas objects); Ibis drops our int64 cast when it believes the
    sum is int64 already."""
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            target = pa.int64() if f.type.scale == 0 else pa.float64()
            table = table.set_column(i, f.name, table.column(i).cast(target))
    return table


def execute(query: Query, scope: Scope, lang: str = "en", use_cache: bool = True) -> Result:
    """See :func:`cube.api.execute`."""
    with _ibis_quiet():
        return _execute(query, scope, lang, use_cache)


def _execute(query: Query, scope: Scope, lang: str, use_cache: bool) -> Result:
    if not isinstance(scope, Scope):
        raise CubeError("a Scope is required")
    t0 = time.perf_counter()
    version = connection.data_version()
    key = cache.key("execute", query, scope, lang, version) if use_cache and version else None
    if key is not None:
        hit = cache.get(key)
        if hit is not None:
            hit.query = query
            hit.cached = True
            hit.ms = (time.perf_counter() - t0) * 1000
            return hit
    _validate(query)  # before anything hashes the query
    con = connection.backend()
    sql, served_by, aliases, expr = _plan(query, scope, con, version)  # version read once per query
    if sql and getattr(con, "name", "") == "duckdb":
        # Run the SQL compiled once above on this thread's cursor; compiling the expression
        # again inside Ibis would double the per-query overhead.
        table = con.raw_sql(sql).to_arrow_table()
    else:
        table = expr.to_pyarrow()
    frame = _plain_numbers(table).to_pandas().rename(columns=aliases)
    frame = add_labels(frame, query, scope, lang, con)
    result = Result(query, frame, column_infos(query), sql, served_by, (time.perf_counter() - t0) * 1000)
    if key is not None:
        cache.put(key, result)
    return result


def drill_through(
    cube_name: str, filters: tuple[Filter, ...], scope: Scope, page: int, page_size: int, lang: str
) -> Result:
    """See :func:`cube.api.drill_through`."""
    with _ibis_quiet():
        return _drill_through(cube_name, filters, scope, page, page_size, lang)


def _drill_through(
    cube_name: str, filters: tuple[Filter, ...], scope: Scope, page: int, page_size: int, lang: str
) -> Result:
    t0 = time.perf_counter()
    if not isinstance(scope, Scope):
        raise CubeError("a Scope is required")
    cube = get_cube(cube_name)
    if (
        not isinstance(page, int)
        or page < 0
        or not isinstance(page_size, int)
        or not 0 < page_size <= MAX_PAGE_SIZE
    ):
        raise CubeError(f"page must be >= 0 and page_size in 1..{MAX_PAGE_SIZE}")
    con = connection.backend()
    t = base_table(cube, con, attribute_columns(cube, [], filters))
    pred = security.row_predicate(t, cube, scope, con)
    if pred is not None:
        t = t.filter(pred)
    for f in filters:
        t = t.filter(filter_predicate(t, f, cube))
    cols = [t[c] for c in cube.detail_columns]
    infos = {c: ColumnInfo(c, "detail", c, c, "text") for c in cube.detail_columns}
    if cube.customer_column:
        cust = con.table("customers").select("customer_id", "name", "phone", "id_card_no")
        cust = cust.rename(customer_name="name", customer_phone="phone", customer_id_card_no="id_card_no")
        t = t.left_join(cust, t[cube.customer_column] == cust.customer_id)
        masked = security.masked_identity_columns(t, cube, scope, con)
        cols = [t[c] for c in cube.detail_columns] + masked
        for c, en, zh in IDENTITY_COLUMNS:
            infos[c] = ColumnInfo(c, "detail", en, zh, "text")
    rows = t.select(*cols)
    total = int(rows.count().execute())
    order = [ibis.asc(c) for c in cube.detail_order] or None
    page_expr = (rows.order_by(order) if order else rows).limit(page_size, offset=page * page_size)
    frame = page_expr.to_pyarrow().to_pandas()
    return Result(
        None,
        frame,
        infos,
        str(ibis.to_sql(page_expr)),
        cube.source,
        (time.perf_counter() - t0) * 1000,
        total_rows=total,
    )
