"""sites, devices, fibre links, change log, outages, monitoring keys

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from sqlalchemy import MetaData

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = ["sites", "devices", "links", "changes", "outages", "monitoring_keys", "topology_version"]


def upgrade() -> None:
    # The first schema of these tables is their definition in adapters/tables.py (then db.py) at this revision; a later
    # change to them comes as its own migration with explicit operations.
    from network_registry.adapters.tables import metadata

    frozen = MetaData()
    for name in _TABLES:
        metadata.tables[name].to_metadata(frozen)
    frozen.create_all(op.get_bind(), tables=[frozen.tables[n] for n in _TABLES])
    op.execute("INSERT INTO topology_version (id, version) VALUES (1, 1)")


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name)
