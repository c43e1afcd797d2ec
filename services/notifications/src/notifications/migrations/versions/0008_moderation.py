"""a request a moderator hid is left off the public map

Revision ID: 0008_moderation
Revises: 0007_names
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_moderation"
down_revision = "0007_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("public_requests", sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("public_requests", "hidden")
