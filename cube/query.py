"""The cube's value types: queries, filters, scopes and results (no engine, no model).

Every other cube module imports these from here; :mod:`cube.api` re-exports them for pages,
tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    ``customer_rows`` False makes the scope aggregates-only (presenters): the cube refuses it
    any customer-level row (drill-through of a cube with customers, grouping by a customer),
    whichever page asks.
    """

    rows: tuple[Grant, ...] = ()
    identities: tuple[Grant, ...] = ()
    customer_rows: bool = True

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
        if role in ("analyst", "marketing_head"):
            return cls.all(identities=False)
        if role == "presenter":  # management reviews show aggregates only
            return cls((Grant("all"),), (), customer_rows=False)
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
