from ecity_common.migrations import run_migrations
from utilities_gateway.adapters.tables import metadata
from utilities_gateway.settings import Settings

run_migrations(metadata, Settings().database_url)
