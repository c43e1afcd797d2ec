from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """budget-ledger settings; every field can be set as `BUDGET_LEDGER_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="BUDGET_LEDGER_", extra="ignore")

    service_name: str = "budget-ledger"
    event_source: str = "/ecity/budget-ledger"
    http_port: int = 8003
    # Two roles (README "Who may change what"): the service connects as a role that may only add to
    # the ledger and read it; the owner of the tables, who could drop the append-only triggers, only
    # migrates. Locally the owner is ecity's superuser and `ecity infra up` creates the app role.
    database_url: str = "postgresql+asyncpg://budget_ledger_app@127.0.0.1:5433/budget_ledger"
    migration_database_url: str | None = "postgresql+asyncpg://ecity@127.0.0.1:5433/budget_ledger"
    database_app_role: str | None = "budget_ledger_app"

    # A closed year whose financed/planned share is under this (per cent) raises an alert.
    alert_share_percent: str = "50.00"

    # The Ed25519 key (PEM, PKCS#8) that signs the chain's heads. It lives outside the database, so
    # whoever can rewrite the tables still cannot sign a head for the rewritten history. Locally ecity
    # keeps one in the state folder; in a cluster it is a Secret mounted as a file.
    anchor_signing_key_file: str | None = None
    # Public keys (PEM) of keys that signed heads before a rotation: their heads still verify.
    anchor_retired_public_key_files: list[str] = Field(default_factory=list)
    # A head is signed when the last one is this old (daily), looked at every `anchor_check_s`.
    anchor_interval_s: float = Field(default=86_400, gt=0)
    anchor_check_s: float = Field(default=300, gt=0)

    def unsafe(self) -> list[str]:
        problems = super().unsafe()
        if not self.anchor_signing_key_file:
            problems.append(f"{self.variable('anchor_signing_key_file')} is not set: without the key that signs the "
                            f"chain's heads, a history rewritten in the database would re-chain and pass as intact")
        elif not Path(self.anchor_signing_key_file).is_file():
            problems.append(f"{self.variable('anchor_signing_key_file')} names no readable file "
                            f"({self.anchor_signing_key_file}): the key that signs the chain's heads")
        return problems
