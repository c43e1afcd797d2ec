"""The local key that signs the budget ledger's chain heads (budget-ledger's
`ANCHOR_SIGNING_KEY_FILE`): an Ed25519 key made on first use in the state folder
(`.state/ledger-anchor/`) and kept, like the local token key pair (`tokens.py`). `make run`, the
tests and the benchmarks give it to the service; a deployment mounts its own from a Secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecity_cli.config import LocalSettings


def local_anchor_key() -> Path:
    folder = LocalSettings().state / "ledger-anchor"
    key_file = folder / "signing-key.pem"
    if key_file.exists():
        return key_file
    folder.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # Written aside and linked into place: a test session and `make run` starting at once share one key.
    staged = folder / f".key-{os.getpid()}"
    staged.write_bytes(pem)
    os.chmod(staged, 0o600)
    try:
        os.link(staged, key_file)
    except FileExistsError:
        pass
    finally:
        staged.unlink()
    return key_file
