"""the pull inbox reads in commit-safe order: each message keeps the id of the transaction that wrote it

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
    op.add_column("company_messages", sa.Column(
        "txid", sa.BigInteger, nullable=False, server_default=sa.text("(pg_current_xact_id()::text)::bigint")))
    op.drop_index("company_messages_unacked", table_name="company_messages")
    op.create_index("company_messages_unacked", "company_messages", ["company_id", "txid", "seq"],
                    postgresql_where=sa.text("acked_at IS NULL"))


def downgrade() -> None:
    op.drop_index("company_messages_unacked", table_name="company_messages")
    op.create_index("company_messages_unacked", "company_messages", ["company_id", "seq"],
                    postgresql_where=sa.text("acked_at IS NULL"))
    op.drop_column("company_messages", "txid")
