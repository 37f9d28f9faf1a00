"""A query checked and resolved against the model, once per execution.

:func:`resolve` runs every check a query must pass (members exist and have the right kind,
filters are well formed and their values fit their dimension, sort/limit/offset make sense)
and returns a :class:`ResolvedQuery` holding the model objects the query names. Routing
(:mod:`cube.routing`) and compilation (:mod:`cube.compile`) take that object and trust it:
they neither validate again nor look members up again.

Its own module because it needs the model (:mod:`cube.model`), which itself needs the value
types of :mod:`cube.query`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cube.model import get_cube, resolve_dimension, resolve_measure
from cube.model.base import Cube, Dimension, Part
from cube.query import FILTER_OPS, CubeError, Filter, Query

_SCALARS = (str, int, float, bool, dt.date, dt.datetime)
_DATE_FMTS = ("month", "date")
_INT_FMTS = ("id", "int", "year", "quarter")


@dataclass(frozen=True)
class ResolvedFilter:
    """A well-formed filter with its dimension; ``values`` already have the dimension's type
    (dates for month/date members, ints for ids), or are the text of a ``contains``."""

    filter: Filter
    dimension: Dimension
    values: tuple[Any, ...]

    @property
    def member(self) -> str:
        return self.filter.member

    @property
    def op(self) -> str:
        return self.filter.op


@dataclass(frozen=True)
class ResolvedQuery:
    """A query that passed :func:`resolve`, with the model objects it names.

    Attributes
    ----------
    query : Query
    cube : Cube
    dimensions : tuple of Dimension
        One per ``query.dimensions``, in order.
    measures : tuple of str
        Measure names within the cube (``"aum"`` for ``"customers.aum"``), in order.
    filters : tuple of ResolvedFilter
        One per ``query.filters``, in order.
    parts : tuple of Part
        The distinct aggregate parts the measures are computed from.
    """

    query: Query
    cube: Cube
    dimensions: tuple[Dimension, ...]
    measures: tuple[str, ...]
    filters: tuple[ResolvedFilter, ...]
    parts: tuple[Part, ...]


def resolve(query: Query) -> ResolvedQuery:
    """Check ``query`` against the model and resolve its members.

    Raises
    ------
    CubeError
        Unknown cube/member (with close matches), a member of the wrong kind or named twice,
        a malformed filter, sort, limit or offset.
    """
    if not isinstance(query, Query):
        raise CubeError(f"expected a Query, got {type(query).__name__}")
    cube = get_cube(query.cube)
    dims = tuple(resolve_dimension(m, cube.name) for m in query.dimensions)
    measures = tuple(resolve_measure(m, cube.name).name for m in query.measures)
    if not measures and not dims:
        raise CubeError("a query needs at least one measure or dimension")
    if len(set(query.dimensions)) != len(query.dimensions) or len(set(query.measures)) != len(query.measures):
        raise CubeError("a member is named twice in the query")
    filter_dims = [_check_filter_shape(f, cube) for f in query.filters]
    for s in query.sort:
        if len(s) != 2 or s[1] not in ("asc", "desc"):
            raise CubeError(f"sort item {s!r} must be (member, 'asc' | 'desc')")
        if s[0] not in query.dimensions and s[0] not in query.measures:
            raise CubeError(f"sort member {s[0]!r} is not in the query")
    if query.limit is not None and (not isinstance(query.limit, int) or query.limit < 0):
        raise CubeError("limit must be a non-negative integer")
    if not isinstance(query.offset, int) or query.offset < 0:
        raise CubeError("offset must be a non-negative integer")
    filters = tuple(_resolve_filter(f, d) for f, d in zip(query.filters, filter_dims, strict=True))
    return ResolvedQuery(query, cube, dims, measures, filters, _parts(cube, measures))


def resolve_filters(cube: Cube, filters: tuple[Filter, ...]) -> tuple[ResolvedFilter, ...]:
    """Check and resolve ``filters`` on ``cube`` (queries and drill-through).

    Raises
    ------
    CubeError
        A filter that is not a Filter, names no dimension of ``cube``, has an unknown op, the
        wrong number of values or a value that does not fit its dimension.
    """
    return tuple(_resolve_filter(f, _check_filter_shape(f, cube)) for f in filters)


def _check_filter_shape(f: Any, cube: Cube) -> Dimension:
    if not isinstance(f, Filter):
        raise CubeError(f"filters must be Filter objects, got {f!r}")
    d = resolve_dimension(f.member, cube.name)
    for v in f.values:
        if not isinstance(v, _SCALARS):
            raise CubeError(f"filter on {f.member!r}: value {v!r} is not a plain scalar")
    return d


def _resolve_filter(f: Filter, d: Dimension) -> ResolvedFilter:
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
    if f.op == "contains":
        if not isinstance(f.values[0], str):
            raise CubeError(f"filter on {f.member!r}: contains needs text")
        return ResolvedFilter(f, d, f.values)
    return ResolvedFilter(f, d, tuple(_coerce(v, d, f.member) for v in f.values))


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


def _parts(cube: Cube, measures: tuple[str, ...]) -> tuple[Part, ...]:
    seen: dict[str, Part] = {}
    for m in measures:
        for p in cube.parts(m):
            seen.setdefault(p.key, p)
    return tuple(seen.values())
