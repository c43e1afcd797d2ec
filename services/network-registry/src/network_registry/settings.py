from pydantic_settings import SettingsConfigDict

from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """network-registry settings; every field can be set as `NETWORK_REGISTRY_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="NETWORK_REGISTRY_", extra="ignore")

    service_name: str = "network-registry"
    event_source: str = "/ecity/network-registry"
    http_port: int = 8004
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/network_registry"
