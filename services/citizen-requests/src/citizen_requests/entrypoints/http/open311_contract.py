"""What the Open311 routes read by hand (a form, query strings, the format), said in the OpenAPI document.

The routes read `request.form()` and `request.query_params` themselves, to answer a malformed field
the Open311 way (a list of `{code, description}`) rather than as FastAPI's 422; so FastAPI cannot
see these inputs, and without this the document showed the POST with no body and the searches with
no filters: a client generated from it, or the API fuzzer (tests/test_fuzz.py), never sent them.
The names and meanings are GeoReport v2's; the bounds are the ones `open311.py` enforces.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from ecity_common.inputs import LINE_PATTERN

# The answer's format, the path's extension. Documented as the two there are, but not validated by
# FastAPI: another one is the Open311 404 of `open311.py` (`_fmt`), not a problem+json 422.
Format = Annotated[str, Path(description="json or xml", json_schema_extra={"enum": ["json", "xml"]})]

_TEXT = {"type": "string", "pattern": LINE_PATTERN}  # one line: a control character is Open311's 400
_DATE = {"type": "string", "format": "date-time", "description": "ISO 8601; without an offset, Kyiv time"}

NEW_REQUEST_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": {
                        "api_key": {**_TEXT, "description": "the client app's key (issued by the city's IT department)"},
                        "service_code": _TEXT,
                        "lat": {"type": "number", "description": "with long; or address_string or address_id"},
                        "long": {"type": "number"},
                        "address_string": {**_TEXT, "maxLength": 500},
                        "address_id": {**_TEXT, "maxLength": 200},
                        "description": _TEXT,
                        "media_url": {**_TEXT, "format": "uri", "description": "http(s)"},
                        "email": _TEXT,
                        "device_id": _TEXT,
                        "account_id": _TEXT,
                        "first_name": _TEXT,
                        "last_name": _TEXT,
                        "phone": _TEXT,
                    },
                    # attribute[CODE]=value, the answers to the service definition's questions
                    "additionalProperties": _TEXT,
                },
            },
        },
    },
}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            **({"description": description} if description else {})}


_SPAN = "start_date to end_date spans 90 days at most"

SEARCH_QUERY = {
    "parameters": [
        _query("service_request_id", _TEXT, "comma-separated ids"),
        _query("service_code", _TEXT, "comma-separated codes"),
        _query("start_date", _DATE, _SPAN),
        _query("end_date", _DATE, "now when absent"),
        _query("status", {"type": "string", "enum": ["open", "closed"]}),
        _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000}),
        _query("page_size", {"type": "integer", "minimum": 1, "maximum": 1000}),
    ],
}

UPDATES_QUERY = {
    "parameters": [
        _query("service_request_id", _TEXT, "comma-separated ids"),
        _query("start_date", _DATE, f"a day ago when absent; {_SPAN}"),
        _query("end_date", _DATE, "now when absent"),
    ],
}


# -- What the routes answer ----------------------------------------------------------------------
# Each answer in JSON (schema below) or XML (the same fields as elements; `open311._xml`).

_NULLABLE_TEXT = {"type": ["string", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}


def _answer(schema: dict, description: str = "") -> dict:
    return {200: {"description": description or "the answer, in the path's format",
                  "content": {"application/json": {"schema": schema}, "text/xml": {}}}}


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


def _object(needed: list[str], **properties: dict) -> dict:
    return {"type": "object", "required": needed, "properties": properties}


DISCOVERY_ANSWER = _answer(_object(
    ["changeset", "contact", "endpoints"], changeset=_DATE, contact={"type": "string"}, key_service={"type": "string"},
    endpoints=_list(_object(["specification", "url", "type", "formats"], specification={"type": "string"},
                            url={"type": "string"}, changeset=_DATE, type={"type": "string"},
                            formats=_list({"type": "string"})))))
SERVICES_ANSWER = _answer(_list(_object(
    ["service_code", "service_name", "metadata", "type"], service_code={"type": "string"}, service_name={"type": "string"},
    description=_NULLABLE_TEXT, metadata={"type": "boolean"}, type={"type": "string", "enum": ["realtime", "batch", "blackbox"]},
    keywords={"type": "string"}, group=_NULLABLE_TEXT)))
DEFINITION_ANSWER = _answer(_object(
    ["service_code", "attributes"], service_code={"type": "string"},
    attributes=_list(_object(["code", "datatype", "required", "order"], **{
        "variable": {"type": "boolean"}, "code": {"type": "string"}, "datatype": {"type": "string"},
        "required": {"type": "boolean"}, "datatype_description": _NULLABLE_TEXT, "order": {"type": "integer"},
        "description": _NULLABLE_TEXT,
        "values": _list(_object(["key", "name"], key={"type": "string"}, name={"type": "string"}))}))))
FILED_ANSWER = _answer(_list(_object(["service_request_id"], service_request_id={"type": "string"},
                                     service_notice=_NULLABLE_TEXT, account_id=_NULLABLE_TEXT)), "the filed request's id")
REQUESTS_ANSWER = _answer(_list(_object(
    ["service_request_id", "status", "service_code", "requested_datetime"],
    service_request_id={"type": "string"}, status={"type": "string", "enum": ["open", "closed"]},
    status_notes=_NULLABLE_TEXT, service_name=_NULLABLE_TEXT, service_code={"type": "string"}, description=_NULLABLE_TEXT,
    agency_responsible=_NULLABLE_TEXT, service_notice=_NULLABLE_TEXT, requested_datetime=_NULLABLE_TEXT,
    updated_datetime=_NULLABLE_TEXT, expected_datetime=_NULLABLE_TEXT, address=_NULLABLE_TEXT, address_id=_NULLABLE_TEXT,
    zipcode=_NULLABLE_TEXT, lat=_NULLABLE_NUMBER, long=_NULLABLE_NUMBER, media_url=_NULLABLE_TEXT)))
TOKEN_ANSWER = _answer(_list(_object(["service_request_id", "token"], service_request_id={"type": "string"},
                                     token={"type": "string"})))
UPDATES_ANSWER = _answer(_list(_object(
    ["update_id", "service_request_id", "status", "updated_datetime"], update_id={"type": "string"},
    service_request_id={"type": "string"}, status={"type": "string", "enum": ["open", "closed"]},
    updated_datetime={"type": "string"}, description=_NULLABLE_TEXT, media_url=_NULLABLE_TEXT)))

# Open311's errors: a list of {code, description}, the code the answer's status (`open311.error`).
_ERRORS = {"description": "", "content": {"application/json": {"schema": _list(_object(
    ["code", "description"], code={"type": "integer"}, description={"type": "string"}))}, "text/xml": {}}}
OPEN311_ERRORS = {status: {**_ERRORS, "description": said} for status, said in {
    400: "a field that cannot be read or breaks a rule",
    404: "another format than json or xml, or no such service or request",
    503: "the database is away; try again",
}.items()}
# and a filing's own
FILING_ERRORS = {status: {**_ERRORS, "description": said} for status, said in {
    403: "no api_key, or one that is not valid",
    409: "an Idempotency-Key already used with another form",
    413: "the form is larger than a filing's",
    429: "the client app filed too many requests; Retry-After says when to try again",
}.items()}
FILED_ANSWER.update(FILING_ERRORS)
