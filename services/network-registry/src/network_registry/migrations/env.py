from ecity_common.migrations import run_migrations
from network_registry.adapters.tables import metadata
from network_registry.settings import Settings

run_migrations(metadata, Settings().database_url)
