"""a history entry may carry a company's photos of its work (their addresses at the gateway)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("request_history", sa.Column("photos", JSONB))


def downgrade() -> None:
    op.drop_column("request_history", "photos")
