"""Hostile input, no 500 (issue 15): every operation of the five services' OpenAPI documents, called
with generated input (valid, boundary and invalid) against the real service processes, each on its
own PostgreSQL database and the one Kafka of the test session.

Each call carries what the operation asks for, so the input gets past the door and reaches the
city's rules: a JWT with a role its route accepts (where it accepts several, which one depends on the input),
a demo company's key on the gateway's /integrations/v1, the demo monitoring key as X-API-Key,
the demo Open311 app's `api_key` in an Open311 form.
A call fails the test when the service answers 5xx, when its answer breaks the response schema of
its own document, or when the process stops answering; the last test checks every process is still
alive (/health/live) once all the input has gone through.

How much input: `ECITY_FUZZ_EXAMPLES` generated calls per operation in the fuzzing phase (few in
`make test`, which also fixes the seed, so two runs send the same input), plus the boundary and
invalid calls of the coverage phase. `make fuzz` runs many more with a fresh seed, printed at the
start; `ECITY_FUZZ_SEED=N` repeats a run. A failure prints a curl command that reproduces it.
"""

from __future__ import annotations

import os
import random
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ecity_cli.infra import repo_root
from ecity_cli.services import SERVICES, ServiceProcess
from ecity_cli.testing import ServiceFactory, TestInfra, bearer

EXAMPLES = int(os.environ.get("ECITY_FUZZ_EXAMPLES", "5"))
# `make test` sends the same input every run (a red run can be repeated); `make fuzz` asks for a
# fresh seed with ECITY_FUZZ_SEED=random and prints it.
_SEED_SETTING = os.environ.get("ECITY_FUZZ_SEED", "15")
SEED = random.SystemRandom().randrange(2**32) if _SEED_SETTING == "random" else int(_SEED_SETTING)
DETERMINISTIC = _SEED_SETTING != "random"

# Input that has broken services before, mixed into every string, integer and number the generator
# makes (a fifth of them), so a short run meets it too: NUL and other control characters, text that
# turns right to left, long text; integers past 32 and 64 bits; huge floats. (Not a lone surrogate:
# the generator cannot encode one, so it never goes out as UTF-8.)
HOSTILE = [
    "\x00", "a\x00b", "\x01\x1f\x7f", "\x1b[2J", "line\r\nbreak", "\u202eabc", "%00", "../../etc/passwd",
    "' OR '1'='1", "<x>&amp;</x>", "ﬀ\u0301" * 3, "ж" * 5000,
    2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30,
    1e308, -1e308, 5e-324,
]

CONFIG = {
    "seed": SEED,
    "dictionaries": {"hostile": {"values": HOSTILE}},
    "generation": {
        "max-examples": EXAMPLES, "deterministic": DETERMINISTIC, "database": "none",
        "dictionaries": {kind: {"dictionary": "hostile", "probability": 0.2} for kind in ("string", "integer", "number")},
    },
    # Each operation on its own: the stateful phase (chains of calls through links) is not part of
    # the pytest integration's run, and the documents declare no links.
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
    "request-timeout": 60,
}

# What each call is judged by: the "no 5xx" and "a response that keeps its own schema". An
# undocumented 4xx (401, 404, 409 …) is an honest refusal, not a failure of this test.
CHECKS = [not_a_server_error, response_schema_conformance]

# The first operation's test also starts the five services, which takes minutes on a busy machine;
# each operation's own share grows with the examples asked for, so a `make fuzz` of hundreds per
# operation is not cut short by a limit meant for `make test`'s few (ECITY_FUZZ_TIMEOUT sets it).
TIMEOUT_S = int(os.environ.get("ECITY_FUZZ_TIMEOUT", str(600 + 6 * EXAMPLES)))  # 0: none
pytestmark = pytest.mark.timeout(TIMEOUT_S)

ROOT = repo_root()
SCHEMAS = {
    name: schemathesis.openapi.from_path(ROOT / "services" / name / "openapi.json", config=schemathesis.Config.from_dict(CONFIG))
    for name in SERVICES
}

# Real HTTP to real processes on two shared cores: no per-example deadline, and Hypothesis' health
# checks about slow generation do not apply to this.
FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)


@dataclass
class City:
    """The five service processes and the credentials of each operation."""

    processes: dict[str, ServiceProcess]
    roles: dict[tuple[str, str, str], tuple[str, ...]]  # (service, METHOD, path) -> roles its route accepts
    tokens: dict[tuple[str, str], str]  # (service, role) -> Authorization header
    company_key: str
    monitoring_key: str
    open311_key: str

    def credentials(self, service: str, case) -> dict[str, str]:
        method, path = case.method.upper(), case.path
        if service == "utilities-gateway" and path.startswith("/integrations/v1/"):
            return {"Authorization": f"Bearer {self.company_key}"}
        if service == "network-registry" and path == "/api/v1/monitoring/status":
            return {"X-API-Key": self.monitoring_key}
        roles = self.roles.get((service, method, path))
        if not roles:
            return {}
        # Where a route accepts several roles (a citizen's own request, or any for an operator), the
        # input decides which one calls, so both ways through the route see generated input.
        role = roles[zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % len(roles)]
        return {"Authorization": self.tokens[(service, role)]}


