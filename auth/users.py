"""Users, their role and their data scope, stored in the ops store.

A scope is at most one of: a region, a branch, or a relationship manager's own customers.
Admins and analysts carry no scope (all data); the other roles must carry one, so a user
created without it sees nothing rather than everything (deny by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from auth import passwords, roles, sessions
from data import ops_store

ops_store.register_schema(
    "auth.users",
    """
    CREATE TABLE IF NOT EXISTS users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        region_id INTEGER,
        branch_id INTEGER,
        manager_id INTEGER,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    """,
)


@dataclass(frozen=True)
class User:
    """A signed-in (or stored) user; ``get_id`` and friends make it a flask-login user."""

    username: str
    role: str
    region_id: int | None = None
    branch_id: int | None = None
    manager_id: int | None = None
    active: bool = True

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
    )


def validate(role: str, region_id: int | None, branch_id: int | None, manager_id: int | None) -> None:
    """Raise ValueError unless the role and scope fit together."""
    if role not in roles.ROLES:
        raise ValueError(f"unknown role {role!r}")
    given = [v for v in (region_id, branch_id, manager_id) if v is not None]
    if len(given) > 1:
        raise ValueError("a scope is one region, one branch or one manager")
    if role == roles.BRANCH_MANAGER and region_id is None and branch_id is None:
        raise ValueError("a branch manager needs a branch or a region")
    if role == roles.RELATIONSHIP_MANAGER and manager_id is None:
        raise ValueError("a relationship manager needs a manager id")


def create_user(
    username: str,
    password: str,
    role: str,
    region_id: int | None = None,
    branch_id: int | None = None,
    manager_id: int | None = None,
) -> User:
    """Store a new user with a hashed password; raises ValueError if the name is taken."""
    validate(role, region_id, branch_id, manager_id)
    if not username or len(password) < 8:
        raise ValueError("a username and a password of at least 8 characters are needed")
    with ops_store.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise ValueError(f"user {username!r} exists")
        con.execute(
            "INSERT INTO users (username, password_hash, role, region_id, branch_id, manager_id, "
            "active, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
            (
                username,
                passwords.hash_password(password),
                role,
                region_id,
                branch_id,
                manager_id,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
    return User(username, role, region_id, branch_id, manager_id)


def update_user(
    username: str,
    role: str,
    region_id: int | None = None,
    branch_id: int | None = None,
    manager_id: int | None = None,
    active: bool = True,
    password: str | None = None,
) -> None:
    """Change a user's role, scope, active flag and (optionally) password; a change of any of
    them ends every session the user has open (they sign in again under the new terms)."""
    validate(role, region_id, branch_id, manager_id)
    with ops_store.transaction() as con:
        before = con.execute(
            "SELECT role, region_id, branch_id, manager_id, active FROM users WHERE username = ?", (username,)
        ).fetchone()
        if before is None:
            raise ValueError(f"user {username!r} does not exist")
        changed = tuple(before) != (role, region_id, branch_id, manager_id, int(active)) or bool(password)
        con.execute(
            "UPDATE users SET role = ?, region_id = ?, branch_id = ?, manager_id = ?, active = ? "
            "WHERE username = ?",
            (role, region_id, branch_id, manager_id, int(active), username),
        )
        if password:
            con.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?",
                (passwords.hash_password(password), username),
            )
        if changed:
            sessions.end_all(username, con)


def get_user(username: str) -> User | None:
    """The stored user, or None."""
    con = ops_store.connect()
    try:
        row = con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
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
        row = con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
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
