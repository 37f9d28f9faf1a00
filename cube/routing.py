"""Rollup routing: which table answers a resolved query, a pre-aggregation or the base relation.

A query goes to the smallest rollup (``data.rollups``) that answers it exactly: every column it
needs is a rollup dimension, and every aggregate part is stored there and adds up over the
rollup rows one result row sums (distinct counts only where no customer can land in two of
them). See ``docs/cube.md``. The answer is handed to :func:`cube.compile.compile_query`.
"""

from __future__ import annotations

from typing import Any

from cube import connection, security
from cube.compile import parquet_view
from cube.model.base import Cube, Part
from cube.query import Scope
from cube.resolve import ResolvedQuery
from data import rollups, scores

_ROUTABLE_AGGS = ("sum", "count", "count_distinct")


def route(rq: ResolvedQuery, scope: Scope, con: Any) -> tuple[str, dict[str, str]]:
    """Where ``rq`` under ``scope`` is read from: (rollup name, part key -> rollup column), or
    (the cube's base source, {}) when no rollup answers exactly. Queries whose scope goes
    through the customers table, or that need a part a rollup cannot sum (max, min), always
    read the base relation."""
    cube, parts = rq.cube, rq.parts
    plan = security.row_plan(cube, scope)
    if plan.needs_customers or any(p.agg not in _ROUTABLE_AGGS for p in parts):
        return cube.source, {}
    needed = {d.column for d in rq.dimensions}
    needed |= {f.dimension.column for f in rq.filters}
    needed |= set(plan.columns)
    needed |= {p.where[0] for p in parts if p.where}
    if cube.month_column and any(p.stock for p in parts):
        needed.add(cube.month_column)
    return choose_source(cube, needed, list(parts), con, kept_columns(rq))


def kept_columns(rq: ResolvedQuery) -> set[str]:
    """Columns that hold one value within each result row: the plain group-by columns and the
    columns an ``eq`` filter pins. (A column only filtered to several values, or grouped by a
    coarser derived level such as year, is summed over.)"""
    kept = {d.column for d in rq.dimensions if d.derive is None}
    for f in rq.filters:
        pinned = f.op == "eq" or f.op == "in" and len(set(f.filter.values)) == 1
        if f.dimension.derive is None and pinned:
            kept.add(f.dimension.column)
    return kept


def choose_source(
    cube: Cube, needed: set[str], parts: list[Part], con: Any, kept: set[str] = frozenset()
) -> tuple[str, dict[str, str]]:
    """The smallest rollup answering exactly (all ``needed`` columns are rollup dimensions and
    every part is stored and sums exactly over the rows agreeing on the ``kept`` columns), as
    (name, part key -> rollup column); else (base source, {}). A stock part is taken on one month
    per result row, so the month column counts as kept for it."""
    best: tuple[int, str, dict[str, str]] | None = None
    if cube.rollup_source:
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
            if rows is not None and not set(needed) | set(mapping.values()) <= _rollup_columns(con, table):
                rows = None  # built by an earlier release, without a column declared since
            if rows is not None and (best is None or rows < best[0]):
                best = (rows, table, mapping)
    if best is None:
        return cube.source, {}
    return best[1], best[2]


def _match_part(p: Part, r: rollups.Rollup, kept: set[str]) -> str | None:
    """The rollup column that sums to part ``p`` when the rows agreeing on ``kept`` are summed."""
    for rm in r.measures:
        if p.agg == "count" and p.column is None and rm.agg == "count" and rm.column is None:
            return rm.name
        same = p.agg in ("sum", "count_distinct") and rm.agg == p.agg and rm.column == p.column
        if same and (p.agg == "sum" or rollups.distinct_sums_exactly(r, rm, kept)):
            return rm.name
    return None


def _rollup_table(r: rollups.Rollup, con: Any) -> str | None:
    """The table serving rollup ``r`` on ``con``: the warehouse table, or for a rollup built when
    scores were published, a view over the file of the publication in force (None if none)."""
    if not r.published_by:
        return r.name
    path = scores.rollup_file(connection.warehouse_version(), r)
    return parquet_view(con, path, r.name) if path else None


# Row count of each rollup table, per warehouse version (or backend when unversioned).
_row_counts: dict[tuple[str | None, str], int | None] = {}


_columns: dict[tuple[str | None, str], frozenset[str]] = {}


def _rollup_columns(con: Any, name: str) -> frozenset[str]:
    """The columns rollup table ``name`` really has in this warehouse (memoised per version): a
    warehouse loaded by an earlier release may lack a measure declared since, and must then be
    answered from the base tables instead of failing."""
    key = (connection.warehouse_version() or str(id(con)), name)
    if key not in _columns:
        _columns[key] = frozenset(con.table(name).columns)
    return _columns[key]


def _rollup_rows(con: Any, name: str) -> int | None:
    key = (connection.warehouse_version() or str(id(con)), name)
    if key not in _row_counts:
        try:
            _row_counts[key] = int(con.table(name).count().execute())
        except Exception:  # noqa: BLE001 - a rollup missing from this warehouse simply cannot serve
            _row_counts[key] = None
    return _row_counts[key]
