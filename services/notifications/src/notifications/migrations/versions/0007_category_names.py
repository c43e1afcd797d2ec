"""the category's name beside its code, for the messages that name it (local alerts, digests)

Revision ID: 0007_names
Revises: 0006_rate
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_names"
down_revision = "0006_rate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("public_requests", sa.Column("service_name", sa.Text()))
    op.add_column("alert_matches", sa.Column("service_name", sa.Text()))


def downgrade() -> None:
    op.drop_column("alert_matches", "service_name")
    op.drop_column("public_requests", "service_name")
