"""Who is calling: JWT bearer tokens for people and apps, API keys for integrations.

JWTs: RS256/ES256 against the identity provider's JWKS when deployed; locally against the public
JWKS of the key pair `ecity` keeps (ecity_cli.tokens), so development takes the same path; HS256 with
a shared secret only for a service started by hand in local mode. The issuer, this service's own
audience and the expiry (with a small leeway) are always checked; roles come from a `roles` claim.
API keys: `<prefix>_<key id>_<secret>`; only a SHA-256 of the whole key is stored (the key is
random and long, so a slow hash adds nothing), looked up by its id and compared in constant time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from fastapi import Request

from ecity_common.phrases import Phrase
from ecity_common.settings import ServiceSettings
from ecity_common.web.openapi import refuses
from ecity_common.web.problems import Problem


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    claims: dict = field(default_factory=dict, compare=False, hash=False)

    def has(self, role: str) -> bool:
        return role in self.roles


VERIFIED_TOKENS_KEPT = 10_000


# Asymmetric algorithms a key of the identity provider's JWKS may sign with; the algorithm is taken
# from the key itself (its `alg`, or its type), never from the token's header alone.
ASYMMETRIC = frozenset({"RS256", "ES256"})

# What a caller is told when its token is refused: the same words whatever the reason (a garbage
# string, a wrong signature, another service's audience, an expired token), so the answer helps no
# one probe the checks; the reason goes to this service's log. RFC 6750's error code says which kind.
REFUSED_TOKEN = Phrase("token-refused")

log = logging.getLogger("ecity.auth")


def _refused(reason: str) -> Problem:
    log.info("bearer token refused: %s", reason)
    return Problem("invalid-token", REFUSED_TOKEN,
                   headers={"WWW-Authenticate": 'Bearer realm="ecity", error="invalid_token"'})


class JwtVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_s
        self._secret = settings.jwt_secret.get_secret_value()
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None
        self._key_file = None
        if settings.jwt_jwks_file and not self._jwks:
            self._key_file = {key.key_id: key for key in jwt.PyJWKSet.from_json(Path(settings.jwt_jwks_file).read_text()).keys}
        # An app sends the same token with every request until it expires; its signature and claims
        # need checking once. Keyed by the whole token (signature included), so only that exact
        # token hits; its expiry is still checked on every use. Bounded, oldest dropped first.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @property
    def fetches_keys(self) -> bool:
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        hit = self._verified.get(token)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        principal = self._check(token)
        self._verified[token] = (principal, float(principal.claims["exp"]) + self._leeway)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return principal

    def _signing_key(self, token: str) -> tuple[object, list[str]]:
        if self._jwks is None and self._key_file is None:
            return self._secret, ["HS256"]
        if self._jwks is not None:
            key = self._jwks.get_signing_key_from_jwt(token)
        else:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._key_file.get(kid)
            if key is None:
                raise jwt.InvalidKeyError(f"no key {kid!r} in the JWKS file")
        if key.algorithm_name not in ASYMMETRIC:
            raise jwt.InvalidAlgorithmError(f"key {key.key_id!r} is for {key.algorithm_name}")
        return key.key, [key.algorithm_name]

    def _check(self, token: str) -> Principal:
        try:
            key, algorithms = self._signing_key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:  # ValueError: a malformed key id or header
            raise _refused(f"{type(exc).__name__}: {exc}") from None
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        return Principal(subject=str(claims["sub"]), roles=frozenset(map(str, roles)), claims=claims)


def mint_token(
    settings: ServiceSettings, *, subject: str, roles: list[str], ttl_s: int = 3600, **claims
) -> str:
    """A local HS256 token, for a service started by hand in local mode with no JWKS (`make run`,
    the tests and `ecity token` sign with the local key pair instead: ecity_cli.tokens)."""
    now = int(time.time())
    body = {
        "sub": subject,
        "roles": roles,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_s,
        **claims,
    }
    return jwt.encode(body, settings.jwt_secret.get_secret_value(), algorithm="HS256")


async def bearer_principal(request: Request) -> Principal:
    # async on purpose: FastAPI runs a sync dependency in a thread pool, which costs more than
    # an HS256 check; only a JWKS verifier (which may fetch keys over HTTP) goes to a thread.
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem("authentication-required", Phrase("bearer-required"),
                      headers={"WWW-Authenticate": 'Bearer realm="ecity"'})
    verifier: JwtVerifier = request.app.state.jwt
    if verifier.fetches_keys:
        return await asyncio.to_thread(verifier.verify, token.strip())
    return verifier.verify(token.strip())


# The roles the city's identity provider gives and the services ask for: one list, so that a
# route cannot ask for a role nobody is given, and `ecity token` refuses a misspelt one.
ROLES = frozenset({
    "citizen",  # files and follows requests
    "operator",  # the city's operators' desk
    "moderator",  # decides what the public sees of citizens' requests, and limits who abuses the service
    "catalogue-admin",  # keeps the catalogue of request categories
    "integrations-admin",  # the city's integrations staff: utility companies, keys, routing
    "finance",  # the finance department: the programme's budget ledger
    "network-admin",  # the IT department: writes the МТКМ registry
    "network-read",  # reads the registry
})


def require_role(*roles: str):
    """A FastAPI dependency: the caller must hold at least one of `roles`."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}: the city's roles are {sorted(ROLES)}")

    # One dependency, not one depending on another: FastAPI resolves each level on every request.
    async def dependency(request: Request) -> Principal:
        principal = await bearer_principal(request)
        if roles and not principal.roles.intersection(roles):
            raise Problem("forbidden", Phrase("role-required", roles=", ".join(roles)),
                          headers={"WWW-Authenticate": f'Bearer realm="ecity", error="insufficient_scope", scope="{" ".join(roles)}"'})
        return principal

    # Readable back from the route, so a test can tell which token each operation needs
    # (the API fuzzer, tests/test_fuzz.py, mints exactly that).
    dependency.roles = tuple(roles)
    return refuses(401, 403)(dependency)


# -- API keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedApiKey:
    prefix: str
    key_id: str
    plaintext: str  # shown once, never stored
    key_hash: str

    @property
    def visible_prefix(self) -> str:
        """What lists and logs may show to say which key it is (`ecity311_1f2e3d4c`)."""
        return f"{self.prefix}_{self.key_id}"


def hash_api_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_api_key(prefix: str) -> IssuedApiKey:
    if not prefix.isalnum():
        raise ValueError("an API key prefix is letters and digits only")
    key_id = secrets.token_hex(4)
    plaintext = f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedApiKey(prefix=prefix, key_id=key_id, plaintext=plaintext, key_hash=hash_api_key(plaintext))


def parse_api_key(plaintext: str) -> str | None:
    """The key id of a well-formed key, else None."""
    prefix, _, rest = plaintext.partition("_")
    key_id, _, secret = rest.partition("_")
    if not prefix.isalnum() or len(key_id) != 8 or len(secret) < 16:
        return None
    return key_id


def api_key_matches(plaintext: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(plaintext), stored_hash)
