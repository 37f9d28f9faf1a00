"""Review decks: ordered slides pinned to one data version, saved per user and shareable.

A deck holds slides, each a page of the application with its filters (the URL query string of
a view) and the part of the page it shows (its KPI group, one chart, or the whole view), with a
title and speaker notes. A deck is pinned to the data version current when it was made, so its
figures do not move during a meeting when new data is loaded; :func:`move_to_current` moves it
on in one action. The loader keeps pinned versions' warehouse files (``data.pins``).

Sharing never widens what anyone sees: a deck is only a list of links, and every slide is
computed under the VIEWER's scope (``components.slides.build_slide``). Only the owner changes a
deck; a user it is shared with may open and present it. Every change is audited.

Decks belong to the roles that run or attend reviews (:data:`DECK_ROLES`): presenters, analysts,
admins and branch managers. Relationship managers work customer lists, not reviews.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import UTC, datetime

from auth import audit, roles, saved_views, users
from data import ops_store, warehouse

DECK_ROLES = frozenset({roles.PRESENTER, roles.ANALYST, roles.ADMIN, roles.BRANCH_MANAGER})
MAX_NAME = 80
MAX_TITLE = 120
MAX_NOTES = 4000
MAX_SEARCH = saved_views.MAX_SEARCH
MAX_PATH = 200
MAX_PART = 24
MAX_DECKS_PER_USER = 100
MAX_SLIDES = 60
MAX_SHARES = 50
DEFAULT_PART = "view"

# its tables decks, deck_slides and deck_shares are in data/ops_schema.py


class DeckInputError(ValueError):
    """Input refused; ``field`` names the field (``name``, ``title``, ``username`` ...)."""

    def __init__(self, field_name: str, problem: str) -> None:
        self.field = field_name
        super().__init__(f"{field_name}: {problem}")


class DeckRefused(PermissionError):
    """The deck does not exist, or the user may not open (or change) it. One message for both,
    so a refusal never tells whether a deck of that number exists."""


@dataclass(frozen=True)
class Slide:
    id: int
    deck_id: int
    position: int
    path: str
    search: str
    part: str
    title: str
    notes: str

    @property
    def href(self) -> str:
        return self.path + self.search


@dataclass(frozen=True)
class Deck:
    id: int
    owner: str
    name: str
    data_version: str | None
    pinned_at: str
    created_at: str
    updated_at: str
    shared_with: tuple[str, ...] = ()
    slides: tuple[Slide, ...] = field(default=())

    def is_owner(self, username: str) -> bool:
        return self.owner == username


# --- versions -----------------------------------------------------------------------------------


def version_kept(version: str | None) -> bool:
    """Whether the warehouse file of ``version`` is still on disk (the deck can be shown)."""
    return bool(version) and warehouse.file_for_version(version).is_file()


def version_date(version: str | None) -> str:
    """When ``version`` was loaded, ``"YYYY-MM-DD HH:MM UTC"`` (read from the version name);
    "" if the name holds no time."""
    try:
        stamp = dt.datetime.strptime(str(version)[:15], "%Y%m%dT%H%M%S")
    except ValueError:
        return ""
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def is_current(version: str | None) -> bool:
    return bool(version) and version == warehouse.data_version()


# --- validation ---------------------------------------------------------------------------------


def _text(value: object, field_name: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DeckInputError(field_name, "must be text")
    value = value.strip()
    if required and not value:
        raise DeckInputError(field_name, "is required")
    if len(value) > limit:
        raise DeckInputError(field_name, f"may have at most {limit} characters")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise DeckInputError(field_name, "holds control characters")
    return value


def _path(value: object) -> str:
    # "/\\host" reads as "//host" in browsers: no backslashes in a path of ours
    ok = isinstance(value, str) and value.startswith("/") and not value.startswith("//")
    if not ok or "\\" in value or "?" in value or "#" in value or len(value) > MAX_PATH:
        raise DeckInputError("page", "must be a page of this application (a path such as /branches)")
    return value


def _search(value: object) -> str:
    value = value or ""
    if not isinstance(value, str) or (value and not value.startswith("?")):
        raise DeckInputError("filters", "must be a URL query string starting with '?'")
    if len(value) > MAX_SEARCH or "#" in value or any(ord(ch) < 33 for ch in value):
        raise DeckInputError("filters", f"must be at most {MAX_SEARCH} characters, without spaces")
    return value


def _part(value: object) -> str:
    value = value or DEFAULT_PART
    if not isinstance(value, str) or not value.isidentifier() or len(value) > MAX_PART:
        raise DeckInputError("part", "must name a part of the page (e.g. view, kpis, trend)")
    return value


def _version(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > 64 or not value.replace("-", "").isalnum():
        raise DeckInputError("data_version", "is not a data version")
    return value


def _int(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeckInputError(field_name, "must be a whole number")
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- reading ------------------------------------------------------------------------------------


def _deck_row(con, deck_id: int):
    return con.execute("SELECT * FROM decks WHERE id = ?", (deck_id,)).fetchone()


def _shares(con, deck_id: int) -> tuple[str, ...]:
    rows = con.execute("SELECT username FROM deck_shares WHERE deck_id = ? ORDER BY username", (deck_id,))
    return tuple(r["username"] for r in rows.fetchall())


def _slides(con, deck_id: int) -> tuple[Slide, ...]:
    rows = con.execute(
        "SELECT id, deck_id, position, path, search, part, title, notes FROM deck_slides "
        "WHERE deck_id = ? ORDER BY position, id",
        (deck_id,),
    ).fetchall()
    return tuple(Slide(**dict(r)) for r in rows)


def _deck(con, row, with_slides: bool = True) -> Deck:
    return Deck(
        id=row["id"],
        owner=row["owner"],
        name=row["name"],
        data_version=row["data_version"],
        pinned_at=row["pinned_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        shared_with=_shares(con, row["id"]),
        slides=_slides(con, row["id"]) if with_slides else (),
    )


def _may_open(con, row, username: str) -> bool:
    if row is None:
        return False
    if row["owner"] == username:
        return True
    shared = con.execute(
        "SELECT 1 FROM deck_shares WHERE deck_id = ? AND username = ?", (row["id"], username)
    ).fetchone()
    return shared is not None


def list_decks(username: str) -> list[Deck]:
    """The decks ``username`` owns, then those shared with them, each by name (slides included)."""
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT * FROM decks WHERE owner = ? "
            "OR id IN (SELECT deck_id FROM deck_shares WHERE username = ?) "
            "ORDER BY owner <> ?, lower(name), id",
            (username, username, username),
        ).fetchall()
        return [_deck(con, r) for r in rows]
    finally:
        con.close()


def get_deck(username: str, deck_id: object) -> Deck:
    """The deck, if ``username`` owns it or it is shared with them; DeckRefused otherwise."""
    if isinstance(deck_id, str) and deck_id.isdigit():
        deck_id = int(deck_id)
    if isinstance(deck_id, bool) or not isinstance(deck_id, int):
        raise DeckRefused("no such deck for this user")
    con = ops_store.connect()
    try:
        row = _deck_row(con, deck_id)
        if not _may_open(con, row, username):
            raise DeckRefused("no such deck for this user")
        return _deck(con, row)
    finally:
        con.close()


# --- writing ------------------------------------------------------------------------------------


def _owned(con, username: str, deck_id: object):
    """The deck row if ``username`` owns it; DeckRefused otherwise (also for shared viewers)."""
    if isinstance(deck_id, bool) or not isinstance(deck_id, int):
        raise DeckRefused("no such deck for this user")
    row = _deck_row(con, deck_id)
    if row is None or row["owner"] != username:
        if row is not None and _may_open(con, row, username):
            raise DeckRefused("only the deck's owner may change it")
        raise DeckRefused("no such deck for this user")
    return row


def _touch(con, deck_id: int) -> None:
    con.execute("UPDATE decks SET updated_at = ? WHERE id = ?", (_now(), deck_id))


def _renumber(con, deck_id: int) -> None:
    ids = [
        r["id"]
        for r in con.execute(
            "SELECT id FROM deck_slides WHERE deck_id = ? ORDER BY position, id", (deck_id,)
        ).fetchall()
    ]
    for position, slide_id in enumerate(ids):
        con.execute("UPDATE deck_slides SET position = ? WHERE id = ?", (position, slide_id))


def create_deck(owner: str, name: str, data_version: str | None = None) -> Deck:
    """A new empty deck of ``owner``, pinned to ``data_version`` (default: the current data)."""
    name = _text(name, "name", MAX_NAME, required=True)
    version = _version(data_version) if data_version is not None else warehouse.data_version()
    now = _now()
    with ops_store.transaction() as con:
        count = con.execute("SELECT COUNT(*) FROM decks WHERE owner = ?", (owner,)).fetchone()[0]
        if count >= MAX_DECKS_PER_USER:
            raise DeckInputError("name", f"at most {MAX_DECKS_PER_USER} decks per user: delete one first")
        if con.execute("SELECT 1 FROM decks WHERE owner = ? AND name = ?", (owner, name)).fetchone():
            raise DeckInputError("name", "you already have a deck of that name")
        cur = con.execute(
            "INSERT INTO decks (owner, name, data_version, pinned_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",  # RETURNING: PostgreSQL has no lastrowid
            (owner, name, version, now, now, now),
        )
        deck_id = cur.fetchone()[0]
    audit.record(owner, "deck_create", f"deck {deck_id} {name!r} version {version}")
    return get_deck(owner, deck_id)


def rename_deck(username: str, deck_id: int, name: str) -> Deck:
    name = _text(name, "name", MAX_NAME, required=True)
    with ops_store.transaction() as con:
        row = _owned(con, username, deck_id)
        clash = con.execute(
            "SELECT 1 FROM decks WHERE owner = ? AND name = ? AND id <> ?", (username, name, deck_id)
        ).fetchone()
        if clash:
            raise DeckInputError("name", "you already have a deck of that name")
        con.execute("UPDATE decks SET name = ?, updated_at = ? WHERE id = ?", (name, _now(), deck_id))
    audit.record(username, "deck_rename", f"deck {deck_id} {row['name']!r} -> {name!r}")
    return get_deck(username, deck_id)


def delete_deck(username: str, deck_id: int) -> None:
    with ops_store.transaction() as con:
        row = _owned(con, username, deck_id)
        con.execute("DELETE FROM decks WHERE id = ?", (deck_id,))
    audit.record(username, "deck_delete", f"deck {deck_id} {row['name']!r}")


def add_slide(
    username: str,
    deck_id: int,
    path: str,
    search: str = "",
    part: str = DEFAULT_PART,
    title: str = "",
    notes: str = "",
) -> Slide:
    """Append a slide: page ``path`` with filters ``search`` showing ``part``."""
    path, search, part = _path(path), _search(search), _part(part)
    title, notes = _text(title, "title", MAX_TITLE), _text(notes, "notes", MAX_NOTES)
    with ops_store.transaction() as con:
        _owned(con, username, deck_id)
        count = con.execute("SELECT COUNT(*) FROM deck_slides WHERE deck_id = ?", (deck_id,)).fetchone()[0]
        if count >= MAX_SLIDES:
            raise DeckInputError("slides", f"a deck holds at most {MAX_SLIDES} slides")
        cur = con.execute(
            "INSERT INTO deck_slides (deck_id, position, path, search, part, title, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (deck_id, count, path, search, part, title, notes),
        )
        slide_id = cur.fetchone()[0]
        _touch(con, deck_id)
    audit.record(username, "deck_slide_add", f"deck {deck_id} slide {slide_id} {path}{search} part {part}")
    return Slide(slide_id, deck_id, count, path, search, part, title, notes)


def add_saved_view(username: str, deck_id: int, view_name: str, part: str = DEFAULT_PART) -> Slide:
    """Append one of the user's saved views as a slide (titled with the view's name)."""
    view = saved_views.get(username, view_name) if isinstance(view_name, str) else None
    if view is None:
        raise DeckInputError("saved_view", "you have no saved view of that name")
    return add_slide(username, deck_id, view.path, view.search, part, title=view.name)


def _slide_row(con, username: str, slide_id: object):
    if isinstance(slide_id, bool) or not isinstance(slide_id, int):
        raise DeckRefused("no such slide for this user")
    row = con.execute("SELECT * FROM deck_slides WHERE id = ?", (slide_id,)).fetchone()
    if row is None:
        raise DeckRefused("no such slide for this user")
    _owned(con, username, row["deck_id"])
    return row


def edit_slide(
    username: str, slide_id: int, title: str | None = None, notes: str | None = None, part: str | None = None
) -> Slide:
    """Change a slide's title, notes or part (None leaves a field as it is)."""
    changes: dict[str, str] = {}
    if title is not None:
        changes["title"] = _text(title, "title", MAX_TITLE)
    if notes is not None:
        changes["notes"] = _text(notes, "notes", MAX_NOTES)
    if part is not None:
        changes["part"] = _part(part)
    with ops_store.transaction() as con:
        row = _slide_row(con, username, slide_id)
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)  # keys are ours, never the caller's
            con.execute(f"UPDATE deck_slides SET {sets} WHERE id = ?", (*changes.values(), slide_id))
            _touch(con, row["deck_id"])
        new = con.execute(
            "SELECT id, deck_id, position, path, search, part, title, notes FROM deck_slides WHERE id = ?",
            (slide_id,),
        ).fetchone()
    audit.record(username, "deck_slide_edit", f"deck {row['deck_id']} slide {slide_id} {sorted(changes)}")
    return Slide(**dict(new))


