"""Writes deploy/k8s/base from one description of the services, so the services' manifests
cannot drift apart. Run `python deploy/k8s/generate.py` after a change (or `make manifests`);
tests/test_deploy.py fails when the committed files are not what this writes.

Plain YAML out, so that the IT department reads and reviews manifests, not this script.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from ecity_common.messaging.access import kafka_rights

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
NAMESPACE = "sumy-ecity"
VERSION = "0.1.0"
PART_OF = {"app.kubernetes.io/part-of": "sumy-ecity"}

# name, package, port, public path prefix on the ingress (None: not public), egress to the internet
SERVICES = [
    ("citizen-requests", "citizen_requests", 8001, "/citizen-requests", False),
    ("utilities-gateway", "utilities_gateway", 8002, "/utilities", True),
    ("budget-ledger", "budget_ledger", 8003, "/budget", False),
    ("network-registry", "network_registry", 8004, None, False),
    # notifications reaches the internet too, but only Web Push's services: its egress is its own
    # (NOTIFICATIONS_EGRESS below), not the gateway's "any address on 443" for companies' webhooks.
    ("notifications", "notifications", 8005, "/notifications", False),
]
# What the Ingress routes of each public service: its APIs for citizens, companies and staff (each
# authenticated or public by its own rules), nothing else. /metrics, /docs, /redoc, /openapi.json and
# /health/* stay inside the cluster (Prometheus and the kubelet reach them there); a path not listed
# here answers the ingress's 404 and never reaches a pod.
PUBLIC_PATHS = {
    "citizen-requests": ["api/v1", "open311/v2"],
    "utilities-gateway": ["integrations/v1", "api/v1", "public/outages", "public/photos"],
    "budget-ledger": ["api/v1"],
    # Citizens' own routes (their e-mail address and its confirmation, their push subscriptions, the
    # VAPID public key their browser subscribes with, "everything you hold about me") and the links
    # in the e-mails: a confirmation link and the one-click unsubscribe (RFC 8058), which the citizen's
    # mail provider POSTs from the internet. Nothing for staff or other services lives under api/v1
    # here: were a route for them added, it would go under another root, which stays inside.
    "notifications": ["api/v1"],
}
INGRESS_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/use-regex": "true",
    "nginx.ingress.kubernetes.io/rewrite-target": "/$1",
    # The largest body a route accepts (a budget CSV import, 20 MiB); each service refuses more per
    # route (ecity_common.web.body_limits); ingress-nginx's own default, 1 MiB, would refuse a meter batch.
    "nginx.ingress.kubernetes.io/proxy-body-size": "20m",
}


def public_path(prefix: str, allowed: list[str]) -> str:
    """`/budget/api/v1/…` → the service's `/api/v1/…`; only the allowed roots, whole segments only."""
    roots = "|".join(re.escape(root) for root in allowed)
    return f"{prefix}/((?:{roots})(?:/.*)?)$"


