"""Docker Compose, the Dockerfiles and the Kubernetes manifests, proven offline (no Docker engine,
no cluster here): rendered, validated against their schemas, and held to the rules we promise
the IT department."""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ecity_cli.services import SERVICES
from ecity_common.events.catalogue import TOPICS
from ecity_common.messaging.access import kafka_rights

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
CRD_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io", "monitoring.coreos.com")


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


crd_check = load(K8S / "crds" / "validate.py", "crd_check")
generate = load(K8S / "generate.py", "k8s_generate")
dashboards = load(ROOT / "deploy" / "monitoring" / "dashboards.py", "dashboards")


def render(overlay: str) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [o for o in yaml.safe_load_all(out.stdout) if o]


@pytest.fixture(scope="module", params=["dev", "prod"])
def rendered(request) -> list[dict]:
    return render(request.param)


def of_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def test_the_committed_manifests_are_what_the_generator_writes():
    assert generate.main(check=True) == 0, "run `python deploy/k8s/generate.py` and commit"


def test_the_committed_dockerfiles_are_what_their_generator_writes():
    docker = load(ROOT / "deploy" / "docker" / "generate.py", "docker_generate")
    assert docker.main(check=True) == 0, "run `python deploy/docker/generate.py` and commit"


def test_the_committed_dashboards_are_what_their_generator_writes():
    assert dashboards.main(check=True) == 0, "run `python deploy/monitoring/dashboards.py` and commit"


def test_every_core_object_validates_against_the_kubernetes_schemas(rendered):
    version = kubernetes_validate.utils.latest_version()
    checked = 0
    for obj in rendered:
        if obj["apiVersion"].split("/")[0] in CRD_GROUPS:
            continue
        kubernetes_validate.validate(obj, version, strict=True)
        checked += 1
    assert checked >= 30


# -- custom resources, against the CRDs of the operators they are written for ----------------

@pytest.fixture(scope="module")
def schemas():
    return crd_check.Schemas()


def test_every_custom_resource_validates_against_the_pinned_operators_crds(rendered, schemas):
    """What `kubectl apply` would refuse (an apiVersion the operator no longer serves, a field its
    schema lacks, a wrong type) fails here: the CRDs are the pinned releases' (deploy/k8s/crds/)."""
    assert set(CRD_GROUPS) == schemas.groups
    custom = [o for o in rendered if o["apiVersion"].split("/")[0] in CRD_GROUPS]
    assert {o["kind"] for o in custom} == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "ServiceMonitor",
                                           "PrometheusRule"}
    assert [p for o in custom for p in schemas.refusals(o)] == []


def _one(rendered, kind: str) -> dict:
    return copy.deepcopy(next(o for o in rendered if o["kind"] == kind))


