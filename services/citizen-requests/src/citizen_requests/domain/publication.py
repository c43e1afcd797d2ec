"""What anyone may see of a citizen's request, without a token: the one publication policy.

The public list and map carry no personal data and no description (citizens write names and flat
numbers in them), and coordinates rounded to about 100 m, so that a request does not point at a
home. Incidents the network opens are the IT department's, not published. Open311 shows what its
specification asks for (description included: the citizen filed it through a public API) and no
personal data either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from citizen_requests.domain.catalogue import Category
from citizen_requests.domain.deadlines import KYIV, deadline_notice
from citizen_requests.domain.workflow import open311_status

UNPUBLISHED_CHANNELS = ("network",)  # incidents of the IT department (the public queries filter them in SQL)
COORDINATE_DIGITS = 3  # ~100 m


def published(channel: str) -> bool:
    return channel not in UNPUBLISHED_CHANNELS


def kyiv_time(value: datetime | None) -> str | None:
    return value.astimezone(KYIV).isoformat(timespec="seconds") if value else None


def _name(catalogue: Mapping[str, Category], code: str) -> str:
    category = catalogue.get(code)
    return category.name_uk if category else code


def anonymised(row, catalogue: Mapping[str, Category]) -> dict:
    """A request in the public list and map."""
    return {
        "service_request_id": row.id,
        "service_code": row.service_code,
        "service_name": _name(catalogue, row.service_code),
        "status": row.status,
        "open311_status": open311_status(row.status),
        "agency_responsible": row.agency_responsible,
        "requested_datetime": kyiv_time(row.submitted_at),
        "lat": round(row.lat, COORDINATE_DIGITS) if row.lat is not None else None,
        "long": round(row.long, COORDINATE_DIGITS) if row.long is not None else None,
    }


def open311_view(row, catalogue: Mapping[str, Category]) -> dict:
    """A request as Open311 GeoReport v2 shows it."""
    return {
        "service_request_id": row.id,
        "status": open311_status(row.status),
        "status_notes": row.status_notes,
        "service_name": _name(catalogue, row.service_code),
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "service_notice": deadline_notice(row.expected_datetime),
        "requested_datetime": kyiv_time(row.submitted_at),
        "updated_datetime": kyiv_time(row.updated_at),
        "expected_datetime": kyiv_time(row.expected_datetime),
        "address": row.address,
        "address_id": row.address_id,
        "zipcode": row.zipcode,
        "lat": row.lat,
        "long": row.long,
        "media_url": row.media_url,
    }
