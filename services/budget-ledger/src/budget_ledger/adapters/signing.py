"""The key that signs the chain's heads (Ed25519), and the check of a signature.

The private key is a PEM file the service is given (`BUDGET_LEDGER_ANCHOR_SIGNING_KEY_FILE`: a
Kubernetes Secret mounted into the pod, locally a file ecity keeps in the state folder); it is
never in the database, so the database's roles — the owner included — cannot sign. The public key
is published with the open data; a key's id is the start of the SHA-256 of its raw public bytes.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from budget_ledger.domain.anchor import SignedHead


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @classmethod
    def load(cls, path: str | Path) -> SigningKey:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key)

    @property
    def key_id(self) -> str:
        return key_id(self.private.public_key())

    @property
    def public_pem(self) -> str:
        return public_pem(self.private.public_key())

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys whose signatures count: the current one and those retired by a rotation."""

    keys: dict[str, Ed25519PublicKey]

    @classmethod
    def of(cls, current: SigningKey | None, retired_pem_files: list[str]) -> TrustedKeys:
        keys = {}
        for path in retired_pem_files:
            public = serialization.load_pem_public_key(Path(path).read_bytes())
            if not isinstance(public, Ed25519PublicKey):
                raise ValueError(f"{path} is not an Ed25519 public key")
            keys[key_id(public)] = public
        if current is not None:
            keys[current.key_id] = current.private.public_key()
        return cls(keys)

    def why_not_signed(self, signed: SignedHead) -> str | None:
        """None when one of these keys signed exactly this statement."""
        public = self.keys.get(signed.head.key_id)
        if public is None:
            return f"signed by key {signed.head.key_id}, which this ledger does not know"
        try:
            public.verify(base64.b64decode(signed.signature, validate=True), signed.head.signed_bytes())
        except (InvalidSignature, ValueError):
            return "the signature does not match the statement"
        return None

    def published(self) -> list[dict]:
        return [{"key_id": kid, "public_key_pem": public_pem(k)} for kid, k in self.keys.items()]
