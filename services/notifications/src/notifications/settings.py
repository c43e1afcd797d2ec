from datetime import time
from pathlib import Path

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

    # The SMTP server mail leaves through: locally the mailbox `make run` starts, in the cluster the
    # city's relay; a relay that asks for a sign-in gets these (SMTP AUTH, only after STARTTLS
    # outside this machine: `unsafe`).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Сумський e-City <no-reply@ecity.sumy.ua>"
    # The domain of the Message-IDs the service mints (domain.deliveries.message_id).
    message_id_domain: str = "notifications.ecity.sumy.ua"
    # How often the dispatcher looks for pending deliveries, and how many it takes at once.
    dispatch_interval_s: float = 1.0
    dispatch_batch: int = 200
    # How many sends are in flight at once, and how long a claim holds before another replica may
    # take the row again (longer than a send may take: SMTP's and the push client's timeouts).
    dispatch_concurrency: int = 32
    # Claim-send-record cycles side by side in one process: while one lane waits for its batch's
    # slowest send, another claims and sends the next (a batch no longer waits for the last one).
    dispatch_lanes: int = Field(default=3, ge=1, le=16)
    dispatch_lease_s: float = 120.0
    # After this many temporary failures a delivery is given up (status "failed").
    max_attempts: int = 8
    # How often the deliveries waiting (and the oldest due one) and the disabled addresses are
    # counted for /metrics (adapters/delivery_metrics.py; EcityNotificationsBacklog reads them).
    delivery_gauges_interval_s: float = Field(default=15.0, gt=0, le=300)

    # Quiet hours, Kyiv time: messages that are not urgent wait until they end (domain.schedule).
    quiet_hours_begin: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    # Messages one recipient gets in an hour before what is not urgent waits an hour (domain.schedule).
    messages_per_hour: int = Field(default=20, ge=1)
    # How often the local alerts' digests are looked at (each is written once a day, after the quiet hours).
    digest_interval_s: float = 300.0
    # Web Push (RFC 8292): the application server key (PEM, EC P-256) that signs every push and
    # that browsers subscribe with; locally ecity keeps one in the state folder, in a cluster it is a
    # Secret mounted as a file. Rotating it invalidates every subscription (browsers bind to it).
    vapid_private_key_file: str | None = None
    # Who push services may contact about this sender (the JWT's `sub`): a mailto: or https: URL.
    vapid_subject: str = "mailto:ecity@sumy.ua"
    # How long a push service keeps a message for a device that is offline (RFC 8030 TTL).
    push_ttl_s: int = Field(default=86_400, ge=0, le=28 * 86_400)
    # Where a citizen reads a request: the link of its notification.
    request_page_url: str = "https://ecity.sumy.ua/requests/{request_id}"

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
        if not self.vapid_private_key_file:
            problems.append(f"{self.variable('vapid_private_key_file')} is not set: Web Push needs the service's own "
                            f"VAPID key; one made at start would change with every restart and every replica, and "
                            f"browsers' subscriptions are bound to it")
        elif not Path(self.vapid_private_key_file).is_file():
            problems.append(f"{self.variable('vapid_private_key_file')} names no readable file "
                            f"({self.vapid_private_key_file}): the VAPID key that signs Web Push")
        if not self.vapid_subject.startswith(("mailto:", "https://")):
            problems.append(f"{self.variable('vapid_subject')} must be a mailto: or https: URL (RFC 8292): push "
                            f"services contact the sender there")
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
        if bool(self.smtp_username) != bool(self.smtp_password and self.smtp_password.get_secret_value()):
            problems.append(f"{self.variable('smtp_username')} and {self.variable('smtp_password')} go together: "
                            f"the relay's sign-in is both or neither")
        return problems