# The operators these manifests are written for; their CRDs are kept in deploy/k8s/crds/<name>-<version>/
# and every custom resource here is validated against them in `make test`. deploy/k8s/README.md's
# install commands name the same versions (a test holds them together).
OPERATORS = {"strimzi": "1.2.0", "cloudnative-pg": "1.30.0", "prometheus-operator": "0.95.2"}
STRIMZI_API = "kafka.strimzi.io/v1"  # Strimzi 1.0 removed v1beta2
# A Kafka that Strimzi 1.2 supports (4.2.x, 4.3.x); the local broker (deploy/local/kafka/pom.xml)
# and Docker Compose run the same version.
KAFKA_VERSION = "4.3.1"
KAFKA_METADATA_VERSION = "4.3-IV0"
# Where prometheus-operator's Prometheus runs (kube-prometheus-stack's default): allowed to scrape.
MONITORING_NAMESPACE = "monitoring"
# Stopping a pod without dropping a request. Kubernetes removes a terminating pod from the Service's
# endpoints while it sends SIGTERM, and the endpoints controller and every node's kube-proxy take a
# few seconds to stop routing to it: the preStop pause keeps the process serving untouched meanwhile.
# On SIGTERM the service answers 503 on /health/ready, keeps serving for SHUTDOWN_DRAIN_S, then stops
# accepting, finishes its in-flight requests and stops its consumer and outbox relay. The grace
# period covers all of that with room to spare; at its end the kubelet sends SIGKILL.
PRESTOP_PAUSE_S = 5
SHUTDOWN_DRAIN_S = 2
TERMINATION_GRACE_PERIOD_S = 45
# Services that load illustrative demo data unless told not to: never in a cluster.
DEMO_DATA = {"citizen-requests", "utilities-gateway", "budget-ledger", "network-registry"}
# The services reach Kafka on Strimzi's TLS listener and sign in with SCRAM-SHA-512 as their own
# KafkaUser, whose ACLs are the event catalogue's (ecity_common.messaging.access); the cluster CA's
# certificate, which signed the brokers', is mounted from the Secret Strimzi keeps it in.
KAFKA_CLUSTER = "ecity"
KAFKA_PORT = 9093
KAFKA_CA_SECRET = f"{KAFKA_CLUSTER}-cluster-ca-cert"
KAFKA_CA_DIR = "/etc/ecity/kafka-ca"
KAFKA_OPERATOR = "ecity-operator"
# Topics per producing service (ecity_common.events.catalogue.TOPICS) and their partitions.
TOPICS = {
    "ecity.citizen-requests.v1": 12,
    "ecity.utilities.v1": 12,
    "ecity.budget.v1": 6,
    "ecity.network.v1": 6,
    "ecity.notifications.v1": 6,
}


def labels(name: str, component: str = "api") -> dict:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component, **PART_OF}


def security_context() -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


# The identity provider: where its issuer and JWKS URL are configured, and the namespace it runs in
# (the services fetch its public keys from there; an IdP outside the cluster needs an ipBlock instead).
IDENTITY_CONFIG = "ecity-identity"
IDENTITY_NAMESPACE = "identity"


def env(name: str, package: str, migration: bool = False) -> list[dict]:
    """A service's environment; `migration`: its migration Job's, which connects as the owner of
    the tables where the service itself has a restricted role (RESTRICTED_ROLES)."""
    prefix = package.upper() + "_"
    restricted = RESTRICTED_ROLES.get(name)
    secret = restricted[1] if restricted and not migration else f"{name}-db-app"
    url = "MIGRATION_DATABASE_URL" if restricted and migration else "DATABASE_URL"
    # The Kafka password is in the Secret Strimzi's User Operator writes for the service's KafkaUser
    # (same name); a migration Job, which never talks to Kafka, does not wait for it.
    signs_in = [] if migration else [{"name": f"{prefix}KAFKA_SASL_PASSWORD",
                                      "valueFrom": {"secretKeyRef": {"name": name, "key": "password"}}}]
    return [
        {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": secret, "key": "username"}}},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}},
        {"name": f"{prefix}{url}",
         "value": f"postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@{name}-db-rw:5432/{package}"},
        # Tokens from the city's identity provider (OIDC): its issuer and JWKS, in one ConfigMap the
        # operator creates (deploy/k8s/README.md); each service checks its own audience (its name).
        {"name": f"{prefix}JWT_JWKS_URL", "valueFrom": {"configMapKeyRef": {"name": IDENTITY_CONFIG, "key": "jwks-url"}}},
        {"name": f"{prefix}JWT_ISSUER", "valueFrom": {"configMapKeyRef": {"name": IDENTITY_CONFIG, "key": "issuer"}}},
        *signs_in,
        *SERVICE_SECRETS.get(name, []),
    ]


# Services whose pods connect as a restricted database role, not as the owner of their tables
# (CloudNativePG's `<name>-db-app`, which only the migration Job gets): the role, managed by
# CloudNativePG (`spec.managed.roles`), and the Secret with its password the operator creates.
# budget-ledger: its owner could drop the ledger's append-only triggers.
RESTRICTED_ROLES = {"budget-ledger": ("budget_ledger_app", "budget-ledger-db-restricted")}
# Secret files mounted into a service's pods (never its migration Job's): volume, Secret, folder.
# budget-ledger: the Ed25519 key that signs the chain's heads, which its database roles never see.
# notifications: the VAPID private key (RFC 8292) that signs its Web Push requests; with it anyone
# could push to every citizen who subscribed.
SERVICE_FILES = {"budget-ledger": [("anchor-key", "budget-ledger-anchor-key", "/etc/ecity/anchor")],
                 "notifications": [("vapid", "notifications-vapid", "/etc/ecity/vapid")]}

# The city's SMTP relay, which notifications' e-mail leaves through (STARTTLS: the service refuses
# clear text to another machine outside local mode). Its host is written into the ConfigMap and its
# address into the NetworkPolicy: a NetworkPolicy cannot name a host, so the operator fills in both
# (deploy/k8s/README.md, "The SMTP relay"). 192.0.2.25 is a documentation address (RFC 5737) that
# reaches nothing: until it is set, mail waits in `pending` and is retried, nothing leaks elsewhere.
SMTP_RELAY = {"host": "smtp-relay.sumy.ua", "port": 587, "cidr": "192.0.2.25/32"}
# The internet without the cluster's, private, link-local and carrier-grade NAT ranges.
INTERNET = {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8",
                                            "100.64.0.0/10"]}
