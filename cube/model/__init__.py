"""The semantic model: one module per cube, registered here; lookup helpers for members."""

from __future__ import annotations

import difflib

from cube.model import campaigns, customer_tiers, customers, holdings, product_pairs, targets, transactions
from cube.model.base import Cube, Dimension, Measure
from cube.query import CubeError

CUBES: dict[str, Cube] = {
    c.name: c
    for c in (
        customers.CUBE,
        transactions.CUBE,
        holdings.CUBE,
        campaigns.CUBE,
        targets.CUBE,
        targets.MANAGER_CUBE,
        product_pairs.CUBE,
        customer_tiers.CUBE,
    )
}


def _close(name: str, candidates: list[str]) -> str:
    near = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(near)}?" if near else ""


def get_cube(name: str) -> Cube:
    """The cube called ``name``; CubeError with close matches if unknown."""
    if not isinstance(name, str) or name not in CUBES:
        raise CubeError(f"unknown cube {name!r}{_close(str(name), list(CUBES))}")
    return CUBES[name]


def resolve_member(member: str, cube: str | None = None) -> Measure | Dimension:
    """The measure or dimension named ``"cube.member"`` (optionally required to be in ``cube``)."""
    if not isinstance(member, str) or member.count(".") != 1:
        raise CubeError(f"member {member!r} must be named 'cube.member'")
    cube_name, name = member.split(".")
    if cube is not None and cube_name != cube:
        raise CubeError(f"member {member!r} is not in cube {cube!r}")
    c = get_cube(cube_name)
    for m in c.measures:
        if m.name == name:
            return m
    for d in c.dimensions:
        if d.name == name:
            return d
    raise CubeError(f"unknown member {member!r}{_close(member, c.member_names)}")


def resolve_dimension(member: str, cube: str) -> Dimension:
    found = resolve_member(member, cube)
    if not isinstance(found, Dimension):
        raise CubeError(f"{member!r} is a measure, a dimension is needed here")
    return found


def resolve_measure(member: str, cube: str) -> Measure:
    found = resolve_member(member, cube)
    if not isinstance(found, Measure):
        raise CubeError(f"{member!r} is a dimension, a measure is needed here")
    return found


def hierarchy_levels(hierarchy: str) -> tuple[str, ...]:
    """Levels of ``"cube.hierarchy"`` as members, coarse to fine."""
    if not isinstance(hierarchy, str) or hierarchy.count(".") != 1:
        raise CubeError(f"hierarchy {hierarchy!r} must be named 'cube.hierarchy'")
    cube_name, name = hierarchy.split(".")
    c = get_cube(cube_name)
    for h in c.hierarchies:
        if h.name == name:
            return tuple(f"{cube_name}.{lvl}" for lvl in h.levels)
    raise CubeError(f"unknown hierarchy {hierarchy!r}{_close(name, [h.name for h in c.hierarchies])}")


def next_level(member: str) -> str | None:
    """The next finer level after ``member`` in its cube's hierarchies, or None."""
    resolve_member(member)
    cube_name, name = member.split(".")
    for h in get_cube(cube_name).hierarchies:
        if name in h.levels:
            i = h.levels.index(name)
            return f"{cube_name}.{h.levels[i + 1]}" if i + 1 < len(h.levels) else None
    return None
