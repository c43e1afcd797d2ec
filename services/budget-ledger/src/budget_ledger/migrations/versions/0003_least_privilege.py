"""the service's own restricted role, closed years enforced, signed chain heads, proposed expenditures

Revision ID: 0003
Revises: 0002

The service connects as `database_app_role` (settings), which this migration grants exactly what
the code does: it may add entries and read them, never change, delete or truncate them, and never
alter a table or drop a trigger (only the owner, who runs the migrations, can). The role must exist
before this runs: `ecity infra up` creates it locally, CloudNativePG's managed roles in a cluster.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from budget_ledger.settings import Settings

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# What the service's role may do, table by table (README "Who may change what"). Anything not
# here it may not do; a table added later gets its line in that migration.
APP_PRIVILEGES = {
    "ledger_entries": "SELECT, INSERT",
    # The projection the reports read, kept by the service in the same transaction as the entries;
    # `verify` rebuilds it from the entries, so a projection changed behind them shows.
    "balances": "SELECT, INSERT, UPDATE",
    "closed_years": "SELECT, INSERT",  # closing is for good: no DELETE, a year is never reopened
    "programmes": "SELECT, INSERT",
    "budget_holders": "SELECT, INSERT",
    "measures": "SELECT, INSERT",
    "chain_heads": "SELECT, INSERT",
    "expenditure_proposals": "SELECT, INSERT",
    "proposal_decisions": "SELECT, INSERT",
    "auto_approval_limits": "SELECT, INSERT",
    # The outbox relay marks rows sent (UPDATE, and FOR UPDATE SKIP LOCKED) and prunes old ones.
    "outbox": "SELECT, INSERT, UPDATE, DELETE",
    "inbox": "SELECT, INSERT",
}


def _role() -> str:
    role = Settings().database_app_role
    if not role:
        raise RuntimeError("BUDGET_LEDGER_DATABASE_APP_ROLE is empty: the service needs its own restricted role")
    found = op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if found is None:
        raise RuntimeError(
            f"the database role {role!r} does not exist: create it first (`ecity infra up` does locally, "
            f"CloudNativePG's managed roles in a cluster, deploy/compose/postgres-init.sh in Compose)"
        )
    return op.get_bind().dialect.identifier_preparer.quote(role)


def upgrade() -> None:
    role = _role()
    op.add_column("ledger_entries", sa.Column("chain_version", sa.SmallInteger, nullable=False, server_default="1"))
    # A closed year takes no more entries, whoever inserts them (the service checks first and says
    # why; this is the floor). `public.` so that no temporary table of the same name stands in.
    op.execute(
        """
        CREATE FUNCTION ledger_entries_into_open_years() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM public.closed_years WHERE year = NEW.year) THEN
                RAISE EXCEPTION 'year % is closed: post into an open year', NEW.year
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_open_year BEFORE INSERT ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_into_open_years()"
    )
    op.create_table(
        "chain_heads",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("statement", JSONB, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
    )
    op.create_table(
        "expenditure_proposals",
        sa.Column("proposal_id", sa.Text, primary_key=True),
        sa.Column("asset_id", sa.Text, nullable=False, unique=True),
        sa.Column("asset_kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("holder_code", sa.Text, nullable=False),
        sa.Column("measure_code", sa.Text, sa.ForeignKey("measures.code"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("fund", sa.Text, nullable=False),
        sa.Column("kekv", sa.Text, nullable=False),
        sa.Column("amount_kop", sa.BigInteger, nullable=False),
        sa.Column("commissioned_on", sa.Date, nullable=False),
        sa.Column("document_ref", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("amount_kop > 0", name="expenditure_proposals_amount_positive"),
    )
    op.create_table(
        "auto_approval_limits",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("holder_code", sa.Text, sa.ForeignKey("budget_holders.code"), nullable=False),
        sa.Column("limit_kop", sa.BigInteger, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("reason", sa.Text, nullable=False),
        sa.CheckConstraint("limit_kop >= 0", name="auto_approval_limits_not_negative"),
    )
    op.create_index("auto_approval_limits_by_holder", "auto_approval_limits", ["holder_code", "id"])
    op.create_table(
        "proposal_decisions",
        sa.Column("proposal_id", sa.Text, sa.ForeignKey("expenditure_proposals.proposal_id"), primary_key=True),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("reason", sa.Text),
        sa.Column("entry_id", sa.Text, sa.ForeignKey("ledger_entries.entry_id")),
        sa.Column("auto_approval_limit_id", sa.BigInteger, sa.ForeignKey("auto_approval_limits.id")),
        sa.CheckConstraint("outcome IN ('approved', 'rejected')", name="proposal_decisions_outcome"),
        sa.CheckConstraint("outcome = 'approved' OR reason IS NOT NULL", name="proposal_decisions_rejection_says_why"),
    )

    # The role starts from nothing and gets only its lines.
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO %s', current_database(), '{role}'); END $$")
    for table, privileges in APP_PRIVILEGES.items():
        op.execute(f"GRANT {privileges} ON {table} TO {role}")


def downgrade() -> None:
    role = _role()
    for table in APP_PRIVILEGES:
        op.execute(f"REVOKE ALL ON {table} FROM {role}")
    op.drop_table("proposal_decisions")
    op.drop_table("auto_approval_limits")
    op.drop_table("expenditure_proposals")
    op.drop_table("chain_heads")
    op.execute("DROP TRIGGER ledger_entries_open_year ON ledger_entries")
    op.execute("DROP FUNCTION ledger_entries_into_open_years()")
    op.drop_column("ledger_entries", "chain_version")
