"""What the routes that return a dict answer, for the OpenAPI document only (`responses={…}`): these
describe the use cases' dicts and filter nothing (a `response_model` drops what it does not name, an
API break no test would see). A field added to an answer goes here too, or the API fuzzer
(tests/test_fuzz.py), which checks every answer against the document, says so.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class MyData(BaseModel):
    """Each of the service's tables, its rows of this citizen (`adapters/consent.held_about`)."""

    citizen_id: str
    contacts: list[dict[str, Any]]
    subscriptions: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    push_subscriptions: list[dict[str, Any]]
    places: list[dict[str, Any]]
    outages_told: list[dict[str, Any]]
    local_alerts: list[dict[str, Any]]
    alert_matches: list[dict[str, Any]]


class Erased(BaseModel):
    citizen_id: str
    erased: dict[str, int]  # rows deleted, per table


class InstitutionEmailSet(BaseModel):
    holder_code: str
    email: str
    confirmed_at: str


class OutageHere(BaseModel):
    outage: str
    provider: str
    kind: str | None
    planned: bool | None
    description: str | None
    starts_at: str | None
    expected_end: str | None
    going_on: bool


class RequestNearby(BaseModel):
    service_request_id: str
    service_code: str
    status: str
    requested_datetime: str
    lat: float
    long: float


class KnownAt(BaseModel):
    lat: float | None
    long: float | None
    address: str | None
    outages: list[OutageHere]
    requests_nearby: list[RequestNearby]


def answers(model: Any, status: int = 200) -> dict:
    """A route's `responses=`: its answer's shape, documented without filtering it."""
    return {status: {"model": model}}
