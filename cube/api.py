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
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

FILTER_OPS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "contains")
SCOPE_KINDS = ("all", "region", "branch", "manager", "none")
MAX_PAGE_SIZE = 1000  # drill_through rows per call


class CubeError(ValueError):
    """A query names an unknown member, uses a malformed filter or cannot be answered."""


@dataclass(frozen=True)
class Filter:
    """Restrict ``member`` (a dimension, ``"cube.member"``) by ``op`` over ``values``.

    ``values`` is always a tuple (``("a",)`` for eq); ``between`` takes two values (inclusive).
    Values become literals/parameters through Ibis, never SQL text.
    """

    member: str
    op: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple):
            vals = self.values
            vals = tuple(vals) if isinstance(vals, (list, set, frozenset)) else (vals,)
            object.__setattr__(self, "values", vals)


@dataclass(frozen=True)
class Query:
    """A cube query.

    Parameters
    ----------
    cube : str
        Cube name, e.g. ``"customers"``.
    measures : tuple of str
        Measure members, e.g. ``("customers.aum",)``.
    dimensions : tuple of str
        Dimension members to group by, e.g. ``("customers.month", "customers.branch")``.
    filters : tuple of Filter
    sort : tuple of (member, "asc" | "desc")
        Default: the dimensions ascending.
    limit, offset : int or None
    """

    cube: str
    measures: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    sort: tuple[tuple[str, str], ...] = ()
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        for name in ("measures", "dimensions", "filters"):
            val = getattr(self, name)
            if not isinstance(val, tuple):
                object.__setattr__(self, name, tuple(val))
        # sort items may arrive as lists (e.g. from JSON); keep the query hashable
        object.__setattr__(self, "sort", tuple(tuple(v) for v in self.sort))


@dataclass(frozen=True)
class Grant:
    """One row-level grant: ``kind`` in ``SCOPE_KINDS`` (or ``"category"``) and its ids."""

    kind: str
    ids: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Scope:
    """What a user may see. Deny by default: an empty ``rows`` sees nothing.

    ``rows`` restricts the rows: grants on the same hierarchy (org: region, branch, manager)
    union; grants on different hierarchies (org, product ``category``) intersect; a grant of
    kind ``"all"`` lifts the restriction. ``identities`` says whose identifying columns
    (contract ``Column.identifying``) are shown unmasked, with the same grant kinds.
    """

    rows: tuple[Grant, ...] = ()
    identities: tuple[Grant, ...] = ()

    @classmethod
    def all(cls, identities: bool = True) -> Scope:
        """Every row; identities visible if ``identities`` (admin) else masked (analyst)."""
        return cls((Grant("all"),), (Grant("all"),) if identities else ())

    @classmethod
    def none(cls) -> Scope:
        """Nothing at all."""
        return cls()

    @classmethod
    def of(cls, kind: str, ids: tuple[Any, ...] | list[Any] | Any, identities: bool = True) -> Scope:
        """Rows of one region/branch/manager; identities of the same rows if ``identities``."""
        if kind not in SCOPE_KINDS:
            raise CubeError(f"unknown scope kind {kind!r}; expected one of {SCOPE_KINDS}")
        if kind == "none":
            return cls()
        if kind == "all":
            return cls.all(identities)
        ids = tuple(ids) if isinstance(ids, (list, tuple, set)) else (ids,)
        grant = Grant(kind, ids)
        return cls((grant,), (grant,) if identities else ())

    @classmethod
    def for_role(
        cls,
        role: str,
        region_id: int | None = None,
        branch_id: int | None = None,
        manager_id: int | None = None,
    ) -> Scope:
        """The scope of a user (see auth.roles): admin all; analyst/presenter all, masked;
        branch manager own region/branch; relationship manager own customers; else none."""
        if role == "admin":
            return cls.all(identities=True)
        if role in ("analyst", "presenter"):
            return cls.all(identities=False)
        if role == "branch_manager":
            if branch_id is not None:
                return cls.of("branch", branch_id)
            if region_id is not None:
                return cls.of("region", region_id)
        if role == "relationship_manager" and manager_id is not None:
            return cls.of("manager", manager_id)
        return cls()


@dataclass(frozen=True)
class ColumnInfo:
    """Metadata of a result column."""

    name: str
    role: str  # "dimension" | "measure" | "label" | "detail"
    label_en: str
    label_zh: str
    fmt: str  # "money" | "count" | "percent" | "number" | "text" | "date" | "month" | ...

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang.startswith("zh") else self.label_en


@dataclass
class Result:
    """What a query returned and what ran."""

    query: Query | None
    frame: pd.DataFrame
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    sql: str = ""
    served_by: str = ""
    ms: float = 0.0
    cached: bool = False
    total_rows: int | None = None  # drill-through: rows before pagination


def label_column(member: str) -> str:
    """Name of the label column of a dimension member in a result frame."""
    return f"{member}.label"


# --- the model, for building UIs -----------------------------------------------------------


def cubes() -> list[str]:
    """Names of all cubes."""
    from cube.model import CUBES

    return list(CUBES)


