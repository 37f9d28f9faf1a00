"""Saved personal views: a name for the URL state of a page, listed per user.

A saved view is only a link (page path and query string): opening it runs the page under the
opener's own scope, so a view can never show more than its user may see today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from data import ops_store

MAX_NAME = 80
MAX_SEARCH = 2000
MAX_PER_USER = 200


@dataclass(frozen=True)
class SavedView:
    name: str
    path: str
    search: str
    saved_at: str

    @property
    def href(self) -> str:
        return self.path + self.search


def _check(name: str, path: str, search: str) -> str:
    # the save callback passes what the browser sent: anything but text is refused as a value
    name = (name if isinstance(name, str) else "").strip()
    if not name:
        raise ValueError("a saved view needs a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"the name may have at most {MAX_NAME} characters")
    # "/\\host" reads as "//host" in browsers: no backslashes in a path of ours
    bad_path = not isinstance(path, str) or not path.startswith("/") or path.startswith("//") or "\\" in path
    if bad_path or len(path) > 200:
        raise ValueError("a saved view must point at a page of this application")
    if not isinstance(search, str) or (search and not search.startswith("?")):
        raise ValueError("the view's filters must start with '?'")
    if len(search) > MAX_SEARCH:
        raise ValueError("the view's filters are too long to save")
    return name


def save(username: str, name: str, path: str, search: str) -> SavedView:
    """Save (or replace, under the same name) the user's view; ValueError naming the problem."""
    name = _check(name, path, search or "")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with ops_store.transaction() as con:
        count = con.execute(
            "SELECT COUNT(*) FROM saved_views WHERE username = :username", {"username": username}
        ).fetchone()[0]
        exists = con.execute(
            "SELECT 1 FROM saved_views WHERE username = :username AND name = :name",
            {"username": username, "name": name},
        ).fetchone()
        if not exists and count >= MAX_PER_USER:
            raise ValueError(f"at most {MAX_PER_USER} saved views per user: delete one first")
        con.execute(
            "INSERT INTO saved_views (username, name, path, search, saved_at) "
            "VALUES (:username, :name, :path, :search, :saved_at) "
            "ON CONFLICT (username, name) DO UPDATE SET path = excluded.path, search = excluded.search, "
            "saved_at = excluded.saved_at",
            {"username": username, "name": name, "path": path, "search": search or "", "saved_at": now},
        )
    return SavedView(name, path, search or "", now)


def list_views(username: str) -> list[SavedView]:
    """The user's saved views, by name."""
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT name, path, search, saved_at FROM saved_views WHERE username = :username ORDER BY name",
            {"username": username},
        ).fetchall()
    finally:
        con.close()
    return [SavedView(r["name"], r["path"], r["search"], r["saved_at"]) for r in rows]


def get(username: str, name: str) -> SavedView | None:
    return next((v for v in list_views(username) if v.name == name), None)


def delete(username: str, name: str) -> bool:
    """Remove one of the user's saved views; False if there was none of that name."""
    with ops_store.transaction() as con:
        cur = con.execute(
            "DELETE FROM saved_views WHERE username = :username AND name = :name",
            {"username": username, "name": name},
        )
        return cur.rowcount > 0
