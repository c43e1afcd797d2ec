"""The local identity provider's key pair: `ecity token`, `make run`, the tests and the benchmarks
sign with it, and the services check its public JWKS file (their `JWT_JWKS_FILE`), the same
asymmetric path a deployed service takes against the city's identity provider.

The pair is an ES256 (P-256) key, made on first use in the state folder (`.state/jwt/`) and kept:
a token minted yesterday still verifies after a restart. It never leaves this machine, and no
deployment has it (a deployed service reads the identity provider's JWKS URL instead).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from ecity_cli.config import LocalSettings

ALGORITHM = "ES256"


@dataclass(frozen=True)
class LocalIssuer:
    folder: Path

    @property
    def jwks_file(self) -> Path:
        return self.folder / "jwks.json"

    @property
    def _private_key_file(self) -> Path:
        return self.folder / "signing-key.pem"

    def ensure(self) -> LocalIssuer:
        """Make the key pair once. Several processes may ask at the same time (a test session and
        `make run`): each writes its own pair aside and the first to publish wins; the others read it."""
        if self.jwks_file.exists():
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        kid = f"local-{int(time.time())}-{os.getpid()}"
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        public = {**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig", "alg": ALGORITHM}
        staged = self.folder / f".pair-{os.getpid()}"
        staged.mkdir(exist_ok=True)
        (staged / "signing-key.pem").write_bytes(pem)
        os.chmod(staged / "signing-key.pem", 0o600)
        (staged / "jwks.json").write_text(json.dumps({"keys": [public]}, indent=2))
        try:
            # The private key first, then the JWKS: whoever sees the JWKS can also read the key.
            os.link(staged / "signing-key.pem", self._private_key_file)
            os.link(staged / "jwks.json", self.jwks_file)
        except FileExistsError:  # another process made the pair first: use that one, once it is whole
            deadline = time.monotonic() + 10
            while not self.jwks_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            for file in staged.iterdir():
                file.unlink()
            staged.rmdir()
        return self

    def sign(self, claims: dict) -> str:
        """Any claims signed with the local key (the local sign-in provider's ID tokens)."""
        self.ensure()
        kid = json.loads(self.jwks_file.read_text())["keys"][0]["kid"]
        return jwt.encode(claims, self._private_key_file.read_bytes(), algorithm=ALGORITHM, headers={"kid": kid})

    def mint(self, *, subject: str, roles: list[str], audience: str | list[str], issuer: str, ttl_s: int = 3600,
             **claims) -> str:
        self.ensure()
        kid = json.loads(self.jwks_file.read_text())["keys"][0]["kid"]
        now = int(time.time())
        body = {"sub": subject, "roles": roles, "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl_s, **claims}
        return jwt.encode(body, self._private_key_file.read_bytes(), algorithm=ALGORITHM, headers={"kid": kid})


def local_issuer() -> LocalIssuer:
    return LocalIssuer(LocalSettings().state / "jwt").ensure()


def token_for(settings, subject: str, *roles: str, ttl_s: int = 3600) -> str:
    """A token the service with these settings accepts: signed with the local pair when it reads a
    JWKS file (make run, the tests), else with its HS256 development secret."""
    if settings.jwt_jwks_file:
        return LocalIssuer(Path(settings.jwt_jwks_file).parent).mint(
            subject=subject, roles=list(roles), audience=settings.jwt_audience, issuer=settings.jwt_issuer, ttl_s=ttl_s)
    from ecity_common.auth import mint_token

    return mint_token(settings, subject=subject, roles=list(roles), ttl_s=ttl_s)


def service_token(service: str, subject: str, *roles: str, ttl_s: int = 3600) -> str:
    """A token for one service as `ecity up` (service_env) starts it: its audience, the local pair."""
    import importlib

    from ecity_cli.services import SERVICES

    settings = importlib.import_module(f"{SERVICES[service].package}.settings").Settings()
    return local_issuer().mint(subject=subject, roles=list(roles), audience=settings.jwt_audience,
                               issuer=settings.jwt_issuer, ttl_s=ttl_s)
