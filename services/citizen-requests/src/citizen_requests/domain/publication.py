"""What anyone may see of a citizen's request, without a token: the one publication policy.

Every public answer (Open311's requests, one and many, and its updates; the native public list
and map; the possible duplicates offered at filing) is built here, from the stored row, by
`public_request`, `public_update` and `offered_duplicate`; statistics only count (and leave out
the network's incidents in SQL, as every public query does). The service README's section "What is
public" says the same in words:

- the IT department's network incidents (channel `network`) are no one's outside the city;
  internal notes never leave the staff; a citizen's reason for reopening stays private (the public
  sees "reopened");
- a description is public only once published (`DescriptionPublication`): at filing when the
  personal-data check finds nothing in it, otherwise it waits for staff with its masked text kept
  beside the original; a citizen may ask that it is never published (`private`); staff may hide it
  (`hidden`) or publish it, redacted if need be;
- the exact point, the address, `address_id` and zipcode only for a category about public space
  (`Category.place_kind`) whose citizen did not ask for privacy; a home's place is rounded to about
  100 m and has no address;
- every public text (a published description, a status note) is masked once more on the way out
  (`mask`): phone numbers, e-mail addresses, personal ids, flat numbers;
- `media_url` is the citizen's own string: public only with a published description.

The stored original is unchanged: the citizen's own reads and the staff's show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from citizen_requests.domain.catalogue import Category
from citizen_requests.domain.deadlines import KYIV, deadline_notice
from citizen_requests.domain.workflow import open311_status
from ecity_common.personal_data import mask

UNPUBLISHED_CHANNELS = ("network",)  # incidents of the IT department (the public queries filter them in SQL)
COORDINATE_DIGITS = 3  # ~100 m
DISTANCE_STEP_M = 100  # a duplicate at a home is offered at this step of distance, not to the metre

# Where a description (and a comment) is on its way to the public:
# - published: public, masked (`public_text` when staff redacted it, else the original);
# - pending: the check found personal data; `public_text` holds the masked text for staff to
#   publish as it is, redact, or hide;
# - private: the citizen asked that it is not published ("publish": false), or the city wrote it
#   (an incident); never public;
# - hidden: staff decided it is not to be published.
DescriptionPublication = Literal["published", "pending", "private", "hidden"]
PUBLISHED, PENDING, PRIVATE, HIDDEN = "published", "pending", "private", "hidden"
PUBLICATION_STATES = (PUBLISHED, PENDING, PRIVATE, HIDDEN)

REOPENED_NOTE = "Відкрито знову"  # what the public sees of a reopening; the citizen's reason stays private


# The masking itself (phone numbers, e-mail addresses, personal ids, flat numbers: one linear pass)
# is ecity_common.personal_data's, so that every service's events mask the same way.


def at_filing(description: str, *, publish: bool) -> tuple[str, str]:
    """A new description's publication state, and its masked text (what its events carry, and what
    staff may publish of a pending one): published at once when nothing personal is found in it;
    pending when something is; private when its author asked so. One pass over the text (the
    filing path's speed)."""
    masked = mask(description)
    if not publish:
        return PRIVATE, masked
    return (PUBLISHED if masked == description else PENDING), masked


def comment_at_writing(text: str, *, by_staff: bool, internal: bool = False) -> str:
    """A comment's publication state: staff's is published unless they mark it internal; a
    citizen's when the check finds nothing personal in it (otherwise it waits for staff)."""
    if internal:
        return PRIVATE
    return PUBLISHED if by_staff or mask(text) == text else PENDING


# -- what a public reader sees -------------------------------------------------------------------

def published(channel: str) -> bool:
    """May anyone see this request at all (its public, anonymised form)?"""
    return channel not in UNPUBLISHED_CHANNELS


def kyiv_time(value: datetime | None) -> str | None:
    return value.astimezone(KYIV).isoformat(timespec="seconds") if value else None


def exact_place(category: Category | None) -> bool:
    """Only a category about public space shows its exact point and address (an unknown
    category, like a home, is rounded)."""
    return category is not None and category.place_kind == "public_space"


def public_text(state: str | None, original: str | None, redacted: str | None) -> str | None:
    """A description's or comment's public text: only when published, masked on the way out."""
    if state != PUBLISHED or original is None:
        return None
    return mask(redacted if redacted else original)


def public_note(note: str | None) -> str | None:
    """A public status note as anyone sees it (the caller has checked it is a public one)."""
    return mask(note) if note else None


def _round(value: float | None) -> float | None:
    return round(value, COORDINATE_DIGITS) if value is not None else None


def public_request(row, catalogue: Mapping[str, Category]) -> dict:
    """Everything anyone may see of a request (the caller has checked `published(row.channel)`),
    under Open311's names; a field not public is None. Every public view of a request is this one
    or a part of it."""
    category = catalogue.get(row.service_code)
    # A citizen who asked not to publish gets a rounded place even for a pothole: it may be at their door.
    exact = exact_place(category) and row.description_publication != PRIVATE
    description = public_text(row.description_publication, row.description, row.description_public)
    return {
        "service_request_id": row.id,
        "status": open311_status(row.status),
        "status_notes": public_note(row.status_notes),
        "service_name": category.name_uk if category else row.service_code,
        "service_code": row.service_code,
        "description": description,
        "agency_responsible": row.agency_responsible,
        "service_notice": deadline_notice(row.expected_datetime),
        "requested_datetime": kyiv_time(row.submitted_at),
        "updated_datetime": kyiv_time(row.updated_at),
        "expected_datetime": kyiv_time(row.expected_datetime),
        "address": public_note(row.address) if exact else None,
        "address_id": row.address_id if exact else None,
        "zipcode": row.zipcode if exact else None,
        "lat": row.lat if exact else _round(row.lat),
        "long": row.long if exact else _round(row.long),
        # The citizen's own link, so shown only with a published description (photos will replace it
        # with the public photo's address).
        "media_url": row.media_url if description is not None else None,
        # Not Open311's: the workflow's own status, for the native list.
        "workflow_status": row.status,
    }


def open311_view(row, catalogue: Mapping[str, Category]) -> dict:
    """A request as Open311 GeoReport v2 shows it to anyone."""
    view = public_request(row, catalogue)
    del view["workflow_status"]
    return view


# The native public list and map: no description (a list to browse, not to read), the place as
# public_request gives it.
ANONYMISED = ("service_request_id", "service_code", "service_name", "agency_responsible", "requested_datetime", "lat", "long")


def anonymised(row, catalogue: Mapping[str, Category]) -> dict:
    """A request in the native public list and map."""
    view = public_request(row, catalogue)
    shown = {key: view[key] for key in ANONYMISED}
    shown["status"], shown["open311_status"] = view["workflow_status"], view["status"]
    return shown


def public_update(entry) -> dict:
    """A public history entry (status change) in Open311's servicerequestupdates."""
    return {"update_id": str(entry.id), "service_request_id": entry.request_id, "status": open311_status(entry.to_status),
            "updated_datetime": kyiv_time(entry.at), "description": public_note(entry.note), "media_url": None}


def offered_duplicate(found: Mapping, category: Category | None) -> dict:
    """One possible duplicate as the filing citizen is offered it: its id, status and time, and how
    far it is; from a home, to the nearest `DISTANCE_STEP_M` (metres from several filings would
    point at the flat)."""
    distance = found["distance_m"]
    if not exact_place(category) and distance is not None:
        distance = int(round(distance / DISTANCE_STEP_M) * DISTANCE_STEP_M)
    return {"service_request_id": found["service_request_id"], "distance_m": distance, "status": found["status"],
            "requested_datetime": found["requested_datetime"]}
