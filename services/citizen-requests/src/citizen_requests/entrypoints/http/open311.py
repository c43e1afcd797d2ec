"""Open311 GeoReport v2 under `/open311/v2`: JSON or XML, the spec's field names, statuses
(`open`/`closed`) and errors (a list of `{code, description}`; 400, 403, 404). Public answers carry
no personal data."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import idempotency_keys
from citizen_requests.domain.catalogue import Catalogue
from citizen_requests.domain.deadlines import KYIV
from citizen_requests.domain.requests import Location, RequestRejected
from citizen_requests.domain.workflow import OPEN, TRANSITIONS, open311_status
from citizen_requests.use_cases import filing as service
from ecity_common.db import session
from ecity_common.web import idempotency
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        _fill(element, row)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def _fill(element: ET.Element, row: dict) -> None:
    for key, value in row.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            singular = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}.get(key, "item")
            for v in value:
                sub = ET.SubElement(child, singular)
                if isinstance(v, dict):
                    _fill(sub, v)
                else:
                    sub.text = str(v)
        elif isinstance(value, dict):
            _fill(child, value)
        elif value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else str(value)


def answer(fmt: str, root: str, item: str, rows: list[dict] | dict, status: int = 200) -> Response:
    if fmt == "xml":
        body = _xml(root, item, rows) if isinstance(rows, list) else _single_xml(root, rows)
        return Response(body, status_code=status, media_type="text/xml; charset=utf-8")
    return JSONResponse(rows, status_code=status)


def _single_xml(root: str, row: dict) -> bytes:
    top = ET.Element(root)
    _fill(top, row)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def error(fmt: str, exc: Open311Error) -> Response:
    response = answer(fmt if fmt in ("json", "xml") else "json", "errors", "error",
                      [{"code": exc.status, "description": exc.description}], exc.status)
    if exc.status == 429:
        response.headers["Retry-After"] = "60"
    return response


def open311_route(handler):
    """Every Open311 route: the format checked first, and any Open311Error answered in the spec's
    error format (a list of {code, description}), never problem+json."""

    @functools.wraps(handler)
    async def route(*args, **kwargs):
        try:
            _fmt(kwargs["fmt"])
            return await handler(*args, **kwargs)
        except Open311Error as exc:
            return error(kwargs["fmt"], exc)

    return route


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, "format must be .json or .xml")
    return fmt


def _when(value: datetime | None) -> str | None:
    return value.astimezone(KYIV).isoformat(timespec="seconds") if value else None


def _catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue.current


def public_view(row, catalogue: Catalogue) -> dict:
    category = catalogue.get(row.service_code)
    return {
        "service_request_id": row.id,
        "status": open311_status(row.status),
        "status_notes": row.status_notes,
        "service_name": category.name_uk if category else row.service_code,
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "service_notice": _notice(row.expected_datetime),
        "requested_datetime": _when(row.submitted_at),
        "updated_datetime": _when(row.updated_at),
        "expected_datetime": _when(row.expected_datetime),
        "address": row.address,
        "address_id": row.address_id,
        "zipcode": row.zipcode,
        "lat": row.lat,
        "long": row.long,
        "media_url": row.media_url,
    }


def _notice(expected: datetime | None) -> str | None:
    if expected is None:
        return None
    return f"Відповідь буде надано до {expected.astimezone(KYIV):%d.%m.%Y} (ст. 20 Закону України «Про звернення громадян»)."


@router.get("/discovery.{fmt}")
@open311_route
async def discovery(fmt: str, request: Request) -> Response:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return answer(fmt, "discovery", "", {
        "changeset": "2026-11-26T00:00:00+02:00",
        "contact": "Сумська міська рада, відділ інформаційних технологій",
        "key_service": "Ключ api_key видає ІТ-відділ міської ради",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-26T00:00:00+02:00", "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    })


def _service(c) -> dict:
    return {"service_code": c.code, "service_name": c.name_uk, "description": c.description, "metadata": c.metadata,
            "type": c.type, "keywords": ", ".join(c.keywords), "group": c.group}


@router.get("/services.{fmt}")
@open311_route
async def services(fmt: str, request: Request) -> Response:
    return answer(fmt, "services", "service", [_service(c) for c in _catalogue(request).offered()])


@router.get("/services/{service_code}.{fmt}")
@open311_route
async def definition(service_code: str, fmt: str, request: Request) -> Response:
    category = _catalogue(request).get(service_code)
    if category is None or not category.active or not category.metadata:
        raise Open311Error(404, f"no service definition for {service_code!r}")
    return answer(fmt, "service_definition", "", {
        "service_code": category.code, "attributes": [a.as_open311() for a in category.attributes]})


def _float(form, name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None


@router.post("/requests.{fmt}")
@open311_route
async def create(fmt: str, request: Request, db: AsyncSession = Depends(session)) -> Response:
    await request.body()  # kept, so the Idempotency-Key's fingerprint can read it after the form
    form = await request.form()
    client = await service.open311_client(db, form.get("api_key"))
    await db.rollback()  # the lookup's implicit transaction; the use case opens its own
    if client is None:
        raise Open311Error(403, "api_key is missing or not valid")
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    lat, long = _float(form, "lat"), _float(form, "long")
    address = (form.get("address_string") or "").strip() or None
    if address and len(address) > 500 or len((form.get("address_id") or "")) > 200:
        raise Open311Error(400, "address_string is at most 500 characters, address_id at most 200")
    address_id = (form.get("address_id") or "").strip() or None
    if (lat is None) != (long is None):
        raise Open311Error(400, "lat and long go together")
    if lat is None and not address and not address_id:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    answers: dict[str, list[str]] = {}
    for key in form.keys():
        if key.startswith("attribute[") and key.endswith("]"):
            name = key[len("attribute["):-1].removesuffix("][")
            values = [str(v) for v in form.getlist(key) if str(v).strip()]  # an empty field is no answer
            if values:
                answers.setdefault(name.removesuffix("]["), []).extend(values)
    media = (form.get("media_url") or "").strip() or None
    if media and not media.startswith(("https://", "http://")):
        raise Open311Error(400, "media_url must be an http(s) URL")
    who = form.get("email") or form.get("device_id") or form.get("account_id") or "anonymous"
    settings = request.app.state.settings
    scope = f"open311:{client}"  # an app's keys and its creation limit are its own
    try:
        async with db.begin():
            # A retried POST with the same Idempotency-Key gets the first answer (in the same format).
            key, stored = await idempotency.claim(db, idempotency_keys, request, scope)
            if stored is not None:
                return answer(fmt, "service_requests", "request", stored.body)
            if not await service.within_limit(db, scope, limit=settings.create_limit_per_client,
                                              window_s=settings.create_limit_window_s):
                raise Open311Error(429, f"this client may file at most {settings.create_limit_per_client} requests per "
                                        f"{settings.create_limit_window_s // 60} minutes; retry later")
            filed = await service.submit_request(
                db, request.app.state.outbox, catalogue=_catalogue(request), category_code=code, description=form.get("description") or "",
                citizen_id=f"open311:{client}:{who}"[:200], location=Location(lat, long) if lat is not None else None,
                address=address or address_id, answers=answers, address_id=address_id, media_url=media, channel="open311",
                contact=service.Contact(email=form.get("email"), phone=form.get("phone"),
                                        first_name=form.get("first_name"), last_name=form.get("last_name")),
                limit=settings.create_limit_per_citizen, window_s=settings.create_limit_window_s,
            )
            rows = [{"service_request_id": filed.id, "service_notice": _notice(filed.expected_datetime), "account_id": None}]
            await idempotency.remember(db, idempotency_keys, scope, key, 200, rows)
    except RequestRejected as exc:
        raise Open311Error(404 if exc.field == "service_code" else 400, f"{exc.field}: {exc.message}") from None
    except service.CreationLimitReached:
        raise Open311Error(429, f"at most {settings.create_limit_per_citizen} requests per citizen per "
                                f"{settings.create_limit_window_s // 60} minutes; retry later") from None
    except Problem as exc:  # a malformed or reused Idempotency-Key, said the Open311 way
        raise Open311Error(exc.status, f"Idempotency-Key: {exc.detail}") from None
    return answer(fmt, "service_requests", "request", rows)


def _date(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date and time") from None
    value = value if value.tzinfo else value.replace(tzinfo=KYIV)
    if not 2000 <= value.year <= 2100:  # (and date arithmetic near year 1 or 9999 would overflow)
        raise Open311Error(400, f"{name} must be between the years 2000 and 2100")
    return value


def _int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} must be between {low} and {high}")
    return value


@router.get("/requests.{fmt}")
@open311_route
async def search(fmt: str, request: Request, db: AsyncSession = Depends(session)) -> Response:
    q = request.query_params
    now = datetime.now(UTC)
    end = _date(q.get("end_date"), "end_date") or now
    start = _date(q.get("start_date"), "start_date") or end - MAX_SPAN
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date to end_date may span 90 days at most")
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    status = q.get("status")
    if status not in (None, "", "open", "closed"):
        raise Open311Error(400, "status is open or closed")
    states = None if not status else (OPEN if status == "open" else set(TRANSITIONS) - OPEN)
    ids = [i for i in (q.get("service_request_id") or "").split(",") if i.strip()]
    codes = [c for c in (q.get("service_code") or "").split(",") if c.strip()]
    page_size = _int(q.get("page_size"), "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int(q.get("page"), "page", 1, 1, 100_000)
    rows = await service.search(db, ids=ids, service_codes=codes, start=start, end=end, status_states=states,
                                limit=page_size, offset=(page - 1) * page_size)
    return answer(fmt, "service_requests", "request", [public_view(r, _catalogue(request)) for r in rows])


@router.get("/requests/{request_id}.{fmt}")
@open311_route
async def one(request_id: str, fmt: str, request: Request, db: AsyncSession = Depends(session)) -> Response:
    row = await service.find_request(db, request_id)
    if row is None:
        raise Open311Error(404, f"no service request {request_id!r}")
    return answer(fmt, "service_requests", "request", [public_view(row, _catalogue(request))])


@router.get("/tokens/{token}.{fmt}")
@open311_route
async def token(token: str, fmt: str, db: AsyncSession = Depends(session)) -> Response:
    """Requests get their id at once here, so a token is the request's id."""
    if await service.find_request(db, token) is None:
        raise Open311Error(404, f"no request for token {token!r}")
    return answer(fmt, "service_requests", "request", [{"service_request_id": token, "token": token}])


@router.get("/servicerequestupdates.{fmt}")
@open311_route
async def updates(fmt: str, request: Request, db: AsyncSession = Depends(session)) -> Response:
    """The common extension: public updates (status changes and their notes) since a date."""
    from sqlalchemy import select

    from citizen_requests.adapters.tables import request_history

    q = request.query_params
    start = _date(q.get("start_date"), "start_date") or datetime.now(UTC) - timedelta(days=1)
    end = _date(q.get("end_date"), "end_date") or datetime.now(UTC)
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date to end_date may span 90 days at most")
    ids = [i for i in (q.get("service_request_id") or "").split(",") if i.strip()]
    query = select(request_history).where(request_history.c.public.is_(True), request_history.c.at.between(start, end))
    if ids:
        query = query.where(request_history.c.request_id.in_(ids))
    rows = await db.execute(query.order_by(request_history.c.id).limit(MAX_PAGE_SIZE))
    return answer(fmt, "service_request_updates", "request_update", [
        {"update_id": str(r.id), "service_request_id": r.request_id, "status": open311_status(r.to_status),
         "updated_datetime": _when(r.at), "description": r.note, "media_url": None} for r in rows])