# notifications' way out, beyond Kafka, its database, traces and the identity provider: the relay,
# and HTTPS to the internet for Web Push. A subscription's endpoint is a URL of the browser's push
# service (Google's FCM, Mozilla's autopush, Apple's, Microsoft's), on addresses those companies
# change without notice and a NetworkPolicy cannot name by host; so 443 to the internet, never to the
# cluster or a private range. The service only posts to the endpoint a browser gave it; a policy by
# host name (Cilium's or Calico's FQDN rules, or an egress proxy) would narrow this where the cluster
# has one.
NOTIFICATIONS_EGRESS = [
    {"to": [{"ipBlock": {"cidr": SMTP_RELAY["cidr"]}}], "ports": [{"port": SMTP_RELAY["port"], "protocol": "TCP"}]},
    {"to": [{"ipBlock": INTERNET}], "ports": [{"port": 443, "protocol": "TCP"}]},
]

# Volumes a service keeps data on: volume, PersistentVolumeClaim, folder, size. citizen-requests:
# citizens' photos (ecity_common.photos, the directory store). Every replica (2 to 6, the HPA's)
# writes and reads the same photos, so the claim is ReadWriteMany: the cluster needs a storage class
# that gives it (CephFS, NFS, a cloud's file store). Where the city's object store is used instead
# (CITIZEN_REQUESTS_PHOTO_STORE=s3, its bucket, endpoint and a Secret with its keys), this claim can
# go (deploy/k8s/README.md, "Photos").
SERVICE_VOLUMES = {"citizen-requests": [("photos", "citizen-requests-photos", "/var/lib/ecity/photos", "50Gi")],
                   # utilities-gateway: the companies' photos of their work, attached to their reports.
                   "utilities-gateway": [("photos", "utilities-gateway-photos", "/var/lib/ecity/photos", "20Gi")]}
# Memory per pod beyond the default 512 MiB. citizen-requests decodes photos (up to 40 MP: 160 MB of
# pixels each, CITIZEN_REQUESTS_PHOTO_WORKERS at a time).
SERVICE_MEMORY = {"citizen-requests": "1Gi", "utilities-gateway": "1Gi"}
# /tmp beyond the default 64 MiB: an upload's multipart body goes to a temporary file past 1 MiB
# (Starlette's parser), up to 10 MiB a photo, for every photo being received at once.
SERVICE_TMP = {"citizen-requests": "512Mi", "utilities-gateway": "512Mi"}

