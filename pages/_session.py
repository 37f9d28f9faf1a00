"""Who is asking: the signed-in user, their language and their cube scope.

Every callback calls :func:`require_user` (or :func:`current_scope`) first: the route guard
keeps signed-out requests away, and this keeps a forged callback input from ever widening
what a user sees, because cube queries only run under the scope built here.
"""

from __future__ import annotations

import flask
import flask_login

from auth import roles
from auth.users import User
from components import i18n


class NotAllowed(PermissionError):
    """The current user may not do this."""


def current_lang() -> str:
    """The signed-in user's language (session cookie), defaulting to Chinese."""
    try:
        return i18n.normalise_lang(flask.session.get("lang"))
    except RuntimeError:  # outside a request (tests calling layouts directly)
        return i18n.DEFAULT_LANG


def require_user() -> User:
    """The signed-in, active user; raises NotAllowed otherwise."""
    user = flask_login.current_user
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotAllowed("sign-in required")
    return user


def require_role(*allowed: str) -> User:
    """The signed-in user if their role is one of ``allowed``."""
    user = require_user()
    if user.role not in allowed:
        raise NotAllowed(f"role {user.role} may not do this")
    return user


def is_admin(user: User) -> bool:
    return user.role == roles.ADMIN


def current_scope():
    """The cube scope of the signed-in user: every cube query a callback runs uses this."""
    from cube.api import Scope

    user = require_user()
    return Scope.for_role(user.role, user.region_id, user.branch_id, user.manager_id)


def demo_scope_ids() -> tuple[int, int]:
    """(branch, manager in that branch) for the demo branch manager and relationship manager:
    the branch with the most customers, so the demo shows a busy branch."""
    from cube.api import Query, Scope, execute

    query = Query(
        "customers",
        measures=("customers.customers",),
        dimensions=("customers.branch", "customers.manager"),
    )
    frame = execute(query, Scope.all(identities=False)).frame
    by_branch = frame.groupby("customers.branch")["customers.customers"].sum()
    branch = int(by_branch.idxmax())
    managers = frame[frame["customers.branch"] == branch].sort_values("customers.customers", ascending=False)
    return branch, int(managers["customers.manager"].iloc[0])
