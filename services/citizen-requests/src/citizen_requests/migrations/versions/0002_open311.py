"""Open311 clients, request history, and what Open311 and the deadlines need on a request

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in (
        sa.Column("status_notes", sa.Text),
        sa.Column("expected_datetime", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("attributes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("media_url", sa.Text),
        sa.Column("address_id", sa.Text),
        sa.Column("zipcode", sa.Text),
        # Personal data: shown to the citizen and to staff, never in public answers.
        sa.Column("email", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("first_name", sa.Text),
        sa.Column("last_name", sa.Text),
        sa.Column("channel", sa.Text, nullable=False, server_default="app"),  # app, open311
    ):
        op.add_column("citizen_requests", column)
    op.create_index("citizen_requests_submitted_at", "citizen_requests", ["submitted_at"])
    op.create_table(
        "open311_clients",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("key_hash", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("body", JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("scope", "key", name="idempotency_keys_pkey"),
    )
    op.create_table(
        "request_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.Text, sa.ForeignKey("citizen_requests.id"), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.drop_table("request_history")
    op.drop_table("idempotency_keys")
    op.drop_table("open311_clients")
    op.drop_index("citizen_requests_submitted_at", "citizen_requests")
    for name in ("status_notes", "expected_datetime", "updated_at", "attributes", "media_url", "address_id", "zipcode",
                 "email", "phone", "first_name", "last_name", "channel"):
        op.drop_column("citizen_requests", name)
