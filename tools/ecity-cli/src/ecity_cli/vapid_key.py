"""The local VAPID key of notifications' Web Push (`NOTIFICATIONS_VAPID_PRIVATE_KEY_FILE`): an EC
P-256 key made on first use in the state folder (`.state/notifications-vapid/`) and kept, so that
browsers subscribed in `make run` go on receiving after a restart. A deployment mounts its own."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ecity_cli.config import LocalSettings
from ecity_cli.key_files import kept_key_file


def local_vapid_key() -> Path:
    return kept_key_file(LocalSettings().state / "notifications-vapid" / "vapid-key.pem", _new_key)


def _new_key() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