SERVICE_CONFIG = {
    "utilities-gateway": {"UTILITIES_GATEWAY_PHOTO_STORE": "directory",
                          "UTILITIES_GATEWAY_PHOTO_DIRECTORY": "/var/lib/ecity/photos",
                          # The photos' addresses in its events are absolute: the ingress's address.
                          "UTILITIES_GATEWAY_PUBLIC_URL": "https://api.ecity.sumy.ua/utilities"},
    "citizen-requests": {"CITIZEN_REQUESTS_PHOTO_STORE": "directory",
                         "CITIZEN_REQUESTS_PHOTO_DIRECTORY": "/var/lib/ecity/photos",
                         # Open311's media_url is absolute: the ingress's address of the service.
                         "CITIZEN_REQUESTS_PUBLIC_URL": "https://api.ecity.sumy.ua/citizen-requests"},
    "budget-ledger": {"BUDGET_LEDGER_DATABASE_APP_ROLE": "budget_ledger_app",
                      "BUDGET_LEDGER_ANCHOR_SIGNING_KEY_FILE": "/etc/ecity/anchor/signing-key.pem"},
    "notifications": {"NOTIFICATIONS_SMTP_HOST": SMTP_RELAY["host"], "NOTIFICATIONS_SMTP_PORT": str(SMTP_RELAY["port"]),
                      "NOTIFICATIONS_SMTP_STARTTLS": "true",
                      # Web Push and consent (issue 17): the key file of SERVICE_FILES, the `sub` of the
                      # VAPID claims (a contact the push services can write to), the address the links
                      # of the e-mails start with (the ingress's).
                      "NOTIFICATIONS_VAPID_PRIVATE_KEY_FILE": "/etc/ecity/vapid/private-key.pem",
                      "NOTIFICATIONS_VAPID_SUBJECT": "mailto:ecity@sumy.ua",
                      "NOTIFICATIONS_PUBLIC_BASE_URL": "https://api.ecity.sumy.ua/notifications"},
}


def service_config(name: str, package: str) -> dict[str, str]:
    """A service's own ConfigMap entries: only the settings its code has. Web Push and consent are
    being added to notifications while these manifests are; once its Settings has their fields,
    running this generator again writes them (a ConfigMap naming a setting the service lacks would
    be silently ignored by it, so a test refuses one)."""
    import importlib

    prefix = package.upper() + "_"
    fields = importlib.import_module(f"{package}.settings").Settings.model_fields
    return {k: v for k, v in SERVICE_CONFIG.get(name, {}).items() if k.removeprefix(prefix).lower() in fields}


# Secrets one service needs beyond its database.
SERVICE_SECRETS = {
    # The key that signs the links of notifications' e-mails (an address's confirmation, the one-click
    # unsubscribe): whoever held it could unsubscribe anyone or confirm an address they do not own.
    # And the relay's sign-in, if the city's relay asks for one (SMTP AUTH after STARTTLS): an
    # optional Secret, so a relay that accepts the service by its address needs none.
    "notifications": [{"name": "NOTIFICATIONS_LINK_SIGNING_KEY",
                       "valueFrom": {"secretKeyRef": {"name": "notifications-link-signing-key", "key": "key"}}},
                      *({"name": f"NOTIFICATIONS_SMTP_{part.upper()}",
                         "valueFrom": {"secretKeyRef": {"name": "notifications-smtp-sign-in", "key": part, "optional": True}}}
                        for part in ("username", "password"))],
    # The key that seals the companies' webhook signing secrets in the gateway's database.
    "utilities-gateway": [{"name": "UTILITIES_GATEWAY_WEBHOOK_SECRETS_KEY",
                           "valueFrom": {"secretKeyRef": {"name": "utilities-gateway-webhook-secrets", "key": "key"}}}],
}


