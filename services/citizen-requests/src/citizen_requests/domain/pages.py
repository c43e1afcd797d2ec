"""Where a page of requests ends, for lists that page by cursor (newest first): the last request's
filing time and id, packed into the opaque cursor the next page starts `after`. An offset costs
the database every row it skips; a position costs it one index look-up however deep the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from citizen_requests.domain.phrases import Phrase
from ecity_common.inputs import cursor
from ecity_common.refusals import Invalid


@dataclass(frozen=True)
class Position:
    submitted_at: datetime
    request_id: str


def next_cursor(rows: list, limit: int) -> str | None:
    """The cursor of the page after these rows (each with `submitted_at` and `id`), or None when
    this page is the last (fewer rows than asked for)."""
    if len(rows) < limit or not rows:
        return None
    last = rows[-1]
    return cursor(last.submitted_at.isoformat(), last.id)


def position(after: tuple | None) -> Position | None:
    """The position an `after` cursor names; one this list never gave is the caller's error."""
    if after is None:
        return None
    try:
        at, request_id = after
        when = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        raise Invalid("query.after", Phrase("request-cursor")) from None
    if when.tzinfo is None or not isinstance(request_id, str):
        raise Invalid("query.after", Phrase("request-cursor"))
    return Position(when, request_id)
