from typing import Literal

from pydantic_settings import SettingsConfigDict

from ecity_common.photos import PhotoSettings
from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings, PhotoSettings):
    """citizen-requests settings; every field can be set as `CITIZEN_REQUESTS_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="CITIZEN_REQUESTS_", extra="ignore")

    service_name: str = "citizen-requests"
    event_source: str = "/ecity/citizen-requests"
    http_port: int = 8001
    database_url: str = "postgresql+asyncpg://ecity@127.0.0.1:5433/citizen_requests"

    # Locally: an Open311 client key for a demo app (never in a cluster: issue keys instead).
    demo_open311_key: str = "ecity311_demo0001_local-development-only-key"
    # How long after "resolved" a citizen may reopen a request.
    reopen_window_days: int = 14
    # Creation limits: per citizen, and per Open311 client app (all its citizens together).
    create_limit_per_citizen: int = 20
    create_limit_per_client: int = 600
    create_limit_window_s: int = 600
    # Filings written at once by the filing desk: how many statements may be in flight together
    # (each lane holds one pooled connection while the desk runs: fewer than DATABASE_POOL_SIZE).
    filing_lanes: int = 2
    # The filing statement looks for possible duplicates nearby through the (category, place)
    # index. A generic plan made while the table was nearly empty (a new city install, a
    # benchmark) scans the whole table instead, and a pooled connection keeps that plan: filing
    # fell to half its speed in such runs. Planned per execution, it uses the index at any size.
    database_plan_cache_mode: Literal["auto", "force_custom_plan", "force_generic_plan"] = "force_custom_plan"
    # How often a replica checks whether staff changed the catalogue (through another replica).
    catalogue_refresh_s: float = 5.0

    # Photos (ecity_common.photos.PhotoSettings: CITIZEN_REQUESTS_PHOTO_STORE, …_PHOTO_DIRECTORY,
    # …_PHOTO_S3_*, …_PHOTO_WORKERS): by default a directory in the local state folder.
    photo_directory: str = ".state/photos/citizen-requests"

    def public_base_url(self) -> str:
        """Where the public reaches this service (absolute addresses in answers: Open311's media_url)."""
        return self.public_url or f"http://{self.http_host}:{self.http_port}"
