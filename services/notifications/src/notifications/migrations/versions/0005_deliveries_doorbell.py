"""new deliveries wake the dispatchers (LISTEN/NOTIFY at commit)

Revision ID: 0005_doorbell
Revises: 0004_push
"""

from alembic import op

revision = "0005_doorbell"
down_revision = "0004_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""CREATE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN PERFORM pg_notify('notifications_deliveries', ''); RETURN NULL; END $$""")
    op.execute("CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries FOR EACH STATEMENT "
               "EXECUTE FUNCTION deliveries_notify()")


def downgrade() -> None:
    op.execute("DROP TRIGGER deliveries_notify ON deliveries")
    op.execute("DROP FUNCTION deliveries_notify()")
