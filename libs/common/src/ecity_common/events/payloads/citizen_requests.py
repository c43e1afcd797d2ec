"""Events that citizen-requests publishes on `ecity.citizen-requests.v1`, keyed by request id."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from ecity_common.events.catalogue import event_type, personal
from ecity_common.events.payloads.common import GeoPoint, UtilityKind


@event_type(
    "ua.sumy.ecity.citizen-requests.request.submitted.v1",
    producer="citizen-requests",
    aggregate="citizen_request",
    summary="A citizen filed a request; it carries what a handler needs (what is wrong, masked, and where: the "
            "place and the address, which may be the citizen's home), the reporter's opaque citizen id (so that "
            "notifications tells them of its news), and no name or contact.",
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
    description: str = Field(default="", max_length=4000, json_schema_extra=personal(
        "what is wrong, for the handler; masked (phone numbers, e-mail addresses, personal ids and flat numbers "
        "replaced), though free text may still name someone"))
    location: GeoPoint | None = Field(default=None, json_schema_extra=personal(
        "where it is, exact, for the crew: it may be the citizen's home"))
    address: str | None = Field(default=None, max_length=500, json_schema_extra=personal(
        "the address as the citizen gave it (a flat number included): the company cannot fix a flat's water without it"))
    submitted_at: AwareDatetime
    expected_datetime: AwareDatetime | None = None
    # The category's name as citizens read it (Ukrainian), for the messages that name it (local
    # alerts); optional, so events written before it was added still read.
    service_name: str | None = Field(default=None, max_length=200)
    # Who filed it (the token's subject, an opaque id; issue 17): notifications makes them the
    # request's reporter. Optional, so events written before it was added still read.
    citizen_id: str | None = Field(default=None, min_length=1, max_length=200, json_schema_extra=personal(
        "the reporter's opaque id (no name, no contact): notifications tells them of the request's news"))


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
    public_note: str | None = Field(default=None, json_schema_extra=personal(
        "the note the public sees, masked (phone numbers, e-mail addresses, personal ids, flat numbers): "
        "notifications passes it to the reporter and followers"))
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
    text: str = Field(max_length=2000, json_schema_extra=personal(
        "the comment, masked (phone numbers, e-mail addresses, personal ids, flat numbers): the company reads "
        "what the citizen or the staff added"))
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
    citizen_id: str = Field(min_length=1, max_length=200, json_schema_extra=personal(
        "the follower's opaque id (no name, no contact): notifications keeps who follows what"))
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
    citizen_id: str = Field(min_length=1, max_length=200, json_schema_extra=personal(
        "the follower's opaque id (no name, no contact): notifications keeps who follows what"))
    at: AwareDatetime
