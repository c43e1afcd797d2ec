from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ecity_common.photos import PhotoSettings
from ecity_common.settings import MIN_SECRET_LENGTH, ServiceSettings
from utilities_gateway.domain.webhooks import RETRY_SCHEDULE

LOCAL_WEBHOOK_SECRETS_KEY = "local-development-only-webhook-secrets-key"


class Settings(ServiceSettings, PhotoSettings):
    """utilities-gateway settings; every field can be set as `UTILITIES_GATEWAY_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="UTILITIES_GATEWAY_", extra="ignore")

    service_name: str = "utilities-gateway"
    event_source: str = "/ecity/utilities-gateway"
    http_port: int = 8002
    # Companies' report photos (ecity_common.photos.PhotoSettings: UTILITIES_GATEWAY_PHOTO_STORE,
    # …_PHOTO_DIRECTORY, …_PHOTO_S3_*): the gateway's own store, by default a local directory.
    photo_directory: str = ".state/photos/utilities-gateway"
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/utilities_gateway"

    # seed_demo_data (ServiceSettings) brings the illustrative Sumy utility companies, each with a
    # demo API key: local mode only.

    # Webhook delivery. Private/loopback targets and plain HTTP are for local development only.
    webhook_allow_private_targets: bool = False
    webhook_allow_http: bool = False
    webhook_timeout_s: float = Field(default=15.0, gt=0, le=60)
    # Seconds before each attempt (the first is immediate); tests shorten it.
    webhook_retry_schedule_s: tuple[float, ...] = RETRY_SCHEDULE
    # Requests in flight at once in all and to one endpoint, and deliveries claimed per round (one
    # database round trip each way).
    webhook_concurrency: int = Field(default=32, ge=1, le=256)
    webhook_endpoint_concurrency: int = Field(default=4, ge=1, le=64)
    webhook_batch_size: int = Field(default=128, ge=1, le=2000)
    webhook_poll_interval_s: float = Field(default=0.5, gt=0)
    # How long a dispatcher holds a delivery while sending; a crashed one's deliveries return after it.
    webhook_lease_s: float = Field(default=60.0, gt=0)
    # Seals the webhook signing secrets in the database (see adapters/sealed.py); the default is for local
    # development only, a cluster sets its own from a Secret.
    webhook_secrets_key: SecretStr = SecretStr(LOCAL_WEBHOOK_SECRETS_KEY)
    # How long the gateway keeps what it no longer needs (use_cases/housekeeping.py), and how often it looks.
    delivery_retention_days: float = Field(default=30, gt=0)
    message_retention_days: float = Field(default=30, gt=0)
    audit_retention_days: float = Field(default=365, gt=0)
    housekeeping_interval_s: float = Field(default=3600, gt=0)
    # A rotated API key or webhook secret keeps working this long beside the new one.
    rotation_overlap_hours: float = Field(default=24.0, ge=0, le=24 * 30)

    def unsafe(self) -> list[str]:
        problems = super().unsafe()
        key = self.webhook_secrets_key.get_secret_value()
        if key == LOCAL_WEBHOOK_SECRETS_KEY or len(key) < MIN_SECRET_LENGTH:
            problems.append(f"{self.variable('webhook_secrets_key')} is the development default or shorter than "
                            f"{MIN_SECRET_LENGTH} characters: it seals the companies' webhook signing secrets")
        if self.webhook_allow_private_targets or self.webhook_allow_http:
            problems.append(f"{self.variable('webhook_allow_private_targets')} or {self.variable('webhook_allow_http')} "
                            f"is on: webhooks to the city's own network or in plain HTTP are for local development")
        return problems
