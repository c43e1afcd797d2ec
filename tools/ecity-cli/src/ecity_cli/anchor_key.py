"""The local key that signs the budget ledger's chain heads (budget-ledger's
`ANCHOR_SIGNING_KEY_FILE`): an Ed25519 key made on first use in the state folder
(`.state/ledger-anchor/`) and kept, like the local token key pair (`tokens.py`). `make run`, the
tests and the benchmarks give it to the service; a deployment mounts its own from a Secret.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecity_cli.config import LocalSettings
from ecity_cli.key_files import kept_key_file


def local_anchor_key() -> Path:
    return kept_key_file(LocalSettings().state / "ledger-anchor" / "signing-key.pem", _new_key)


def _new_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
