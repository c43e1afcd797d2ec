"""Who is signed in: the sessions of this process, and the person each belongs to. No I/O.

The browser holds only a signed cookie with a random session id; the session (the person, their
access token to the services, the CSRF token of their forms, an OpenID Connect sign-in under way)
stays here, in memory. That is enough for one replica: a restart signs everyone out, and a second
replica would not know the first one's sessions. Two replicas need a shared store (PostgreSQL or
Redis) behind this same interface, or sticky sessions at the ingress.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

# The roles the pages know (ecity_common.auth.ROLES names them); what a person sees follows them.
CITIZEN, OPERATOR = "citizen", "operator"
IT_ROLES = frozenset({"network-admin", "network-read"})


@dataclass(frozen=True)
class Person:
    subject: str
    name: str
    roles: frozenset[str]

    @property
    def citizen(self) -> bool:
        return CITIZEN in self.roles

    @property
    def operator(self) -> bool:
        return OPERATOR in self.roles

    @property
    def it_engineer(self) -> bool:
        return bool(IT_ROLES & self.roles)


def person_of(claims: dict) -> Person:
    """The person of an ID token's claims, with the city's `roles` claim (the same roles the
    provider puts in the access token the services check: what the pages offer, the APIs allow)."""
    roles = claims.get("roles") or []
    if isinstance(roles, str):
        roles = roles.split()
    name = claims.get("name") or claims.get("preferred_username") or str(claims["sub"])
    return Person(subject=str(claims["sub"]), name=str(name), roles=frozenset(map(str, roles)))


@dataclass
class Session:
    id: str
    expires_at: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    person: Person | None = None
    access_token: str | None = None
    # What a sign-in under way keeps between the redirect and the callback (state, nonce, PKCE
    # verifier): the OpenID Connect client reads and writes it.
    data: dict = field(default_factory=dict)

    def signed_in(self, person: Person, access_token: str, token_expires_at: float) -> None:
        self.person, self.access_token = person, access_token
        # A session lasts no longer than the token it calls the services with: past it, the
        # pages would only collect refusals.
        self.expires_at = min(self.expires_at, token_expires_at)
        self.csrf = secrets.token_urlsafe(32)  # a new token after sign-in: one seen before it is worthless


class SessionStore:
    """Sessions by id, each until it expires; at most `kept`, the least recently used dropped first."""

    def __init__(self, *, max_age_s: float, kept: int, clock=time.time) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._max_age_s, self._kept, self._clock = max_age_s, kept, clock

    def new(self) -> Session:
        session = Session(id=secrets.token_urlsafe(32), expires_at=self._clock() + self._max_age_s)
        self._sessions[session.id] = session
        while len(self._sessions) > self._kept:
            self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if session.expires_at <= self._clock():
            del self._sessions[session_id]
            return None
        self._sessions.move_to_end(session_id)
        return session

    def end(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)
