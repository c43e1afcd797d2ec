"""Safe by default: a deployed service's settings name every public secret and demo data."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ecity_common.settings import ServiceSettings, UnsafeSettings


class CitySettings(ServiceSettings):
    model_config = {**ServiceSettings.model_config, "env_prefix": "CITY_HALL_"}


def test_a_deployment_is_the_default_and_the_development_secret_is_refused_there():
    settings = CitySettings()
    assert settings.mode == "deployed" and settings.seed_demo_data is False
    with pytest.raises(UnsafeSettings) as refused:
        settings.refuse_unsafe()
    [problem] = refused.value.problems
    assert problem.startswith("CITY_HALL_JWT_JWKS_URL is not set")


def test_each_problem_is_named_and_local_mode_accepts_them_all():
    settings = CitySettings(jwt_secret=SecretStr("k" * 64), seed_demo_data=True)
    # Even a long random HS256 secret: shared by every service, it mints tokens for every role.
    assert [p.split(" ")[0] for p in settings.unsafe()] == ["CITY_HALL_JWT_JWKS_URL", "CITY_HALL_SEED_DEMO_DATA"]
    CitySettings(mode="local", seed_demo_data=True).refuse_unsafe()  # nothing raised


def test_asymmetric_tokens_and_no_demo_data_are_fine(tmp_path):
    CitySettings(jwt_jwks_url="https://idp.invalid/jwks.json").refuse_unsafe()
    CitySettings(jwt_jwks_file=str(tmp_path / "jwks.json")).refuse_unsafe()  # a JWKS mounted into the pod


def test_each_service_is_its_own_audience():
    class Ledger(ServiceSettings):
        service_name: str = "budget-ledger"

    assert Ledger().jwt_audience == "budget-ledger" and Ledger(jwt_audience="ledger-api").jwt_audience == "ledger-api"
