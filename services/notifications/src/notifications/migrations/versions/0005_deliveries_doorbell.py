"""new deliveries wake the dispatchers (LISTEN/NOTIFY at commit)

Revision ID: 0005_doorbell
Revises: 0004_push
"""

from alembic import op

from ecity_common.doorbell import ring_on_insert, stop_ringing

revision = "0005_doorbell"
down_revision = "0004_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in ring_on_insert("deliveries", "notifications_deliveries"):
        op.execute(statement)


def downgrade() -> None:
    for statement in stop_ringing("deliveries"):
        op.execute(statement)
