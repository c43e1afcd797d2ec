from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ecity_common.settings import MIN_SECRET_LENGTH, ServiceSettings

LOCAL_CLIENT_SECRET = "local-development-only-web-client-secret"
LOCAL_SESSION_KEY = "local-development-only-web-session-key"
LOCAL_PROVIDER = "http://127.0.0.1:8090"


class Settings(ServiceSettings):
    """web settings; every field can be set as `WEB_<FIELD>`. The web owns no data: the database and
    Kafka settings it inherits are unused (and not checked by `unsafe`)."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    service_name: str = "web"
    event_source: str = "/ecity/web"
    http_port: int = 8006

    # The services whose APIs the pages call (inside a cluster: their Services' addresses).
    citizen_requests_url: str = "http://127.0.0.1:8001"
    notifications_url: str = "http://127.0.0.1:8005"
    api_timeout_s: float = Field(default=10.0, gt=0, le=60)

    # OpenID Connect: the city's identity provider (its discovery document is read at the first
    # sign-in). Locally the provider `ecity up` and the tests start (ecity_cli.oidc_provider).
    oidc_issuer: str = LOCAL_PROVIDER
    oidc_client_id: str = "ecity-web"
    oidc_client_secret: SecretStr = SecretStr(LOCAL_CLIENT_SECRET)
    oidc_scope: str = "openid profile"

    # Signs the session cookie (which holds only a session's random id; the session itself, with
    # the person's access token, stays in this process: domain/sessions.py).
    session_signing_key: SecretStr = SecretStr(LOCAL_SESSION_KEY)
    # A session ends with its access token, and at the latest after this long.
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    # Sessions kept at once; past it the oldest goes (a flood of sign-ins cannot fill the memory).
    sessions_kept: int = Field(default=50_000, ge=10)

    # Map tiles: a URL template (`https://tiles.example/{z}/{x}/{y}.png`); unset (tests, offline,
    # the city's network without a tile server), the map draws the points on a plain background and
    # asks nothing of anyone. Its attribution is shown under the map.
    tile_url: str | None = None
    tile_attribution: str = ""
    # Where the maps open: the centre of Sumy.
    map_centre_lat: float = 50.9077
    map_centre_long: float = 34.7981

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def unsafe(self) -> list[str]:
        # Not the base class's list: the web holds no database or Kafka sign-in and checks no bearer
        # tokens itself (the services do); its own secrets are what it must not run with.
        problems = []
        if self.seed_demo_data:
            problems.append(f"{self.variable('seed_demo_data')} is on: demo data belongs to local mode only")
        secret = self.oidc_client_secret.get_secret_value()
        if secret == LOCAL_CLIENT_SECRET or len(secret) < MIN_SECRET_LENGTH:
            problems.append(f"{self.variable('oidc_client_secret')} is the development default or shorter than "
                            f"{MIN_SECRET_LENGTH} characters: with it anyone can redeem the web's sign-in codes")
        key = self.session_signing_key.get_secret_value()
        if key == LOCAL_SESSION_KEY or len(key) < MIN_SECRET_LENGTH:
            problems.append(f"{self.variable('session_signing_key')} is the development default or shorter than "
                            f"{MIN_SECRET_LENGTH} characters: it signs the session cookies")
        if self.oidc_issuer == LOCAL_PROVIDER or not self.oidc_issuer.startswith("https://"):
            problems.append(f"{self.variable('oidc_issuer')} is the local provider or not https: a deployed web "
                            f"signs people in at the city's identity provider only")
        if not self.base_url.startswith("https://"):
            problems.append(f"{self.variable('public_url')} is not https: the session cookie would cross the "
                            f"network in clear text (it is marked Secure only on https)")
        return problems