def members(cube: str, lang: str = "en") -> pd.DataFrame:
    """Members of ``cube``: columns member, kind (measure/dimension), label, format, description."""
    from cube.model import get_cube

    return get_cube(cube).members_frame(lang)


def hierarchies(cube: str) -> dict[str, tuple[str, ...]]:
    """Hierarchies of ``cube``: name -> member levels from coarse to fine."""
    from cube.model import get_cube

    c = get_cube(cube)
    return {h.name: tuple(f"{c.name}.{lvl}" for lvl in h.levels) for h in c.hierarchies}


def member_label(member: str, lang: str = "en") -> str:
    """Display label of a member."""
    from cube.model import resolve_member

    return resolve_member(member).label(lang)


# --- running queries ------------------------------------------------------------------------


def execute(query: Query, scope: Scope, lang: str = "en", use_cache: bool = True) -> Result:
    """Run ``query`` under ``scope`` and return its result (cached by query+scope+data version).

    Raises
    ------
    CubeError
        Unknown cube/member (with close matches) or malformed filter/sort.
    """
    from cube import engine

    return engine.execute(query, scope, lang=lang, use_cache=use_cache)


def drill_down(query: Query, hierarchy_member: str, value: Any) -> Query:
    """Filter on ``hierarchy_member == value`` and replace it by the next finer level.

    E.g. from ``customers.region`` with value 3 to ``customers.branch`` within region 3.
    At the finest level the query is only filtered.
    """
    from cube.model import next_level

    finer = next_level(hierarchy_member)
    dims = query.dimensions
    if finer is not None:
        dims = tuple(finer if d == hierarchy_member else d for d in dims if d != finer)
    filters = tuple(f for f in query.filters if f.member != hierarchy_member)
    return replace(query, dimensions=dims, filters=(*filters, Filter(hierarchy_member, "eq", (value,))))


def drill_up(query: Query, hierarchy: str) -> Query:
    """Undo one drill step on ``hierarchy`` (e.g. ``"customers.org"``): drop the finest level in
    the query, bring back its parent and drop the parent's filter."""
    from cube.model import hierarchy_levels

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
) -> Result:
    """Detail rows of ``cube`` under ``filters``, one page at a time.

    Rows are the cube's detail columns; cubes with a customer column add ``customer_name``,
    ``customer_phone`` and ``customer_id_card_no``, masked inside the query unless the customer
    falls inside ``scope.identities``. Paging: ``page`` is 0-based, ``page_size`` is capped at
    :data:`MAX_PAGE_SIZE` (1000; larger raises CubeError), rows come in the cube's fixed detail
    order, and a page shorter than ``page_size`` is the last. ``Result.total_rows`` counts all
    matching rows. For exports use :func:`iter_drill_through`.
    """
    from cube import engine

    return engine.drill_through(cube, tuple(filters), scope, page, page_size, lang)


def iter_drill_through(
    cube: str,
    filters: tuple[Filter, ...] | list[Filter],
    scope: Scope,
    page_size: int = MAX_PAGE_SIZE,
    max_rows: int | None = None,
    lang: str = "en",
):
    """Yield :func:`drill_through` frames page after page (for exports), stopping after the
    last page or once ``max_rows`` rows were yielded (the last frame is cut to fit)."""
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 0):
        raise CubeError("max_rows must be a non-negative integer or None")
    done, page = 0, 0
    while max_rows is None or done < max_rows:
        frame = drill_through(cube, filters, scope, page, page_size, lang).frame
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
    from cube import ops

    return ops.compare_periods(query, scope, kind, lang, use_cache)


def top_n(
    query: Query, scope: Scope, n: int, measure: str, lang: str = "en", use_cache: bool = True
) -> Result:
    """The ``n`` largest rows of ``query`` by ``measure`` and one row ``"others"`` folding the
    rest (additive measures summed, ratios recomputed from their parts)."""
    from cube import ops

    return ops.top_n(query, scope, n, measure, lang, use_cache)


def pivot(result: Result, rows: list[str] | tuple[str, ...], columns: str, measure: str) -> pd.DataFrame:
    """Pivot a result: ``rows`` dimension(s) down, ``columns`` dimension across, cells ``measure``."""
    from cube import ops

    return ops.pivot(result, rows, columns, measure)


def attainment(query: Query, scope: Scope, lang: str = "en", use_cache: bool = True) -> Result:
    """Customers-cube actuals beside targets: for each target metric (aum, deposits, loans,
    contribution, new_customers) the columns ``customers.<m>``, ``targets.<m>`` and
    ``<m>.attainment`` (actual / target). ``query`` is a customers query over time and org
    dimensions only; manager targets are used when it groups or filters by manager."""
    from cube import ops

    return ops.attainment(query, scope, lang, use_cache)


def format_value(value: Any, fmt: str, lang: str = "en") -> str:
    """Format a number for display: ``money`` (yuan; 万/亿 in zh, K/M/B in en), ``percent``,
    ``count``, ``number``; anything else as text. None/NaN -> "-"."""
    from cube.formatting import format_value as _fv

    return _fv(value, fmt, lang)
