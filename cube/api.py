"""The cube's public API: what pages, tests and benchmarks call. Pages never hold SQL.

Members are named ``"cube.member"`` everywhere, for example ``"customers.aum"``,
``"customers.branch"``, ``"customers.month"``, ``"transactions.channel_type"``. List them with
:func:`cubes` / :func:`members` / :func:`hierarchies`. The cubes are ``transactions``,
``customers`` (over ``customer_month``), ``holdings``, ``campaigns`` and ``targets``.

Time semantics: balances (AUM, deposits, loans, customer counts) are *stocks*: when a query
spans several months without grouping by month, a stock takes the value of the last month of
each period (month-end snapshot). Flows (contribution, transactions, new/lost customers) sum.

Results: ``Result.frame`` has one column per member (named by the member) plus, for each
dimension member with display names, a label column named :func:`label_column` (``member +
".label"``) in the requested language. ``Result.columns`` describes every column (labels in
en/zh, format), ``Result.sql`` is the compiled SQL, ``Result.served_by`` the table or rollup
that answered, ``Result.ms`` the time taken and ``Result.cached`` whether it came from cache.
Numbers are formatted for display by ``components.formatting``, not here.

Behind this façade, each module depends only on the ones below it (no cycles)::

    api        this façade: re-exports the value types, delegates to engine and ops
    ops        period comparison, top-N with others, pivot, attainment (built on engine)
    engine     runs a query: resolve, route, compile (plan cache), execute, labels, result cache;
               drill-through
    routing    which rollup answers a resolved query exactly, else the base relation
    compile    a resolved query to an Ibis expression over the chosen source
    labels     display names of dimension values
    security   row-level security and masking, applied inside the query
    cache      results by query, scope, language and data version
    connection the per-thread Ibis backend (DuckDB, or Spark via cube.spark)
    resolve    a query checked once against the model (ResolvedQuery)
    model      the cubes, declared as data
    query      the value types: Query, Filter, Scope, Result, ColumnInfo, CubeError
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pandas as pd

from cube import cache, connection, engine, ops
from cube.model import CUBES, get_cube, hierarchy_levels, next_level, resolve_member
from cube.query import (
    FILTER_OPS,
    MAX_PAGE_SIZE,
    SCOPE_KINDS,
    ColumnInfo,
    CubeError,
    Filter,
    Grant,
    Query,
    Result,
    Scope,
    label_column,
)
from data import contract, scores, warehouse

__all__ = [
    "FILTER_OPS",
    "MAX_PAGE_SIZE",
    "SCOPE_KINDS",
    "ColumnInfo",
    "CubeError",
    "Filter",
    "Grant",
    "Query",
    "Result",
    "Scope",
    "attainment",
    "compare_periods",
    "cubes",
    "drill_down",
    "drill_through",
    "drill_up",
    "execute",
    "scored",
    "scored_months",
    "kept_bytes",
    "keep_bytes",
    "cache_place",
    "hierarchies",
    "iter_drill_through",
    "label_column",
    "member_label",
    "members",
    "not_loaded",
    "pivot",
    "top_n",
]

# --- the model, for building UIs -----------------------------------------------------------


def cubes() -> list[str]:
    """Names of all cubes."""
    return list(CUBES)


def members(cube: str, lang: str = "en") -> pd.DataFrame:
    """Members of ``cube``: columns member, kind (measure/dimension), label, format, description."""
    return get_cube(cube).members_frame(lang)


def hierarchies(cube: str) -> dict[str, tuple[str, ...]]:
    """Hierarchies of ``cube``: name -> member levels from coarse to fine."""
    c = get_cube(cube)
    return {h.name: tuple(f"{c.name}.{lvl}" for lvl in h.levels) for h in c.hierarchies}


def member_label(member: str, lang: str = "en") -> str:
    """Display label of a member."""
    return resolve_member(member).label(lang)


_NOT_LOADED: dict[str, frozenset[str]] = {}


def not_loaded(*tables: str) -> frozenset[str]:
    """Optional source tables (``campaigns``, ``campaign_contacts``, ``branch_targets``,
    ``manager_targets``) the served data was loaded without (absent or empty in the extract),
    so the views that read them have nothing to show; with ``tables``, only those of them.

    Recorded at load (``data.warehouse.missing_tables``); kept per data version.
    """
    version = connection.warehouse_version()
    found = _NOT_LOADED.get(version) if version is not None else None
    if found is None:
        found = _read_not_loaded(connection.backend())
        if version is not None:
            _NOT_LOADED[version] = found
    return found & frozenset(tables) if tables else found


def _read_not_loaded(backend: Any) -> frozenset[str]:
    names = set(backend.list_tables())
    if "meta" in names:
        meta = backend.table("meta")
        rows = meta.filter(meta.key == warehouse.NOT_LOADED_KEY).select("value").to_pandas()
        if len(rows):
            return frozenset(warehouse.parse_not_loaded(rows["value"].iloc[0]))
    # A warehouse built without the record (an earlier release, a test's): the empty ones.
    return frozenset(
        t.name
        for t in contract.SOURCE_TABLES
        if t.optional and (t.name not in names or backend.table(t.name).limit(1).count().execute() == 0)
    )


# --- running queries ------------------------------------------------------------------------


def scored(member: str) -> bool:
    """Whether the model scores a dimension reads (``customers.segment``: segmentation,
    ``customers.value_tier``: value) are published for the current data; True for every
    dimension that does not come from a model. Pages show "not run yet" instead of a column of
    "Not scored", and skip queries that could only return that."""
    found = resolve_member(member)
    kind = getattr(found, "attribute", None)
    return kind is None or kind in scores.current(connection.warehouse_version())


def scored_months() -> dict[str, str | None]:
    """For the data version served: each published kind (``segmentation``, ``value``,
    ``crosssell``, ``churn``) -> the month its scores were computed on (``"YYYY-MM-01"``) when an
    incremental append carried them over from the previous version, None when they were scored
    on the current data. Pages showing scores say so while any kind they show is carried."""
    return scores.scored_months(connection.warehouse_version())


def kept_bytes(key: str) -> bytes | None:
    """Bytes another layer kept in the shared result cache under ``key`` (None: not there)."""
    return cache.get_bytes(key)


def keep_bytes(key: str, value: bytes) -> None:
    """Keep ``value`` in the shared result cache (the home's disk cache, or Redis)."""
    cache.put_bytes(key, value)


def cache_place() -> str:
    """Where the shared result cache is (a home's folder, or a Redis URL without password)."""
    return cache.where()


def data_version() -> str | None:
    """The version of everything a view shows (warehouse, or the pinned one, plus the published
    scores and segment names); None when it cannot be named (nothing may be cached then)."""
    return connection.data_version()


def execute(query: Query, scope: Scope, lang: str = "en", use_cache: bool = True) -> Result:
    """Run ``query`` under ``scope`` and return its result (cached by query+scope+data version).

    Raises
    ------
    CubeError
        Unknown cube/member (with close matches) or malformed filter/sort.
    """
    return engine.execute(query, scope, lang=lang, use_cache=use_cache)


def drill_down(query: Query, hierarchy_member: str, value: Any) -> Query:
    """Filter on ``hierarchy_member == value`` and replace it by the next finer level.

    E.g. from ``customers.region`` with value 3 to ``customers.branch`` within region 3.
    At the finest level the query is only filtered.
    """
    finer = next_level(hierarchy_member)
    dims = query.dimensions
    if finer is not None:
        dims = tuple(finer if d == hierarchy_member else d for d in dims if d != finer)
    filters = tuple(f for f in query.filters if f.member != hierarchy_member)
    return replace(query, dimensions=dims, filters=(*filters, Filter(hierarchy_member, "eq", (value,))))


def drill_up(query: Query, hierarchy: str) -> Query:
    """Undo one drill step on ``hierarchy`` (e.g. ``"customers.org"``): drop the finest level in
    the query, bring back its parent and drop the parent's filter."""
    levels = hierarchy_levels(hierarchy)
    present = [lvl for lvl in levels if lvl in query.dimensions]
    if not present:
        return query
    finest = present[-1]
    idx = levels.index(finest)
    if idx == 0:
        return query
    parent = levels[idx - 1]
    dims = tuple(parent if d == finest else d for d in query.dimensions)
    filters = tuple(f for f in query.filters if f.member != parent)
    return replace(query, dimensions=dims, filters=filters)


def drill_through(
    cube: str,
    filters: tuple[Filter, ...] | list[Filter],
    scope: Scope,
    page: int = 0,
    page_size: int = 50,
    lang: str = "en",
    columns: tuple[str, ...] = (),
    sort: tuple[str, bool] | None = None,
) -> Result:
    """Detail rows of ``cube`` under ``filters``, one page at a time.

    Rows are the cube's detail columns; cubes with a customer column add ``customer_name``,
    ``customer_phone`` and ``customer_id_card_no``, masked inside the query unless the customer
    falls inside ``scope.identities``. Paging: ``page`` is 0-based, ``page_size`` is capped at
    :data:`MAX_PAGE_SIZE` (1000; larger raises CubeError), rows come in the cube's fixed detail
    order, and a page shorter than ``page_size`` is the last. ``Result.total_rows`` counts all
    matching rows. For exports use :func:`iter_drill_through`.

    Model lists: ``columns`` adds published customer-score columns (any column of
    ``data.scores.ATTRIBUTES`` with a header in ``cube.model.labels.DETAIL_COLUMNS``; null where
    the customer is not scored) after the detail columns, and ``sort=(column, descending)``
    orders the rows by one column of the list first (nulls last), then in the fixed order.
    E.g. the customers most likely to leave in a branch manager's scope::

        drill_through("customers", [Filter("customers.month", "eq", month)], scope,
                      columns=("churn_score",), sort=("churn_score", True))
    """
    return engine.drill_through(cube, tuple(filters), scope, page, page_size, lang, tuple(columns), sort)


def iter_drill_through(
    cube: str,
    filters: tuple[Filter, ...] | list[Filter],
    scope: Scope,
    page_size: int = MAX_PAGE_SIZE,
    max_rows: int | None = None,
    lang: str = "en",
    columns: tuple[str, ...] = (),
    sort: tuple[str, bool] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield :func:`drill_through` frames page after page (for exports), stopping after the
    last page or once ``max_rows`` rows were yielded (the last frame is cut to fit)."""
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 0):
        raise CubeError("max_rows must be a non-negative integer or None")
    done, page = 0, 0
    while max_rows is None or done < max_rows:
        frame = drill_through(cube, filters, scope, page, page_size, lang, columns, sort).frame
        if max_rows is not None:
            frame = frame.head(max_rows - done)
        if len(frame):
            yield frame
        done += len(frame)
        page += 1
        if len(frame) < page_size:
            return


def compare_periods(
    query: Query, scope: Scope, kind: str = "previous_period", lang: str = "en", use_cache: bool = True
) -> Result:
    """Run ``query`` and the same query shifted back one period (``"previous_period"``: by the
    length of the time filter, ``"same_period_last_year"``: by 12 months). The query must
    filter its cube's month member with ``between`` or ``eq``. The frame has, per measure,
    ``m`` (current), ``m.previous``, ``m.delta`` and ``m.delta_pct``."""
    return ops.compare_periods(query, scope, kind, lang, use_cache)


def top_n(
    query: Query, scope: Scope, n: int, measure: str, lang: str = "en", use_cache: bool = True
) -> Result:
    """The ``n`` largest rows of ``query`` by ``measure`` and one row ``"others"`` folding the
    rest (additive measures summed, ratios recomputed from their parts)."""
    return ops.top_n(query, scope, n, measure, lang, use_cache)


def pivot(result: Result, rows: list[str] | tuple[str, ...], columns: str, measure: str) -> pd.DataFrame:
    """Pivot a result: ``rows`` dimension(s) down, ``columns`` dimension across, cells ``measure``."""
    return ops.pivot(result, rows, columns, measure)


def attainment(query: Query, scope: Scope, lang: str = "en", use_cache: bool = True) -> Result:
    """Customers-cube actuals beside targets: for each target metric (aum, deposits, loans,
    contribution, new_customers) the columns ``customers.<m>``, ``targets.<m>`` and
    ``<m>.attainment`` (actual / target). ``query`` is a customers query over time and org
    dimensions only; manager targets are used when it groups or filters by manager."""
    return ops.attainment(query, scope, lang, use_cache)
