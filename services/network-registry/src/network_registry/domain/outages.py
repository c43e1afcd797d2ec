"""When a failure is an outage of its own. No I/O.

An element that fails again within FLAP_WINDOW_S of coming back continues the outage it ended
(same outage id), so consumers keyed by outage id see one outage, not a new one per flap.
`adapters.queries.recent_outage` mirrors this in SQL (tested against it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

FLAP_WINDOW_S = 300


def continues_outage(resolved_at: datetime | None, failed_at: datetime) -> bool:
    """Does a failure at `failed_at` continue the outage that was resolved at `resolved_at`?"""
    return resolved_at is not None and resolved_at > failed_at - timedelta(seconds=FLAP_WINDOW_S)
