"""incoming requests, outbox and inbox

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
        "incoming_requests",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("service_code", sa.Text, nullable=False),
        sa.Column("utility_kind", sa.Text, nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("lat", sa.Float),
        sa.Column("long", sa.Float),
        sa.Column("company_id", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("incoming_requests")
    drop_messaging_tables(op)
