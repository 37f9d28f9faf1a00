"""Validation rules over the model: small rule objects, all problems reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cube.model import CUBES
from cube.model.base import AGGS, Cube
from cube.model.labels import DETAIL_COLUMNS
from data import contract, rollups, scores

FORMATS = ("money", "count", "percent", "number", "text", "id", "int", "year", "quarter", "month", "date")


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.message}"


def _source_columns(cube: Cube) -> dict[str, tuple[str, ...]]:
    """Table -> columns the cube reads. Views are mapped to the contract tables behind them."""
    if cube.source_columns:
        return cube.source_columns
    return {cube.source: ()}


def _available(cube: Cube) -> set[str]:
    """Column names available in the cube's source."""
    if cube.source_columns:
        cols: set[str] = set()
        for cs in cube.source_columns.values():
            cols |= set(cs)
        return cols
    if cube.source in rollups.ENRICHED:
        return set(rollups.ENRICHED[cube.source])
    return set(contract.TABLES[cube.source].column_names)


class ColumnsInContract:
    """Every column a cube names exists in data/contract.py (or a documented enriched relation)."""

    name = "columns_in_contract"

    def check(self, cube: Cube) -> Iterable[Problem]:
        for table, cols in _source_columns(cube).items():
            if table not in contract.TABLES and table not in rollups.ENRICHED:
                yield Problem(self.name, cube.name, f"table {table!r} is not in the contract")
                continue
            if table in contract.TABLES:
                known = set(contract.TABLES[table].column_names)
                for col in cols:
                    if col not in known:
                        yield Problem(self.name, f"{cube.name}:{table}", f"column {col!r} not in contract")
        avail = _available(cube)
        for d in cube.dimensions:
            if d.attribute and (
                d.attribute not in scores.ATTRIBUTES
                or d.column not in scores.ATTRIBUTES[d.attribute]
                or not cube.customer_column
            ):
                yield Problem(self.name, f"{cube.name}.{d.name}", f"not a published {d.attribute!r} column")
        named = [d.column for d in cube.dimensions if not d.attribute]
        named += list(cube.security.values()) + list(cube.detail_columns)
        named += [p.column for m in cube.measures if m.part for p in [m.part] if p.column]
        named += [m.part.where[0] for m in cube.measures if m.part and m.part.where]
        for col in named:
            if col not in avail:
                yield Problem(self.name, cube.name, f"column {col!r} is not in the cube's source")
        for d in cube.dimensions:
            if d.lookup:
                t = contract.TABLES.get(d.lookup.table)
                if t is None or not {d.lookup.key, d.lookup.en, d.lookup.zh} <= set(t.column_names):
                    yield Problem(self.name, f"{cube.name}.{d.name}", "lookup columns not in contract")


class LabelsAndFormats:
    """Every member has an English and a Chinese label and a known format."""

    name = "labels_and_formats"

    def check(self, cube: Cube) -> Iterable[Problem]:
        for m in (*cube.measures, *cube.dimensions):
            if not m.label_en or not m.label_zh:
                yield Problem(self.name, f"{cube.name}.{m.name}", "needs labels in en and zh")
            if m.fmt not in FORMATS:
                yield Problem(self.name, f"{cube.name}.{m.name}", f"unknown format {m.fmt!r}")
        for column in cube.detail_columns:
            if column not in DETAIL_COLUMNS:
                yield Problem(
                    self.name, f"{cube.name}.{column}", "detail column needs a header (labels.DETAIL_COLUMNS)"
                )


class MeasuresWellFormed:
    """A measure is one part, a ratio of two measures of the cube, or a share of one."""

    name = "measures_well_formed"

    def check(self, cube: Cube) -> Iterable[Problem]:
        names = {m.name for m in cube.measures}
        for m in cube.measures:
            kinds = [m.part is not None, bool(m.numerator or m.denominator), m.share_of is not None]
            if sum(kinds) != 1:
                yield Problem(self.name, f"{cube.name}.{m.name}", "must be exactly one of part/ratio/share")
            if m.part and m.part.agg not in AGGS:
                yield Problem(self.name, f"{cube.name}.{m.name}", f"unknown aggregation {m.part.agg!r}")
            for ref in (m.numerator, m.denominator, m.share_of):
                if ref is not None and ref not in names:
                    yield Problem(self.name, f"{cube.name}.{m.name}", f"refers to unknown measure {ref!r}")
            if m.part and m.part.stock and not cube.month_column:
                yield Problem(self.name, f"{cube.name}.{m.name}", "stock measure on a cube without months")


class HierarchiesKnown:
    """Hierarchy levels are dimensions of the cube; member names are unique."""

    name = "hierarchies_known"

    def check(self, cube: Cube) -> Iterable[Problem]:
        dims = [d.name for d in cube.dimensions]
        for h in cube.hierarchies:
            for lvl in h.levels:
                if lvl not in dims:
                    yield Problem(self.name, f"{cube.name}.{h.name}", f"level {lvl!r} is not a dimension")
        all_names = [m.name for m in cube.measures] + dims
        for n in {n for n in all_names if all_names.count(n) > 1}:
            yield Problem(self.name, cube.name, f"member name {n!r} used twice")


class RollupsAdditive:
    """Rollups declared for a cube's source keep sums, counts and distinct counts over real
    columns; a distinct count may only be additive over the rollup's own dimensions."""

    name = "rollups_additive"

    def check(self, cube: Cube) -> Iterable[Problem]:
        if not cube.rollup_source:
            return
        avail = _available(cube)
        for r in rollups.ROLLUPS:
            if r.source != cube.rollup_source:
                continue
            for m in r.measures:
                if m.agg not in rollups.AGGREGATIONS:
                    yield Problem(self.name, r.name, f"{m.name}: unknown aggregation {m.agg!r}")
                if not set(m.additive_over) <= set(r.dimensions):
                    yield Problem(self.name, r.name, f"{m.name} is additive over a column it does not keep")
                if m.column and m.column not in avail:
                    yield Problem(self.name, r.name, f"{m.column!r} not in {cube.rollup_source}")
            published = {c for k in r.published_by or () for c in scores.ATTRIBUTES.get(k, ())}
            for d in r.dimensions:
                if d not in avail | published:
                    yield Problem(self.name, r.name, f"dimension {d!r} not in {cube.rollup_source}")


RULES = (ColumnsInContract(), LabelsAndFormats(), MeasuresWellFormed(), HierarchiesKnown(), RollupsAdditive())


def validate(cubes: Iterable[Cube] | None = None) -> list[Problem]:
    """Run every rule over every cube; return all problems (empty when the model is sound)."""
    if cubes is None:
        cubes = CUBES.values()
    return [p for c in cubes for rule in RULES for p in rule.check(c)]
