"""Who hears what, and how a message owed is named so that it is sent once.

A delivery is owed per (event, recipient, channel): that triple is its key. Everything that must
be the same when the same event comes again (Kafka redelivers, the service was killed between
writing and committing) is derived from the key alone: the row's id and the e-mail's Message-ID.
So a second handling finds the row already there, and a second send after a crash carries the
same Message-ID, which a receiving mail system can recognise as the same message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class DeliveryKey:
    event_id: str  # the CloudEvent's source and id: ids are unique per source only
    recipient: str  # a citizen id
    channel: str  # "email", "push"
    # One of a citizen's several addresses on a channel that each get the message: a push
    # subscription (a phone, a browser). None where a citizen has one address (e-mail), whose
    # ids and Message-IDs stay what they were.
    device: str | None = None

    def digest(self) -> str:
        # NUL separates the parts: none of them can contain it (ids and channels are plain text),
        # so ("a", "bc") and ("ab", "c") never meet.
        parts = (self.event_id, self.recipient, self.channel) + ((self.device,) if self.device else ())
        raw = "\x00".join(parts).encode()
        return hashlib.sha256(raw).hexdigest()


def delivery_id(key: DeliveryKey) -> str:
    return key.digest()[:32]  # the other half names the e-mail


def message_id(key: DeliveryKey, domain: str) -> str:
    """The RFC 5322 Message-ID of the e-mail for this delivery: the same for every attempt. 128 bits
    of the digest: unique enough, and short enough that the header is not folded (78 columns)."""
    return f"<{key.digest()[32:]}@{domain}>"


@dataclass(frozen=True)
class Follower:
    citizen_id: str
    role: str  # "reporter" or "follower"
    opted_out: bool = False


def audience_of_request_news(followers: list[Follower]) -> list[str]:
    """Who is told of a request's public news (a status change, a public note): its reporter
    unless they opted out, and everyone who follows it; each once, in a stable order."""
    heard = {f.citizen_id for f in followers if not f.opted_out}
    return sorted(heard)


@dataclass(frozen=True)
class RequestNews:
    """What a citizen may read of a status change: never an internal note. The status-change event
    carries only the public note (citizen-requests keeps internal notes to itself); this is the
    one place that decides what of it goes into a message."""

    request_id: str
    from_status: str
    to_status: str
    closed: bool
    public_note: str | None
    expected_at: datetime | None
    changed_at: datetime
    # "status": it moved; "note": public news without a move (its term extended, a company's new
    # date); "comment": a staff member's comment. Rows written before it was kept read as "status".
    about: str = "status"


def news_of_status_change(*, request_id: str, from_status: str, to_status: str, open311_status: str,
                          public_note: str | None, expected_datetime: datetime | None,
                          changed_at: datetime) -> RequestNews | None:
    """The news a status change makes, or None when there is nothing a citizen would hear (the
    status did not move and nothing public was said)."""
    note = (public_note or "").strip() or None
    if from_status == to_status and note is None:
        return None
    return RequestNews(request_id, from_status, to_status, open311_status == "closed", note, expected_datetime, changed_at,
                       about="status" if from_status != to_status else "note")


def news_of_comment(*, request_id: str, by_staff: bool, text: str, commented_at: datetime) -> RequestNews | None:
    """A staff member's comment is news for the request's reporter and followers; a citizen's own
    comment is not sent to anyone (the reporter wrote it, and what followers may read of another
    citizen's words is the publication policy's, in citizen-requests)."""
    text = text.strip()
    if not by_staff or not text:
        return None
    return RequestNews(request_id, "", "", False, text, None, commented_at, about="comment")


def next_attempt(attempts: int, now: datetime) -> datetime:
    """When to try again after `attempts` temporary failures: 30 s doubling, at most an hour."""
    return now + timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
