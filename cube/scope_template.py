"""One compiled plan for every user of the same kind of scope.

Compiling a cube query through Ibis costs 20-60 ms, and a view runs dozens: a branch manager's
first render after a load spent about two thirds of its time compiling SQL that differs from
any other branch manager's only in the branch id of the security filter (profile in
docs/BENCHMARKS.md). So the engine compiles a query once per *shape* of scope, with each granted
id replaced by a sentinel number no contract id can take, and binds the real ids into the SQL
text. Every other value still reaches the engine as an Ibis literal; only integer ids the
scope grants are bound, and a bound SQL that still names a sentinel, or a template in which a
row grant's sentinel does not appear, is refused (the query is then compiled directly).
``tests/cube/test_scope_template.py`` checks the bound SQL against the direct compilation.
"""

from __future__ import annotations

import re

from cube.query import Grant, Scope

# Sentinels count down from here: 19 digits, far below any id a warehouse holds (ids are
# positive), and rendered by Ibis as a plain integer literal.
SENTINEL_BASE = -8_646_911_284_551_352_321
_ANY_SENTINEL = re.compile(r"(?<![0-9])-864691128455135\d{4}(?![0-9])")
MAX_IDS = 1000  # a scope granting more ids is compiled directly (the sentinels stay 19 digits)


def _plain_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62


def template(scope: Scope) -> tuple[Scope, dict[int, int]] | None:
    """``scope`` with each row-grant id replaced by its own sentinel, and sentinel -> id; None when
    there is nothing to bind (no ids) or an id is not a plain integer (a product category)."""
    ids_granted = sum(len(g.ids) for g in scope.rows)
    if not ids_granted or ids_granted > MAX_IDS or any(g.kind == "all" for g in scope.rows):
        return None
    binding: dict[int, int] = {}
    grants = []
    for g in scope.rows:
        if not all(_plain_int(v) for v in g.ids):
            return None
        ids = []
        for v in g.ids:
            sentinel = SENTINEL_BASE - len(binding)
            binding[sentinel] = v
            ids.append(sentinel)
        grants.append(Grant(g.kind, tuple(ids)))
    return Scope(tuple(grants)), binding


def bind(sql: str, binding: dict[int, int]) -> str | None:
    """The template ``sql`` with every sentinel replaced by its id; None if a sentinel of
    ``binding`` does not appear, or one remains after binding (then compile directly)."""
    for sentinel, value in binding.items():
        pattern = re.compile(rf"(?<![0-9]){sentinel}(?![0-9])")
        sql, found = pattern.subn(str(value), sql)
        if not found:
            return None
    return None if _ANY_SENTINEL.search(sql) else sql


def rows_only(scope: Scope) -> Scope:
    """The part of ``scope`` an aggregate plan depends on: its row grants (identities only mask
    drill-through columns, and the aggregates-only flag is checked before planning)."""
    return Scope(scope.rows)
