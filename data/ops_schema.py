"""The operational store's tables as SQLAlchemy Core, one MetaData for every owner module.

The same definitions make the store on SQLite (the embedded default) and on PostgreSQL
(``MAMS_OPS_URL``). They match, column for column, the DDL the release before SQLAlchemy wrote
with ``CREATE TABLE IF NOT EXISTS`` (TEXT, INTEGER, REAL; AUTOINCREMENT where it was), so a store
that release made is adopted as the baseline revision (data/migrations) without a rewrite.
Schema changes from now on are Alembic revisions in data/migrations/versions, never edits here
alone.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlalchemy.types import REAL as _REAL

# 8-byte floats on both: SQLite's REAL is one, PostgreSQL's REAL is 4 bytes (a Unix time in it
# would lose minutes, a process start time would no longer match psutil's)
REAL = _REAL().with_variant(DOUBLE_PRECISION(), "postgresql")

metadata = MetaData()

store_checks = Table(
    "store_checks",
    metadata,
    Column("id", Integer, CheckConstraint("id = 1"), primary_key=True, autoincrement=False),
    Column("checked_at", Text, nullable=False),
)

session_epochs = Table(
    "session_epochs",
    metadata,
    Column("username", Text, primary_key=True),
    Column("epoch", Integer, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("username", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("region_id", Integer),
    Column("branch_id", Integer),
    Column("manager_id", Integer),
    Column("active", Integer, nullable=False, server_default=text("1")),
    Column("created_at", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("0")),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("username", Text),
    Column("action", Text, nullable=False),
    Column("detail", Text, nullable=False, server_default=text("''")),
    sqlite_autoincrement=True,
)

signin_attempts = Table(
    "signin_attempts",
    metadata,
    Column("username", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", REAL, nullable=False),
    PrimaryKeyConstraint("username", "address"),
)

saved_views = Table(
    "saved_views",
    metadata,
    Column("username", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("search", Text, nullable=False),
    Column("saved_at", Text, nullable=False),
    PrimaryKeyConstraint("username", "name"),
)

decks = Table(
    "decks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("data_version", Text),
    Column("pinned_at", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    UniqueConstraint("owner", "name"),
    sqlite_autoincrement=True,
)

deck_slides = Table(
    "deck_slides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deck_id", Integer, ForeignKey("decks.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("search", Text, nullable=False, server_default=text("''")),
    Column("part", Text, nullable=False, server_default=text("'view'")),
    Column("title", Text, nullable=False, server_default=text("''")),
    Column("notes", Text, nullable=False, server_default=text("''")),
    sqlite_autoincrement=True,
)
Index("deck_slides_by_deck", deck_slides.c.deck_id, deck_slides.c.position)

deck_shares = Table(
    "deck_shares",
    metadata,
    Column("deck_id", Integer, ForeignKey("decks.id", ondelete="CASCADE"), nullable=False),
    Column("username", Text, nullable=False),
    PrimaryKeyConstraint("deck_id", "username"),
)
Index("deck_shares_by_user", deck_shares.c.username)

mining_runs = Table(
    "mining_runs",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column(
        "status",
        Text,
        CheckConstraint("status IN ('running', 'succeeded', 'failed', 'cancelled')"),
        nullable=False,
    ),
    Column("params", Text, nullable=False),  # JSON, includes random_state (the seed)
    Column("data_version", Text),
    Column("metrics", Text),  # JSON
    Column("outputs", Text),  # JSON: output name -> file name in the run folder
    Column("message", Text),  # error or cancel message
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("created_by", Text),
)
Index("mining_runs_kind", mining_runs.c.kind, mining_runs.c.status, mining_runs.c.started_at)

# the live state of a run: its process, latest progress and a cancel request (one row per run)
mining_run_live = Table(
    "mining_run_live",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("pid", Integer),  # the process running it (NULL: claimed, not started yet)
    Column("host", Text),
    Column("pid_started", REAL),  # that process's start time (a reused pid is another process)
    Column("fraction", REAL, nullable=False, server_default=text("0")),
    Column("message", Text),
    Column("updated_at", Text),
    Column("cancel_by", Text),  # who asked to cancel (the run stops at its next step)
    Column("cancel_at", Text),
)

# succeeded runs whose scores wait for an administrator before the cube shows them
mining_approvals = Table(
    "mining_approvals",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("state", Text, CheckConstraint("state IN ('awaiting', 'approved', 'rejected')"), nullable=False),
    Column("asked_at", Text, nullable=False),
    Column("decided_by", Text),
    Column("decided_at", Text),
    Column("note", Text),
)

mining_settings = Table(
    "mining_settings",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("changed_by", Text),
    Column("changed_at", Text),
)

segment_names = Table(
    "segment_names",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("segment", Integer, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("revision", Integer, nullable=False),  # per run, one more with every change
    Column("updated_at", Text, nullable=False),
    Column("updated_by", Text),
    PrimaryKeyConstraint("run_id", "segment"),
)

# columns a release after the first added to a table: a store of that first release (found
# without alembic_version) gets them before it is stamped with the baseline revision
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (("users", "version"),)
