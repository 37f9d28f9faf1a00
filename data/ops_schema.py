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


# --- the marketing loop (revision 0002_marketing) ------------------------------------------------
# Tables a later revision made carry info["since"]: adopting a store of the release before
# SQLAlchemy makes only the baseline's tables, the revisions after it make these.
MARKETING = {"since": "0002_marketing"}

# a saved customer group (客户群): its definition (filter conditions, or the selection it was made
# from) and, in customer_group_members, its members as of the data version it was made on
customer_groups = Table(
    "customer_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("origin", Text, nullable=False),  # filter | selection | chart | model
    Column("definition", Text, nullable=False),  # JSON
    Column("data_version", Text, nullable=False),
    Column("member_count", Integer, nullable=False),
    Column("aum", REAL, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("refreshed_at", Text),
    Column("refresh_diff", Text),  # JSON: added / removed at the last refresh
    Column("version", Integer, nullable=False, server_default=text("0")),
    UniqueConstraint("owner", "name"),
    sqlite_autoincrement=True,
    info=MARKETING,
)

customer_group_members = Table(
    "customer_group_members",
    metadata,
    Column("group_id", Integer, ForeignKey("customer_groups.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("branch_id", Integer),
    Column("manager_id", Integer),
    Column("aum", REAL),
    PrimaryKeyConstraint("group_id", "customer_id"),
    info=MARKETING,
)

customer_group_shares = Table(
    "customer_group_shares",
    metadata,
    Column("group_id", Integer, ForeignKey("customer_groups.id", ondelete="CASCADE"), nullable=False),
    Column("username", Text, nullable=False),
    PrimaryKeyConstraint("group_id", "username"),
    info=MARKETING,
)

# a campaign (营销活动) and its lifecycle: draft -> submitted -> approved -> running -> closed
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("objective", Text, nullable=False, server_default=text("''")),
    Column("products", Text, nullable=False),  # JSON list of product codes offered
    Column("channels", Text, nullable=False),  # JSON list of channel codes
    Column("start_date", Text, nullable=False),  # ISO dates
    Column("end_date", Text, nullable=False),
    Column("cost_per_contact", REAL, nullable=False),
    Column("budget", REAL, nullable=False),
    Column("group_id", Integer, ForeignKey("customer_groups.id"), nullable=False),
    Column("control_share", REAL, nullable=False),
    Column("seed", Integer, nullable=False),  # of the random control hold-out
    Column("priority", Integer, nullable=False, server_default=text("5")),  # 1 first .. 9 last
    Column(
        "status",
        Text,
        CheckConstraint("status IN ('draft', 'submitted', 'approved', 'running', 'closed', 'rejected')"),
        nullable=False,
    ),
    Column("data_version", Text),  # of the members drawn
    Column("response_run_id", Text),  # the response model used for targeting, if any
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("submitted_by", Text),
    Column("submitted_at", Text),
    Column("approved_by", Text),
    Column("approved_at", Text),
    Column("started_at", Text),
    Column("closed_by", Text),
    Column("closed_at", Text),
    Column("review_note", Text),  # the approver's note when rejecting (back to draft or for good)
    Column("version", Integer, nullable=False, server_default=text("0")),
    sqlite_autoincrement=True,
    info=MARKETING,
)

# who a campaign targets: each member in the target arm (assigned to a branch and manager), the
# control arm (held out at random, never contacted) or excluded (over-contact, out of scope)
campaign_members = Table(
    "campaign_members",
    metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("arm", Text, CheckConstraint("arm IN ('target', 'control', 'excluded')"), nullable=False),
    Column("branch_id", Integer),
    Column("manager_id", Integer),  # NULL: the branch's pool (no manager with capacity)
    Column("segment", Text),
    Column("recommended_product", Text),
    Column("propensity", REAL),
    Column("reason", Text),  # JSON: why this customer and this product
    Column("excluded_reason", Text),
    Column("assigned_by", Text),
    Column("assigned_at", Text),
    PrimaryKeyConstraint("campaign_id", "customer_id"),
    info=MARKETING,
)
Index("campaign_members_manager", campaign_members.c.manager_id, campaign_members.c.campaign_id)
Index("campaign_members_customer", campaign_members.c.customer_id)
# the evaluation reads a campaign's members from this index alone (marketing/evaluation.py)
Index(
    "campaign_members_evaluation",
    *(
        campaign_members.c[n]
        for n in ("campaign_id", "customer_id", "arm", "branch_id", "manager_id", "segment")
    ),
)

# every contact a manager or the call centre made (执行与反馈)
campaign_contacts = Table(
    "campaign_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("manager_id", Integer),
    Column("branch_id", Integer),
    Column("channel", Text, nullable=False),  # channel code
    Column("contacted_at", Text, nullable=False),  # ISO timestamp
    Column("reached", Integer, nullable=False),
    Column(
        "outcome",
        Text,
        CheckConstraint("outcome IS NULL OR outcome IN ('declined', 'interested', 'accepted')"),
    ),
    Column("product", Text),  # product code taken
    Column("amount", REAL),
    Column("note", Text),
    Column("source", Text, nullable=False),  # manual | import
    Column("import_id", Integer),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    sqlite_autoincrement=True,
    info=MARKETING,
)
Index("campaign_contacts_customer", campaign_contacts.c.customer_id, campaign_contacts.c.contacted_at)
Index("campaign_contacts_campaign", campaign_contacts.c.campaign_id, campaign_contacts.c.manager_id)
# the evaluation groups a campaign's contacts per customer from this index alone
Index(
    "campaign_contacts_evaluation",
    *(campaign_contacts.c[n] for n in ("campaign_id", "customer_id", "channel", "reached", "outcome")),
)

# files of outcomes imported from a call centre (one row per file stored; none for refused files)
contact_imports = Table(
    "contact_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("kind", Text, nullable=False, server_default=text("'contacts'")),  # contacts | takeups
    Column("filename", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", Text, nullable=False),
    UniqueConstraint("campaign_id", "sha256"),
    sqlite_autoincrement=True,
    info=MARKETING,
)

# admin settings of the loop: over-contact limit (N contacts in D days), manager capacity
marketing_settings = Table(
    "marketing_settings",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("changed_by", Text),
    Column("changed_at", Text),
    info=MARKETING,
)

# a relationship manager's notes on a customer (Customer 360)
customer_notes = Table(
    "customer_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, nullable=False),
    Column("author", Text, nullable=False),
    Column("written_at", Text, nullable=False),
    Column("body", Text, nullable=False),
    sqlite_autoincrement=True,
    info=MARKETING,
)
Index("customer_notes_customer", customer_notes.c.customer_id, customer_notes.c.written_at)

# a member took an offered product in the campaign's window, as the bank's product system reports
# it (a take-up file): the response of the control arm, who are never contacted, is measured here
campaign_takeups = Table(
    "campaign_takeups",
    metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("product", Text, nullable=False),
    Column("amount", REAL),
    Column("taken_on", Text, nullable=False),  # ISO date
    Column("import_id", Integer),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    PrimaryKeyConstraint("campaign_id", "customer_id", "product"),
    info=MARKETING,
)
