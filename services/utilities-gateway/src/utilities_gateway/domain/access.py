"""Who may call the integration API, and what a company may touch. No I/O.

API keys look like `ugw_<8 hex id>_<secret>`; only a SHA-256 is kept and the key is shown once.
Rotation issues a new key and lets the old one work for the overlap, so a company can roll it out
without a gap; revocation is immediate; a suspended company's keys all stop working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ecity_common.events.payloads.utilities_gateway import CompanyRef
from ecity_common.refusals import Forbidden, NotFound
from utilities_gateway.domain.phrases import Phrase

KEY_PREFIX = "ugw"


@dataclass(frozen=True)
class Caller:
    """A company calling the integration API with one of its keys."""

    company_id: str
    company_name: str
    kind: str
    key_id: str

    @property
    def actor(self) -> str:
        return f"{KEY_PREFIX}_{self.key_id}"

    @property
    def ref(self) -> CompanyRef:
        """The company as events name it."""
        return CompanyRef(company_id=self.company_id, name=self.company_name, kind=self.kind)


def key_state(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> str:
    """`revoked`, `expired` (a rotated key after its overlap) or `active`."""
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "active"


def key_admits(*, hash_matches: bool, revoked_at: datetime | None, expires_at: datetime | None,
               company_active: bool, now: datetime) -> bool:
    """The API key check: the key is the one stored (its SHA-256 matches), still active (neither
    revoked nor past a rotation's overlap), and its company is not suspended."""
    return hash_matches and company_active and key_state(revoked_at, expires_at, now) == "active"


def check_may_change_keys(caller: Caller, caller_key_expires_at: datetime | None, key_id: str | None = None) -> None:
    """What a company may do to its keys with the key it calls with. A stolen key must not be able to
    keep itself alive or lock the company out:
    - a key already rotated (inside its overlap, `expires_at` set) can neither rotate nor revoke: it
      is on its way out, and rotating again would trade it for a fresh key that never expires;
    - a key revokes only itself (`key_id` its own); revoking the company's other keys is for the
      city's integrations staff, who can tell the company's people from whoever holds a key."""
    if caller_key_expires_at is not None:
        raise Forbidden(Phrase("key-rotated"), field="header.authorization", code="key-rotated")
    if key_id is not None and key_id != caller.key_id:
        raise Forbidden(Phrase("revoke-only-itself"), field="path.key_id", code="revoke-other-key")


def check_owner(owner_company_id: str | None, caller: str, *, what: str, key: str, field: str) -> None:
    """A company touches only its own things. Another company's thing answers exactly as a thing that
    does not exist: a 403 would confirm that the id is real (a request, a meter's EIC, an outage), and
    what other companies hold is not this company's to learn."""
    if owner_company_id is None or owner_company_id != caller:
        raise NotFound(what, key, field=field)
