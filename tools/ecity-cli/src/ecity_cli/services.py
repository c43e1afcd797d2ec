"""The services as processes: what `ecity up` and the cross-process tests start."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from ecity_cli.infra import InfraError, tail
from ecity_cli.supervisor import ChildProcess


@dataclass(frozen=True)
class ServiceInfo:
    name: str  # also the CloudEvents source and the catalogue producer name
    package: str
    default_port: int

    @property
    def env_prefix(self) -> str:
        return f"{self.package.upper()}_"

    @property
    def database(self) -> str:
        return self.package

    @property
    def app_role(self) -> str | None:
        """The restricted database role the service connects as, if it has one (its settings'
        `database_app_role`); the owner of its tables then only migrates."""
        import importlib

        return importlib.import_module(f"{self.package}.settings").Settings.model_fields["database_app_role"].default

    @property
    def migrations_dir(self) -> Path:
        import importlib

        module = importlib.import_module(f"{self.package}.main")
        return module.MIGRATIONS_DIR


SERVICES: dict[str, ServiceInfo] = {
    s.name: s
    for s in (
        ServiceInfo("citizen-requests", "citizen_requests", 8001),
        ServiceInfo("utilities-gateway", "utilities_gateway", 8002),
        ServiceInfo("budget-ledger", "budget_ledger", 8003),
        ServiceInfo("network-registry", "network_registry", 8004),
        ServiceInfo("notifications", "notifications", 8005),
    )
}


def database_settings(info: ServiceInfo, postgres) -> dict[str, str]:
    """The URLs a service of this machine connects and migrates with: its restricted role when it
    has one, the admin (who owns what ecity creates) for migrations."""
    owner = postgres.database_url(info.database)
    app = postgres.database_url(info.database, role=info.app_role) if info.app_role else owner
    return {"database_url": app, "migration_database_url": owner}


def local_keys(info: ServiceInfo) -> dict[str, str]:
    """Key files of this machine a service needs: budget-ledger's key that signs its chain heads,
    notifications' VAPID key that signs Web Push."""
    if info.name == "budget-ledger":
        from ecity_cli.anchor_key import local_anchor_key

        return {"anchor_signing_key_file": str(local_anchor_key())}
    if info.name == "notifications":
        from ecity_cli.vapid_key import local_vapid_key

        return {"vapid_private_key_file": str(local_vapid_key())}
    return {}


def service_env(info: ServiceInfo, *, port: int, database_url: str, kafka: Mapping[str, str], **extra: str) -> dict[str, str]:
    """Environment for one service process: its prefix on every setting. `kafka` is the service's
    sign-in to the broker, its Kafka settings (`LocalKafka.service_settings(name)`). It migrates with
    `migration_database_url` when given (see `database_settings`), else with `database_url`."""
    # Everything this tool starts (`ecity up`, the tests, the benchmarks) runs on a developer's
    # machine: local mode, with the demo data, unless a caller says otherwise.
    # Tokens are checked as a deployed service checks them (asymmetric, against a JWKS), with the
    # local key pair that `ecity token` and the tests sign with.
    from ecity_cli.tokens import local_issuer

    env = {"HTTP_PORT": str(port), "DATABASE_URL": database_url, "MIGRATION_DATABASE_URL": database_url,
           **{k.upper(): str(v) for k, v in kafka.items()}, "MODE": "local", "SEED_DEMO_DATA": "true",
           "JWT_JWKS_FILE": str(local_issuer().jwks_file), **{k.upper(): v for k, v in local_keys(info).items()}}
    env.update({k.upper(): str(v) for k, v in extra.items()})
    return {f"{info.env_prefix}{k}": v for k, v in env.items()}


class ServiceProcess(ChildProcess):
    """A service under ecity_common.server (what `ecity up` supervises and the cross-process tests start)."""

    def __init__(self, info: ServiceInfo, *, port: int, env: dict[str, str], log_file: Path, faults: str = "") -> None:
        command = [
            sys.executable, "-m", "ecity_common.server", f"{info.package}.main:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        ]
        super().__init__(info.name, command, env=env, log_file=log_file)
        self.info = info
        self.port = port
        self.faults = faults

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env.pop("ECITY_FAULTS", None)
        if self.faults:
            env["ECITY_FAULTS"] = self.faults
        return env

    def start(self) -> ServiceProcess:
        super().start()
        return self

    def wait_ready(self, timeout_s: float = 60.0, *, cancel: threading.Event | None = None) -> None:
        """Until /health/ready answers 200; returns early once `cancel` is set."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                return
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                raise InfraError(f"{self.info.name} exited (code {code}) while starting; its log ends:\n{tail(self.log_file)}")
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise InfraError(f"{self.info.name} was not ready in {timeout_s:.0f} s; its log ends:\n{tail(self.log_file)}")

    def wait_exit(self, timeout_s: float = 30.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout_s)


# The web: pages over the services' APIs. Not among SERVICES, which are the services that own
# data (each its database, its Kafka principal, its OpenAPI document): the web has none of these,
# and everything that iterates SERVICES (migrations, topics, ACLs, the fuzzer) is about them.
WEB = ServiceInfo("web", "web", 8006)
# The local OpenID Connect provider the web signs people in with (ecity_cli.oidc_provider).
SIGN_IN_PORT = 8090


def web_env(*, port: int, oidc_issuer: str, citizen_requests_url: str, notifications_url: str, **extra: str) -> dict[str, str]:
    """Environment for the web process: local mode, the services it calls, the provider it signs in with."""
    env = {"HTTP_PORT": str(port), "MODE": "local", "OIDC_ISSUER": oidc_issuer, "PUBLIC_URL": f"http://127.0.0.1:{port}",
           "CITIZEN_REQUESTS_URL": citizen_requests_url, "NOTIFICATIONS_URL": notifications_url}
    env.update({k.upper(): str(v) for k, v in extra.items()})
    return {f"{WEB.env_prefix}{k}": v for k, v in env.items()}


class SignInProcess(ChildProcess):
    """The local OpenID Connect provider as a process (what `ecity up` and the browser tests start)."""

    def __init__(self, *, port: int, log_file: Path) -> None:
        super().__init__("sign-in", [sys.executable, "-m", "ecity_cli.oidc_provider", "--port", str(port)],
                         log_file=log_file)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SignInProcess:
        super().start()
        return self

    def wait_ready(self, timeout_s: float = 30.0, *, cancel: threading.Event | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                return
            if self.process is None or self.process.poll() is not None:
                raise InfraError(f"the local sign-in exited while starting; its log ends:\n{tail(self.log_file)}")
            try:
                if httpx.get(f"{self.url}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise InfraError(f"the local sign-in was not ready in {timeout_s:.0f} s; its log ends:\n{tail(self.log_file)}")
