"""When a message may go out: quiet hours, and a bound on how many a citizen gets in an hour.

Between 22:00 and 08:00 Kyiv time (by default) a message that is not urgent waits until the
morning: a planned outage next week or a request's status change can wait, an unplanned outage at
the citizen's own house cannot (domain.places.urgent). Kyiv time, so that the quiet hours follow
the clock people sleep by across the change to and from summer time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")


@dataclass(frozen=True)
class QuietHours:
    begins: time = time(22, 0)
    ends: time = time(8, 0)

    def quiet_at(self, moment: datetime) -> bool:
        local = moment.astimezone(KYIV).time()
        if self.begins <= self.ends:  # e.g. 13:00–15:00, within one day
            return self.begins <= local < self.ends
        return local >= self.begins or local < self.ends

    def not_before(self, now: datetime, *, urgent: bool) -> datetime:
        """When a message written now may be sent."""
        if urgent or not self.quiet_at(now):
            return now
        local = now.astimezone(KYIV)
        morning = local.replace(hour=self.ends.hour, minute=self.ends.minute, second=0, microsecond=0)
        if morning <= local:
            morning = (local + timedelta(days=1)).replace(hour=self.ends.hour, minute=self.ends.minute,
                                                          second=0, microsecond=0)
        # replace() on a zoneinfo datetime keeps the wall clock: 08:00 stays 08:00 after a DST change.
        return morning


@dataclass(frozen=True)
class RateLimit:
    """At most `per_hour` messages to one recipient in an hour (a message: one event's news, on
    however many of their addresses); past that, what is not urgent waits an hour. A busy street
    (ten outage updates, a dozen alerts) must not turn a citizen's phone into a pager."""

    per_hour: int = 20

    def not_before(self, now: datetime, *, recent: int, urgent: bool) -> datetime:
        if urgent or recent < self.per_hour:
            return now
        return now + timedelta(hours=1)
