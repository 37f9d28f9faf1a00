"""Runs cube queries: resolve once, route, compile (memoised per query, scope and data), execute
on the calling thread's backend, add labels, cache the result.

Resolution is :mod:`cube.resolve`, routing to rollups :mod:`cube.routing`, compilation to Ibis
:mod:`cube.compile`; this module runs what they produce. Drill-through (detail rows, masked
identities) runs here too.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

import ibis
import pandas as pd
import pyarrow as pa

from cube import cache, connection, labels, routing, scope_template, security
from cube.compile import (
    attribute_columns,
    base_table,
    compile_query,
    filtered,
    register_views,
    views_read,
)
from cube.model import get_cube
from cube.model.labels import DETAIL_COLUMNS
from cube.query import MAX_PAGE_SIZE, ColumnInfo, CubeError, Filter, Query, Result, Scope, label_column
from cube.resolve import ResolvedQuery, resolve, resolve_filters
from data import scores

# identifying columns (contract Column.identifying) every drill-through over a cube with a
# customer column carries, masked per Scope.identities inside the query
IDENTITY_COLUMNS = (
    ("customer_name", "Customer name", "客户姓名"),
    ("customer_phone", "Phone", "手机号"),
    ("customer_id_card_no", "ID card number", "身份证号"),
)


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


def column_infos(rq: ResolvedQuery) -> dict[str, ColumnInfo]:
    """Metadata of every column of the result of ``rq`` (labels, formats)."""
    infos: dict[str, ColumnInfo] = {}
    for q, d in zip(rq.query.dimensions, rq.dimensions, strict=True):
        infos[q] = ColumnInfo(q, "dimension", d.label_en, d.label_zh, d.fmt)
        if d.lookup or d.values or d.attribute:
            infos[label_column(q)] = ColumnInfo(label_column(q), "label", d.label_en, d.label_zh, "text")
    for q, name in zip(rq.query.measures, rq.measures, strict=True):
        m = rq.cube.measure(name)
        infos[q] = ColumnInfo(q, "measure", m.label_en, m.label_zh, m.fmt)
    return infos


def add_labels(frame: pd.DataFrame, rq: ResolvedQuery, scope: Scope, lang: str, con: Any) -> pd.DataFrame:
    """Add the label column of every dimension of ``rq`` that has display names."""
    for q, d in zip(rq.query.dimensions, rq.dimensions, strict=True):
        if d.lookup or d.values or d.attribute:
            frame[label_column(q)] = labels.labels_for(frame[q], d, scope, lang, con)
    return frame


def in_declared_order(frame: pd.DataFrame, rq: ResolvedQuery) -> pd.DataFrame:
    """Rows of a query without its own sort, in the order the model declares coded values
    (age bands young to old, tenure short to long) rather than alphabetically ("<25" last)."""
    if rq.query.sort or rq.query.limit is not None or frame.empty:
        return frame
    keys = {}
    for q, d in zip(rq.query.dimensions, rq.dimensions, strict=True):
        if d.values:
            order = {code: i for i, code in enumerate(d.values)}
            keys[q] = frame[q].map(lambda v, order=order: order.get(v, len(order)))
    if not keys:
        return frame
    by = [f"_order{i}" if q in keys else q for i, q in enumerate(rq.query.dimensions)]
    ranked = frame.assign(**{f"_order{i}": keys[q] for i, q in enumerate(rq.query.dimensions) if q in keys})
    return (
        ranked.sort_values(by, kind="stable", na_position="last")
        .drop(columns=list(f"_order{i}" for i, q in enumerate(rq.query.dimensions) if q in keys))
        .reset_index(drop=True)
    )


class Plan(NamedTuple):
    """A query routed and compiled: the SQL to run, where it reads, the result's column names,
    the Ibis expression (None for SQL bound from a scope template, which runs as SQL only), and
    the Parquet views the SQL reads (registered on whichever backend runs it)."""

    sql: str
    served_by: str
    aliases: dict[str, str]
    expr: Any
    views: tuple[tuple[Any, str], ...] = ()


_plans: OrderedDict[tuple, Plan] = OrderedDict()
_plans_lock = threading.Lock()
PLAN_CACHE_SIZE = 2048
stats = {"plans_compiled": 0, "plans_bound": 0}


def _plan(rq: ResolvedQuery, scope: Scope, con: Any, version: str | None) -> Plan:
    """The query's plan, memoised per query, row grants and data version: compiling through
    Ibis costs tens of ms, running a rollup query a few. On DuckDB a plan's SQL serves every
    backend (thread) of the process, and a scope with granted ids is bound from the plan of its
    shape (:mod:`cube.scope_template`); other engines keep one plan per backend."""
    sql_only = version is not None and getattr(con, "name", "") == "duckdb"
    rows = scope_template.rows_only(scope)
    key = (rq.query, rows, version) if sql_only else (rq.query, rows, version or id(con), id(con))
    plan = _memo(key)
    if plan is None:
        plan = _bound(rq, rows, con, version) if sql_only else None
        plan = plan or _compiled(rq, rows, con)
        _keep(key, plan)
    return plan


def _bound(rq: ResolvedQuery, rows: Scope, con: Any, version: str) -> Plan | None:
    """The plan of ``rows`` bound from its shape's template plan (None: compile directly)."""
    shaped = scope_template.template(rows)
    if shaped is None:
        return None
    shape, binding = shaped
    key = (rq.query, shape, version)
    template = _memo(key)
    if template is None:
        template = _compiled(rq, shape, con)
        _keep(key, template)
    sql = scope_template.bind(template.sql, binding) if template.sql else None
    if sql is None:
        return None
    stats["plans_bound"] += 1
    return Plan(sql, template.served_by, template.aliases, None, template.views)


