"""Creation limits: how many requests one subject (a citizen, an Open311 client app) may file.

A fixed window per subject that starts with its first creation: at most `limit` creations in
`window_s` seconds; when the window has passed, the next creation starts a new one. The filing
statement counts in SQL (`adapters/creation_limits.py`, tested to agree with `count_creation`), in
the same statement as the filing, so that many requests sent at once cannot pass it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from citizen_requests.domain.phrases import Phrase
from ecity_common.refusals import LimitReached


@dataclass(frozen=True)
class CreationLimits:
    per_citizen: int
    per_client: int  # all the citizens of one Open311 client app together
    window_s: int


@dataclass(frozen=True)
class Window:
    start: datetime
    count: int


def count_creation(window: Window | None, now: datetime, *, limit: int, window_s: int) -> Window | None:
    """The subject's window after one more creation, or None when it is full (nothing counted)."""
    if window is None or window.start <= now - timedelta(seconds=window_s):
        return Window(now, 1)
    if window.count < limit:
        return Window(window.start, window.count + 1)
    return None


def citizen_limit_reached(limits: CreationLimits) -> LimitReached:
    return LimitReached(Phrase("per-citizen-limit", most=limits.per_citizen, minutes=limits.window_s // 60),
                        retry_after_s=limits.window_s)


def client_limit_reached(limits: CreationLimits) -> LimitReached:
    return LimitReached(Phrase("per-client-limit", most=limits.per_client, minutes=limits.window_s // 60),
                        retry_after_s=limits.window_s)
