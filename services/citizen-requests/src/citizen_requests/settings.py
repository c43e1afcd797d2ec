from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from ecity_common.photos import PhotoStoreSettings
from ecity_common.settings import ServiceSettings


class Settings(ServiceSettings):
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

    # Where photos are kept (ecity_common.photos.storage): a directory (in Kubernetes a persistent
    # volume mounted there) or the city's S3 object store. The S3 credentials come from the
    # environment (CITIZEN_REQUESTS_PHOTO_S3_ACCESS_KEY_ID / …_SECRET_ACCESS_KEY, from a Secret).
    photo_store: Literal["directory", "s3"] = "directory"
    photo_directory: str = ".state/photos/citizen-requests"
    photo_s3_bucket: str = ""
    photo_s3_endpoint: str | None = None
    photo_s3_region: str = "us-east-1"
    photo_s3_access_key_id: str | None = None
    photo_s3_secret_access_key: SecretStr | None = None
    # Photos processed at once (threads; each holds up to ~200 MB while it decodes a 40 MP photo),
    # and how many more may wait for one before an upload is answered 503.
    photo_workers: int = 2
    photo_waiting: int = 8

    def photo_store_settings(self) -> PhotoStoreSettings:
        return PhotoStoreSettings(kind=self.photo_store, directory=self.photo_directory, s3_bucket=self.photo_s3_bucket,
                                  s3_endpoint=self.photo_s3_endpoint, s3_region=self.photo_s3_region,
                                  s3_access_key_id=self.photo_s3_access_key_id,
                                  s3_secret_access_key=self.photo_s3_secret_access_key)

    def public_base_url(self) -> str:
        """Where the public reaches this service (absolute addresses in answers: Open311's media_url)."""
        return self.public_url or f"http://{self.http_host}:{self.http_port}"
