"""Safe by default: a deployed service's settings name every public secret and demo data."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ecity_common.settings import ServiceSettings, UnsafeSettings


class CitySettings(ServiceSettings):
    model_config = {**ServiceSettings.model_config, "env_prefix": "CITY_HALL_"}


# How a deployed service reaches Kafka: TLS, signed in as itself (deploy/k8s/generate.py).
KAFKA_DEPLOYED = {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_password": SecretStr("from-the-kafkauser-secret-32-chars")}


def test_a_deployment_is_the_default_and_the_development_secret_is_refused_there():
    settings = CitySettings()
    assert settings.mode == "deployed" and settings.seed_demo_data is False
    with pytest.raises(UnsafeSettings) as refused:
        settings.refuse_unsafe()
    jwt, kafka = refused.value.problems
    assert jwt.startswith("CITY_HALL_JWT_JWKS_URL is not set")
    assert kafka.startswith("CITY_HALL_KAFKA_SASL_PASSWORD is not set")


def test_each_problem_is_named_and_local_mode_accepts_them_all():
    settings = CitySettings(jwt_secret=SecretStr("k" * 64), seed_demo_data=True)
    # Even a long random HS256 secret: shared by every service, it mints tokens for every role.
    assert [p.split(" ")[0] for p in settings.unsafe()] == ["CITY_HALL_JWT_JWKS_URL", "CITY_HALL_KAFKA_SASL_PASSWORD",
                                                            "CITY_HALL_SEED_DEMO_DATA"]
    CitySettings(mode="local", seed_demo_data=True).refuse_unsafe()  # nothing raised


def test_asymmetric_tokens_kafka_over_tls_with_a_sign_in_and_no_demo_data_are_fine(tmp_path):
    CitySettings(jwt_jwks_url="https://idp.invalid/jwks.json", **KAFKA_DEPLOYED).refuse_unsafe()
    CitySettings(jwt_jwks_file=str(tmp_path / "jwks.json"), **KAFKA_DEPLOYED).refuse_unsafe()  # a JWKS mounted into the pod


@pytest.mark.parametrize(("kafka", "refused"), [
    # Anyone who reaches the brokers could publish `asset.commissioned` as the registry (issue 16).
    ({"kafka_security_protocol": "PLAINTEXT"}, "CITY_HALL_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"),
    ({"kafka_security_protocol": "PLAINTEXT", "kafka_sasl_password": SecretStr("p")},
     "CITY_HALL_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"),  # a password it never sends
    ({"kafka_security_protocol": "SASL_SSL"}, "CITY_HALL_KAFKA_SASL_PASSWORD is not set"),
    ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_password": SecretStr("")}, "CITY_HALL_KAFKA_SASL_PASSWORD is not set"),
    ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_password": SecretStr("kafka-pass")},
     "CITY_HALL_KAFKA_SASL_PASSWORD is shorter than 32 characters"),
])
def test_a_deployed_service_reaches_kafka_only_signed_in(kafka, refused):
    settings = CitySettings(jwt_jwks_url="https://idp.invalid/jwks.json", **kafka)
    with pytest.raises(UnsafeSettings) as raised:
        settings.refuse_unsafe()
    [problem] = raised.value.problems
    assert problem.startswith(refused)
    CitySettings(mode="local", **kafka).refuse_unsafe()  # refused only outside local mode
    # Signed in over the stack's own network (Docker Compose) is a sign-in; Kubernetes adds TLS.
    CitySettings(jwt_jwks_url="https://idp.invalid/jwks.json", kafka_sasl_mechanism="PLAIN",
                 kafka_sasl_password=SecretStr("from-.env-openssl-rand-hex-24-is-48-chars")).refuse_unsafe()


def test_every_kafka_client_signs_in_as_the_service_unless_told_otherwise():
    class Ledger(ServiceSettings):
        service_name: str = "budget-ledger"

    import certifi  # a CA bundle that exists here, standing for the mounted cluster CA

    kafka = Ledger(**KAFKA_DEPLOYED, kafka_ssl_cafile=certifi.where()).kafka
    assert (kafka.username, kafka.password, kafka.authenticated) == ("budget-ledger", "from-the-kafkauser-secret-32-chars", True)
    options = kafka.client_options()
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["ssl_context"].verify_mode.name == "CERT_REQUIRED"  # the brokers' certificate is checked
    assert "from-the-kafkauser" not in repr(kafka)  # never in a log line
    assert Ledger(kafka_sasl_username="ledger-2").kafka.username == "ledger-2"


def test_each_service_is_its_own_audience():
    class Ledger(ServiceSettings):
        service_name: str = "budget-ledger"

    assert Ledger().jwt_audience == "budget-ledger" and Ledger(jwt_audience="ledger-api").jwt_audience == "ledger-api"
