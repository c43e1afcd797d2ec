"""Why a use case says no: one vocabulary for every service, with no HTTP in it.

A use case (or a domain rule) raises a `Refused` of one kind; it never names a status code. The web
layer turns the kind into an HTTP status and an RFC 9457 problem in one place
(`ecity_common.web.problems`), and an API with its own error format (Open311's list of
`{code, description}`) maps the same kinds at its own edge. An event handler that gets one knows
the event itself is refused: it is the event's own failure (`ecity_common.failures`).

    raise NotFound("request", request_id)
    raise Invalid("attributes.size", "must be one of: small, medium, large")
    raise Conflict("the request is closed; it can no longer be commented", code="request-closed")
    raise LimitReached("20 requests in 10 minutes", retry_after_s=120)
"""

from __future__ import annotations

import enum
from typing import Any


class Kind(enum.Enum):
    NOT_FOUND = "not-found"  # no such thing (or not one this caller may know of)
    CONFLICT = "conflict"  # the thing's state does not allow it now (a closed request, a duplicate)
    STALE = "stale"  # the caller acted on a version that has changed since (If-Match)
    INVALID = "invalid"  # the input breaks a rule; names the field
    FORBIDDEN = "forbidden"  # this caller may not do this
    LIMIT = "limit"  # too many, too often; says when to try again
    UNAVAILABLE = "unavailable"  # something it needs is away; try again later


class Refused(Exception):
    kind: Kind = Kind.CONFLICT

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None,
                 retry_after_s: int | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code  # a short, stable name of the reason (a problem `type`), e.g. "illegal-transition"
        self.field = field
        self.retry_after_s = retry_after_s
        self.extensions = extensions  # more members for the problem (e.g. the current version)


class NotFound(Refused):
    kind = Kind.NOT_FOUND

    def __init__(self, what: str, key: str | None = None, **kwargs: Any) -> None:
        super().__init__(f"no {what} {key}" if key is not None else f"no such {what}", **kwargs)


class Conflict(Refused):
    kind = Kind.CONFLICT


class Stale(Refused):
    kind = Kind.STALE


class Invalid(Refused):
    kind = Kind.INVALID

    def __init__(self, field: str, detail: str, **kwargs: Any) -> None:
        super().__init__(detail, field=field, **kwargs)


class Forbidden(Refused):
    kind = Kind.FORBIDDEN


class LimitReached(Refused):
    kind = Kind.LIMIT

    def __init__(self, detail: str, *, retry_after_s: int, **kwargs: Any) -> None:
        super().__init__(detail, retry_after_s=retry_after_s, **kwargs)


class Unavailable(Refused):
    kind = Kind.UNAVAILABLE
