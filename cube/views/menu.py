"""What the click menu can do with one clicked figure, decided from the cube model.

A click names a chart's query, one of its dimension members and the clicked value. From those
the menu offers: drill down or up along the member's declared hierarchy (as a change of the
view state, so the URL and Back follow), a break-down by any other dimension, the rows behind
the figure (drill-through filters), and the selection toggle for cross-filtering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cube.api import Filter, Query
from cube.model import get_cube, resolve_dimension
from cube.views.state import CUSTOMER_FILTERS, ORG_LEVELS, ViewState


@dataclass(frozen=True)
class Clicked:
    """One clicked figure: ``member`` of ``query`` had ``value``."""

    chart: str
    query: Query
    member: str
    value: Any

    @property
    def dimension(self) -> str:
        return self.member.split(".")[1]


def coerce(query: Query, member: str, value: Any) -> Any:
    """The clicked value in the member's own type (ids arrive from the browser as text);
    ValueError when it cannot be one."""
    if member not in query.dimensions:
        raise ValueError(f"{member} is not a dimension of the chart")
    d = resolve_dimension(member, query.cube)
    if isinstance(value, (list, dict)) or value is None:
        raise ValueError("the clicked value is missing")
    if d.fmt in ("id", "int", "year", "quarter"):
        return int(str(value))
    if d.fmt in ("month", "date"):
        return str(value)[:10]
    text = str(value)
    if len(text) > 64:
        raise ValueError("the clicked value is too long")
    return text


def _hierarchy(cube: str, dimension: str) -> tuple[str, ...] | None:
    for h in get_cube(cube).hierarchies:
        if dimension in h.levels:
            return h.levels
    return None


def _finer(cube: str, dimension: str) -> str | None:
    levels = _hierarchy(cube, dimension)
    if not levels:
        return None
    i = levels.index(dimension)
    return levels[i + 1] if i + 1 < len(levels) else None


def _coarser(cube: str, dimension: str) -> str | None:
    levels = _hierarchy(cube, dimension)
    if not levels:
        return None
    i = levels.index(dimension)
    return levels[i - 1] if i > 0 else None


def with_value(state: ViewState, dimension: str, value: Any) -> ViewState | None:
    """The state filtered to ``dimension == value`` where the filter bar has that filter."""
    if dimension in ORG_LEVELS:
        return state.at_unit(dimension, value)
    if dimension in CUSTOMER_FILTERS:
        return state.with_(**{dimension: (value,)})
    return None


def drill_down(state: ViewState, click: Clicked) -> tuple[str, ViewState] | None:
    """(finer level, new state): the view filtered to the clicked value, showing the next level
    of the member's hierarchy; None at the finest level or off the filter bar's dimensions."""
    finer = _finer(click.query.cube, click.dimension)
    if finer is None:
        return None
    new = with_value(state, click.dimension, click.value)
    return (finer, new) if new is not None else None


def drill_up(state: ViewState, click: Clicked) -> tuple[str, ViewState] | None:
    """(coarser level, new state): the filter that put the chart at the member's level
    removed; None when nothing is above."""
    coarser = _coarser(click.query.cube, click.dimension)
    if coarser is None:
        return None
    if coarser in ORG_LEVELS and getattr(state, coarser) is not None:
        return coarser, state.at_unit(coarser, None)
    if coarser in CUSTOMER_FILTERS and getattr(state, coarser):
        return coarser, state.with_(**{coarser: ()})
    return None


def break_down_options(click: Clicked) -> list[str]:
    """Members the clicked figure can be broken down by: the cube's other dimensions (not the
    customer itself: its rows are the drill-through)."""
    cube = get_cube(click.query.cube)
    used = set(click.query.dimensions)
    return [
        f"{cube.name}.{d.name}"
        for d in cube.dimensions
        if f"{cube.name}.{d.name}" not in used
        and d.derive is None
        and d.name not in ("day",)
        and d.column != cube.customer_column
    ]


def point_filters(click: Clicked) -> tuple[Filter, ...]:
    """The chart's filters plus the clicked member pinned to its value."""
    others = tuple(f for f in click.query.filters if f.member != click.member)
    return (*others, Filter(click.member, "eq", (click.value,)))


def break_down_query(click: Clicked, by: str) -> Query:
    """The clicked figure split by member ``by`` (same measures)."""
    if by not in break_down_options(click):
        raise ValueError(f"cannot break this figure down by {by}")
    return Query(click.query.cube, click.query.measures, (by,), point_filters(click))
