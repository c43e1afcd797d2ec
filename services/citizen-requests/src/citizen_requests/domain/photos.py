"""Photos of a request: how many, whose, and when anyone may see one.

A photo shows what a citizen saw, and often more: faces, car plates, the inside of a flat, a
child at a window. No machine can tell which, so no photo is ever published by itself: every
photo starts `pending`, and only staff publish it (`published`) or keep it from the public
(`hidden`) — an operator for now, the moderator's work once moderation comes (issue 18, item 2).
The citizen who sent it and staff see it in every state.
"""

from __future__ import annotations

from citizen_requests.domain.phrases import Phrase
from ecity_common.refusals import Invalid

PENDING, PUBLISHED, HIDDEN = "pending", "published", "hidden"
PUBLICATION_STATES = (PENDING, PUBLISHED, HIDDEN)
MAX_PHOTOS_PER_REQUEST = 5  # at filing, and in each comment
# Uploaded and not yet attached to anything: an app uploads while the citizen writes. More than
# this waiting is someone filling the store, not filing requests.
MAX_UNATTACHED_PER_OWNER = 20


def served_publicly(publication: str, *, request_public: bool) -> bool:
    """Whether anyone, without a token, may see a photo: staff published it, and the request it
    belongs to is itself public (`domain/publication.py` says which requests are)."""
    return publication == PUBLISHED and request_public


def seen_by(owner: str, *, reader: str, staff: bool, request_citizen: str | None = None) -> bool:
    """Whether a signed-in reader sees a photo in any state: its sender, staff, and the citizen
    whose request it is attached to (staff's photos in a comment on it)."""
    return staff or owner == reader or (request_citizen is not None and request_citizen == reader)


def check_attachable(photo_ids: list[str] | tuple[str, ...], field: str = "photo_ids") -> list[str]:
    """The ids a filing or comment attaches: at most MAX_PHOTOS_PER_REQUEST, none twice."""
    if len(photo_ids) > MAX_PHOTOS_PER_REQUEST:
        raise Invalid(field, Phrase("photos-at-most", most=MAX_PHOTOS_PER_REQUEST))
    if len(set(photo_ids)) != len(photo_ids):
        raise Invalid(field, Phrase("photo-twice"))
    return list(photo_ids)


def check_publication(state: str) -> str:
    if state not in PUBLICATION_STATES:
        raise Invalid("state", Phrase("one-of", choices=", ".join(PUBLICATION_STATES)))
    return state
