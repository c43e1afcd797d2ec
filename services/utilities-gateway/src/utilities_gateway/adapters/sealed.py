"""Webhook signing secrets, sealed at rest.

HMAC signing needs the secret itself, so it cannot be hashed like an API key. It is kept
encrypted (Fernet: AES-128-CBC with an HMAC-SHA256 tag, from the well-kept `cryptography`
package) under a key from the environment (`UTILITIES_GATEWAY_WEBHOOK_SECRETS_KEY`, a Kubernetes
Secret in the cluster): a copy of the database, a backup or a query log does not reveal them.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "sealed:v1:"


class SecretBox:
    def __init__(self, key: str) -> None:
        # Any passphrase works as a setting; Fernet wants 32 url-safe base64 bytes, so derive them.
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            raise ValueError("a webhook secret is stored unsealed")
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise ValueError("a webhook secret was sealed with another key (was the key rotated?)") from None
