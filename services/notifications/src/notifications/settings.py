from datetime import time

from pydantic_settings import SettingsConfigDict

from ecity_common.settings import ServiceSettings


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

    # Quiet hours, Kyiv time: messages that are not urgent wait until they end (domain.schedule).
    quiet_hours_begin: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    # How often the local alerts' digests are looked at (each is written once a day, after the quiet hours).
    digest_interval_s: float = 300.0

    def unsafe(self) -> list[str]:
        problems = super().unsafe()
        if not self.smtp_starttls and self.smtp_host not in ("127.0.0.1", "localhost", "::1"):
            problems.append(f"{self.variable('smtp_starttls')} is off for {self.smtp_host}: citizens' addresses and "
                            f"their requests' news would cross the network in clear text")
        return problems
