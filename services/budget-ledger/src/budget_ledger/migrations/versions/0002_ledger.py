"""programme, holders, measures, the append-only ledger and its balances

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
    op.create_table(
        "programmes",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name_uk", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("start_year", sa.Integer, nullable=False),
        sa.Column("end_year", sa.Integer, nullable=False),
    )
    op.create_table(
        "budget_holders",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name_uk", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("is_main", sa.Boolean, nullable=False),
        sa.Column("kpkvkmb", sa.Text, nullable=False),
        sa.Column("edrpou", sa.Text, nullable=False),
        sa.Column("programme_code", sa.Text, sa.ForeignKey("programmes.code"), nullable=False),
    )
    op.create_table(
        "measures",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("name_uk", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("holder_code", sa.Text, sa.ForeignKey("budget_holders.code"), nullable=False),
        sa.Column("tpkvkmb", sa.Text, nullable=False),
        sa.Column("kfkvk", sa.Text, nullable=False),
        sa.Column("kekv", sa.Text, nullable=False),
        sa.Column("fund", sa.Text, nullable=False),
        sa.Column("illustrative", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("entry_id", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("holder_code", sa.Text, nullable=False),
        sa.Column("measure_code", sa.Text, sa.ForeignKey("measures.code"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("fund", sa.Text, nullable=False),
        sa.Column("kekv", sa.Text, nullable=False),
        sa.Column("amount_kop", sa.BigInteger, nullable=False),
        sa.Column("direction", sa.Text),
        sa.Column("entry_date", sa.Date, nullable=False),
        sa.Column("document_ref", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("reverses", sa.Text, sa.ForeignKey("ledger_entries.entry_id"), unique=True),
        sa.Column("override_reason", sa.Text),
        sa.Column("plan_delta_kop", sa.BigInteger, nullable=False),
        sa.Column("financed_delta_kop", sa.BigInteger, nullable=False),
        sa.Column("spent_delta_kop", sa.BigInteger, nullable=False),
        sa.Column("content", JSONB, nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("amount_kop > 0", name="ledger_entries_amount_positive"),
    )
    op.create_index("ledger_entries_measure_year", "ledger_entries", ["measure_code", "year"])
    # The database itself keeps the ledger append-only, whatever code or person connects.
    op.execute(
        """
        CREATE FUNCTION ledger_entries_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ledger entries are append-only: % is refused; post a reversal instead', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_no_update_or_delete BEFORE UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_are_append_only()"
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_are_append_only()"
    )
    op.create_table(
        "balances",
        sa.Column("measure_code", sa.Text, sa.ForeignKey("measures.code"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("planned_kop", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("financed_kop", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("spent_kop", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("measure_code", "year"),
    )
    op.create_table(
        "closed_years",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("closed_by", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("closed_years")
    op.drop_table("balances")
    op.drop_table("ledger_entries")
    op.execute("DROP FUNCTION ledger_entries_are_append_only()")
    op.drop_table("measures")
    op.drop_table("budget_holders")
    op.drop_table("programmes")