def test_the_crd_check_refuses_what_the_api_server_refuses(schemas):
    objects = render("prod")
    kafka = _one(objects, "Kafka")
    kafka["spec"]["kafka"]["replicas"] = 3  # moved to KafkaNodePool, gone from the Kafka of Strimzi 1.0
    assert schemas.refusals(kafka) == ["Kafka ecity: .spec.kafka: Additional properties are not allowed ('replicas' was unexpected)"]
    topic = _one(objects, "KafkaTopic")
    topic["apiVersion"] = "kafka.strimzi.io/v1beta2"  # what these manifests said before Strimzi 1.0
    [refusal] = schemas.refusals(topic)
    assert "kafka.strimzi.io/v1beta2 is not served by strimzi-" in refusal and "(it serves v1)" in refusal
    database = _one(objects, "Cluster")
    database["spec"]["instances"] = "three"
    database["spec"]["storage"]["sise"] = "10Gi"
    refusals = schemas.refusals(database)
    assert len(refusals) == 2 and "'three' is not of type 'integer'" in refusals[0] and "'sise' was unexpected" in refusals[1]
    monitor = _one(objects, "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    monitor["metadata"]["labelz"] = {}
    assert len(schemas.refusals(monitor)) == 2
    topic = _one(objects, "KafkaTopic")  # where the schema preserves unknown fields, any key goes
    topic["spec"]["config"]["cleanup.policy"] = "compact"
    assert schemas.refusals(topic) == []


def test_the_pinned_operator_versions_agree_everywhere():
    readme = (K8S / "README.md").read_text()
    for operator, version in generate.OPERATORS.items():
        kept = sorted(p.name for p in (K8S / "crds").glob(f"{operator}-*") if p.is_dir())
        assert kept == [f"{operator}-{version}"], f"deploy/k8s/crds keeps {kept}; run `make crds`"
        assert version in (K8S / "crds" / "README.md").read_text(), operator
    # The install commands name the same releases.
    strimzi, cnpg, prometheus_operator = (generate.OPERATORS[k] for k in ("strimzi", "cloudnative-pg", "prometheus-operator"))
    assert f"strimzi-kafka-operator --version {strimzi}" in readme
    assert f"releases/cnpg-{cnpg}.yaml" in readme and f"release-{cnpg.rsplit('.', 1)[0]}/" in readme
    assert f"releases/download/v{prometheus_operator}/" in readme
    assert "latest" not in readme.split("## Install")[1].split("## ")[0]  # a moving target is no pin
    # One Kafka: the cluster's, the local broker's (its jars) and Docker Compose's.
    from ecity_cli.infra.kafka import kafka_version

    assert kafka_version() == generate.KAFKA_VERSION
    assert compose()["services"]["kafka"]["image"] == f"apache/kafka:{generate.KAFKA_VERSION}"
    assert generate.KAFKA_METADATA_VERSION.startswith(generate.KAFKA_VERSION.rsplit(".", 1)[0] + "-IV")


def test_every_dashboard_is_deployed_for_grafanas_sidecar(rendered):
    files = {p.name: p.read_text() for p in (ROOT / "deploy" / "monitoring" / "dashboards").glob("*.json")}
    assert set(files) == {f"{name}.json" for name in SERVICES} | {"overview.json"}
    deployed = {}
    for config in of_kind(rendered, "ConfigMap"):
        if config["metadata"]["labels"].get("grafana_dashboard") == "1":
            deployed.update(config["data"])
    assert deployed == files
    uids = set()
    for name, text in files.items():
        board = json.loads(text)
        assert board["uid"] not in uids and len(board["uid"]) <= 40, name  # Grafana's limit
        uids.add(board["uid"])
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for p in board["panels"]:
            assert p["gridPos"]["x"] + p["gridPos"]["w"] <= 24, (name, p["title"])
            for target in p.get("targets", []):
                assert target["expr"] and target["datasource"]["uid"] == "${datasource}", (name, p["title"])


def test_every_container_is_locked_down_probed_and_limited(rendered):
    workloads = of_kind(rendered, "Deployment") + of_kind(rendered, "Job")
    assert len(of_kind(rendered, "Deployment")) == len(SERVICES) == len(of_kind(rendered, "Job"))
    for w in workloads:
        spec = w["spec"]["template"]["spec"]
        assert spec["automountServiceAccountToken"] is False, w["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        for c in spec["containers"]:
            where = f"{w['kind']} {w['metadata']['name']}/{c['name']}"
            sc = c["securityContext"]
            assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"], where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]) and {"cpu", "memory"} <= set(c["resources"]["requests"]), where
            image, _, tag = c["image"].rpartition(":")
            assert image and tag and tag != "latest" and "/" not in tag, where
            if w["kind"] == "Deployment":
                assert c["readinessProbe"]["httpGet"]["path"] == "/health/ready", where
                assert c["livenessProbe"]["httpGet"]["path"] == "/health/live", where


# After its drain a service stops accepting, finishes the requests in flight and stops its consumer
# and relay: the time left for that before the kubelet's (or Docker's) SIGKILL.
SHUTDOWN_MARGIN_S = 15


def test_every_deployment_pauses_before_sigterm_and_has_time_to_drain_and_shut_down(rendered):
    configmaps = {c["metadata"]["name"]: c["data"] for c in of_kind(rendered, "ConfigMap")}
    for d in of_kind(rendered, "Deployment"):
        name, spec = d["metadata"]["name"], d["spec"]["template"]["spec"]
        [c] = spec["containers"]
        # The endpoints controller and kube-proxy take a few seconds to stop routing to the pod.
        sleep, pause = c["lifecycle"]["preStop"]["exec"]["command"]
        assert sleep == "sleep" and 3 <= int(pause) <= 15, name
        settings = {k: v for ref in c["envFrom"] for k, v in configmaps[ref["configMapRef"]["name"]].items()}
        drain = float(settings[f"{SERVICES[name].env_prefix}SHUTDOWN_DRAIN_S"])
        assert drain > 0, name
        assert spec["terminationGracePeriodSeconds"] > int(pause) + drain + SHUTDOWN_MARGIN_S, name


def test_every_deployment_has_a_pdb_an_hpa_a_service_and_a_migration_job(rendered):
    for d in of_kind(rendered, "Deployment"):
        name, selector = d["metadata"]["name"], d["spec"]["selector"]["matchLabels"]
        assert [p for p in of_kind(rendered, "PodDisruptionBudget") if p["spec"]["selector"]["matchLabels"] == selector], name
        assert [h for h in of_kind(rendered, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name], name
        assert [s for s in of_kind(rendered, "Service") if s["spec"]["selector"] == selector], name
        jobs = [j for j in of_kind(rendered, "Job") if j["metadata"]["labels"]["app.kubernetes.io/name"] == name]
        assert jobs and jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"][:3] == ["python", "-m", "ecity_common.migrate"]


def test_no_secret_is_committed_only_referenced(rendered):
    assert of_kind(rendered, "Secret") == []
    env = [e for d in of_kind(rendered, "Deployment") for e in d["spec"]["template"]["spec"]["containers"][0]["env"]]
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}
    refs |= {v["secret"]["secretName"] for d in of_kind(rendered, "Deployment")
             for v in d["spec"]["template"]["spec"]["volumes"] if "secret" in v}
    # Every one is created by hand as deploy/k8s/README.md says, or by an operator: CloudNativePG
    # (*-db-app), Strimzi's User Operator (one per KafkaUser, named after it) and its Cluster
    # Operator (the cluster CA's certificate).
    documented = {"utilities-gateway-webhook-secrets", "budget-ledger-db-restricted", "budget-ledger-anchor-key",
                  "notifications-vapid", "notifications-link-signing-key", "notifications-smtp-sign-in"}
    kafka_users = {u["metadata"]["name"] for u in of_kind(rendered, "KafkaUser")}
    by_operators = kafka_users | {"ecity-cluster-ca-cert"}
    assert documented <= refs and all(r in documented or r.endswith("-db-app") or r in by_operators for r in refs)
    readme = (ROOT / "deploy" / "k8s" / "README.md").read_text()
    assert all(f"create secret generic {name}" in readme for name in documented)
    # Only a relay that asks for a sign-in needs its Secret: without it the pod starts.
    optional = {e["valueFrom"]["secretKeyRef"]["name"] for e in env
                if "secretKeyRef" in e.get("valueFrom", {}) and e["valueFrom"]["secretKeyRef"].get("optional")}
    assert optional == {"notifications-smtp-sign-in"}
    # No shared token secret at all: every service checks the identity provider's signatures, with
    # its issuer and JWKS from one ConfigMap the operator creates.
    assert not [e for e in env if e["name"].endswith("JWT_SECRET")]
    identity = {e["valueFrom"]["configMapKeyRef"]["name"] for e in env if "configMapKeyRef" in e.get("valueFrom", {})}
    assert identity == {"ecity-identity"} and "create configmap ecity-identity" in readme
    assert len([e for e in env if e["name"].endswith("_JWT_JWKS_URL")]) == len(of_kind(rendered, "Deployment"))


def test_network_policies_deny_by_default_and_open_only_what_each_service_needs(rendered):
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(rendered, "NetworkPolicy")}
    assert set(policies["default-deny"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in policies["default-deny"] and "egress" not in policies["default-deny"]
    for name in SERVICES:
        spec = policies[f"{name}-traffic"]
        sources = [peer for rule in spec["ingress"] for peer in rule["from"]]
        assert sources == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                           {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
        egress_ports = {p["port"] for rule in spec["egress"] for p in rule["ports"]}
        internet = [r for r in spec["egress"] if any("ipBlock" in t for t in r["to"])]
        for rule in internet:  # the internet, never the cluster's, private, link-local or carrier-grade NAT ranges
            [block] = [t["ipBlock"] for t in rule["to"]]
            if name == "notifications" and block == {"cidr": generate.SMTP_RELAY["cidr"]}:
                continue  # one address, the city's SMTP relay (its own test below)
            assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8",
                    "100.64.0.0/10"} <= set(block["except"])
        assert {generate.KAFKA_PORT, 5432} <= egress_ports and 9092 not in egress_ports  # TLS only
        # only they call out: the gateway's webhooks, notifications' Web Push (and its SMTP relay)
        assert bool(internet) == (name in ("utilities-gateway", "notifications")), name
        db = policies[f"{name}-db-traffic"]
        assert db["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}}}]


def test_notifications_reaches_out_only_to_the_smtp_relay_and_web_push_services(rendered):
    """Issue 17: its way out is the city's relay (the address the operator sets, on the relay's port,
    and the same host in its settings, with STARTTLS) and HTTPS to the internet for the browsers'
    push services; never another port out, never a private range on 443."""
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(rendered, "NetworkPolicy")}
    out = [rule for rule in policies["notifications-traffic"]["egress"] if any("ipBlock" in t for t in rule["to"])]
    relay = generate.SMTP_RELAY
    assert out == [{"to": [{"ipBlock": {"cidr": relay["cidr"]}}], "ports": [{"port": relay["port"], "protocol": "TCP"}]},
                   {"to": [{"ipBlock": generate.INTERNET}], "ports": [{"port": 443, "protocol": "TCP"}]}]
    assert relay["port"] != 25  # submission with STARTTLS, not server-to-server relaying
    [config] = [c["data"] for c in of_kind(rendered, "ConfigMap") if c["metadata"]["name"] == "notifications-config"]
    assert (config["NOTIFICATIONS_SMTP_HOST"], config["NOTIFICATIONS_SMTP_PORT"]) == (relay["host"], str(relay["port"]))
    assert config["NOTIFICATIONS_SMTP_STARTTLS"] == "true"
    from notifications.settings import Settings

    settings = Settings(mode="deployed", smtp_host=relay["host"], smtp_starttls=False)
    assert any("SMTP_STARTTLS" in problem for problem in settings.unsafe())  # it would refuse clear text
    # The VAPID key as a file of its own Secret, readable by the pods' group only; the links' key from a Secret.
    [deployment] = [d for d in of_kind(rendered, "Deployment") if d["metadata"]["name"] == "notifications"]
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["vapid"]["secret"] == {"secretName": "notifications-vapid", "defaultMode": 0o440}
    assert {"name": "vapid", "mountPath": "/etc/ecity/vapid", "readOnly": True} in pod["containers"][0]["volumeMounts"]
    [key] = [e for e in pod["containers"][0]["env"] if e["name"] == "NOTIFICATIONS_LINK_SIGNING_KEY"]
    assert key["valueFrom"]["secretKeyRef"]["name"] == "notifications-link-signing-key"


def test_kafka_is_strimzi_kraft_with_node_pools_and_every_topic_and_dead_letter_topic(rendered):
    [kafka] = of_kind(rendered, "Kafka")
    # KRaft with node pools is all Strimzi runs since 0.48; it ignores the annotations that once chose them.
    assert not set(kafka["metadata"].get("annotations", {})) & {"strimzi.io/node-pools", "strimzi.io/kraft"}
    assert kafka["spec"]["kafka"]["version"] == generate.KAFKA_VERSION
    [pool] = of_kind(rendered, "KafkaNodePool")
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    config = kafka["spec"]["kafka"]["config"]
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(rendered, "KafkaTopic")}
    assert set(topics) == set(TOPICS.values()) | {f"{t}.dlq" for t in TOPICS.values()}
    if pool["spec"]["replicas"] == 3:  # prod (the base)
        assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2)
        assert all(t["replicas"] == 3 and t["config"]["min.insync.replicas"] == 2 for t in topics.values())
    else:  # dev: one node
        assert pool["spec"]["replicas"] == 1 and config["default.replication.factor"] == 1
        assert all(t["replicas"] == 1 for t in topics.values())
    assert all(t["partitions"] >= 3 for t in topics.values())


def test_kafka_takes_only_tls_with_a_sign_in_and_each_service_its_catalogue_rights(rendered):
    """Issue 16: no plain listener, every client a KafkaUser, and each service's ACLs exactly what
    the event catalogue gives it (ecity_common.messaging.access): nobody but the network registry
    may publish `asset.commissioned`, on which the ledger posts an expenditure."""
    [kafka] = of_kind(rendered, "Kafka")
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"] == {"type": "scram-sha-512"}
    assert listener["port"] == generate.KAFKA_PORT
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert "userOperator" in kafka["spec"]["entityOperator"]
    users = {u["metadata"]["name"]: u["spec"] for u in of_kind(rendered, "KafkaUser")}
    operator = users.pop(generate.KAFKA_OPERATOR)  # the people on call: read everything, replay dead letters
    assert not [a for a in operator["authorization"]["acls"] if a["resource"]["type"] != "topic"]
    assert set(users) == set(SERVICES)
    for name, user in users.items():
        assert user["authentication"] == {"type": "scram-sha-512"}
        rights = kafka_rights(name)
        granted = {(a["resource"]["type"], a["resource"]["name"], op) for a in user["authorization"]["acls"]
                   for op in a["operations"]}
        assert all(a["resource"]["patternType"] == "literal" and a.get("type", "allow") == "allow"
                   for a in user["authorization"]["acls"]), name
        expected = ({("topic", t, op) for t in rights.writes for op in ("Write", "Describe")}
                    | {("topic", t, op) for t in rights.reads for op in ("Read", "Describe")}
                    | ({("group", rights.group, "Read")} if rights.reads else set()))
        assert granted == expected, name
    # The ledger's input: only the registry writes it; the ledger reads it, and writes only its own.
    assert ("topic", "ecity.network.v1", "Write") in {(a["resource"]["type"], a["resource"]["name"], op)
                                                      for a in users["network-registry"]["authorization"]["acls"]
                                                      for op in a["operations"]}
    writers = {n for n, u in users.items() for a in u["authorization"]["acls"]
               if a["resource"]["name"] == "ecity.network.v1" and "Write" in a["operations"]}
    assert writers == {"network-registry"}
    configmaps = {c["metadata"]["name"]: c["data"] for c in of_kind(rendered, "ConfigMap")}
    for d in of_kind(rendered, "Deployment"):
        name, spec = d["metadata"]["name"], d["spec"]["template"]["spec"]
        [c] = spec["containers"]
        prefix = SERVICES[name].env_prefix
        config = configmaps[f"{name}-config"]
        assert config[f"{prefix}KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and config[f"{prefix}KAFKA_SASL_USERNAME"] == name
        assert config[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"].endswith(f":{generate.KAFKA_PORT}")
        [password] = [e for e in c["env"] if e["name"] == f"{prefix}KAFKA_SASL_PASSWORD"]
        assert password["valueFrom"]["secretKeyRef"] == {"name": name, "key": "password"}  # the KafkaUser's Secret
        [mount] = [m for m in c["volumeMounts"] if m["name"] == "kafka-ca"]
        assert config[f"{prefix}KAFKA_SSL_CAFILE"] == f"{mount['mountPath']}/ca.crt"
        [volume] = [v for v in spec["volumes"] if v["name"] == "kafka-ca"]
        assert volume["secret"]["secretName"] == f"{kafka['metadata']['name']}-cluster-ca-cert"


def test_the_kubernetes_readme_tells_who_may_write_and_read_what_the_catalogue_says():
    readme = (K8S / "README.md").read_text()
    for name in SERVICES:
        [row] = [line for line in readme.splitlines() if line.startswith(f"| {name} |")]
        writes, reads = row.split("|")[2:4]
        rights = kafka_rights(name)
        assert set(re.findall(r"`([^`]+)`", writes)) == set(rights.writes), name
        assert set(re.findall(r"`([^`]+)`", reads)) == set(rights.reads), name


def test_each_service_has_its_own_cloudnativepg_cluster(rendered):
    clusters = {c["metadata"]["name"]: c["spec"] for c in of_kind(rendered, "Cluster")}
    assert set(clusters) == {f"{name}-db" for name in SERVICES}
    for name, info in SERVICES.items():
        spec = clusters[f"{name}-db"]
        assert spec["bootstrap"]["initdb"] == {"database": info.package, "owner": info.package}
        assert spec["instances"] in (1, 3)


def test_the_ledger_connects_as_its_restricted_role_and_only_its_migration_as_the_owner(rendered):
    """The owner of the ledger's tables could drop its append-only triggers: only the migration Job
    gets the owner's secret; the pods connect as a role CloudNativePG manages, and hold the key that
    signs the chain's heads, which neither the Job nor the database sees."""
    from budget_ledger.settings import Settings

    [cluster] = [c for c in of_kind(rendered, "Cluster") if c["metadata"]["name"] == "budget-ledger-db"]
    [role] = cluster["spec"]["managed"]["roles"]
    assert role["name"] == Settings().database_app_role and role["ensure"] == "present" and role["login"] is True
    assert not any(role[k] for k in ("superuser", "createdb", "createrole", "replication", "bypassrls"))
    [deployment] = [d for d in of_kind(rendered, "Deployment") if d["metadata"]["name"] == "budget-ledger"]
    [job] = [j for j in of_kind(rendered, "Job") if j["metadata"]["labels"]["app.kubernetes.io/name"] == "budget-ledger"]

    def secrets(pod: dict) -> set[str]:
        env = pod["spec"]["template"]["spec"]["containers"][0]["env"]
        return {e["valueFrom"]["secretKeyRef"]["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}

    def names(pod: dict) -> set[str]:
        return {e["name"] for e in pod["spec"]["template"]["spec"]["containers"][0]["env"]}

    # its database role's password and its Kafka sign-in (the KafkaUser's Secret), never the owner's
    assert secrets(deployment) == {role["passwordSecret"]["name"], "budget-ledger"} and "BUDGET_LEDGER_DATABASE_URL" in names(deployment)
    assert secrets(job) == {"budget-ledger-db-app"} and "BUDGET_LEDGER_MIGRATION_DATABASE_URL" in names(job)
    assert "BUDGET_LEDGER_DATABASE_URL" not in names(job)
    [config] = [c for c in of_kind(rendered, "ConfigMap") if c["metadata"]["name"] == "budget-ledger-config"]
    key_file = Path(config["data"]["BUDGET_LEDGER_ANCHOR_SIGNING_KEY_FILE"])
    [mount] = [m for m in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] if m["name"] == "anchor-key"]
    assert Path(mount["mountPath"]) == key_file.parent and mount["readOnly"] is True
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["anchor-key"]["secret"]["secretName"] == "budget-ledger-anchor-key"
    assert "anchor-key" not in {v["name"] for v in job["spec"]["template"]["spec"]["volumes"]}


def test_configmaps_name_only_settings_the_services_have():
    for name, info in SERVICES.items():
        [config] = yaml.safe_load_all((K8S / "base" / name / "configmap.yaml").read_text())
        _assert_known_settings(info, config["data"])


def _assert_known_settings(info, env: dict) -> None:
    fields = importlib.import_module(f"{info.package}.settings").Settings.model_fields
    for key in env:
        if key.startswith(info.env_prefix):
            assert key.removeprefix(info.env_prefix).lower() in fields, f"{info.name}: {key} is no setting"
        else:  # OpenTelemetry's, and OpenSSL's CA bundle (Compose's mail sink has a certificate of its own)
            assert key.startswith("OTEL_") or key == "SSL_CERT_FILE", key


# -- Docker Compose ----------------------------------------------------------------------------

def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_validates_against_the_compose_specification():
    schema = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text())
    jsonschema.validate(compose(), schema)


def test_compose_agrees_with_the_services_settings_ports_and_images():
    services = compose()["services"]
    assert {"kafka", "postgres", "otel-collector", "jaeger"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    for name, info in SERVICES.items():
        svc = services[name]
        assert svc["ports"] == [f"{info.default_port}:{info.default_port}"]
        assert svc["depends_on"][f"{name}-migrate"] == {"condition": "service_completed_successfully"}
        assert svc["depends_on"]["kafka"] == {"condition": "service_healthy"}
        assert svc["image"].endswith(":${ECITY_VERSION:-0.1.0}")
        _assert_known_settings(info, svc["environment"])
        migrate = services[f"{name}-migrate"]
        assert migrate["command"] == ["python", "-m", "ecity_common.migrate", info.package]
        assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for svc in services.values():
        for value in (svc.get("environment") or {}).values():
            assert not re.search(r"(PASSWORD|SECRET)=", str(value)), "no secret committed"
    example = (ROOT / ".env.example").read_text()
    needed = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert needed <= set(re.findall(r"^([A-Z_]+)=", example, re.M)), needed


def test_compose_gives_each_service_time_to_drain_and_shut_down():
    services = compose()["services"]
    for name, info in SERVICES.items():
        svc = services[name]
        grace = re.fullmatch(r"(\d+)s", svc["stop_grace_period"])
        assert grace, svc["stop_grace_period"]
        drain = float(svc["environment"][f"{info.env_prefix}SHUTDOWN_DRAIN_S"])
        assert int(grace[1]) > drain + SHUTDOWN_MARGIN_S, name


# -- Dockerfiles -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SERVICES))
def test_dockerfile_rules(name):
    info = SERVICES[name]
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS ([\w-]+))?", text, re.M)
    assert stages == [("node:20-bookworm-slim", "docs-assets"), ("python:3.11-slim-bookworm", "build"),
                      ("python:3.11-slim-bookworm", "")]
    assert "COPY --from=docs-assets /docs_assets libs/common/src/ecity_common/web/docs_assets" in text
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER 10001:10001$", final, re.M)
    assert f"http://127.0.0.1:{info.default_port}/health/live" in final and "HEALTHCHECK" in final
    assert "uv sync --frozen --no-dev" in text and "COPY pyproject.toml uv.lock" in text
    assert not re.search(r"apt-get|build-essential|gcc|pip install", final), "no build tools in the final image"
    assert f"{info.package}.main:create_app" in final


def test_the_dockerfile_install_steps_build_a_working_environment(tmp_path):
    """Replays the build stage's COPY and `uv sync` steps (no Docker engine here) and imports the
    service from the resulting non-editable environment, with its migrations."""
    uv = next((ROOT / ".cache").glob("uv-*/bin/uv"), None) or shutil.which("uv")
    assert uv, "make setup installs uv into .cache/"
    name, info = "budget-ledger", SERVICES["budget-ledger"]
    text = (ROOT / "services" / name / "Dockerfile").read_text().split("\nFROM ")[2]  # the build stage
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"), "UV_PYTHON_DOWNLOADS": "never",
           "UV_LINK_MODE": "copy"}
    src = tmp_path / "src"
    src.mkdir()
    for line in text.splitlines():
        if line.startswith("COPY --from=docs-assets"):
            continue  # the node stage's fetch.sh; `make setup` ran the same script into the source tree
        if line.startswith("COPY "):
            *sources, dest = line.split()[1:]
            for source in sources:
                if (ROOT / source).is_dir():  # COPY libs/common libs/common
                    shutil.copytree(ROOT / source, src / dest, ignore=shutil.ignore_patterns("tests", "__pycache__"),
                                    dirs_exist_ok=True)
                else:  # COPY a b ./  or  COPY x/pyproject.toml x/
                    (src / dest).mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / source, src / dest / Path(source).name)
        elif line.startswith("RUN uv sync"):
            args = line.split()[2:]
            result = subprocess.run([str(uv), *args, "--python", "python3.11"], cwd=src, env=env, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr[-2000:]
    python = tmp_path / "venv" / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", f"import {info.package}.main as m; from ecity_common.web import docs; "
                            "print(m.MIGRATIONS_DIR.is_dir(), docs.assets_present(), m.__file__)"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    is_dir, docs_assets, location = probe.stdout.split()
    # installed, not the source tree; the docs' assets (not in git) are in the installed package
    assert is_dir == "True" and docs_assets == "True" and "site-packages" in location


def test_no_demo_data_is_loaded_in_a_cluster(rendered):
    for config in of_kind(rendered, "ConfigMap"):
        for key, value in config["data"].items():
            if key.endswith("_SEED_DEMO_DATA"):
                assert value == "false", key
    seeded = {c["metadata"]["name"] for c in of_kind(rendered, "ConfigMap") if any(k.endswith("_SEED_DEMO_DATA") for k in c["data"])}
    assert seeded == {"citizen-requests-config", "utilities-gateway-config", "budget-ledger-config", "network-registry-config"}


def test_every_service_is_scraped_and_the_alerts_are_deployed(rendered):
    monitored = {m["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for m in of_kind(rendered, "ServiceMonitor")}
    assert monitored == set(SERVICES)
    for monitor in of_kind(rendered, "ServiceMonitor"):
        assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    [rule] = of_kind(rendered, "PrometheusRule")
    alerts = yaml.safe_load((ROOT / "deploy" / "monitoring" / "alerts.yaml").read_text())["groups"]
    assert rule["spec"]["groups"] == alerts
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(rendered, "NetworkPolicy")}
    for name in SERVICES:
        sources = policies[f"{name}-traffic"]["ingress"][0]["from"]
        assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}} in sources


# -- the Ingress: what the internet reaches --------------------------------------------------


def ingress_route(ingress: dict, path: str) -> tuple[str, str] | None:
    """What ingress-nginx does with a request path: (service, path at the pod), or None (its 404).
    nginx resolves `.` and `..` segments before matching; regex paths, anchored at the start as its
    `location ~*` blocks are; the first match wins."""
    path = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
    for rule in ingress["spec"]["rules"]:
        for p in rule["http"]["paths"]:
            match = re.match(p["path"], path, re.IGNORECASE)
            if match:
                target = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"]
                return p["backend"]["service"]["name"], re.sub(r"\$(\d)", lambda m: match.group(int(m.group(1))), target)
    return None


@pytest.mark.parametrize(("path", "reaches"), [
    ("/citizen-requests/api/v1/public/requests", ("citizen-requests", "/api/v1/public/requests")),
    ("/citizen-requests/open311/v2/requests.json", ("citizen-requests", "/open311/v2/requests.json")),
    ("/utilities/integrations/v1/inbox", ("utilities-gateway", "/integrations/v1/inbox")),
    ("/utilities/public/outages", ("utilities-gateway", "/public/outages")),
    ("/budget/api/v1/reports/execution", ("budget-ledger", "/api/v1/reports/execution")),
    # Inside the cluster only: scrapes, probes, the docs.
    ("/citizen-requests/metrics", None), ("/budget/health/ready", None), ("/utilities/docs", None),
    ("/budget/openapi.json", None), ("/citizen-requests/redoc", None), ("/budget/docs/assets/swagger-ui.css", None),
    # No way around the list: whole segments, no traversal into another root.
    ("/citizen-requests/api/v10/x", None), ("/budget/api/v1/../../metrics", None),
    ("/network-registry/api/v1/sites/", None), ("/metrics", None),
    # notifications: citizens' own routes and the links of its e-mails, nothing else.
    ("/notifications/api/v1/unsubscribe", ("notifications", "/api/v1/unsubscribe")),
    ("/notifications/api/v1/me/push-subscriptions", ("notifications", "/api/v1/me/push-subscriptions")),
    ("/notifications/metrics", None), ("/notifications/docs", None), ("/notifications/api/v1/../../health/ready", None),
])
def test_the_ingress_routes_only_the_public_and_authenticated_apis(rendered, path, reaches):
    [ingress] = of_kind(rendered, "Ingress")
    assert ingress_route(ingress, path) == reaches


def test_every_route_of_a_public_service_is_either_routed_or_meant_to_stay_inside(rendered):
    """A new route under a new root is a decision: add it to PUBLIC_PATHS (generate.py) or leave it
    inside; these are the roots that stay inside on purpose."""
    inside = {"/health/live", "/health/ready"}
    [ingress] = of_kind(rendered, "Ingress")
    prefixes = {"citizen-requests": "/citizen-requests", "utilities-gateway": "/utilities", "budget-ledger": "/budget",
                "notifications": "/notifications"}
    for name, prefix in prefixes.items():
        for path in json.loads((ROOT / "services" / name / "openapi.json").read_text())["paths"]:
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            routed = ingress_route(ingress, prefix + concrete)
            assert (routed == (name, concrete)) != (path in inside), f"{name} {path}: routed={routed}"


def test_the_prod_overlay_limits_each_clients_rate_at_the_ingress():
    [ingress] = of_kind(render("prod"), "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert int(notes["nginx.ingress.kubernetes.io/limit-rps"]) > 0
    assert int(notes["nginx.ingress.kubernetes.io/limit-connections"]) > 0
    assert "limit-req-status-code" in (K8S / "README.md").read_text()


def _endpoints(routes):
    for route in routes:
        if hasattr(route, "original_router"):  # a router FastAPI included (it keeps them unflattened)
            yield from _endpoints(route.original_router.routes)
        elif hasattr(route, "endpoint"):
            yield route.endpoint


def test_the_ingress_lets_through_the_largest_body_a_public_route_reads():
    """ingress-nginx refuses bodies over its proxy-body-size (1m unless set) with its own 413: a
    route's limit (ecity_common.web.body_limits) must be reachable through it."""
    from ecity_common.web.body_limits import JSON_BODY, MiB, route_limit

    [ingress] = yaml.safe_load_all((K8S / "base" / "ingress.yaml").read_text())
    size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert re.fullmatch(r"\d+m", size), size
    public = {path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}
    largest = 0
    for name in public:
        app = importlib.import_module(f"{SERVICES[name].package}.main").create_app()
        largest = max(largest, *(route_limit({"endpoint": endpoint}, JSON_BODY) for endpoint in _endpoints(app.routes)))
    assert largest >= 20 * MiB  # the budget import, the largest today
    assert int(size[:-1]) * MiB == largest, "set the ingress's proxy-body-size to the largest route limit"
