"""Who is acting in the loop: the user's cube scope, built the one way the pages build it."""

from __future__ import annotations

from auth.users import User
from cube.query import Scope


def scope_of(user: User) -> Scope:
    """The cube scope of ``user`` (their role and region/branch/manager), never wider."""
    return Scope.for_role(user.role, user.region_id, user.branch_id, user.manager_id)
