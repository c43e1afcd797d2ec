from budget_ledger.adapters.tables import metadata
from budget_ledger.settings import Settings
from ecity_common.migrations import run_migrations

run_migrations(metadata, Settings().migration_url)
