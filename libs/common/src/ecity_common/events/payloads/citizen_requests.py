"""Events that citizen-requests publishes on `ecity.citizen-requests.v1`, keyed by request id."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from ecity_common.events.catalogue import event_type
from ecity_common.events.payloads.common import GeoPoint, UtilityKind


@event_type(
    "ua.sumy.ecity.citizen-requests.request.submitted.v1",
    producer="citizen-requests",
    aggregate="citizen_request",
    summary="A citizen filed a request; it carries what a handler needs, the reporter's citizen id (so that "
            "notifications tells them of its news) and no name, address of theirs or contact.",
    consumers=("utilities-gateway", "notifications"),
)
class CitizenRequestSubmitted(BaseModel):
    request_id: str = Field(min_length=1, max_length=64)
    service_code: str = Field(min_length=1, max_length=64)
    # Who handles the category: a city department, or a kind of utility (the gateway then
    # picks the company that serves the address).
    handler_kind: Literal["department", "utility"]
    utility_kind: UtilityKind | None = None
    department: str | None = None
    description: str = Field(default="", max_length=4000)
    location: GeoPoint | None = None
    address: str | None = Field(default=None, max_length=500)
    submitted_at: AwareDatetime
    expected_datetime: AwareDatetime | None = None
    # Who filed it (the token's subject, an opaque id; issue 17): notifications makes them the
    # request's reporter. Optional, so events written before it was added still read.
    citizen_id: str | None = Field(default=None, min_length=1, max_length=200)


@event_type(
    "ua.sumy.ecity.citizen-requests.request.status-changed.v1",
    producer="citizen-requests",
    aggregate="citizen_request",
    summary="A request moved in its workflow, or got public news without a move (from_status = to_status: "
            "its term extended, a company's new date for planned work); carries the public note only.",
    consumers=("utilities-gateway", "notifications"),
)
class CitizenRequestStatusChanged(BaseModel):
    request_id: str
    service_code: str
    from_status: str
    to_status: str
    open311_status: Literal["open", "closed"]
    public_note: str | None = None
    agency_responsible: str | None = None
    expected_datetime: AwareDatetime | None = None
    changed_at: AwareDatetime


@event_type(
    "ua.sumy.ecity.citizen-requests.request.commented.v1",
    producer="citizen-requests",
    aggregate="citizen_request",
    summary="A citizen or staff member commented on a request (the text is public to the request's followers; "
            "notifications tells them a staff member's).",
    consumers=("utilities-gateway", "notifications"),
)
class CitizenRequestCommented(BaseModel):
    request_id: str
    by_staff: bool
    text: str = Field(max_length=2000)
    commented_at: AwareDatetime


@event_type(
    "ua.sumy.ecity.citizen-requests.request.subscribed.v1",
    producer="citizen-requests",
    aggregate="citizen_request",
    summary="A citizen follows a request (its news will reach them); also carries existing followers and "
            "reporters over to notifications, with their original time.",
    consumers=("notifications",),
)
class CitizenRequestSubscribed(BaseModel):
    request_id: str = Field(min_length=1, max_length=200)
    citizen_id: str = Field(min_length=1, max_length=200)
    at: AwareDatetime
    # "reporter" only from the carry-over of requests filed before request.submitted named its
    # reporter: publishing those request.submitted again would have the gateway route old requests
    # to the companies a second time.
    role: Literal["reporter", "follower"] = "follower"


@event_type(
    "ua.sumy.ecity.citizen-requests.request.unsubscribed.v1",
    producer="citizen-requests",
    aggregate="citizen_request",
    summary="A citizen stopped following a request.",
    consumers=("notifications",),
)
class CitizenRequestUnsubscribed(BaseModel):
    request_id: str = Field(min_length=1, max_length=200)
    citizen_id: str = Field(min_length=1, max_length=200)
    at: AwareDatetime
