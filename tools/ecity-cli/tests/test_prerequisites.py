"""A missing prerequisite stops with one sentence that says what to install."""

import pytest

from ecity_cli.infra import InfraError
from ecity_cli.infra import postgres as pg
from ecity_cli.infra.kafka import LocalKafka, kafka_version


def test_no_java_says_to_install_java_17(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    with pytest.raises(InfraError) as caught:
        LocalKafka(tmp_path / "kafka", jars_dir=tmp_path / "jars").ensure_jars()
    assert str(caught.value).startswith("Java 17 or newer is needed") and "apt-get install" in str(caught.value)


def test_an_old_java_is_named(monkeypatch, tmp_path):
    fake = tmp_path / "java"
    fake.write_text('#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InfraError, match='Java 17 or newer is needed for Kafka 4, but `java -version` says: openjdk version "11'):
        LocalKafka(tmp_path / "kafka", jars_dir=tmp_path / "jars").check_java()


def test_no_maven_when_the_jars_are_not_cached(monkeypatch, tmp_path):
    real_java = __import__("shutil").which("java")
    (tmp_path / "java").symlink_to(real_java)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InfraError, match=r"^Maven is needed once to fetch the Kafka jars .*apt-get install maven"):
        LocalKafka(tmp_path / "kafka", jars_dir=tmp_path / "jars").ensure_jars()


def test_no_postgresql_binaries(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ECITY_PG_BIN", raising=False)
    with pytest.raises(InfraError, match=r"^PostgreSQL server binaries \(initdb, pg_ctl\) were not found: install them"):
        pg._find_bin_dir(debian_root=tmp_path / "nothing-here")


def test_jars_of_another_kafka_version_are_not_taken_for_the_pinned_one(tmp_path):
    # The cache kept 4.1.1's jars after the pom moved on: the broker must be fetched again, or the
    # local Kafka would go on running a version the cluster's Strimzi no longer supports.
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "kafka_2.13-4.1.1.jar").touch()
    (jars / "log4j-slf4j-impl-2.24.3.jar").touch()
    kafka = LocalKafka(tmp_path / "kafka", jars_dir=jars)
    assert kafka_version() != "4.1.1" and not kafka.has_jars()
    (jars / f"kafka_2.13-{kafka_version()}.jar").touch()
    assert kafka.has_jars()


def test_a_broker_formatted_before_sign_ins_is_refused_with_the_way_out(tmp_path):
    """A `.state/kafka/` from before the broker required sign-ins has no SCRAM credentials in its
    metadata: started as it is, every service would be refused. It says so, and writes nothing."""
    from ecity_cli.infra import free_port

    kafka = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    (kafka.state_dir / "data").mkdir(parents=True)
    (kafka.state_dir / "data" / "meta.properties").write_text("cluster.id=old\nnode.id=1\nversion=1\n")
    with pytest.raises(InfraError, match=r"formatted without the sign-in of admin, citizen-requests.*`ecity infra reset`"):
        kafka.launch()
    assert sorted(p.name for p in kafka.state_dir.iterdir()) == ["data"]  # no passwords, no configuration
    assert kafka.running_pid() is None


def test_each_principal_gets_its_own_password_kept_for_the_machines_user_alone(tmp_path):
    from ecity_cli.infra.kafka import Credentials

    credentials = Credentials(tmp_path / "credentials.json")
    first = {p: credentials.password(p) for p in ("admin", "citizen-requests", "budget-ledger")}
    assert len(set(first.values())) == 3 and all(len(p) == 48 for p in first.values())
    assert {p: Credentials(tmp_path / "credentials.json").password(p) for p in first} == first  # kept, not remade
    assert (tmp_path / "credentials.json").stat().st_mode & 0o077 == 0
    assert credentials.known("network-registry") is None  # asking makes none