def container(name: str, package: str, port: int, command: list[str] | None = None) -> dict:
    c = {
        "name": name,
        "image": f"ecity/{name}:{VERSION}",
        "imagePullPolicy": "IfNotPresent",
        "envFrom": [{"configMapRef": {"name": f"{name}-config"}}],
        "env": env(name, package, migration=bool(command)),
        "securityContext": security_context(),
        "resources": {"requests": {"cpu": "100m", "memory": "192Mi"},
                      "limits": {"cpu": "1", "memory": SERVICE_MEMORY.get(name, "512Mi")}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         *([] if command else [{"name": volume, "mountPath": folder, "readOnly": True}
                                               for volume, _, folder in SERVICE_FILES.get(name, [])]),
                         *([] if command else [{"name": volume, "mountPath": folder}
                                               for volume, _, folder, _ in SERVICE_VOLUMES.get(name, [])])],
    }
    if command:
        c["command"] = command
    else:
        c["volumeMounts"].append({"name": "kafka-ca", "mountPath": KAFKA_CA_DIR, "readOnly": True})
        c["ports"] = [{"name": "http", "containerPort": port}]
        c["readinessProbe"] = {"httpGet": {"path": "/health/ready", "port": "http"}, "periodSeconds": 10, "failureThreshold": 3}
        c["livenessProbe"] = {"httpGet": {"path": "/health/live", "port": "http"}, "initialDelaySeconds": 10, "periodSeconds": 15}
        c["startupProbe"] = {"httpGet": {"path": "/health/live", "port": "http"}, "periodSeconds": 2, "failureThreshold": 30}
        c["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_PAUSE_S)]}}}
    return c


def pod_spec(containers: list[dict], restart: str | None = None, files: list[tuple[str, str, str]] = (),
             claims: list[tuple[str, str, str, str]] = (), tmp: str = "64Mi") -> dict:
    spec = {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": tmp}},
                    # readable by the pod's group (fsGroup) only
                    *({"name": volume, "secret": {"secretName": secret, "defaultMode": 0o440}} for volume, secret, _ in files),
                    *({"name": volume, "persistentVolumeClaim": {"claimName": claim}} for volume, claim, _, _ in claims)],
    }
    if any(m["name"] == "kafka-ca" for c in containers for m in c["volumeMounts"]):
        spec["volumes"].append({"name": "kafka-ca", "secret": {"secretName": KAFKA_CA_SECRET,
                                                               "items": [{"key": "ca.crt", "path": "ca.crt"}]}})
    if restart:
        spec["restartPolicy"] = restart
    return spec