def _compiled(rq: ResolvedQuery, scope: Scope, con: Any) -> Plan:
    expr, served_by, aliases = compile_query(rq, scope, con, routing.route(rq, scope, con))
    try:
        # one line: a pretty printer would wrap differently for a longer literal, and SQL bound
        # from a scope template must be the very SQL a direct compilation gives
        sql = str(ibis.to_sql(expr, pretty=False))
    except Exception:  # noqa: BLE001 - some backends cannot render SQL; run the expression
        sql = ""
    stats["plans_compiled"] += 1
    return Plan(sql, served_by, aliases, expr, views_read(con, sql) if sql else ())


def _memo(key: tuple) -> Plan | None:
    with _plans_lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
        return plan


def _keep(key: tuple, plan: Plan) -> None:
    with _plans_lock:
        _plans[key] = plan
        while len(_plans) > PLAN_CACHE_SIZE:
            _plans.popitem(last=False)


def _plain_numbers(table: pa.Table) -> pa.Table:
    """Decimals as int64 (scale 0) or float64. DuckDB sums BIGINT columns into HUGEINT, which
    Arrow carries as decimal (pandas objects); Ibis drops our int64 cast when it believes the
    sum is int64 already."""
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            target = pa.int64() if f.type.scale == 0 else pa.float64()
            table = table.set_column(i, f.name, table.column(i).cast(target))
    return table


def _customer_level(rq: ResolvedQuery) -> bool:
    """Whether ``rq`` groups or filters by the customer itself (one customer's figures are
    customer-level rows, whatever the measures)."""
    column = rq.cube.customer_column
    named = (*rq.dimensions, *(f.dimension for f in rq.filters))
    return column is not None and any(d.column == column and d.derive is None for d in named)


def execute(query: Query, scope: Scope, lang: str = "en", use_cache: bool = True) -> Result:
    """See :func:`cube.api.execute`."""
    with _ibis_quiet():
        return _execute(query, scope, lang, use_cache)


# Called before each query the current thread runs, if set: the background warm waits there
# while its process serves a request (cube.warm).
before_query: ContextVar[Callable[[], None] | None] = ContextVar("mams_before_query", default=None)


def _execute(query: Query, scope: Scope, lang: str, use_cache: bool) -> Result:
    if not isinstance(scope, Scope):
        raise CubeError("a Scope is required")
    hook = before_query.get()
    if hook is not None:
        hook()
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
    rq = resolve(query)  # checked once, before anything hashes the query; later stages trust it
    if not scope.customer_rows and _customer_level(rq):
        raise CubeError("this user's scope shows aggregates only: no customer-level rows")
    con = connection.backend()
    plan = _plan(rq, scope, con, version)  # version read once per query
    sql, served_by, aliases = plan.sql, plan.served_by, plan.aliases
    if sql and getattr(con, "name", "") == "duckdb":
        # Run the SQL compiled once (maybe on another thread's cursor) on this thread's cursor;
        # compiling the expression again inside Ibis would double the per-query overhead.
        register_views(con, plan.views)
        table = con.raw_sql(sql).to_arrow_table()
    else:
        table = plan.expr.to_pyarrow()
    frame = _plain_numbers(table).to_pandas().rename(columns=aliases)
    frame = add_labels(frame, rq, scope, lang, con)
    frame = in_declared_order(frame, rq)
    result = Result(query, frame, column_infos(rq), sql, served_by, (time.perf_counter() - t0) * 1000)
    if key is not None:
        cache.put(key, result)
    return result


