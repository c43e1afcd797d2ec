"""The authorization matrix of a service: who may pass the door of each route.

Each `test_<service>_access.py` commits a table `DOORS`: for every route of the app ("METHOD
/path/template", enumerated from `app.routes`), who may call it — `ANYONE`, `roles(...)`,
`COMPANY_KEY`, `OPEN311_KEY` or `MONITORING_KEY`. `undecided` fails the test for a route with no
decision (a new route) or a decision for a route that is gone. `walk` calls every route as every
caller (anonymous, a token per role, a token of another service, an expired one, a made-up one, the
service's own keys) with placeholder path parameters and a minimal body, and returns every cell
whose answer disagrees with the table, so one failure lists them all:

- a caller the door lets in must not be answered 401 or 403 (404, 409, 422 or 200: it got past the
  door), nor 500 (a placeholder that crashes a route is a bug of its own);
- a caller it refuses gets 401 when it brings no credentials this door takes (none, a token of
  another service, an expired or made-up one, a key for another door) and 403 when its token is
  good but holds none of the roles; a 401 carries `WWW-Authenticate`, a role's 403 says
  `insufficient_scope`, both as problem+json. Open311's door is its specification's: 403 with its
  error list (`[{code, description}]`), as the rest of Open311 answers.

What happens past the door (a citizen reading someone else's request, a company another's outage)
is object-level access, checked in each service's file where a service has owners of objects.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from ecity_cli.services import SERVICES
from ecity_cli.testing import bearer
from ecity_cli.tokens import LocalIssuer
from ecity_common.auth import ROLES

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Door:
    """Who may pass: `kind` is "anyone", "roles" (any one of `roles`), or the key it takes."""

    kind: str
    roles: frozenset[str] = frozenset()
    refuses_with: int = 401  # what a caller without the right credentials is answered
    problem_json: bool = True  # refusals as RFC 9457 problem+json (Open311 has its own error list)

    def __str__(self) -> str:
        return f"roles {', '.join(sorted(self.roles))}" if self.kind == "roles" else self.kind


ANYONE = Door("anyone")
COMPANY_KEY = Door("company key")  # utilities-gateway: `Authorization: Bearer ugw_…` or `X-API-Key: ugw_…`
OPEN311_KEY = Door("open311 key", refuses_with=403, problem_json=False)  # the form's `api_key`
MONITORING_KEY = Door("monitoring key")  # network-registry: the NMS's `X-API-Key: nms_…`


def roles(*names: str) -> Door:
    unknown = set(names) - ROLES
    assert not unknown, f"no such role {sorted(unknown)}: the city's roles are {sorted(ROLES)}"
    return Door("roles", frozenset(names))


# What every service serves beside its API (ecity_common.runtime): read by the kubelet and
# Prometheus, which carry no token, and by people reading the API's documentation. None of it
# says anything about a citizen, a company or an object: the routes and their shapes are public
# (the OpenAPI documents are in the repository), the metrics count requests per route template.
EVERY_SERVICE = {
    "GET /openapi.json": ANYONE,
    "GET /docs": ANYONE,
    "GET /docs/oauth2-redirect": ANYONE,
    "GET /docs/assets/{path}": ANYONE,  # Swagger UI's and ReDoc's files
    "GET /redoc": ANYONE,
    "GET /health/live": ANYONE,
    "GET /health/ready": ANYONE,
    "GET /metrics": ANYONE,
}


def routes_of(app) -> set[str]:
    """Every route of the app as "METHOD /template"; a mount (static files) as GET /mount/{path}.
    HEAD is left out where GET is there: Starlette answers it with the GET route."""
    found: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.add(f"GET {route.path}/{{path}}")
            continue
        methods = set(route.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")
        found.update(f"{method} {route.path}" for method in methods)
    return found


def undecided(app, doors: dict[str, Door], where: str) -> list[str]:
    routes = routes_of(app)
    return ([f"{route}: a route with no decision; add it to DOORS in {where} (who may call it)"
             for route in sorted(routes - doors.keys())]
            + [f"{route}: a decision for a route the app no longer has; remove it from DOORS in {where}"
               for route in sorted(doors.keys() - routes)])


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    roles: frozenset[str] | None = None  # the roles of a token this service accepts; None: no such token
    key: Door | None = None  # the key door this caller's key opens
    form: dict[str, str] | None = None  # credentials sent in the form or query (Open311's api_key)

    def refused_with(self, door: Door) -> int | None:
        """The status this caller must get at this door; None: it passes."""
        if door == ANYONE:
            return None
        if door.kind == "roles":
            if self.roles is None:
                return 401
            return None if self.roles & door.roles else 403
        return None if self.key == door else door.refuses_with


def token_callers(settings) -> list[Caller]:
    """Anonymous, a token with no role, one per role, and tokens the service must not take: every
    role for another service's audience, every role expired, and a string that is no token."""
    every = sorted(ROLES)
    issuer = LocalIssuer(Path(settings.jwt_jwks_file).parent)  # the pair the service's JWKS file is of
    other = next(name for name in SERVICES if name != settings.jwt_audience)

    def minted(audience: str, ttl_s: int) -> dict[str, str]:
        token = issuer.mint(subject="sec-everyone", roles=every, audience=audience, issuer=settings.jwt_issuer, ttl_s=ttl_s)
        return {"Authorization": f"Bearer {token}"}

    return [
        Caller("anonymous"),
        Caller("a token with no role", bearer(settings, "sec-nobody"), roles=frozenset()),
        *(Caller(f"role {role}", bearer(settings, f"sec-{role}", role), roles=frozenset({role})) for role in every),
        Caller(f"every role, {other}'s audience", minted(other, 3600)),
        Caller("every role, expired an hour ago", minted(settings.jwt_audience, -3600)),
        Caller("a made-up bearer token", {"Authorization": "Bearer not-a-token"}),
    ]


