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
