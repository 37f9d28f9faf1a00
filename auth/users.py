"""Users, their role and their data scope, stored in the ops store.

A scope is at most one of: a region, a branch, or a relationship manager's own customers.
Admins and analysts carry no scope (all data); the other roles must carry one, so a user
created without it sees nothing rather than everything (deny by default).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from datetime import UTC, datetime

from auth import passwords, roles, sessions
from data import ops_store

MAX_USERNAME = 64
MIN_PASSWORD = 8
MAX_PASSWORD = 256


class UserError(ValueError):
    """A user could not be created or changed; nothing was written.

    ``key`` names the reason (the admin page shows ``admin.error.<key>``), ``params`` fill its
    placeholders; ``str()`` is an English sentence for logs and scripts.
    """

    def __init__(self, key: str, message: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(message)


class StaleEdit(UserError):
    """The user was changed by someone else since the form that asks for this change loaded."""


@dataclass(frozen=True)
class Change:
    """One field an update changed: ``field`` is a column name, or ``password`` (no values)."""

    field: str
    before: object = None
    after: object = None

    def __str__(self) -> str:
        if self.field == "password":
            return "password reset"
        return f"{self.field} {self.before} -> {self.after}"


@dataclass(frozen=True)
class User:
    """A signed-in (or stored) user; ``get_id`` and friends make it a flask-login user.

    ``version`` counts the updates of the stored row (for the admin page's edit check); it is
    not part of equality: the same user at two versions is the same user. ``epoch`` is the
    user's session epoch when the row was read (:mod:`auth.sessions`), read with it so that a
    request's sign-in check costs one read of the store.
    """

    username: str
    role: str
    region_id: int | None = None
    branch_id: int | None = None
    manager_id: int | None = None
    active: bool = True
    version: int = field(default=0, compare=False)
    epoch: int | None = field(default=None, compare=False)

    # flask-login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.username


def _row_to_user(row) -> User:
    return User(
        username=row["username"],
        role=row["role"],
        region_id=row["region_id"],
        branch_id=row["branch_id"],
        manager_id=row["manager_id"],
        active=bool(row["active"]),
        version=int(row["version"]),
        epoch=int(row["epoch"] or 0) if "epoch" in row.keys() else None,  # noqa: SIM118 - a tuple
    )


def validate(role: str, region_id: int | None, branch_id: int | None, manager_id: int | None) -> None:
    """Raise UserError (a ValueError) unless the role and scope fit together."""
    if not isinstance(role, str) or role not in roles.ROLES:
        raise UserError("role", f"unknown role {role!r}")
    given = [v for v in (region_id, branch_id, manager_id) if v is not None]
    if any(
        not isinstance(v, numbers.Integral) or isinstance(v, bool) or not -(2**63) <= v < 2**63 for v in given
    ):
        raise UserError("scope_number", "region, branch and manager ids are whole numbers")
    if len(given) > 1:
        raise UserError("one_scope", "a scope is one region, one branch or one manager")
    if role == roles.BRANCH_MANAGER and region_id is None and branch_id is None:
        raise UserError("branch_scope", "a branch manager needs a branch or a region")
    if role == roles.RELATIONSHIP_MANAGER and manager_id is None:
        raise UserError("rm_scope", "a relationship manager needs a manager id")


def _check_password(password: object) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(
            "password",
            f"a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters is needed",
            low=MIN_PASSWORD,
            high=MAX_PASSWORD,
        )


def create_user(
    username: str,
    password: str,
    role: str,
    region_id: int | None = None,
    branch_id: int | None = None,
    manager_id: int | None = None,
    active: bool = True,
) -> User:
    """Store a new user with a hashed password.

    Raises
    ------
    UserError
        If the name is taken (key ``exists``: never an update of the existing user, even when
        two admins create the same name at once), or the name, password, role or scope is not
        acceptable.
    """
    if not isinstance(username, str) or not username or len(username) > MAX_USERNAME:
        raise UserError(
            "username", f"a username of 1 to {MAX_USERNAME} characters is needed", high=MAX_USERNAME
        )
    validate(role, region_id, branch_id, manager_id)
    _check_password(password)
    password_hash = passwords.hash_password(password)  # slow: hashed before the write lock
    try:
        with ops_store.transaction() as con:
            # The primary key refuses a second row of the name even if this check raced.
            if con.execute(
                "SELECT 1 FROM users WHERE username = :username", {"username": username}
            ).fetchone():
                raise UserError("exists", f"user {username!r} exists", username=username)
            con.execute(
                "INSERT INTO users (username, password_hash, role, region_id, branch_id, manager_id, "
                "active, created_at, version) VALUES (:username, :password_hash, :role, :region_id, "
                ":branch_id, :manager_id, :active, :created_at, 0)",
                {
                    "username": username,
                    "password_hash": password_hash,
                    "role": role,
                    "region_id": region_id,
                    "branch_id": branch_id,
                    "manager_id": manager_id,
                    "active": int(bool(active)),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
            )
    except ops_store.IntegrityError as exc:
        raise UserError("exists", f"user {username!r} exists", username=username) from exc
    return User(username, role, region_id, branch_id, manager_id, bool(active), 0)


def update_user(
    username: str,
    role: str,
    region_id: int | None = None,
    branch_id: int | None = None,
    manager_id: int | None = None,
    active: bool = True,
    password: str | None = None,
    expected_version: int | None = None,
) -> list[Change]:
    """Change a user's role, scope, active flag and (optionally) password; a change of any of
    them ends every session the user has open (they sign in again under the new terms).

    Parameters
    ----------
    expected_version
        The version the caller's form loaded; if the stored user has moved on since, nothing is
        written and :class:`StaleEdit` is raised (no last-writer-wins). ``None`` skips the check.

    Returns
    -------
    list[Change]
        What changed (empty if the values were the stored ones; the version then stays).

    Raises
    ------
    UserError
        Key ``missing`` if there is no such user, ``stale`` (a :class:`StaleEdit`) as above, or
        the reason the role, scope or password is not acceptable.
    """
    validate(role, region_id, branch_id, manager_id)
    if password:
        _check_password(password)
    password_hash = passwords.hash_password(password) if password else None
    with ops_store.transaction() as con:
        before = con.execute(
            "SELECT role, region_id, branch_id, manager_id, active, version FROM users "
            "WHERE username = :username",
            {"username": username},
        ).fetchone()
        if before is None:
            raise UserError("missing", f"user {username!r} does not exist", username=username)
        if expected_version is not None and before["version"] != expected_version:
            raise StaleEdit(
                "stale",
                f"user {username!r} was changed by someone else since it was opened",
                username=username,
            )
        after = {
            "role": role,
            "region_id": region_id,
            "branch_id": branch_id,
            "manager_id": manager_id,
            "active": bool(active),
        }
        changes = [
            Change(name, bool(before[name]) if name == "active" else before[name], value)
            for name, value in after.items()
            if (bool(before[name]) if name == "active" else before[name]) != value
        ]
        if password_hash:
            changes.append(Change("password"))
        if not changes:
            return []
        con.execute(
            "UPDATE users SET role = :role, region_id = :region_id, branch_id = :branch_id, "
            "manager_id = :manager_id, active = :active, password_hash = coalesce(:password_hash, "
            "password_hash), version = version + 1 WHERE username = :username",
            {
                "role": role,
                "region_id": region_id,
                "branch_id": branch_id,
                "manager_id": manager_id,
                "active": int(bool(active)),
                "password_hash": password_hash,
                "username": username,
            },
        )
        sessions.end_all(username, con)
    return changes


def get_user(username: str) -> User | None:
    """The stored user, or None."""
    con = ops_store.connect()
    try:
        row = con.execute(
            "SELECT users.*, session_epochs.epoch AS epoch FROM users "
            "LEFT JOIN session_epochs ON session_epochs.username = users.username "
            "WHERE users.username = :username",
            {"username": username},
        ).fetchone()
    finally:
        con.close()
    return _row_to_user(row) if row else None


def list_users() -> list[User]:
    """All users, by name."""
    con = ops_store.connect()
    try:
        rows = con.execute("SELECT * FROM users ORDER BY username").fetchall()
    finally:
        con.close()
    return [_row_to_user(r) for r in rows]


def authenticate(username: str, password: str) -> User | None:
    """The user if the password matches and the account is active, else None."""
    con = ops_store.connect()
    try:
        row = con.execute("SELECT * FROM users WHERE username = :username", {"username": username}).fetchone()
    finally:
        con.close()
    stored = row["password_hash"] if row else passwords.DUMMY_HASH
    ok = passwords.verify_password(stored, password)
    if not (row and ok and row["active"]):
        return None
    return _row_to_user(row)


def has_users() -> bool:
    """Whether any user exists (first start creates the demo users)."""
    con = ops_store.connect()
    try:
        return con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None
    finally:
        con.close()