def service_objects(name: str, package: str, port: int, public: str | None, internet: bool) -> dict[str, list[dict]]:
    prefix = package.upper() + "_"
    meta = lambda n: {"name": n, "labels": labels(name)}  # noqa: E731
    config = {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(f"{name}-config"),
        "data": {
            f"{prefix}HTTP_HOST": "0.0.0.0",
            f"{prefix}HTTP_PORT": str(port),
            f"{prefix}KAFKA_BOOTSTRAP_SERVERS": f"{KAFKA_CLUSTER}-kafka-bootstrap:{KAFKA_PORT}",
            f"{prefix}KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            f"{prefix}KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            f"{prefix}KAFKA_SASL_USERNAME": name,
            f"{prefix}KAFKA_SSL_CAFILE": f"{KAFKA_CA_DIR}/ca.crt",
            # Strimzi's KafkaTopic objects create the topics; migrations run in the Job.
            f"{prefix}KAFKA_CREATE_TOPICS": "false",
            f"{prefix}MIGRATE_ON_START": "false",
            f"{prefix}LOG_LEVEL": "INFO",
            f"{prefix}SHUTDOWN_DRAIN_S": str(SHUTDOWN_DRAIN_S),
            **({f"{prefix}SEED_DEMO_DATA": "false"} if name in DEMO_DATA else {}),
            **service_config(name, package),
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4318",
            "OTEL_SERVICE_NAME": name,
        },
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(name)},
                "spec": {**pod_spec([container(name, package, port)], files=SERVICE_FILES.get(name, []),
                                    claims=SERVICE_VOLUMES.get(name, []), tmp=SERVICE_TMP.get(name, "64Mi")),
                         "terminationGracePeriodSeconds": TERMINATION_GRACE_PERIOD_S},
            },
        },
    }
    service = {
        "apiVersion": "v1", "kind": "Service", "metadata": meta(name),
        "spec": {"selector": {"app.kubernetes.io/name": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    hpa = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta(name),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2, "maxReplicas": 6,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
    }
    pdb = {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(name),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name}}},
    }
    migrate = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": f"{name}-migrate-{VERSION.replace('.', '-')}", "labels": labels(name, "migration")},
        "spec": {
            "backoffLimit": 3, "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": labels(name, "migration")},
                "spec": pod_spec([container(name, package, port, ["python", "-m", "ecity_common.migrate", package])], "OnFailure"),
            },
        },
    }
    database = {
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": f"{name}-db", "labels": labels(name, "database")},
        "spec": {
            "instances": 3,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:15.10",
            "primaryUpdateStrategy": "unsupervised",
            "storage": {"size": "10Gi"},
            "bootstrap": {"initdb": {"database": package, "owner": package}},
            "postgresql": {"parameters": {"max_connections": "200"}},
        },
    }
    if name in RESTRICTED_ROLES:
        role, secret = RESTRICTED_ROLES[name]
        # What the role may do is granted by the service's migrations; here it only exists and logs in.
        database["spec"]["managed"] = {"roles": [{
            "name": role, "ensure": "present", "login": True, "inherit": True, "superuser": False, "createdb": False,
            "createrole": False, "replication": False, "bypassrls": False, "connectionLimit": -1,
            "passwordSecret": {"name": secret},
            "comment": f"{name}'s own connections: only what its migrations grant",
        }]}
    policy = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(f"{name}-traffic"),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                         # Prometheus (prometheus-operator's, in its own namespace) scrapes /metrics.
                         {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}],
                "ports": [{"port": "http", "protocol": "TCP"}],
            }],
            "egress": [
                {"to": [{"podSelector": {"matchLabels": {"strimzi.io/cluster": KAFKA_CLUSTER, "strimzi.io/kind": "Kafka"}}}],
                 "ports": [{"port": KAFKA_PORT, "protocol": "TCP"}]},
                {"to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": f"{name}-db"}}}],
                 "ports": [{"port": 5432, "protocol": "TCP"}]},
                {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}],
                 "ports": [{"port": 4318, "protocol": "TCP"}]},
                # The identity provider's JWKS (its signing keys, fetched and cached).
                {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": IDENTITY_NAMESPACE}}}],
                 "ports": [{"port": 443, "protocol": "TCP"}, {"port": 8443, "protocol": "TCP"}]},
            ],
        },
    }
    if internet:  # webhooks to the utility companies: the internet, never the cluster's or private ranges
        policy["spec"]["egress"].append({"to": [{"ipBlock": INTERNET}], "ports": [{"port": 443, "protocol": "TCP"}]})
    if name == "notifications":
        policy["spec"]["egress"] += NOTIFICATIONS_EGRESS
    db_policy = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(f"{name}-db-traffic"),
        "spec": {
            "podSelector": {"matchLabels": {"cnpg.io/cluster": f"{name}-db"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}}}], "ports": [{"port": 5432, "protocol": "TCP"}]},
                {"from": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": f"{name}-db"}}}]},  # replication
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}}}],
                 "ports": [{"port": 8000, "protocol": "TCP"}]},  # the operator's status checks
            ],
        },
    }
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": meta(name),
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
        },
    }
    claims = [{
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta(claim),
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": size}}},
    } for _, claim, _, size in SERVICE_VOLUMES.get(name, [])]
    return {
        **({"volumes.yaml": claims} if claims else {}),
        "configmap.yaml": [config], "deployment.yaml": [deployment], "service.yaml": [service], "hpa.yaml": [hpa],
        "pdb.yaml": [pdb], "migrate-job.yaml": [migrate], "database.yaml": [database],
        "network-policy.yaml": [policy, db_policy], "service-monitor.yaml": [monitor],
        "kafka-user.yaml": [kafka_user(name)],
    }


def kafka_user(name: str) -> dict:
    """The service's Kafka principal: SCRAM-SHA-512 (Strimzi's User Operator makes the password and
    keeps it in a Secret of the same name) and the ACLs the event catalogue gives it: write its own
    topic and the dead-letter twins of those it reads, read those as its consumer group. Nothing
    more: no service creates a topic here (KafkaTopic objects do), none reads a dead-letter topic."""
    rights = kafka_rights(name)
    topic = lambda t: {"type": "topic", "name": t, "patternType": "literal"}  # noqa: E731
    acls = [{"resource": topic(t), "operations": ["Write", "Describe"]} for t in rights.writes]
    acls += [{"resource": topic(t), "operations": ["Read", "Describe"]} for t in rights.reads]
    if rights.reads:
        acls.append({"resource": {"type": "group", "name": rights.group, "patternType": "literal"}, "operations": ["Read"]})
    return {
        "apiVersion": STRIMZI_API, "kind": "KafkaUser",
        "metadata": {"name": name, "labels": {"strimzi.io/cluster": KAFKA_CLUSTER, **labels(name, "kafka-user")}},
        "spec": {"authentication": {"type": "scram-sha-512"}, "authorization": {"type": "simple", "acls": acls}},
    }