def move_slide(username: str, slide_id: int, position: int) -> tuple[Slide, ...]:
    """Move a slide to ``position`` (0 = first; clamped to the deck); returns the new order."""
    position = _int(position, "position")
    with ops_store.transaction() as con:
        row = _slide_row(con, username, slide_id)
        deck_id = row["deck_id"]
        ids = [
            r["id"]
            for r in con.execute(
                "SELECT id FROM deck_slides WHERE deck_id = ? ORDER BY position, id", (deck_id,)
            ).fetchall()
        ]
        ids.remove(slide_id)
        ids.insert(max(0, min(position, len(ids))), slide_id)
        for i, sid in enumerate(ids):
            con.execute("UPDATE deck_slides SET position = ? WHERE id = ?", (i, sid))
        _touch(con, deck_id)
        order = _slides(con, deck_id)
    audit.record(username, "deck_slide_move", f"deck {deck_id} slide {slide_id} to {position}")
    return order


def remove_slide(username: str, slide_id: int) -> None:
    with ops_store.transaction() as con:
        row = _slide_row(con, username, slide_id)
        con.execute("DELETE FROM deck_slides WHERE id = ?", (slide_id,))
        _renumber(con, row["deck_id"])
        _touch(con, row["deck_id"])
    audit.record(username, "deck_slide_remove", f"deck {row['deck_id']} slide {slide_id}")


