"""moderation: a request hidden from the public, a citizen's own creation limit, a comment's event
id, and the decisions

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("citizen_requests", sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("creation_limits", sa.Column("own_limit", sa.Integer))
    # Comments written before have none: their deliveries cannot be found by it (they are sent by now).
    op.add_column("comments", sa.Column("event_id", sa.Text))
    op.create_table(
        "moderation_decisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.Text),  # no foreign key: the decisions outlive a deleted request
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("target_id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("before", JSONB, nullable=False),
        sa.Column("after", JSONB, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("moderator", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("moderation_decisions_request", "moderation_decisions", ["request_id", "id"])
    op.create_index("moderation_decisions_target", "moderation_decisions", ["target", "target_id"])
    # The moderation queue: what waits, oldest first, without reading every published row.
    op.create_index("citizen_requests_pending_description", "citizen_requests", ["submitted_at", "id"],
                    postgresql_where=sa.text("description_publication = 'pending'"))
    op.create_index("comments_pending", "comments", ["at", "id"], postgresql_where=sa.text("publication = 'pending'"))
    op.create_index("photos_pending", "photos", ["created_at", "id"], postgresql_where=sa.text("publication = 'pending'"))


def downgrade() -> None:
    op.drop_index("photos_pending", "photos")
    op.drop_index("comments_pending", "comments")
    op.drop_index("citizen_requests_pending_description", "citizen_requests")
    op.drop_table("moderation_decisions")
    op.drop_column("comments", "event_id")
    op.drop_column("creation_limits", "own_limit")
    op.drop_column("citizen_requests", "hidden")
