from pydantic_settings import SettingsConfigDict

from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """budget-ledger settings; every field can be set as `BUDGET_LEDGER_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="BUDGET_LEDGER_", extra="ignore")

    service_name: str = "budget-ledger"
    event_source: str = "/ecity/budget-ledger"
    http_port: int = 8003
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/budget_ledger"

    # A closed year whose financed/planned share is under this (per cent) raises an alert.
    alert_share_percent: str = "50.00"
    # Load the real programme and the illustrative split of its real totals on start.
