from pydantic_settings import SettingsConfigDict

from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """network-registry settings; every field can be set as `NETWORK_REGISTRY_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="NETWORK_REGISTRY_", extra="ignore")

    service_name: str = "network-registry"
    event_source: str = "/ecity/network-registry"
    http_port: int = 8004
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/network_registry"

    # Load an illustrative МТКМ of about a hundred sites, and a monitoring key, on start.
    # The network management system's key for local use (never in production: issue one instead).
    demo_monitoring_key: str = "nms_demo0001_local-development-only-key"
