"""The state of a view: the global filters every page shares, carried in the URL.

A ``ViewState`` is what the filter bar shows and what every declared view query is built
from: the period and its comparison, a place in the organisation tree, customer filters and
the page's cross-filter selection. It parses any URL query string without raising (a value
that is not valid is dropped, so a hand-edited link opens the default view instead of an
error) and writes back only what differs from the defaults, so links stay short.

It is pure: no Flask, no engine. The user's scope is not part of it: the cube applies the
scope inside every query, so a state naming another branch only ever returns empty frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlencode

from cube.api import Filter
from cube.model import get_cube

COMPARISONS = ("previous_month", "last_year", "month")
ORG_LEVELS = ("region", "branch", "manager")
# Customer filters of the filter bar: URL key -> cube dimension name (the same in every cube
# that has it). Values are codes (ids as integers).
CUSTOMER_FILTERS: dict[str, str] = {
    "segment": "segment",
    "value_tier": "value_tier",
    "age_band": "age_band",
    "category": "category",
    "channel_type": "channel_type",
}
INT_FILTERS = frozenset({"segment"})
MAX_VALUES = 50  # per multi-value filter: a URL cannot make a query of unbounded size


def parse_month(value: Any) -> str | None:
    """``"YYYY-MM"`` if ``value`` names a month, else None."""
    if not isinstance(value, str) or len(value) != 7:
        return None
    try:
        d = dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        return None
    return f"{d.year:04d}-{d.month:02d}"  # strftime("%Y") drops the zeros of years < 1000


def month_date(period: str) -> dt.date:
    """The first day of month ``"YYYY-MM"`` (how the cubes key months)."""
    return dt.date.fromisoformat(f"{period}-01")


def shift_month(period: str, months: int) -> str:
    """``period`` moved by ``months`` (negative: back)."""
    d = month_date(period)
    idx = d.year * 12 + d.month - 1 + months
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**53 else None


def _values(raw: Any, as_int: bool) -> tuple:
    if raw is None:
        return ()
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    out: list = []
    for item in items:
        if as_int:
            value = _int(item)
        else:
            value = str(item).strip() if isinstance(item, (str, int)) else None
            value = value if value and len(value) <= 64 else None
        if value is not None and value not in out:
            out.append(value)
            if len(out) == MAX_VALUES:  # stop here: a forged list of 100k values is not parsed
                break
    return tuple(out)


@dataclass(frozen=True)
class Selection:
    """Values picked on one chart (``chart`` key) of dimension ``dimension`` (a dimension name
    such as ``"region"``); the other charts of the page are filtered to them. In the URL:
    ``chart:dimension:value|value`` (a chart key may itself hold a colon)."""

    chart: str
    dimension: str
    values: tuple

    def encode(self) -> str:
        return f"{self.chart}:{self.dimension}:" + "|".join(str(v) for v in self.values)

    @classmethod
    def decode(cls, text: Any) -> Selection | None:
        if not isinstance(text, str) or text.count(":") < 2:
            return None
        chart, dimension, raw = text.rsplit(":", 2)  # chart keys are "<page>:<chart>"
        if not chart or len(chart) > 40 or not dimension.isidentifier():
            return None
        as_int = dimension in INT_FILTERS or dimension in ORG_LEVELS or dimension in ("product", "channel")
        values = _values(raw.split("|"), as_int)
        return cls(chart, dimension, values) if values else None


@dataclass(frozen=True)
class ViewState:
    """Global filters of a view. Empty means "all"; ``period`` None means the latest month."""

    period: str | None = None
    compare: str = "previous_month"
    compare_to: str | None = None
    region: int | None = None
    branch: int | None = None
    manager: int | None = None
    segment: tuple[int, ...] = ()
    value_tier: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    channel_type: tuple[str, ...] = ()
    selection: tuple[Selection, ...] = field(default=())
    # A page's own controls (e.g. the Overview's KPI to explain): ``x_<name>`` in the URL, so
    # they survive a change of the global filters; dropped when moving to another page.
    extra: tuple[tuple[str, str], ...] = ()

    # --- URL ---------------------------------------------------------------------------

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> ViewState:
        """Parse URL query parameters; anything malformed is dropped, never raised."""
        p = params if isinstance(params, Mapping) else {}
        compare = p.get("compare")
        selection = tuple(
            s for s in (Selection.decode(x) for x in str(p.get("sel") or "").split(",") if x) if s
        )[:MAX_VALUES]
        return cls(
            period=parse_month(p.get("period")),
            compare=compare if compare in COMPARISONS else "previous_month",
            compare_to=parse_month(p.get("compare_to")),
            **{level: _int(p.get(level)) for level in ORG_LEVELS},
            **{k: _values(p.get(k), k in INT_FILTERS) for k in CUSTOMER_FILTERS},
            selection=selection,
            extra=_extras(p),
        )

    def to_params(self) -> dict[str, str]:
        """The URL query parameters of this state (defaults left out)."""
        out: dict[str, str] = {}
        if self.period:
            out["period"] = self.period
        if self.compare != "previous_month":
            out["compare"] = self.compare
        if self.compare == "month" and self.compare_to:
            out["compare_to"] = self.compare_to
        for level in ORG_LEVELS:
            if getattr(self, level) is not None:
                out[level] = str(getattr(self, level))
        for key in CUSTOMER_FILTERS:
            if getattr(self, key):
                out[key] = ",".join(str(v) for v in getattr(self, key))
        if self.selection:
            out["sel"] = ",".join(s.encode() for s in self.selection)
        out.update({f"x_{k}": v for k, v in self.extra})
        return out

    def param(self, name: str, default: str | None = None) -> str | None:
        """The page's own control ``name`` (from ``x_<name>`` in the URL)."""
        return dict(self.extra).get(name, default)

    def with_param(self, name: str, value: str | None) -> ViewState:
        """The state with page control ``name`` set (or removed when ``value`` is empty)."""
        rest = tuple((k, v) for k, v in self.extra if k != name)
        return replace(self, extra=tuple(sorted(rest + (((name, value),) if value else ()))))

    def for_other_page(self) -> ViewState:
        """What travels to another page: the global filters, not this page's selections and
        controls."""
        return replace(self, selection=(), extra=())

    def search(self) -> str:
        """``"?a=b&..."`` for a URL (empty when everything is default)."""
        params = self.to_params()
        return f"?{urlencode(params)}" if params else ""

    def href(self, path: str) -> str:
        return path + self.search()

    def with_(self, **changes: Any) -> ViewState:
        return replace(self, **changes)

    # --- organisation --------------------------------------------------------------------

    def org_level(self) -> str | None:
        """The finest organisation level the state is at (None: the whole scoped bank)."""
        for level in reversed(ORG_LEVELS):
            if getattr(self, level) is not None:
                return level
        return None

    def child_level(self) -> str | None:
        """The level one below the state's unit (None below a single manager)."""
        level = self.org_level()
        if level is None:
            return ORG_LEVELS[0]
        i = ORG_LEVELS.index(level)
        return ORG_LEVELS[i + 1] if i + 1 < len(ORG_LEVELS) else None

    def at_unit(self, level: str | None, key: int | None) -> ViewState:
        """The state moved to unit ``key`` at ``level`` (finer levels cleared; coarser kept)."""
        changes: dict[str, Any] = {}
        keep = True
        for lvl in ORG_LEVELS:
            if lvl == level:
                changes[lvl] = key
                keep = False
            elif not keep:
                changes[lvl] = None
        return replace(self, **changes)

    def up(self) -> ViewState:
        """One organisation level up."""
        level = self.org_level()
        return self if level is None else replace(self, **{level: None})

    # --- cube filters ----------------------------------------------------------------------

    def active(self) -> dict[str, tuple]:
        """Dimension name -> values of every active org, customer and selection filter."""
        out: dict[str, tuple] = {}
        for level in ORG_LEVELS:
            if getattr(self, level) is not None:
                out[level] = (getattr(self, level),)
        for key, dim in CUSTOMER_FILTERS.items():
            if getattr(self, key):
                out[dim] = tuple(getattr(self, key))
        return out

    def filters(self, cube: str, exclude_chart: str | None = None, org: bool = True) -> tuple[Filter, ...]:
        """Cube filters for ``cube``: the org unit (if ``org``), the customer filters and the
        selections made on other charts than ``exclude_chart``, each only where ``cube`` has
        that dimension (see :meth:`ignored`). The period is not included."""
        names = {d.name for d in get_cube(cube).dimensions}
        out: list[Filter] = []
        for dim, values in self.active().items():
            if dim in ORG_LEVELS and not org:
                continue
            if dim in names:
                out.append(Filter(f"{cube}.{dim}", "eq" if len(values) == 1 else "in", values))
        for s in self.selection:
            if s.chart != exclude_chart and s.dimension in names:
                out.append(Filter(f"{cube}.{s.dimension}", "in", s.values))
        return tuple(out)

    def ignored(self, cube: str) -> list[str]:
        """Names of active filters ``cube`` cannot apply (a chart says so instead of
        silently showing unfiltered figures)."""
        names = {d.name for d in get_cube(cube).dimensions}
        active = list(self.active()) + [s.dimension for s in self.selection]
        return [d for d in dict.fromkeys(active) if d not in names]

    def selected(self, chart: str) -> Selection | None:
        for s in self.selection:
            if s.chart == chart:
                return s
        return None

    def toggle_selection(self, chart: str, dimension: str, value: Any) -> ViewState:
        """Add ``value`` to (or remove it from) ``chart``'s selection."""
        current = self.selected(chart)
        values = list(current.values) if current and current.dimension == dimension else []
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        rest = tuple(s for s in self.selection if s.chart != chart)
        new = (Selection(chart, dimension, tuple(values)),) if values else ()
        return replace(self, selection=rest + new)

    def clear_selection(self) -> ViewState:
        return replace(self, selection=())

    # --- periods ---------------------------------------------------------------------------

    def resolve(self, months: list[str]) -> ViewState:
        """The state with ``period`` set to a month with data (the latest by default) and
        ``compare_to`` checked against ``months`` (``"YYYY-MM"``, oldest first)."""
        if not months:
            return self
        period = self.period if self.period in months else months[-1]
        compare_to = self.compare_to if self.compare_to in months else None
        return replace(self, period=period, compare_to=compare_to)

    def comparison(self, months: list[str] | None = None) -> str | None:
        """The month the period is compared with (None if it has no data in ``months``)."""
        if not self.period:
            return None
        if self.compare == "last_year":
            other = shift_month(self.period, -12)
        elif self.compare == "month":
            other = self.compare_to
        else:
            other = shift_month(self.period, -1)
        if other is None or (months is not None and other not in months):
            return None
        return other

    def period_filter(self, cube: str, period: str | None = None) -> Filter:
        """``cube.month == period`` (the state's period by default)."""
        return Filter(f"{cube}.month", "eq", (month_date(period or self.period),))


STATE_KEYS = tuple(f.name for f in fields(ViewState))
MAX_EXTRAS = 8


def _extras(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Page controls ``x_<name>=<value>``: short identifiers and values only."""
    out = []
    for key, value in params.items():
        if not (isinstance(key, str) and key.startswith("x_") and 2 < len(key) <= 24):
            continue
        name = key[2:]
        if name.isidentifier() and isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable():
            out.append((name, value))
    return tuple(sorted(out)[:MAX_EXTRAS])
