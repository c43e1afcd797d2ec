"""publication: a description's and a comment's publication state and public text; a category's place kind

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The Sumy catalogue's categories about public space (domain/catalogue.py); every other category,
# and any staff added, is a home's until staff say otherwise: rounded.
PUBLIC_SPACE = ("pothole", "street_light", "fallen_tree", "waste_collection")
STATES = "('published', 'pending', 'private', 'hidden')"


def upgrade() -> None:
    # Requests filed before: pending, not published: nobody checked them for personal data, and
    # what Open311 showed of them is what issue 18 found leaking. Staff publish them (moderation).
    op.add_column("citizen_requests", sa.Column("description_publication", sa.Text, nullable=False,
                                                server_default="pending"))
    op.add_column("citizen_requests", sa.Column("description_public", sa.Text))
    op.create_check_constraint("citizen_requests_description_publication", "citizen_requests",
                               f"description_publication IN {STATES}")
    op.execute("UPDATE citizen_requests SET description_publication = 'private' WHERE channel = 'network'")
    op.add_column("comments", sa.Column("publication", sa.Text, nullable=False, server_default="pending"))
    op.add_column("comments", sa.Column("public_text", sa.Text))
    op.create_check_constraint("comments_publication", "comments", f"publication IN {STATES}")
    op.execute(sa.text("UPDATE categories SET definition = definition || jsonb_build_object('place_kind', 'public_space') "
                       "WHERE code = ANY(:codes) AND definition->>'place_kind' IS NULL").bindparams(codes=list(PUBLIC_SPACE)))


def downgrade() -> None:
    op.execute("UPDATE categories SET definition = definition - 'place_kind'")
    op.drop_column("comments", "public_text")
    op.drop_column("comments", "publication")
    op.drop_column("citizen_requests", "description_public")
    op.drop_column("citizen_requests", "description_publication")
