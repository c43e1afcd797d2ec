"""The `ecity` command, against the session's real Kafka."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from ecity_cli.cli import app
from ecity_cli.testing import admin_access, kafka_options, read_topic, submitted
from ecity_common.auth import JwtVerifier
from ecity_common.events import CloudEvent
from ecity_common.messaging import dlq
from ecity_common.messaging.topics import ensure_topics
from ecity_common.settings import ServiceSettings

runner = CliRunner()


def test_token_is_accepted_by_every_service_of_make_run_and_signed_asymmetrically():
    import importlib

    import jwt

    from ecity_cli.services import SERVICES
    from ecity_cli.tokens import local_issuer

    result = runner.invoke(app, ["token", "--role", "operator", "--role", "citizen", "--sub", "op-7"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    for info in SERVICES.values():  # as `make run` configures them (service_env): the local pair's JWKS
        settings = importlib.import_module(f"{info.package}.settings").Settings(jwt_jwks_file=str(local_issuer().jwks_file))
        principal = JwtVerifier(settings).verify(token)
        assert principal.subject == "op-7" and principal.roles == {"operator", "citizen"}
    # With a JWKS, the development HS256 secret opens nothing (no algorithm confusion either).
    with_jwks = ServiceSettings(jwt_jwks_file=str(local_issuer().jwks_file))
    hs256 = jwt.encode({"sub": "x", "roles": ["operator"], "iss": with_jwks.jwt_issuer, "aud": with_jwks.jwt_audience,
                        "exp": 2_000_000_000}, with_jwks.jwt_secret.get_secret_value(), algorithm="HS256",
                       headers={"kid": jwt.get_unverified_header(token)["kid"]})
    import pytest

    from ecity_common.web.problems import Problem

    with pytest.raises(Problem):
        JwtVerifier(with_jwks).verify(hs256)


def test_token_refuses_a_role_the_city_does_not_have():
    result = runner.invoke(app, ["token", "--role", "citzen", "--sub", "c-1"])
    assert result.exit_code == 1
    assert "unknown role citzen" in result.output and "citizen" in result.output.split("roles:")[1]


def test_a_route_cannot_ask_for_a_role_nobody_is_given():
    import pytest

    from ecity_common.auth import require_role

    with pytest.raises(ValueError, match="unknown role"):
        require_role("operater")

def _publish_and_dead_letter(bootstrap: str, topic: str) -> CloudEvent:
    async def go() -> CloudEvent:
        await ensure_topics(admin_access(bootstrap), [topic, f"{topic}.dlq"])
        event = CloudEvent(source="/ecity/citizen-requests", type="ua.sumy.ecity.citizen-requests.request.submitted.v1",
                           subject="r-cli", data=submitted("r-cli").model_dump(mode="json"))
        producer = AIOKafkaProducer(**kafka_options(bootstrap))
        await producer.start()
        try:
            await producer.send_and_wait(topic, event.kafka_value(), key=b"r-cli", headers=event.kafka_headers())
        finally:
            await producer.stop()
        [record] = await read_topic(bootstrap, topic, 1)
        producer = AIOKafkaProducer(**kafka_options(bootstrap))
        await producer.start()
        try:
            await dlq.send_dead_letter(producer, record, consumer_group="ecity.utilities-gateway", error="boom: no company")
        finally:
            await producer.stop()
        return event

    return asyncio.run(go())


def test_events_tail_dlq_list_and_replay(infra):
    topic = f"t{uuid.uuid4().hex[:8]}.ecity.citizen-requests.v1"
    bootstrap = infra.bootstrap_servers
    # The operator's sign-in, as someone on call gives it for a broker other than `make run`'s.
    operator = {"ECITY_KAFKA_SASL_USERNAME": infra.admin.username, "ECITY_KAFKA_SASL_PASSWORD": infra.admin.password}
    event = _publish_and_dead_letter(bootstrap, topic)

    tail = runner.invoke(app, ["events", "tail", topic, "--from-beginning", "--max", "1", "--bootstrap", bootstrap], env=operator)
    assert tail.exit_code == 0, tail.output
    assert "ua.sumy.ecity.citizen-requests.request.submitted.v1" in tail.output and event.id in tail.output

    listed = runner.invoke(app, ["dlq", "list", topic, "--bootstrap", bootstrap], env={"COLUMNS": "300", **operator})
    assert listed.exit_code == 0, listed.output
    assert "1 dead letter(s)" in listed.output and "boom: no company" in listed.output
    assert "ecity.utilities-gateway" in listed.output

    other_group = runner.invoke(app, ["dlq", "replay", topic, "--group", "someone-else", "--bootstrap", bootstrap],
                                env=operator)
    assert "replayed 0 dead letter(s)" in other_group.output
    replay = runner.invoke(app, ["dlq", "replay", topic, "--bootstrap", bootstrap], env=operator)
    assert replay.exit_code == 0 and "replayed 1 dead letter(s)" in replay.output
    records = asyncio.run(read_topic(bootstrap, topic, 2))
    replayed = CloudEvent.from_kafka(records[1].headers, records[1].value)
    assert replayed == event  # the original event, as it was first published


def test_events_and_dead_letters_need_the_operators_sign_in(infra, tmp_path, monkeypatch):
    # No broker of `make run` in this state folder, so no password of its own: the command says
    # what to give it instead of trying without one (the broker would not answer).
    monkeypatch.setenv("ECITY_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("ECITY_KAFKA_SASL_PASSWORD", raising=False)
    refused = runner.invoke(app, ["dlq", "list", "ecity.network.v1", "--bootstrap", infra.bootstrap_servers],
                            env={"COLUMNS": "300"})
    assert refused.exit_code == 1
    assert "no password for Kafka user admin" in refused.output and "ECITY_KAFKA_SASL_PASSWORD" in refused.output


def test_issue_an_open311_key_that_the_service_accepts(services, monkeypatch):
    import asyncio

    from citizen_requests.adapters import open311_clients
    from citizen_requests.main import MIGRATIONS_DIR
    from ecity_common.db import make_engine, make_sessions
    from ecity_common.migrations import upgrade

    url = services.database_url("citizen-requests")
    upgrade(MIGRATIONS_DIR, url)
    monkeypatch.setenv("CITIZEN_REQUESTS_DATABASE_URL", url)
    result = runner.invoke(app, ["citizens", "issue-open311-key", "--name", "sumy-mobile"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("ecity311_")

    async def check() -> tuple:
        engine = make_engine(services.settings("citizen-requests"))
        async with make_sessions(engine)() as session:
            found = await open311_clients.client_app(session, key), await open311_clients.client_app(session, key + "x")
        await engine.dispose()
        return found

    assert asyncio.run(check()) == ("sumy-mobile", None)


def test_infra_reset_wipes_the_local_data_and_waits_for_make_run_to_stop(tmp_path, monkeypatch):
    """`ecity infra reset` (make reset): Kafka's and PostgreSQL's files are gone, both are stopped."""
    import os
    import socket

    from ecity_cli.config import LocalSettings
    from ecity_cli.infra import free_port, port_open
    from ecity_cli.local import LocalInfra
    from ecity_cli.services import SERVICES

    monkeypatch.setenv("ECITY_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("ECITY_POSTGRES_DSN", raising=False)
    for name in ("ECITY_KAFKA_PORT", "ECITY_KAFKA_CONTROLLER_PORT", "ECITY_POSTGRES_PORT"):
        monkeypatch.setenv(name, str(free_port()))
    for info in SERVICES.values():
        monkeypatch.setenv(f"{info.env_prefix}HTTP_PORT", str(free_port()))
    settings = LocalSettings()
    infra = LocalInfra.from_settings(settings)
    assert runner.invoke(app, ["infra", "up"]).exit_code == 0
    try:
        assert infra.postgres.data_dir.exists() and (tmp_path / "kafka").exists()
        with socket.socket() as service:  # a service of `make run` still listening
            service.bind(("127.0.0.1", int(os.environ["BUDGET_LEDGER_HTTP_PORT"])))
            service.listen()
            refused = runner.invoke(app, ["infra", "reset"])
        assert refused.exit_code == 1 and "budget-ledger still running" in refused.output
        assert infra.postgres.is_running()

        reset = runner.invoke(app, ["infra", "reset"])
        assert reset.exit_code == 0, reset.output
        assert not infra.postgres.cluster_dir.exists() and not (tmp_path / "kafka").exists()
        assert not port_open(settings.kafka_port) and not port_open(settings.postgres_port)
    finally:
        infra.down()
