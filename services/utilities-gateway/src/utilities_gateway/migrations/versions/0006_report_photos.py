"""report photos: companies' proof of work, attached to their progress reports

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_photos",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("company_id", sa.Text, sa.ForeignKey("companies.id"), nullable=False),
        sa.Column("request_id", sa.Text, sa.ForeignKey("routed_requests.request_id")),
        sa.Column("report_status", sa.Text),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_report_photos_company_id", "report_photos", ["company_id"])
    op.create_index("ix_report_photos_request_id", "report_photos", ["request_id"])


def downgrade() -> None:
    op.drop_table("report_photos")