def share(username: str, deck_id: int, target: str) -> Deck:
    """Let ``target`` (a user of a role that has decks) open and present the deck; they see
    only their own scope's figures."""
    target = _text(target, "username", 64, required=True)
    if target == username:
        raise DeckInputError("username", "the deck is already yours")
    user = users.get_user(target)
    if user is None or not user.active:
        raise DeckInputError("username", "no active user of that name")
    if user.role not in DECK_ROLES:
        raise DeckInputError("username", "this user's role has no review decks")
    with ops_store.transaction() as con:
        _owned(con, username, deck_id)
        count = con.execute("SELECT COUNT(*) FROM deck_shares WHERE deck_id = ?", (deck_id,)).fetchone()[0]
        if count >= MAX_SHARES:
            raise DeckInputError("username", f"a deck may be shared with at most {MAX_SHARES} users")
        con.execute(
            "INSERT INTO deck_shares (deck_id, username) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (deck_id, target),
        )
        _touch(con, deck_id)
    audit.record(username, "deck_share", f"deck {deck_id} with {target}")
    return get_deck(username, deck_id)


def unshare(username: str, deck_id: int, target: str) -> Deck:
    target = _text(target, "username", 64, required=True)
    with ops_store.transaction() as con:
        _owned(con, username, deck_id)
        con.execute("DELETE FROM deck_shares WHERE deck_id = ? AND username = ?", (deck_id, target))
        _touch(con, deck_id)
    audit.record(username, "deck_unshare", f"deck {deck_id} with {target}")
    return get_deck(username, deck_id)


def pin_to(username: str, deck_id: int, version: str) -> Deck:
    """Pin the deck to data ``version`` (which must still be kept)."""
    version = _version(version)
    if not version_kept(version):
        raise DeckInputError("data_version", "this data version is no longer kept")
    with ops_store.transaction() as con:
        row = _owned(con, username, deck_id)
        now = _now()
        con.execute(
            "UPDATE decks SET data_version = ?, pinned_at = ?, updated_at = ? WHERE id = ?",
            (version, now, now, deck_id),
        )
    audit.record(username, "deck_pin", f"deck {deck_id} {row['data_version']} -> {version}")
    return get_deck(username, deck_id)


def move_to_current(username: str, deck_id: int) -> Deck:
    """Pin the deck to the data being served now."""
    current = warehouse.data_version()
    if current is None:
        raise DeckInputError("data_version", "no data has been loaded")
    return pin_to(username, deck_id, current)
