from pydantic_settings import SettingsConfigDict

from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """utilities-gateway settings; every field can be set as `UTILITIES_GATEWAY_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="UTILITIES_GATEWAY_", extra="ignore")

    service_name: str = "utilities-gateway"
    event_source: str = "/ecity/utilities-gateway"
    http_port: int = 8002
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/utilities_gateway"
