"""requests handed back to the dispatcher, and utility outages

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("citizen_requests", sa.Column("dispatch_flag", sa.Text))
    op.add_column("citizen_requests", sa.Column("outage_id", sa.Text))
    op.create_table(
        "utility_outages",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("company_name", sa.Text, nullable=False),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("area", postgresql.JSONB, nullable=False),
        sa.Column("area_description", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_end", sa.DateTime(timezone=True)),
        sa.Column("cause", sa.Text),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("utility_outages")
    op.drop_column("citizen_requests", "outage_id")
    op.drop_column("citizen_requests", "dispatch_flag")
