"""photos: uploaded by citizens and staff, attached to requests and comments, each with its publication state

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, sa.ForeignKey("citizen_requests.id")),
        sa.Column("comment_id", sa.BigInteger, sa.ForeignKey("comments.id")),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("publication", sa.Text, nullable=False, server_default="pending"),
        sa.Column("publication_by", sa.Text),
        sa.Column("publication_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("publication in ('pending', 'published', 'hidden')", name="photos_publication_state"),
    )
    op.create_index("photos_request", "photos", ["request_id"])
    op.create_index("photos_owner", "photos", ["owner"])
    op.create_index("photos_content_hash", "photos", ["content_hash"])


def downgrade() -> None:
    op.drop_table("photos")
