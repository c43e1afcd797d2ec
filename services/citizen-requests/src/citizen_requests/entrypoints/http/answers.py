"""What the native API's routes answer where they return a dict, for the OpenAPI document only
(`responses={…: {"model": …}}`): these models describe the use cases' dicts and filter nothing (a
`response_model` drops what it does not name, an API break no test would see). A field added to an
answer goes here too, or the API fuzzer (tests/test_fuzz.py), which checks every answer against
the document, says so. (Open311's answers are described in `open311_contract.py`, a list of requests next to
`RequestView` in `requests.py`.)
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class Moved(BaseModel):
    """A move in the request's workflow (a status change, a duplicate, a reopening)."""

    id: str
    from_status: str
    status: str


class Extended(BaseModel):
    id: str
    expected_datetime: str


class Comment(BaseModel):
    request_id: str
    by_staff: bool
    text: str
    at: str


class PublicRequest(BaseModel):
    service_request_id: str
    service_code: str
    service_name: str
    status: str
    open311_status: Literal["open", "closed"]
    agency_responsible: str | None
    requested_datetime: str | None
    lat: float | None
    long: float | None


class PublicPage(BaseModel):
    count: int
    count_is_exact: bool
    results: list[PublicRequest]
    next_cursor: str | None


class CategoryStatistics(BaseModel):
    service_code: str
    service_name: str
    count: int
    median_hours_to_resolve: float | None
    share_overdue_percent: float


class Statistics(BaseModel):
    from_: str = Field(alias="from")
    to: str
    categories: list[CategoryStatistics]


class CategoryDefinition(BaseModel):
    """A category as the catalogue keeps it: every field of a definition, defaults filled in."""

    code: str
    name_uk: str
    name_en: str
    group: str
    handler_kind: Literal["department", "utility"]
    term: str
    description: str
    keywords: list[str]
    utility_kind: str | None
    department: str | None
    attributes: list[dict[str, Any]]
    duplicate_radius_m: int
    type: Literal["realtime", "batch", "blackbox"]
    active: bool


class Categories(BaseModel):
    categories: list[CategoryDefinition]


# The map: each request a Point (long, lat), its public fields the properties.
PUBLIC_MAP = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"const": "FeatureCollection"},
    "features": {"type": "array", "items": {"type": "object", "required": ["type", "id", "geometry", "properties"], "properties": {
        "type": {"const": "Feature"}, "id": {"type": "string"},
        "geometry": {"type": "object", "required": ["type", "coordinates"], "properties": {
            "type": {"const": "Point"}, "coordinates": {"type": "array", "items": {"type": ["number", "null"]}}}},
        "properties": {"type": "object", "required": ["service_request_id", "status"]}}}}}}
MAP_ANSWER = {200: {"content": {"application/geo+json": {"schema": PUBLIC_MAP}}}}


class GeoJSON(JSONResponse):
    """Documents the map's media type (the route answers its own JSONResponse of it)."""

    media_type = "application/geo+json"


class Decision(BaseModel):
    """A moderation decision as it is taken: what it changed, from and to."""

    decision_id: int
    request_id: str | None
    target: Literal["description", "comment", "photo", "request", "citizen"]
    target_id: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    at: str


class DecisionKept(Decision):
    """A decision as staff read it later: with why and who."""

    reason: str
    moderator: str


class RequestDecisions(BaseModel):
    request_id: str
    decisions: list[DecisionKept]


class CitizenLimit(BaseModel):
    citizen_id: str
    limit: int | None
    decisions: list[DecisionKept]


class Waiting(BaseModel):
    kind: Literal["description", "comment", "photo"]
    request_id: str
    target_id: str
    waiting_since: str
    author: str | None
    text: str | None
    masked: str | None
    photo: str | None


class ModerationQueue(BaseModel):
    items: list[Waiting]
    counts: dict[str, int]
    limit: int
    next_cursor: str | None


def answers(model: Any, status: int = 200) -> dict:
    """A route's `responses=`: its answer's shape, documented without filtering it."""
    return {status: {"model": model}}
