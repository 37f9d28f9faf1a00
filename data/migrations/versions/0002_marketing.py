"""The marketing loop: customer groups, campaigns, members, contacts, imports, settings, notes.

Revision ID: 0002_marketing
Revises: 0001_baseline
Create Date: 2026-12-02

Frozen: later changes are new revisions.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_marketing"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("data_version", sa.Text(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("aum", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("refreshed_at", sa.Text(), nullable=True),
        sa.Column("refresh_diff", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner", "name"),
        info={"since": "0002_marketing"},
        sqlite_autoincrement=True,
    )
    op.create_table(
        "customer_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("written_at", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        info={"since": "0002_marketing"},
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.create_index("customer_notes_customer", ["customer_id", "written_at"], unique=False)

    op.create_table(
        "marketing_settings",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
        info={"since": "0002_marketing"},
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("products", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Text(), nullable=False),
        sa.Column("end_date", sa.Text(), nullable=False),
        sa.Column(
            "cost_per_contact", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=False
        ),
        sa.Column("budget", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column(
            "control_share", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=False
        ),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'running', 'closed', 'rejected')",
            name="campaigns_status",
        ),
        sa.Column("data_version", sa.Text(), nullable=True),
        sa.Column("response_run_id", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.Text(), nullable=True),
        sa.Column("started_at", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.Text(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        info={"since": "0002_marketing"},
        sqlite_autoincrement=True,
    )
    op.create_table(
        "customer_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("aum", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["customer_groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "customer_id"),
        info={"since": "0002_marketing"},
    )
    op.create_table(
        "customer_group_shares",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["customer_groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "username"),
        info={"since": "0002_marketing"},
    )
    op.create_table(
        "campaign_contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("contacted_at", sa.Text(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('declined', 'interested', 'accepted')",
            name="campaign_contacts_outcome",
        ),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("amount", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        info={"since": "0002_marketing"},
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("campaign_contacts", schema=None) as batch_op:
        batch_op.create_index("campaign_contacts_campaign", ["campaign_id", "manager_id"], unique=False)
        batch_op.create_index("campaign_contacts_customer", ["customer_id", "contacted_at"], unique=False)
        batch_op.create_index(
            "campaign_contacts_evaluation",
            ["campaign_id", "customer_id", "channel", "reached", "outcome"],
            unique=False,
        )

    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("arm", sa.Text(), nullable=False),
        sa.CheckConstraint("arm IN ('target', 'control', 'excluded')", name="campaign_members_arm"),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("recommended_product", sa.Text(), nullable=True),
        sa.Column("propensity", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("excluded_reason", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        sa.Column("assigned_at", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "customer_id"),
        info={"since": "0002_marketing"},
    )
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.create_index("campaign_members_customer", ["customer_id"], unique=False)
        batch_op.create_index("campaign_members_manager", ["manager_id", "campaign_id"], unique=False)
        batch_op.create_index(
            "campaign_members_evaluation",
            ["campaign_id", "customer_id", "arm", "branch_id", "manager_id", "segment"],
            unique=False,
        )

    op.create_table(
        "contact_imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), server_default=sa.text("'contacts'"), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "sha256"),
        info={"since": "0002_marketing"},
        sqlite_autoincrement=True,
    )

    op.create_table(
        "campaign_takeups",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("amount", sa.REAL().with_variant(sa.DOUBLE_PRECISION(), "postgresql"), nullable=True),
        sa.Column("taken_on", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "customer_id", "product"),
        info={"since": "0002_marketing"},
    )


def downgrade() -> None:
    op.drop_table("campaign_takeups")
    op.drop_table("contact_imports")
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.drop_index("campaign_members_evaluation")
        batch_op.drop_index("campaign_members_manager")
        batch_op.drop_index("campaign_members_customer")

    op.drop_table("campaign_members")
    with op.batch_alter_table("campaign_contacts", schema=None) as batch_op:
        batch_op.drop_index("campaign_contacts_evaluation")
        batch_op.drop_index("campaign_contacts_customer")
        batch_op.drop_index("campaign_contacts_campaign")

    op.drop_table("campaign_contacts")
    op.drop_table("customer_group_shares")
    op.drop_table("customer_group_members")
    op.drop_table("campaigns")
    op.drop_table("marketing_settings")
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.drop_index("customer_notes_customer")

    op.drop_table("customer_notes")
    op.drop_table("customer_groups")
