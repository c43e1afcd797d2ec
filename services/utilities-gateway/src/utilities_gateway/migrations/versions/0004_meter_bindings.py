"""a meter's EIC is bound to a company by the city: the history of each binding, and the meters
companies claimed by their first reading carried over as they were

Before this, an EIC belonged to the company that first sent a reading for it. Those meters keep
their company (meters.company_id is untouched), so no accepted reading is lost and each company's
next upload goes on as before; each gets a history entry `carried-over`, dated when it was
claimed, which the city lists (GET /api/v1/companies/{id}/meters) to confirm or move. An EIC no
company has sent yet is bound only by the city. Account numbers (water, heating) are each
company's own numbering and are not bound.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An unbound EIC keeps its row (its registers and readings hang on it) without a company.
    op.alter_column("meters", "company_id", existing_type=sa.Text(), nullable=True)
    op.create_table(
        "meter_bindings",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("meter_id", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=True),
        sa.Column("previous_company_id", sa.Text(), nullable=True),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["meter_id"], ["meters.meter_id"]),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"]),
        sa.ForeignKeyConstraint(["previous_company_id"], ["companies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_meter_bindings_meter_id", "meter_bindings", ["meter_id"])
    op.execute("""
        INSERT INTO meter_bindings (meter_id, company_id, change, at, by, note)
        SELECT meter_id, company_id, 'carried-over', created_at, 'migration 0004',
               'claimed by its first reading before the city bound EICs'
        FROM meters WHERE kind IN ('electricity', 'gas') ORDER BY created_at, meter_id""")


def downgrade() -> None:
    # Under the old rule every meter has a company: an unbound EIC goes back to the one it was
    # last bound to (its unbinding says which).
    op.execute("""
        UPDATE meters m SET company_id = (
            SELECT b.previous_company_id FROM meter_bindings b WHERE b.meter_id = m.meter_id AND b.change = 'unbound'
            ORDER BY b.id DESC LIMIT 1)
        WHERE m.company_id IS NULL""")
    op.drop_index("ix_meter_bindings_meter_id", table_name="meter_bindings")
    op.drop_table("meter_bindings")
    op.alter_column("meters", "company_id", existing_type=sa.Text(), nullable=False)
