"""subscriptions and comments

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("request_id", sa.Text, sa.ForeignKey("citizen_requests.id"), nullable=False),
        sa.Column("citizen_id", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("request_id", "citizen_id"),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.Text, sa.ForeignKey("citizen_requests.id"), nullable=False, index=True),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("staff", sa.Boolean, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("citizen_requests_category_place", "citizen_requests", ["service_code", "lat", "long"])


def downgrade() -> None:
    op.drop_index("citizen_requests_category_place", "citizen_requests")
    op.drop_table("comments")
    op.drop_table("subscriptions")