def drill_through(
    cube_name: str,
    filters: tuple[Filter, ...],
    scope: Scope,
    page: int,
    page_size: int,
    lang: str,
    columns: tuple[str, ...] = (),
    sort: tuple[str, bool] | None = None,
) -> Result:
    """See :func:`cube.api.drill_through`."""
    with _ibis_quiet():
        return _drill_through(cube_name, filters, scope, page, page_size, lang, columns, sort)


def _score_columns(cube, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Check the extra columns a list asks for: published score columns with a header."""
    if not isinstance(columns, tuple) or not all(isinstance(c, str) for c in columns):
        raise CubeError("columns must be a tuple of column names")
    published = {c for cols in scores.ATTRIBUTES.values() for c in cols}
    for c in columns:
        if not cube.customer_column or c not in published:
            raise CubeError(f"{c!r} is not a published customer score column of cube {cube.name!r}")
        if c not in DETAIL_COLUMNS:
            raise CubeError(f"score column {c!r} needs a header in cube.model.labels.DETAIL_COLUMNS")
    return tuple(dict.fromkeys(c for c in columns if c not in cube.detail_columns))


def _sort_order(cube, extra: tuple[str, ...], sort) -> list:
    """Rows in ``sort`` order first (nulls last), then in the cube's fixed detail order."""
    fixed = [ibis.asc(c) for c in cube.detail_order]
    if sort is None:
        return fixed
    if not (isinstance(sort, tuple) and len(sort) == 2 and isinstance(sort[1], bool)):
        raise CubeError("sort must be (column, descending)")
    column, descending = sort
    if column not in (*cube.detail_columns, *extra):
        raise CubeError(f"cannot sort by {column!r}: not a column of the list")
    # ibis puts nulls last unless nulls_first is asked for (unscored customers end the list)
    return [(ibis.desc if descending else ibis.asc)(column, nulls_first=False), *fixed]


def _drill_through(
    cube_name: str,
    filters: tuple[Filter, ...],
    scope: Scope,
    page: int,
    page_size: int,
    lang: str,
    columns: tuple[str, ...],
    sort: tuple[str, bool] | None,
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
    if cube.customer_column and not scope.customer_rows:
        raise CubeError("this user's scope shows aggregates only: no customer-level rows")
    resolved = resolve_filters(cube, filters)
    extra = _score_columns(cube, columns)
    order = _sort_order(cube, extra, sort) or None
    version = connection.data_version()
    key = (
        cache.key("drill", cube_name, tuple(filters), scope, page, page_size, lang, version, extra, sort)
        if version
        else None
    )
    hit = cache.get(key) if key is not None else None
    if hit is not None:
        hit.cached = True
        hit.ms = (time.perf_counter() - t0) * 1000
        return hit
    con = connection.backend()
    attributes = attribute_columns((), resolved) | set(extra)
    t = filtered(base_table(cube, con, attributes), cube, resolved, scope, con)
    shown = (*cube.detail_columns, *extra)
    infos = {c: ColumnInfo(c, "detail", *DETAIL_COLUMNS[c]) for c in shown}
    rows = t.select(*[t[c] for c in shown])
    total = int(rows.count().execute())
    page_expr = (rows.order_by(order) if order else rows).limit(page_size, offset=page * page_size)
    if cube.customer_column:
        # Identities are joined to the page's rows only (not to every matching row first):
        # a left join on the customer key neither adds nor drops rows.
        cust = con.table("customers").select("customer_id", "name", "phone", "id_card_no")
        cust = cust.rename(customer_name="name", customer_phone="phone", customer_id_card_no="id_card_no")
        j = page_expr.left_join(cust, page_expr[cube.customer_column] == cust.customer_id)
        masked = security.masked_identity_columns(j, cube, scope, con)
        page_expr = j.select(*[j[c] for c in shown], *masked)
        if order:
            page_expr = page_expr.order_by(order)  # a join does not keep the page's order
        for c, en, zh in IDENTITY_COLUMNS:
            infos[c] = ColumnInfo(c, "detail", en, zh, "text")
    sql = str(ibis.to_sql(page_expr))
    if getattr(con, "name", "") == "duckdb":  # run the SQL compiled once: no second compile
        frame = con.raw_sql(sql).to_arrow_table().to_pandas()
    else:
        frame = page_expr.to_pyarrow().to_pandas()
    result = Result(
        None,
        frame,
        infos,
        sql,
        cube.source,
        (time.perf_counter() - t0) * 1000,
        total_rows=total,
    )
    if key is not None:
        cache.put(key, result)  # rows of one data version never change: cached like aggregates
    return result
