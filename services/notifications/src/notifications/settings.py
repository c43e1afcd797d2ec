from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ecity_common.settings import MIN_SECRET_LENGTH, ServiceSettings

LOCAL_LINK_SIGNING_KEY = "local-development-only-link-signing-key"


class Settings(ServiceSettings):
    """notifications settings; every field can be set as `NOTIFICATIONS_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    event_source: str = "/ecity/notifications"
    http_port: int = 8005
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/notifications"

    # The SMTP server mail leaves through: locally the one `make run` will start (issue 17, not yet
    # there), in the cluster the city's relay.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    mail_from: str = "Сумський e-City <no-reply@ecity.sumy.ua>"
    # The domain of the Message-IDs the service mints (domain.deliveries.message_id).
    message_id_domain: str = "notifications.ecity.sumy.ua"
    # How often the dispatcher looks for pending deliveries, and how many it takes at once.
    dispatch_interval_s: float = 1.0
    dispatch_batch: int = 50
    # After this many temporary failures a delivery is given up (status "failed").
    max_attempts: int = 8

    # Signs the links of its e-mails (confirm an address, unsubscribe; domain/links.py): whoever
    # holds it can confirm any address for anyone. The default is for local development only.
    link_signing_key: SecretStr = SecretStr(LOCAL_LINK_SIGNING_KEY)
    # Where a citizen's browser or mail client reaches this service: the links start with it.
    public_base_url: str = "http://127.0.0.1:8005"
    # How long a confirmation link works, and an unsubscribe link (RFC 8058 asks that it keep
    # working; a year outlives any message worth unsubscribing from).
    confirmation_link_hours: float = Field(default=48, gt=0)
    unsubscribe_link_days: float = Field(default=365, gt=0)
    # Confirmation mails a citizen may ask for in an hour: the form must not become a way to
    # mail someone else's address over and over.
    confirmations_per_hour: int = Field(default=5, ge=1)

    def unsafe(self) -> list[str]:
        problems = super().unsafe()
        key = self.link_signing_key.get_secret_value()
        if key == LOCAL_LINK_SIGNING_KEY or len(key) < MIN_SECRET_LENGTH:
            problems.append(f"{self.variable('link_signing_key')} is the development default or shorter than "
                            f"{MIN_SECRET_LENGTH} characters: it signs the links that confirm and unsubscribe addresses")
        if not self.public_base_url.startswith("https://"):
            problems.append(f"{self.variable('public_base_url')} is not https: the links in e-mails would carry "
                            f"their tokens in clear text")
        if not self.smtp_starttls and self.smtp_host not in ("127.0.0.1", "localhost", "::1"):
            problems.append(f"{self.variable('smtp_starttls')} is off for {self.smtp_host}: citizens' addresses and "
                            f"their requests' news would cross the network in clear text")
        return problems