def _takes_api_key(operation) -> bool:
    """An Open311 form: its client app's key is a field of the body (GeoReport v2's `api_key`)."""
    content = (operation.definition.raw.get("requestBody") or {}).get("content", {})
    return any("api_key" in (media.get("schema") or {}).get("properties", {}) for media in content.values())


def _route_roles(service: str, settings_) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Which roles each route accepts, read from its `require_role` dependency (the app is built,
    not started: no database, no Kafka)."""
    import importlib

    from fastapi.routing import APIRoute, iter_route_contexts

    app = importlib.import_module(f"{SERVICES[service].package}.main").create_app(settings_)

    def roles_of(dependant) -> tuple[str, ...]:
        found = getattr(dependant.call, "roles", None)
        if found:
            return tuple(found)
        for sub in dependant.dependencies:
            if found := roles_of(sub):
                return found
        return ()

    table = {}
    # Routers are included lazily (FastAPI 0.16x): each context is one route with its full path
    # and its effective dependencies, those of the routers above it included.
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            for method in route.methods:
                table[(service, method, route.path)] = roles_of(route.dependant)
    return table


@pytest.fixture(scope="module")
def city(infra: TestInfra, tmp_path_factory) -> Iterator[City]:
    from ecity_common.auth import ROLES
    from utilities_gateway.use_cases.demo_data import DEMO_COMPANIES

    print(f"\nfuzz: seed {SEED}, {EXAMPLES} examples per operation (ECITY_FUZZ_SEED={SEED} repeats it)")
    factory = ServiceFactory(infra=infra, topic_prefix=f"fuzz{uuid.uuid4().hex[:8]}.", trace_dir=tmp_path_factory.mktemp("fuzz"))
    processes = {name: factory.process(name) for name in SERVICES}
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_ready(timeout_s=180)  # four start at once, on two cores
        roles, tokens = {}, {}
        for name in SERVICES:
            service_settings = factory.settings(name)
            roles.update(_route_roles(name, service_settings))
            for role in ROLES:
                tokens[(name, role)] = bearer(service_settings, f"fuzz-{role}", role)["Authorization"]
        documented = {(name, method.upper(), path) for name, doc in SCHEMAS.items()
                      for path, item in doc.raw_schema["paths"].items() for method in item}
        # A documented operation with no route here would be called without the token it needs.
        assert documented <= roles.keys(), f"operations without a route: {sorted(documented - roles.keys())}"
        # and every service with an API has routes behind a role: were `require_role`'s roles no
        # longer readable, every call would go without a token and meet only the 401 at the door.
        with_api = {name for (name, _, path) in documented if not path.startswith("/health/")}
        assert {service for (service, _, _), accepted in roles.items() if accepted} == with_api
        yield City(processes=processes, roles=roles, tokens=tokens, company_key=DEMO_COMPANIES[0][1],
                   monitoring_key=factory.settings("network-registry").demo_monitoring_key,
                   open311_key=factory.settings("citizen-requests").demo_open311_key)
    finally:
        for process in processes.values():
            process.stop()


def _fuzz(city: City, service: str, case) -> None:
    creds = city.credentials(service, case)
    if creds:
        case.headers = {**(case.headers or {}), **creds}
    if isinstance(case.body, dict) and _takes_api_key(case.operation):
        case.body = {**case.body, "api_key": city.open311_key}
    process = city.processes[service]
    try:
        case.call_and_validate(base_url=process.url, checks=CHECKS)
    except Exception:
        if process.process is not None and process.process.poll() is not None:
            pytest.fail(f"{service} exited (code {process.process.returncode}) on this input; its log: {process.log_file}")
        raise


@SCHEMAS["citizen-requests"].parametrize()
@FUZZ_SETTINGS
def test_citizen_requests(case, city):
    _fuzz(city, "citizen-requests", case)


@SCHEMAS["utilities-gateway"].parametrize()
@FUZZ_SETTINGS
def test_utilities_gateway(case, city):
    _fuzz(city, "utilities-gateway", case)


@SCHEMAS["budget-ledger"].parametrize()
@FUZZ_SETTINGS
def test_budget_ledger(case, city):
    _fuzz(city, "budget-ledger", case)


@SCHEMAS["network-registry"].parametrize()
@FUZZ_SETTINGS
def test_network_registry(case, city):
    _fuzz(city, "network-registry", case)


@SCHEMAS["notifications"].parametrize()
@FUZZ_SETTINGS
def test_notifications(case, city):
    _fuzz(city, "notifications", case)


def test_every_service_is_still_alive_after_the_fuzzing(city):
    for name, process in city.processes.items():
        assert process.process is not None and process.process.poll() is None, f"{name} exited; its log: {process.log_file}"
        assert httpx.get(f"{process.url}/health/live", timeout=10).status_code == 200, name