def shared_objects() -> dict[str, list[dict]]:
    kafka = [
        {"apiVersion": STRIMZI_API, "kind": "KafkaNodePool",
         "metadata": {"name": "dual-role", "labels": {"strimzi.io/cluster": "ecity", **PART_OF}},
         "spec": {"replicas": 3, "roles": ["controller", "broker"],
                  "storage": {"type": "jbod", "volumes": [{"id": 0, "type": "persistent-claim", "size": "50Gi", "deleteClaim": False, "kraftMetadata": "shared"}]},
                  "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}}},
        {"apiVersion": STRIMZI_API, "kind": "Kafka",
         # KRaft and node pools are all Strimzi runs since 0.48: no annotations switch them on.
         "metadata": {"name": KAFKA_CLUSTER, "labels": PART_OF},
         "spec": {
             "kafka": {
                 "version": KAFKA_VERSION, "metadataVersion": KAFKA_METADATA_VERSION,
                 # One listener: TLS, and every client signs in as its KafkaUser (no plain listener:
                 # whoever reached it could publish `asset.commissioned` and the ledger would post it).
                 "listeners": [{"name": "tls", "port": KAFKA_PORT, "type": "internal", "tls": True,
                                "authentication": {"type": "scram-sha-512"},
                                "networkPolicyPeers": [{"podSelector": {"matchLabels": PART_OF}}]}],
                 # Each KafkaUser's ACLs decide; nothing without one (Kafka's default).
                 "authorization": {"type": "simple"},
                 "config": {"default.replication.factor": 3, "min.insync.replicas": 2, "offsets.topic.replication.factor": 3,
                            "transaction.state.log.replication.factor": 3, "transaction.state.log.min.isr": 2,
                            "auto.create.topics.enable": False},
             },
             "entityOperator": {"topicOperator": {}, "userOperator": {}},
         }},
    ]
    # The city's operators, for `ecity events tail`, `ecity dlq list` and `ecity dlq replay` (which
    # publishes a dead letter back on its producer's topic): read every topic and dead-letter topic
    # without a group, write the producers' topics. Its Secret is for the people on call alone.
    every_topic = [t for topic in TOPICS for t in (topic, f"{topic}.dlq")]
    operator = {
        "apiVersion": STRIMZI_API, "kind": "KafkaUser",
        "metadata": {"name": KAFKA_OPERATOR, "labels": {"strimzi.io/cluster": KAFKA_CLUSTER, **PART_OF}},
        "spec": {"authentication": {"type": "scram-sha-512"}, "authorization": {"type": "simple", "acls": [
            *({"resource": {"type": "topic", "name": t, "patternType": "literal"}, "operations": ["Read", "Describe"]}
              for t in every_topic),
            *({"resource": {"type": "topic", "name": t, "patternType": "literal"}, "operations": ["Write"]} for t in TOPICS),
        ]}},
    }
    topics = []
    for topic, partitions in TOPICS.items():
        for name, parts in ((topic, partitions), (f"{topic}.dlq", 3)):
            topics.append({
                "apiVersion": STRIMZI_API, "kind": "KafkaTopic",
                "metadata": {"name": name.replace(".", "-"), "labels": {"strimzi.io/cluster": "ecity", **PART_OF}},
                "spec": {"topicName": name, "partitions": parts, "replicas": 3,
                         "config": {"retention.ms": 30 * 24 * 3600 * 1000 if name.endswith(".dlq") else 7 * 24 * 3600 * 1000,
                                    "min.insync.replicas": 2}},
            })
    # Our own pods (APIs and migration Jobs): nothing in or out unless a policy below allows it.
    # Kafka's and PostgreSQL's pods are governed by their operators' policies (Strimzi generates
    # them from each listener's networkPolicyPeers) and by the per-service database policies.
    ours = {"matchLabels": PART_OF,
            "matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["api", "migration"]}]}
    default_deny = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "labels": PART_OF},
         "spec": {"podSelector": ours, "policyTypes": ["Ingress", "Egress"]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-dns", "labels": PART_OF},
         "spec": {"podSelector": ours, "policyTypes": ["Egress"],
                  "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                      "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                              "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}},
    ]
    # ingress-nginx refuses bodies over 1 MiB unless told otherwise, and a meter batch (1.6–3.3 MB) or a
    # budget import (up to 20 MiB) is more. The services bound each route themselves
    # (ecity_common.web.body_limits: 256 KiB unless the route says more), so the ingress allows the
    # largest route's limit and no more.
    ingress = [{
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ecity-public", "labels": PART_OF,
                                                                              "annotations": INGRESS_ANNOTATIONS},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["api.ecity.sumy.ua"], "secretName": "ecity-public-tls"}],
            "rules": [{"host": "api.ecity.sumy.ua", "http": {"paths": [
                {"path": public_path(public, PUBLIC_PATHS[name]), "pathType": "ImplementationSpecific",
                 "backend": {"service": {"name": name, "port": {"name": "http"}}}}
                for name, _, _, public, _ in SERVICES if public
            ]}}],
        },
    }]
    return {"kafka/kafka.yaml": kafka, "kafka/topics.yaml": topics, "kafka/operator-user.yaml": [operator], "network-policies.yaml": default_deny, "ingress.yaml": ingress}


