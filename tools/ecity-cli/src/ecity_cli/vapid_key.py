"""The local VAPID key of notifications' Web Push (`NOTIFICATIONS_VAPID_PRIVATE_KEY_FILE`): an EC
P-256 key made on first use in the state folder (`.state/notifications-vapid/`) and kept, so that
browsers subscribed in `make run` go on receiving after a restart. A deployment mounts its own."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ecity_cli.config import LocalSettings


def local_vapid_key() -> Path:
    folder = LocalSettings().state / "notifications-vapid"
    key_file = folder / "vapid-key.pem"
    if key_file.exists():
        return key_file
    folder.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
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
