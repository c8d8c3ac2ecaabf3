"""Services: saga state (workflows), scheduler runs (scheduled_jobs), subscription notices.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now),
        sa.CheckConstraint("state IN ('started', 'compensating')", name="ck_workflows_state"),
    )
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("last_run_at", sa.Float, nullable=False),
        sa.Column("last_status", sa.Text, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("runs", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_owner", sa.Text),
    )
    op.create_table(
        "subscription_notices",
        sa.Column("subscription_id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
    )


def downgrade() -> None:
    op.drop_table("subscription_notices")
    op.drop_table("scheduled_jobs")
    op.drop_table("workflows")
