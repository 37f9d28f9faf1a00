"""Compiles a resolved cube query to an Ibis expression over the source routing chose.

Pipeline: source (a rollup chosen by :mod:`cube.routing`, else the base table/view/join) ->
row-level security filter -> query filters -> stock flag (last month per period) -> aggregate
parts -> measures from parts (ratios, shares) -> sort/limit. No SQL text is ever built from
query values: every value reaches the engine as an Ibis literal. The query was checked once by
:func:`cube.resolve.resolve`; nothing here validates it again.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Iterable
from typing import Any

import ibis

from cube import connection, security
from cube.model.base import Cube, Dimension
from cube.query import Scope
from cube.resolve import ResolvedFilter, ResolvedQuery
from data import scores

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
        s = con.table(parquet_view(con, published[kind].path, f"scores_{kind}")).select(
            "customer_id", *wanted
        )
        j = t.left_join(s, t[cube.customer_column] == s.customer_id)
        t = j.select(*[j[c] for c in t.columns], *[j[c] for c in wanted])
    return t


def parquet_view(con: Any, path, prefix: str) -> str:
    """Name of a view of backend ``con`` over a published Parquet file, registered once per
    backend (DuckDB views are private to the cursor that made them). The name follows from the
    file alone, so SQL compiled on one backend names the same view on any other."""
    registered = con.__dict__.setdefault("_mams_parquet_views", {})
    name = registered.get(path)
    if name is None:
        name = f"{prefix}_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
        con.read_parquet(str(path), table_name=name)
        registered[path] = name
    return name


def views_read(con: Any, sql: str) -> tuple[tuple[Any, str], ...]:
    """The (path, name) of each Parquet view of ``con`` that ``sql`` reads: what another backend
    must register before it runs that SQL (:func:`register_views`)."""
    registered = con.__dict__.get("_mams_parquet_views", {})
    return tuple((path, name) for path, name in registered.items() if f'"{name}"' in sql)


def register_views(con: Any, views: tuple[tuple[Any, str], ...]) -> None:
    """Register on ``con`` the Parquet views ``views`` (from :func:`views_read`) it lacks."""
    registered = con.__dict__.setdefault("_mams_parquet_views", {})
    for path, name in views:
        if name not in registered.values():
            con.read_parquet(str(path), table_name=name)
            registered.setdefault(path, name)


def attribute_columns(dims: Iterable[Dimension], filters: Iterable[ResolvedFilter]) -> set[str]:
    """Columns of published customer scores a query groups or filters by."""
    found = {d.column for d in dims if d.attribute}
    found |= {f.dimension.column for f in filters if f.dimension.attribute}
    return found


# --- expressions ----------------------------------------------------------------------------


def dim_expr(t, d: Dimension):
    col = t[d.column]
    if d.derive == "year":
        return col.year()
    if d.derive == "quarter":
        return col.quarter()
    return col


def filter_predicate(t, f: ResolvedFilter):
    """Ibis predicate for one resolved filter."""
    e = dim_expr(t, f.dimension)
    if e.type().is_boolean() and f.op != "contains":
        # an "int" dimension over a flag is compared with 1 / 0; Spark refuses boolean = int
        e = e.cast("int64")
    vals = f.values
    if f.op == "contains":
        return e.cast("string").lower().contains(vals[0].lower())
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


def filtered(t, cube: Cube, filters: Iterable[ResolvedFilter], scope: Scope, con: Any):
    """``t`` restricted to ``scope`` (first, so no filter can widen it), then to ``filters``."""
    pred = security.row_predicate(t, cube, scope, con)
    if pred is not None:
        t = t.filter(pred)
    for f in filters:
        t = t.filter(filter_predicate(t, f))
    return t


def _as_count(expr, t_col):
    dtype = t_col.type()
    if dtype.is_integer() or dtype.is_decimal() or dtype.is_boolean():
        return expr.cast("int64")
    return expr.cast("float64")


def _measure_expr(cube: Cube, a, name: str):
    """Measure ``name`` over the aggregated relation ``a`` (whose columns are the part keys)."""
    m = cube.measure(name)
    if m.part is not None:
        return a[m.part.key]
    if m.share_of:
        x = _measure_expr(cube, a, m.share_of).cast("float64")
        return x / x.sum().over().nullif(0)
    num = _measure_expr(cube, a, m.numerator).cast("float64")
    return num / _measure_expr(cube, a, m.denominator).cast("float64").nullif(0)


# --- a query --------------------------------------------------------------------------------


def compile_query(
    rq: ResolvedQuery,
    scope: Scope,
    con: Any | None = None,
    source: tuple[str, dict[str, str]] | None = None,
):
    """Compile the resolved query ``rq`` under ``scope`` to an Ibis expression.

    Parameters
    ----------
    rq : ResolvedQuery
        From :func:`cube.resolve.resolve`.
    scope : Scope
    con
        Ibis backend; default the calling thread's (:func:`cube.connection.backend`).
    source : (name, part key -> rollup column), optional
        Where to read, as :func:`cube.routing.route` returns it; None reads the cube's base
        relation (benchmarks, tests).

    Returns
    -------
    (expr, served_by, aliases)
        ``aliases`` maps the expression's column names to member names.
    """
    con = con or connection.backend()
    cube, query, dims, parts = rq.cube, rq.query, rq.dimensions, rq.parts
    served_by, mapping = source or (cube.source, {})
    t = con.table(served_by) if mapping else base_table(cube, con, attribute_columns(dims, rq.filters))
    t = filtered(t, cube, rq.filters, scope, con)

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

    names = dict(zip(query.measures, rq.measures, strict=True))
    out = a.select(
        *keys, **{alias: _measure_expr(cube, a, names[q]) for alias, q in aliases.items() if q in names}
    )
    rev = {q: a_ for a_, q in aliases.items()}
    order = [ibis.desc(rev[m]) if d == "desc" else ibis.asc(rev[m]) for m, d in query.sort]
    order += [ibis.asc(k) for k in keys if aliases[k] not in {m for m, _ in query.sort}]
    if order:
        out = out.order_by(order)
    if query.limit is not None or query.offset:
        out = out.limit(query.limit, offset=query.offset)
    return out, served_by, aliases
