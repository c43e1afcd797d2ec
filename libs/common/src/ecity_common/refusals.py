"""Why a use case says no: one vocabulary for every service, with no HTTP in it.

A use case (or a domain rule) raises a `Refused` of one kind; it never names a status code. The web
layer turns the kind into an HTTP status and an RFC 9457 problem in one place
(`ecity_common.web.problems`), and an API with its own error format (Open311's list of
`{code, description}`) maps the same kinds at its own edge. An event handler that gets one knows
the event itself is refused: it is the event's own failure (`ecity_common.failures`).

    raise NotFound("request", request_id)
    raise Invalid("attributes.size", Phrase("not-among", value="'huge'", allowed=["large", "small"]))
    raise Conflict(Phrase("not-reopenable", days=30), code="not-reopenable")
    raise LimitReached(Phrase("per-citizen-limit", most=20, minutes=10), retry_after_s=600)

A `code` is a slug of the registry of problem types (`ecity_common.web.problem_types`: a new one is
a new line there); without one, the kind's own (`DEFAULT_CODE`). A `field` is named as the client
sent it (`field_path`): a body's field as its JSON path (`readings[3].eic`, `location.lat`), a
parameter as `query.<name>`, `path.<name>` or `header.<name>` (lower case, as HTTP/2 sends it).
A `detail` is a `Phrase` (`ecity_common.phrases`): English that also knows its Ukrainian words, a
service's own from its `domain/phrases.py`; a plain `str` is answered in English only.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from ecity_common.phrases import CATALOGUE, Phrase


class Kind(enum.Enum):
    NOT_FOUND = "not-found"  # no such thing (or not one this caller may know of)
    CONFLICT = "conflict"  # the thing's state does not allow it now (a closed request, a duplicate)
    STALE = "stale"  # the caller acted on a version that has changed since (If-Match)
    INVALID = "invalid"  # the input breaks a rule; names the field
    FORBIDDEN = "forbidden"  # this caller may not do this
    LIMIT = "limit"  # too many, too often; says when to try again
    UNAVAILABLE = "unavailable"  # something it needs is away; try again later


# The problem type of a refusal that names no code of its own.
DEFAULT_CODE = {
    Kind.NOT_FOUND: "not-found",
    Kind.CONFLICT: "conflict",
    Kind.STALE: "stale",
    Kind.INVALID: "validation-error",
    Kind.FORBIDDEN: "forbidden",
    Kind.LIMIT: "too-many-requests",
    Kind.UNAVAILABLE: "unavailable",
}


def field_path(loc: Sequence[Any]) -> str:
    """A field as the client sent it: `("body", "readings", 3, "eic")` -> `readings[3].eic`,
    `("query", "from")` -> `query.from`, `("header", "If-Match")` -> `header.if-match`; the body
    as a whole is `body`."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    path = ""
    for n, part in enumerate(parts):
        if n == 1 and parts[0] == "header":
            part = str(part).lower()
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


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
        # The thing by its name in the catalogue ("thing:request" = звернення), which its service
        # registers with its phrases; an unregistered one is said as written.
        named = Phrase(f"thing:{what}") if f"thing:{what}" in CATALOGUE else what
        super().__init__(Phrase("not-found", what=named, key=key) if key is not None else Phrase("no-such", what=named),
                         **kwargs)


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
