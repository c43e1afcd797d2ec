from ecity_common.migrations import run_migrations
from network_registry.db import metadata
from network_registry.settings import Settings

run_migrations(metadata, Settings().database_url)
