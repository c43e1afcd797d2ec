"""an index for the per-recipient rate limit: a recipient's deliveries by time

Revision ID: 0006_rate
Revises: 0005_doorbell
"""

from alembic import op

revision = "0006_rate"
down_revision = "0005_doorbell"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("deliveries_of_recipient", "deliveries", ["recipient", "created_at"])


def downgrade() -> None:
    op.drop_index("deliveries_of_recipient", "deliveries")