def alert_rules() -> list[dict]:
    """The alerts of deploy/monitoring/alerts.yaml (checked and unit-tested there with promtool)."""
    groups = yaml.safe_load((HERE.parent / "monitoring" / "alerts.yaml").read_text())["groups"]
    return [{
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "ecity-alerts", "labels": PART_OF},
        "spec": {"groups": groups},
    }]


def dashboards() -> list[dict]:
    """The Grafana dashboards of deploy/monitoring/dashboards/ (written by deploy/monitoring/dashboards.py),
    one ConfigMap each, labelled for Grafana's dashboard sidecar (kube-prometheus-stack's Grafana
    loads every ConfigMap with `grafana_dashboard: "1"` from the namespaces it is told to search)."""
    return [{
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": f"ecity-dashboard-{path.stem}", "labels": {"grafana_dashboard": "1", **PART_OF},
                     "annotations": {"grafana_folder": "Sumy e-City"}},
        "data": {path.name: path.read_text()},
    } for path in sorted((HERE.parent / "monitoring" / "dashboards").glob("*.json"))]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (a dashboard's JSON, an alert's expression) as `|` blocks, readable in review."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def dump(objects: list[dict]) -> str:
    header = "# Generated by deploy/k8s/generate.py; edit that, then run it.\n"
    return header + "---\n".join(yaml.dump(o, Dumper=_Dumper, sort_keys=False, allow_unicode=True) for o in objects)


def files() -> dict[Path, str]:
    out: dict[Path, str] = {}
    resources = ["namespace.yaml", "network-policies.yaml", "ingress.yaml", "kafka/kafka.yaml", "kafka/topics.yaml",
                 "kafka/operator-user.yaml",
                 "monitoring/alerts.yaml", "monitoring/dashboards.yaml"]
    out[BASE / "monitoring" / "alerts.yaml"] = dump(alert_rules())
    out[BASE / "monitoring" / "dashboards.yaml"] = dump(dashboards())
    out[BASE / "namespace.yaml"] = dump([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": PART_OF}}])
    for path, objects in shared_objects().items():
        out[BASE / path] = dump(objects)
    for name, package, port, public, internet in SERVICES:
        for file, objects in service_objects(name, package, port, public, internet).items():
            out[BASE / name / file] = dump(objects)
            resources.append(f"{name}/{file}")
    out[BASE / "kustomization.yaml"] = dump([{
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": NAMESPACE,
        "labels": [{"pairs": {"app.kubernetes.io/version": VERSION}, "includeSelectors": False}],
        "resources": resources,
    }])
    return out


def main(check: bool = False) -> int:
    stale = [p for p, text in files().items() if not p.exists() or p.read_text() != text]
    if check:
        for p in stale:
            print(f"stale: {p.relative_to(HERE)}")
        return 1 if stale else 0
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(files()[p])
    print(f"wrote {len(stale)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
