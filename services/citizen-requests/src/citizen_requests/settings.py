from pydantic_settings import SettingsConfigDict

from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """citizen-requests settings; every field can be set as `CITIZEN_REQUESTS_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="CITIZEN_REQUESTS_", extra="ignore")

    service_name: str = "citizen-requests"
    event_source: str = "/ecity/citizen-requests"
    http_port: int = 8001
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/citizen_requests"

    # Locally: an Open311 client key for a demo app (never in a cluster: issue keys instead).
    seed_demo_data: bool = True
    demo_open311_key: str = "ecity311_demo0001_local-development-only-key"
    # How long after "resolved" a citizen may reopen a request.
    reopen_window_days: int = 14
    # Creation limits: per citizen, and per Open311 client app (all its citizens together).
    create_limit_per_citizen: int = 20
    create_limit_per_client: int = 600
    create_limit_window_s: int = 600
    # Filings written at once by the filing desk: how many statements may be in flight together
    # (each holds a pooled connection while it commits).
    filing_lanes: int = 2
    # How often a replica checks whether staff changed the catalogue (through another replica).
    catalogue_refresh_s: float = 5.0
