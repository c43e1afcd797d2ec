"""Citizens' requests: what they are and the rules a new one must meet. No I/O, no framework.

The catalogue is in `catalogue.py` (its current snapshot is passed in), the workflow in
`workflow.py`, the deadlines in `deadlines.py`, possible duplicates in `duplicates.py`, the
creation limits in `limits.py`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from citizen_requests.domain.catalogue import AttributeRejected, Category
from citizen_requests.domain.deadlines import deadline
from citizen_requests.domain.phrases import Phrase
from ecity_common.geo import SUMY_BOUNDS, outside_sumy
from ecity_common.inputs import unwritable
from ecity_common.refusals import Invalid

# The start of a tag: '<', maybe '/', then a letter (spaces allowed around the '/'). One `\s*` on
# each side of the optional '/': `<\s*/?\s*` tried every split of a run of spaces (quadratic).
# The catalogue refuses it in a category's names (`entrypoints/http/catalogue.py`).
TAG_START = re.compile(r"<\s*(?:/\s*)?[a-zA-Z]")


def looks_like_html(text: str) -> bool:
    """A tag's start with a '>' after it, as the one pattern `<…[a-zA-Z][^>]*>` said before, but in
    one pass: that pattern ran on to the end of the text again from every '<' ('<a<a<a…' without
    a '>' was quadratic)."""
    start = TAG_START.search(text)
    return start is not None and text.find(">", start.end()) != -1


class RequestRejected(Invalid):
    """A rule of the domain refused the request; `field` says which input is wrong."""

    def __init__(self, field: str, message: str) -> None:
        # The same problem type as a body that does not parse: to an app, both are a form to fix.
        super().__init__(field, message, code="validation-error")


@dataclass(frozen=True)
class Location:
    lat: float
    long: float

    def __post_init__(self) -> None:
        # A point outside is almost surely a mistyped coordinate (or a phone's last fix elsewhere).
        axis = outside_sumy(self.lat, self.long)
        if axis:
            low, high = SUMY_BOUNDS[axis]
            raise RequestRejected(f"location.{axis}", Phrase("outside-the-city", axis=axis, low=low, high=high))


@dataclass
class CitizenRequest:
    category: Category
    description: str
    citizen_id: str
    location: Location | None = None
    address: str | None = None
    attributes: dict = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "submitted"
    submitted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    stored: dict = field(default_factory=dict)  # the row as written, so answers need no re-read
    possible_duplicates: list[dict] = field(default_factory=list)  # open ones of its category nearby

    @property
    def expected_datetime(self) -> datetime:
        return deadline(self.submitted_at, self.category.term)


def file_request(
    *,
    catalogue: Mapping[str, Category],
    category_code: str,
    description: str,
    citizen_id: str,
    location: Location | None,
    address: str | None,
    answers: dict[str, list[str]] | None = None,
) -> CitizenRequest:
    category = catalogue.get(category_code)
    if category is None:
        raise RequestRejected("service_code", Phrase("unknown-category", code=category_code))
    if not category.active:
        raise RequestRejected("service_code", Phrase("category-withdrawn", code=category_code))
    if len(description) > 4000:
        raise RequestRejected("description", Phrase("description-at-most"))
    if looks_like_html(description):
        raise RequestRejected("description", Phrase("no-html"))
    # Text that can be stored, published and shown (ecity_common.inputs): no NUL, which PostgreSQL
    # refuses, no half of a surrogate pair, which a JSON body may carry but UTF-8 cannot, and no
    # other control character, which would break a log line, a CSV cell or an XML answer.
    if (reason := unwritable(description, prose=True)) is not None:
        raise RequestRejected("description", reason)
    if address and ((reason := unwritable(address)) is not None or len(address) > 500):
        raise RequestRejected("address", reason or Phrase("address-at-most"))
    for code, values in (answers or {}).items():
        for value in values:
            if (reason := unwritable(value, prose=True)) is not None:
                raise RequestRejected(f"attributes.{code}", reason)
    if location is None and not (address and address.strip()):
        raise RequestRejected("location", Phrase("location-or-address"))
    try:
        attributes = category.check_answers(answers or {})
    except AttributeRejected as exc:
        raise RequestRejected(f"attributes.{exc.code}", exc.message) from None
    return CitizenRequest(
        category=category,
        description=description.strip(),
        citizen_id=citizen_id,
        location=location,
        address=address.strip() if address else None,
        attributes=attributes,
    )
