from citizen_requests.adapters.tables import metadata
from citizen_requests.settings import Settings
from ecity_common.migrations import run_migrations

run_migrations(metadata, Settings().database_url)
