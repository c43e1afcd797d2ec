"""new webhook deliveries wake the dispatchers (LISTEN/NOTIFY at commit)

Before this a delivery staged by the consumer waited for the dispatcher's next poll (0.5 s): the
chain from a citizen's filing to the company's webhook spent most of its time there at low load.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""CREATE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN PERFORM pg_notify('utilities_gateway_deliveries', ''); RETURN NULL; END $$""")
    op.execute("CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries FOR EACH STATEMENT "
               "EXECUTE FUNCTION deliveries_notify()")


def downgrade() -> None:
    op.execute("DROP TRIGGER deliveries_notify ON deliveries")
    op.execute("DROP FUNCTION deliveries_notify()")
