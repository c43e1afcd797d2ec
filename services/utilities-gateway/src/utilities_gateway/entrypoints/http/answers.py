"""What each route answers, for the OpenAPI document only (`responses={200: {"model": …}}`).

The routes return the use cases' dicts as they are: these models describe them, they do not
filter them (FastAPI would drop a field missing here from a `response_model`, an API break no test
would see). The shapes are the use cases' (`company_view`, `_key_view`, `endpoint_view`,
`outage_view`, `request_data`, …): a field added there goes here too, or the API fuzzer
(tests/test_fuzz.py), which checks every answer against its document, says so. A field that may be
null is typed so; one that is always there has no default (it is required in the document).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

# -- companies and their keys ---------------------------------------------------------------------


class CompanyView(BaseModel):
    id: str
    name: str
    kind: str
    edrpou: str
    contact_email: str | None
    contact_phone: str | None
    area: dict[str, Any] | None
    service_codes: list[str]
    priority: int
    active: bool
    created_at: datetime
    updated_at: datetime


class Companies(BaseModel):
    companies: list[CompanyView]


KeyState = Literal["active", "expired", "revoked"]


class KeyView(BaseModel):
    key_id: str
    prefix: str
    label: str | None
    state: KeyState
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class IssuedKey(KeyView):
    api_key: str | None  # null in a replayed answer (an Idempotency-Key used again): shown once
    api_key_note: str | None = None  # the replay's word on it


class RotatedKey(IssuedKey):
    previous_key_expires_at: datetime | None


class Keys(BaseModel):
    api_keys: list[KeyView]


# -- meters ---------------------------------------------------------------------------------------


class Transferred(BaseModel):
    eic: str
    from_company_id: str | None


class Binding(BaseModel):
    company_id: str
    bound: int
    already_bound: int
    transferred: list[Transferred]


class Unbound(BaseModel):
    eic: str
    company_id: None
    previous_company_id: str


class BoundMeter(BaseModel):
    eic: str
    kind: str
    change: str
    at: datetime
    by: str | None


class CompanyMeters(BaseModel):
    company_id: str
    meters: list[BoundMeter]
    next_after: str | None


class BindingChange(BaseModel):
    company_id: str | None
    previous_company_id: str | None
    change: str
    at: datetime
    by: str | None
    note: str | None


class MeterHistory(BaseModel):
    eic: str
    kind: str
    company_id: str | None
    history: list[BindingChange]


class Duplicate(BaseModel, extra="allow"):
    index: int


class Rejected(BaseModel):
    index: int
    meter_id: str | None
    field: str | None
    reason: str


class ReadingsReport(BaseModel):
    batch_id: str
    received: int
    accepted: int
    duplicates: list[Duplicate]
    rejected: list[Rejected]


class Reading(BaseModel):
    reading_type: str
    value: float
    taken_at: datetime
    source: str | None
    batch_id: str | None


class Readings(BaseModel):
    meter_id: str
    readings: list[Reading]


# -- routed requests ------------------------------------------------------------------------------


class Location(BaseModel):
    lat: float
    long: float


class RoutedRequest(BaseModel):
    request_id: str
    service_code: str
    utility_kind: str
    description: str | None
    address: str | None
    location: Location | None
    submitted_at: str
    answer_due: str | None
    status: str
    planned_for: str | None
    public_note: str | None


class RoutedRequestForStaff(RoutedRequest):
    company_id: str | None
    routing_failure: str | None


class RoutedRequests(BaseModel):
    requests: list[RoutedRequest]
    next_after: str | None


class CompanyRef(BaseModel):
    id: str
    name: str


class RoutingDecision(BaseModel):
    outcome: Literal["routed", "failed"]
    reason: str | None
    company: CompanyRef | None


class AuditEntry(BaseModel):
    id: int
    at: datetime
    company_id: str | None
    actor: str | None
    method: str
    path: str
    status: int
    idempotency_key: str | None
    duration_ms: float
    summary: str | None


class AuditLog(BaseModel):
    entries: list[AuditEntry]
    next_cursor: str | None  # null on the last page


# -- outages --------------------------------------------------------------------------------------


class PublicOutage(BaseModel):
    id: str
    kind: str
    planned: bool
    area_description: str
    starts_at: datetime
    expected_end: datetime | None
    cause: str | None
    status: str
    updated_at: datetime


class OutageView(PublicOutage):
    company_id: str
    area: dict[str, Any]
    reported_at: datetime
    resolved_at: datetime | None
    resolution_note: str | None


class Outages(BaseModel):
    outages: list[OutageView]


class PublicOutages(BaseModel):
    outages: list[PublicOutage]


class UploadedPhoto(BaseModel):
    photo_id: str
    width: int
    height: int


# -- webhooks and the inbox -----------------------------------------------------------------------


class EndpointView(BaseModel):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    secret_rotating_until: datetime | None


class EndpointWithSecret(EndpointView):
    secret: str | None  # null in a replayed answer: shown once
    secret_note: str | None = None


class Endpoints(BaseModel):
    webhook_endpoints: list[EndpointView]


class TestSent(BaseModel):
    message_id: str


class Attempt(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    duration_ms: float | None
    error: str | None


class Delivery(BaseModel):
    id: int
    message_id: str
    type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    finished_at: datetime | None


class Deliveries(BaseModel):
    deliveries: list[Delivery]


class Redelivery(BaseModel):
    delivery_id: int


class InboxMessage(BaseModel, extra="allow"):
    """A message as its webhook carries it (`docs/webhooks`), with its id."""

    id: str


class InboxPage(BaseModel):
    messages: list[InboxMessage]
    next_cursor: str
    has_more: bool


class Acknowledged(BaseModel):
    acknowledged: int
    unknown_or_already_acknowledged: list[str]


# ?format=geojson: each active outage a Feature, its polygon the geometry (null: streets only).
OUTAGES_MAP = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"const": "FeatureCollection"},
    "features": {"type": "array", "items": {"type": "object", "required": ["type", "id", "geometry", "properties"], "properties": {
        "type": {"const": "Feature"}, "id": {"type": "string"}, "geometry": {"type": ["object", "null"]},
        "properties": {"type": "object", "required": ["streets"], "properties": {"streets": {"type": "array"}}}}}}}}
PUBLIC_OUTAGES = {200: {"model": PublicOutages, "content": {"application/geo+json": {"schema": OUTAGES_MAP}}},
                  304: {"description": "Not modified: the ETag in If-None-Match is this version's (GeoJSON)"}}


def answers(model: type[BaseModel], status: int = 200) -> dict:
    """A route's `responses=`: its answer's shape, documented without filtering it."""
    return {status: {"model": model}}
