"""Row-level security and masking, applied inside the query.

One sentence: restrictions on different hierarchies intersect, on the same hierarchy they
union, and a scope with no grant sees nothing. Hierarchies: ``org`` (region, branch, manager)
and ``product`` (category). A grant a cube cannot apply (no such column) denies instead of
being ignored. Identifying columns (contract ``Column.identifying``) are masked unless the
customer falls inside ``scope.identities`` (same rules, decided on the customer's home org).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Any

import ibis

from cube.model.base import Cube
from cube.query import CubeError, Scope

HIERARCHY_OF = {"region": "org", "branch": "org", "manager": "org", "category": "product"}


@dataclass(frozen=True)
class RowPlan:
    columns: tuple[str, ...]  # source columns the security filter reads
    needs_customers: bool  # a manager grant applied through the customers table


def _check(scope: Scope) -> None:
    for g in (*scope.rows, *scope.identities):
        if g.kind != "all" and g.kind not in HIERARCHY_OF:
            raise CubeError(f"unknown grant kind {g.kind!r}")


def _unrestricted(grants) -> bool:
    return any(g.kind == "all" for g in grants)


def row_plan(cube: Cube, scope: Scope) -> RowPlan:
    """Which columns the scope's filter needs on ``cube`` (for rollup routing)."""
    _check(scope)
    if _unrestricted(scope.rows) or not scope.rows:
        return RowPlan((), False)
    cols, via_customers = [], False
    for g in scope.rows:
        if g.kind in cube.security:
            cols.append(cube.security[g.kind])
        elif g.kind == "manager" and cube.customer_column:
            via_customers = True
    return RowPlan(tuple(dict.fromkeys(cols)), via_customers)


def _ids(g) -> list[Any]:
    return [v for v in g.ids if isinstance(v, (int, str)) and not isinstance(v, bool)]


def row_predicate(t, cube: Cube, scope: Scope, con: Any):
    """Boolean Ibis expression restricting ``t`` to the scope, or None for no restriction."""
    _check(scope)
    if _unrestricted(scope.rows):
        return None
    if not scope.rows:
        return ibis.literal(False)
    groups: dict[str, list] = {}
    for g in scope.rows:
        ids = _ids(g)
        if not ids:
            term = ibis.literal(False)
        elif g.kind in cube.security:
            term = t[cube.security[g.kind]].isin(ids)
        elif g.kind == "manager" and cube.customer_column:
            cust = con.table("customers")
            term = t[cube.customer_column].isin(cust.filter(cust.manager_id.isin(ids)).customer_id)
        else:
            term = ibis.literal(False)  # cannot apply here: deny rather than ignore
        groups.setdefault(HIERARCHY_OF[g.kind], []).append(term)
    return functools.reduce(
        operator.and_, [functools.reduce(operator.or_, terms) for terms in groups.values()]
    )


def visible_customers(scope: Scope, con: Any):
    """Ibis column of customer ids whose identities are visible, or None if all are."""
    _check(scope)
    if _unrestricted(scope.identities):
        return None
    cust = con.table("customers").select("customer_id", "home_branch_id", "manager_id")
    br = con.table("branches").select("branch_id", "region_id")
    j = cust.join(br, cust.home_branch_id == br.branch_id)
    col = {"region": j.region_id, "branch": j.home_branch_id, "manager": j.manager_id}
    terms = [col[g.kind].isin(_ids(g)) for g in scope.identities if g.kind in col and _ids(g)]
    pred = functools.reduce(operator.or_, terms) if terms else ibis.literal(False)
    return j.filter(pred).customer_id


def _keep_ends(e, standard_length: int, head: int, tail: int, stars: str):
    """Keep ``head`` and ``tail`` characters of a value of the standard length (or longer);
    of a shorter one keep at most a quarter at each end, so no length shows it whole."""
    n = e.length()
    short = n // 4
    short_form = e.substr(0, short).concat(stars, e.substr(n - short, short))
    long_form = e.substr(0, head).concat(stars, e.substr(n - tail, tail))
    return ibis.ifelse(n >= standard_length, long_form, short_form)


def mask_name(e):
    # "张**" for 张三 and 张三丰; a one-character name shows nothing
    return ibis.ifelse(e.length() >= 2, e.substr(0, 1).concat("**"), ibis.literal("*"))


def mask_phone(e):
    return _keep_ends(e, 11, 3, 4, "****")


def mask_id_card(e):
    return _keep_ends(e, 18, 6, 4, "********")


def masked_identity_columns(t, cube: Cube, scope: Scope, con: Any) -> list:
    """customer_name/phone/id_card_no columns of a joined detail relation, masked per scope."""
    vis = visible_customers(scope, con)
    out = []
    for name, masker in (
        ("customer_name", mask_name),
        ("customer_phone", mask_phone),
        ("customer_id_card_no", mask_id_card),
    ):
        col = t[name]
        if vis is not None:
            # A value the bank masked before export (empty) stays empty: nothing to mask.
            shown = t[cube.customer_column].isin(vis) | col.isnull() | (col == "")
            col = ibis.ifelse(shown, col, masker(col))
        out.append(col.name(name))
    return out


def manager_visible(manager_branch: int, manager_region: int, manager_id: int, scope: Scope) -> bool:
    """Whether a manager's name may be shown (managers.name is identifying)."""
    for g in scope.identities:
        if g.kind == "all":
            return True
        value = {"region": manager_region, "branch": manager_branch, "manager": manager_id}.get(g.kind)
        if value is not None and value in _ids(g):
            return True
    return False
