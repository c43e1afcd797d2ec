"""Moderation: what staff with the role `moderator` may decide about what the public sees, and
about a citizen who abuses the service. No I/O.

A decision is about one thing (`Target`): a request's description, a comment, a photo, a whole
request's place in the public lists, or a citizen's creation limit. Each has a state before and
after (`Decision.before`/`after`), a reason and its moderator, and is kept for good
(`moderation_decisions`) and told on the topic (`request.moderated`), without the original text.

- A description or a comment (`decide_text`) is `published` (as it is, masked on the way out like
  every public text), `redacted` (published with the moderator's own public text; the original
  stays, for the citizen and the staff), or `hidden`. A `private` one is the citizen's choice
  ("publish": false) or the city's own text: no moderator publishes it.
- A photo (`decide_photo`) is `published` or `hidden` (a photo cannot be redacted: it is hidden
  and the citizen may send another).
- A request is `hidden` from every public list and read (spam, abuse) or `shown` again
  (`citizen_requests.hidden`): a flag of its own, not the description's state, because a hidden request
  hides everything of it (its place, its status, its updates), whatever its description is, and
  showing it again brings back its description as it was decided.
- A citizen's creation limit (`decide_limit`): zero suspends their filing, another number is their
  own limit per window, none gives them the city's again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.publication import HIDDEN, PENDING, PRIVATE, PUBLISHED
from ecity_common.personal_data import mask
from ecity_common.refusals import Conflict, Invalid

Target = Literal["description", "comment", "photo", "request", "citizen"]
TextAction = Literal["publish", "redact", "hide"]
PhotoAction = Literal["publish", "hide"]

REDACTED_MAX = 4000  # as long as a description may be
MAX_OWN_LIMIT = 1000  # a moderator limits; the city's setting is the ceiling anyone gets by default


@dataclass(frozen=True)
class TextDecision:
    """A description's or comment's new publication state and public text (None: the original,
    masked on the way out)."""

    state: str
    public_text: str | None
    action: str  # "published", "redacted", "hidden": what the event says


def decide_text(current: str, action: str, redacted: str | None, *, field: str = "text") -> TextDecision:
    """What a moderator's `action` makes of a description or comment in state `current`."""
    if current == PRIVATE:
        raise Conflict(Phrase("private-text"), code="private-text", field="action")
    if action == "redact":
        if redacted is None or not redacted.strip():
            raise Invalid(field, Phrase("redaction-needs-text"))
        if mask(redacted) != redacted:
            # The public text is the moderator's: it must not bring back what masking hides.
            raise Invalid(field, Phrase("redaction-personal-data"), code="personal-data")
        return TextDecision(PUBLISHED, redacted.strip(), "redacted")
    if redacted is not None:
        raise Invalid(field, Phrase("text-only-with-redaction", action=action))
    if action == "publish":
        return TextDecision(PUBLISHED, None, "published")
    if action == "hide":
        return TextDecision(HIDDEN, None, "hidden")
    raise Invalid("action", Phrase("one-of", choices="publish, redact, hide"))


def decide_photo(action: str) -> str:
    """A photo's new state: published or hidden."""
    if action == "publish":
        return PUBLISHED
    if action == "hide":
        return HIDDEN
    raise Invalid("action", Phrase("photo-publish-or-hide", action=action))


def decide_limit(limit: int | None) -> int | None:
    """A citizen's own creation limit per window: 0 suspends their filing, None is the city's."""
    if limit is not None and not 0 <= limit <= MAX_OWN_LIMIT:
        raise Invalid("limit", Phrase("own-limit-range", most=MAX_OWN_LIMIT))
    return limit


def waiting(state: str) -> bool:
    """Does this description, comment or photo wait for a moderator (the queue)?"""
    return state == PENDING
