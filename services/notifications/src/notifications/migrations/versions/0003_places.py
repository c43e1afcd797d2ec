"""citizens' places, the outages known at them, who was told of each, public requests nearby, local alerts

Revision ID: 0003_places
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_places"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("citizen_id", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("street", sa.Text),
        sa.Column("house", sa.Integer),
        sa.Column("lat", sa.Float),
        sa.Column("long", sa.Float),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("places_of_citizen", "places", ["citizen_id"])
    op.create_index("places_by_street", "places", ["street", "house"])
    op.create_index("places_by_point", "places", ["lat", "long"])
    op.create_table(
        "outages",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("area", JSONB),
        sa.Column("sites", JSONB),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("starts_at", sa.DateTime(timezone=True)),
        sa.Column("expected_end", sa.DateTime(timezone=True)),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("outages_active", "outages", ["key"], postgresql_where=sa.text("resolved_at IS NULL"))
    op.create_table(
        "outage_audience",
        sa.Column("outage_key", sa.Text, primary_key=True),
        sa.Column("citizen_id", sa.Text, primary_key=True),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "public_requests",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("service_code", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("long", sa.Float, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("public_requests_open_by_point", "public_requests", ["lat", "long"],
                    postgresql_where=sa.text("open"))
    op.create_table(
        "local_alerts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("citizen_id", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("long", sa.Float, nullable=False),
        sa.Column("radius_m", sa.Integer, nullable=False),
        sa.Column("south", sa.Float, nullable=False),
        sa.Column("north", sa.Float, nullable=False),
        sa.Column("west", sa.Float, nullable=False),
        sa.Column("east", sa.Float, nullable=False),
        sa.Column("categories", JSONB, nullable=False),
        sa.Column("digest", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("local_alerts_of_citizen", "local_alerts", ["citizen_id"])
    op.create_index("local_alerts_by_box", "local_alerts", ["south", "north", "west", "east"])
    op.create_table(
        "alert_matches",
        sa.Column("citizen_id", sa.Text, primary_key=True),
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("service_code", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digested_on", sa.Date),
    )


def downgrade() -> None:
    op.drop_table("alert_matches")
    op.drop_table("local_alerts")
    op.drop_table("public_requests")
    op.drop_table("outage_audience")
    op.drop_table("outages")
    op.drop_table("places")
