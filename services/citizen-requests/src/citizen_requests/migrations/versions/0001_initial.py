"""citizen requests, outbox and inbox

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from ecity_common.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "citizen_requests",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("service_code", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("citizen_id", sa.Text, nullable=False, index=True),
        sa.Column("lat", sa.Float),
        sa.Column("long", sa.Float),
        sa.Column("address", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("agency_responsible", sa.Text),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("citizen_requests")
    drop_messaging_tables(op)
