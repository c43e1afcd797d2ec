from ecity_common.migrations import run_migrations
from notifications.adapters.tables import metadata
from notifications.settings import Settings

run_migrations(metadata, Settings().database_url)
