"""a closed year is refused once per INSERT statement, not once per row

Revision ID: 0004
Revises: 0003

Migration 0003's floor under "a closed year takes no more entries" ran a query for every row
inserted; a bulk posting inserts thousands of rows in one statement, and that trigger was a tenth
of the statement's time. The same refusal now runs once per statement over the rows it added (a
transition table): whoever inserts, however many rows, a row in a closed year fails the whole
statement with the same error as before.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER ledger_entries_open_year ON ledger_entries")
    op.execute("DROP FUNCTION ledger_entries_into_open_years()")
    # `public.` so that no temporary table of the same name stands in (as in 0003).
    op.execute(
        """
        CREATE FUNCTION ledger_entries_into_open_years() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            closed_year integer;
        BEGIN
            SELECT a.year INTO closed_year FROM added a JOIN public.closed_years c ON c.year = a.year
            ORDER BY a.year LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'year % is closed: post into an open year', closed_year
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_open_year AFTER INSERT ON ledger_entries "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_into_open_years()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER ledger_entries_open_year ON ledger_entries")
    op.execute("DROP FUNCTION ledger_entries_into_open_years()")
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
