"""Events that utilities-gateway publishes on `ecity.utilities.v1`.

Request events are keyed by the citizen's request id (so they stay in order with citizen-requests'
own view of it), outage events by the outage id, meter readings by the company id.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from ecity_common.areas import Area
from ecity_common.events.catalogue import event_type, personal
from ecity_common.events.payloads.common import UtilityKind


class CompanyRef(BaseModel):
    company_id: str
    name: str = Field(description="what citizens see as agency_responsible")
    kind: UtilityKind


@event_type(
    "ua.sumy.ecity.utilities-gateway.request.accepted.v1",
    producer="utilities-gateway",
    aggregate="citizen_request",
    summary="A citizen's request was routed to the utility company that serves its place; the company is now responsible.",
    consumers=("citizen-requests",),
)
class RequestAcceptedByCompany(BaseModel):
    request_id: str
    company: CompanyRef
    accepted_at: AwareDatetime


@event_type(
    "ua.sumy.ecity.utilities-gateway.request.routing-failed.v1",
    producer="utilities-gateway",
    aggregate="citizen_request",
    summary="No utility company serves the request's place (or it had none); it stays with the city's dispatcher.",
    consumers=("citizen-requests",),
)
class RequestRoutingFailed(BaseModel):
    request_id: str
    utility_kind: UtilityKind
    reason: str = Field(max_length=500)
    failed_at: AwareDatetime


@event_type(
    "ua.sumy.ecity.utilities-gateway.request.status-changed.v1",
    producer="utilities-gateway",
    aggregate="citizen_request",
    summary="The company reported progress on a request routed to it (rejected: it is not theirs after all).",
    consumers=("citizen-requests",),
)
class RequestStatusChangedByCompany(BaseModel):
    request_id: str
    company: CompanyRef
    status: Literal["in_progress", "planned", "resolved", "rejected"]
    expected_datetime: AwareDatetime | None = Field(default=None, description="when planned work is expected")
    reason: str | None = Field(default=None, max_length=1000, description="why it was rejected",
                               json_schema_extra=personal("the company's words, masked (phone numbers, e-mail "
                                                          "addresses, personal ids, flat numbers): the city's dispatcher reads them"))
    public_note: str | None = Field(default=None, max_length=2000, json_schema_extra=personal(
        "the company's note for the citizen, masked (phone numbers, e-mail addresses, personal ids, flat numbers)"))
    changed_at: AwareDatetime
    # Proof of work: where anyone may see the company's photos of it (the gateway serves them,
    # stripped of their metadata), absolute URLs; none in events before issue 18.
    photos: list[str] = Field(default_factory=list, max_length=5,
                              description="public addresses of the company's photos of the work, at most 5")


class OutageFacts(BaseModel):
    outage_id: str
    company: CompanyRef
    planned: bool
    area: Area
    area_description: str
    starts_at: AwareDatetime
    expected_end: AwareDatetime | None = None
    cause: str | None = Field(default=None, max_length=1000)


@event_type(
    "ua.sumy.ecity.utilities-gateway.outage.reported.v1",
    producer="utilities-gateway",
    aggregate="utility_outage",
    summary="A utility company announced a planned or unplanned outage of water, heating, electricity or gas in an area.",
    consumers=("citizen-requests", "notifications"),
)
class UtilityOutageReported(OutageFacts):
    reported_at: AwareDatetime


@event_type(
    "ua.sumy.ecity.utilities-gateway.outage.updated.v1",
    producer="utilities-gateway",
    aggregate="utility_outage",
    summary="An outage's area, expected end or cause changed; carries the whole outage as it now is.",
    consumers=("citizen-requests", "notifications"),
)
class UtilityOutageUpdated(OutageFacts):
    updated_at: AwareDatetime


@event_type(
    "ua.sumy.ecity.utilities-gateway.outage.resolved.v1",
    producer="utilities-gateway",
    aggregate="utility_outage",
    summary="Supply is restored in an outage's area.",
    consumers=("citizen-requests", "notifications"),
)
class UtilityOutageResolved(BaseModel):
    outage_id: str
    company: CompanyRef
    resolved_at: AwareDatetime
    note: str | None = Field(default=None, max_length=1000)


class MeterReading(BaseModel):
    meter_id: str = Field(json_schema_extra=personal(
        "the meter's EIC or account number: it stands for a household; the series is kept per meter"))
    reading_type: str
    unit: str
    value: float
    taken_at: AwareDatetime
    source: str


@event_type(
    "ua.sumy.ecity.utilities-gateway.meter-readings.accepted.v1",
    producer="utilities-gateway",
    aggregate="utility_company",
    summary="A batch of validated meter readings a company sent (up to 1,000 per event; a big upload is several events).",
)
class MeterReadingsAccepted(BaseModel):
    company_id: str
    batch_id: str = Field(description="the upload these readings came in")
    part: int = Field(ge=1)
    readings: list[MeterReading] = Field(max_length=1000)
