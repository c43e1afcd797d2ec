"""What the routes answer, for the OpenAPI document only (`responses={…}`): these describe the use
cases' dicts and filter nothing (a `response_model` drops what it does not name, an API break no
test would see). An object of the registry is its kind's fields (`domain/objects.py`, the model that
validates it coming in) and the registry's bookkeeping (id, version, created_at, updated_at), so its
schema is built from that model here. A field added to an answer goes here too, or the API fuzzer
(tests/test_fuzz.py), which checks every answer against the document, says so.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from network_registry.domain.objects import ObjectKind

BOOKKEEPING = {"id": {"type": "string"}, "version": {"type": "integer"},
               "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}


def object_schema(kind: ObjectKind) -> dict[str, Any]:
    """One object as the API shows it: each field of the kind, as stored (a value kept before a rule
    was tightened is still shown), nullable where the column is; dates in ISO 8601."""
    fields = kind.model.model_json_schema(mode="serialization")["properties"]
    loose = {name: _as_stored(schema) for name, schema in fields.items()}
    return {"type": "object", "title": kind.name.capitalize(), "required": [*BOOKKEEPING, *loose],
            "properties": {**BOOKKEEPING, **loose}}


def _as_stored(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's type without the input's bounds (lengths, patterns, ranges), null allowed."""
    kinds = {s.get("type") for s in schema.get("anyOf", [schema])} - {None}
    if any("enum" in s or "const" in s for s in schema.get("anyOf", [schema])):
        kinds |= {"string"}
    return {"type": sorted(kinds | {"null"})} if kinds else {}


def answers_for(kind: ObjectKind) -> dict[str, dict]:
    one = object_schema(kind)
    page = {"type": "object", "required": ["count", "next", "previous", "results"], "properties": {
        "count": {"type": "integer"}, "next": {"type": ["string", "null"]}, "previous": {"type": ["string", "null"]},
        "results": {"type": "array", "items": {"anyOf": [one, {
            "type": "object", "required": ["id", "name", "url"], "description": "brief"}]}}}}
    json = "application/json"
    return {
        "one": {200: {"content": {json: {"schema": one}}}},
        "created": {201: {"description": "the object, or the list of them when a list was sent",
                          "content": {json: {"schema": {"anyOf": [one, {"type": "array", "items": one}]}}}}},
        "many": {200: {"content": {json: {"schema": {"type": "array", "items": one}}}}},
        "page": {200: {"content": {json: {"schema": page}}}, 400: {"description": "a parameter that is no filter of these"}},
    }


class Change(BaseModel):
    id: int
    object_type: str
    object_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str
    request_id: str
    message: str | None
    at: str


class ChangePage(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[Change]
    next_cursor: str | None


class SiteBrief(BaseModel):
    id: str
    name: str
    kind: str
    address: str | None


class Impact(BaseModel):
    element_kind: Literal["device", "fibre_link"]
    element_id: str
    devices_cut_off: list[str]
    sites_cut_off: list[SiteBrief]


class SinglePoints(BaseModel):
    devices: list[str]
    links: list[str]
    single_homed_sites: list[SiteBrief]


class Path(BaseModel):
    from_site: str
    to_site: str
    by: str
    devices: list[str]
    hops: int


class StatusReported(BaseModel):
    element_id: str
    status: str
    changed: bool


class Imported(BaseModel):
    created: int
    updated: int
    request_id: str


FEATURES = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"const": "FeatureCollection"},
    "features": {"type": "array", "items": {"type": "object", "required": ["type", "id", "geometry", "properties"], "properties": {
        "type": {"const": "Feature"}, "id": {"type": "string"}, "geometry": {"type": ["object", "null"]},
        "properties": {"type": "object"}}}}}}
MAP_ANSWER = {200: {"content": {"application/geo+json": {"schema": FEATURES}}}}


class GeoJSON(JSONResponse):
    """Documents a map's media type (the route answers its own JSONResponse of it)."""

    media_type = "application/geo+json"


def answers(model: Any, status: int = 200) -> dict:
    """A route's `responses=`: its answer's shape, documented without filtering it."""
    return {status: {"model": model}}
