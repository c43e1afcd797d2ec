"""Answer deadlines under the Law of Ukraine "On citizens' appeals", art. 20. No I/O.

An appeal is answered within one month of its receipt; one that needs no further study, without
delay and within 15 days. When a month is not enough, the term may be extended — the citizen is
told why — but never past 45 days in total.

Terms run in calendar days in Kyiv: a deadline is the end (23:59:59.999999) of its last day in
Europe/Kyiv, stored as UTC, so daylight-saving changes and month ends come out right.

A request is overdue when it was answered after its deadline, or is still open past it
(`overdue`); the public statistics count the same in SQL (`adapters/overdue.py`, tested to agree).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.workflow import OPEN
from ecity_common.refusals import Invalid

KYIV = ZoneInfo("Europe/Kyiv")
# The answer terms a category may have: the only list of them (the catalogue and its API use it).
Term = Literal["15_days", "1_month"]
MAX_TOTAL_DAYS = 45


class ExtensionRefused(Invalid):
    """An extension the law does not allow; `field` is the input to change (`until` or `reason`)."""


def _end_of_kyiv_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=KYIV).astimezone(UTC)


def _plus_one_month(day: date) -> date:
    """The same date next month, or that month's last day when it has no such date (31 Jan → 28/29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def receipt_day(received_at: datetime) -> date:
    return received_at.astimezone(KYIV).date()


def deadline(received_at: datetime, term: Term) -> datetime:
    """The answer deadline of a request received at `received_at` (any time zone)."""
    day = receipt_day(received_at)
    last = day + timedelta(days=15) if term == "15_days" else _plus_one_month(day)
    return _end_of_kyiv_day(last)


def latest_possible(received_at: datetime) -> datetime:
    return _end_of_kyiv_day(receipt_day(received_at) + timedelta(days=MAX_TOTAL_DAYS))


def extend(received_at: datetime, current: datetime, new_last_day: date, reason: str) -> datetime:
    """A later deadline, with a reason the citizen will see; never past 45 days from receipt."""
    if not reason or not reason.strip():
        raise ExtensionRefused("reason", Phrase("extension-reason"))
    proposed = _end_of_kyiv_day(new_last_day)
    if proposed <= current:
        raise ExtensionRefused("until", Phrase("extension-later"))
    if proposed > latest_possible(received_at):
        limit = (receipt_day(received_at) + timedelta(days=MAX_TOTAL_DAYS)).isoformat()
        raise ExtensionRefused("until", Phrase("extension-45-days", limit=limit))
    return proposed


def overdue(expected: datetime | None, now: datetime, *, status: str, answered_at: datetime | None = None) -> bool:
    """Late: answered after its deadline, or not answered and still open past it. A request that
    left the open states without an answer on record (rejected, or its answer time not asked
    for, as in a request's own view) is not late: there is nothing more to wait for."""
    if expected is None:
        return False
    if answered_at is not None:
        return answered_at > expected
    return status in OPEN and now > expected


def deadline_notice(expected: datetime | None) -> str | None:
    """What the citizen is told of the deadline (Open311's `service_notice`)."""
    if expected is None:
        return None
    return f"Відповідь буде надано до {expected.astimezone(KYIV):%d.%m.%Y} (ст. 20 Закону України «Про звернення громадян»)."