def fill(template: str, placeholders: dict[str, str]) -> str:
    """The path with every `{name}` replaced: by `placeholders[name]`, else a made-up id."""
    return re.sub(r"\{(\w+)\}", lambda m: placeholders.get(m.group(1), f"no-such-{m.group(1).replace('_', '-')}"), template)


async def call(client: httpx.AsyncClient, method: str, url: str, caller: Caller) -> httpx.Response:
    """One call as this caller with a minimal body: `{}` (or the caller's form) for a write, and a
    fresh Idempotency-Key, so that a retry-safe POST is not refused for the want of one."""
    headers = {**caller.headers, "Idempotency-Key": str(uuid.uuid4())}
    if method in ("GET", "HEAD"):
        return await client.request(method, url, headers=headers, params=caller.form)
    if caller.form is not None:
        return await client.request(method, url, headers=headers, data=caller.form)
    return await client.request(method, url, headers=headers, json={})


def judge(route: str, door: Door, caller: Caller, answer: httpx.Response) -> list[str]:
    cell = f"{route} as {caller.name} ({door}):"
    status, headers = answer.status_code, answer.headers
    expected = caller.refused_with(door)
    if expected is None:
        if status in (401, 403):
            return [f"{cell} should pass the door, was answered {status} {answer.text[:160]}"]
        if status == 500:  # (503 is no crash: /health/ready says so while Kafka is slow to answer)
            return [f"{cell} passed the door and crashed: {answer.text[:160]}"]
        return []
    if status != expected:
        return [f"{cell} should be refused with {expected}, was answered {status} {answer.text[:160]}"]
    wrong = []
    if door.problem_json and headers.get("content-type") != PROBLEM_JSON:
        wrong.append(f"{cell} refused as {headers.get('content-type')}, not {PROBLEM_JSON}")
    if not door.problem_json and not (isinstance(answer.json(), list) and answer.json()[0]["code"] == status):
        wrong.append(f"{cell} refused without Open311's error list: {answer.text[:160]}")
    if status == 401 and not headers.get("www-authenticate"):
        wrong.append(f"{cell} a 401 without WWW-Authenticate")
    if status == 403 and door.kind == "roles" and 'error="insufficient_scope"' not in headers.get("www-authenticate", ""):
        wrong.append(f"{cell} a role's 403 without WWW-Authenticate error=\"insufficient_scope\"")
    return wrong


async def walk(client: httpx.AsyncClient, doors: dict[str, Door], callers: list[Caller],
               placeholders: dict[str, str] | None = None) -> list[str]:
    """Every route as every caller; the cells that disagree with `doors`, each in one line. A
    route's callers call at once (the app is in this process: a walk takes seconds, not minutes)."""
    wrong: list[str] = []
    for route, door in sorted(doors.items()):
        method, template = route.split(" ", 1)
        url = fill(template, placeholders or {})
        answers = await asyncio.gather(*(call(client, method, url, caller) for caller in callers))
        for caller, answer in zip(callers, answers, strict=True):
            wrong += judge(route, door, caller, answer)
    return wrong


def report(wrong: list[str], what: str) -> str:
    return f"{len(wrong)} {what}:\n" + "\n".join(wrong)
