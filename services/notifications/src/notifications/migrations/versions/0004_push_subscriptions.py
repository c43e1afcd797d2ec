"""push subscriptions; a push delivery is owed per device

Revision ID: 0004_push
Revises: 0003_places
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_push"
down_revision = "0003_places"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("citizen_id", sa.Text, nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False, unique=True),
        sa.Column("p256dh", sa.Text, nullable=False),
        sa.Column("auth", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
    )
    op.create_index("push_subscriptions_citizen", "push_subscriptions", ["citizen_id"])
    # A citizen's several devices each get the message: (event, recipient, channel) was one row,
    # the address (the device) completes the key. An e-mail has one address per citizen and channel.
    op.drop_constraint("deliveries_once", "deliveries", type_="unique")
    op.create_unique_constraint("deliveries_once", "deliveries", ["event_id", "recipient", "channel", "address"])


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE channel = 'push'")
    op.drop_constraint("deliveries_once", "deliveries", type_="unique")
    op.create_unique_constraint("deliveries_once", "deliveries", ["event_id", "recipient", "channel"])
    op.drop_table("push_subscriptions")
