"""new webhook deliveries wake the dispatchers (LISTEN/NOTIFY at commit)

Before this a delivery staged by the consumer waited for the dispatcher's next poll (0.5 s): the
chain from a citizen's filing to the company's webhook spent most of its time there at low load.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from ecity_common.doorbell import ring_on_insert, stop_ringing

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in ring_on_insert("deliveries", "utilities_gateway_deliveries"):
        op.execute(statement)


def downgrade() -> None:
    for statement in stop_ringing("deliveries"):
        op.execute(statement)
