"""Open311 GeoReport v2 under `/open311/v2`: JSON or XML, the spec's field names, statuses
(`open`/`closed`) and errors (a list of `{code, description}`; 400, 403, 404, 429). Public answers
carry no personal data (`domain/publication.py`).

The use cases refuse with the service's refusal kinds, as for the native API; this edge says
them the Open311 way (`OPEN311_CODE`), never as problem+json."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.idempotency import Once
from citizen_requests.domain.catalogue import Catalogue
from citizen_requests.domain.deadlines import KYIV, deadline_notice
from citizen_requests.domain.requests import Location
from citizen_requests.entrypoints.http.open311_contract import (
    DEFINITION_ANSWER,
    DISCOVERY_ANSWER,
    FILED_ANSWER,
    NEW_REQUEST_FORM,
    OPEN311_ERRORS,
    REQUESTS_ANSWER,
    SEARCH_QUERY,
    SERVICES_ANSWER,
    TOKEN_ANSWER,
    UPDATES_ANSWER,
    UPDATES_QUERY,
)
from citizen_requests.use_cases import filing, public
from ecity_common.db import session
from ecity_common.inputs import LINE_PATTERN, MAX_OFFSET, plain_values, unwritable
from ecity_common.outputs import xml_text
from ecity_common.refusals import Invalid, Kind, Refused
from ecity_common.web.body_limits import BodyTooLarge, KiB, body_limit
from ecity_common.web.idempotency import StoredAnswer
from ecity_common.web.openapi import own_errors
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
# A filing's form: 4,000 characters of Cyrillic description percent-encoded are 24 KB; the other
# fields a few hundred bytes. The api_key is a field of this form, so the form is read before the
# key is checked; at this size reading and parsing it costs less than the key's database lookup.
OPEN311_FORM_BODY = 64 * KiB
# What a citizen writes in paragraphs; every other field of a filing is one line.
PROSE_FIELDS = frozenset({"description"})


class Open311Error(Exception):
    """A request this edge cannot parse, said the Open311 way (the spec's codes are HTTP's)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


# The path's parts as the document shows them. open311_route checks them and answers the Open311
# way (a 404 for another format, a 400 for a control character); a rule FastAPI enforced would
# answer problem+json instead.
Format = Annotated[str, Path(json_schema_extra={"enum": ["json", "xml"]})]
PathKey = Annotated[str, Path(json_schema_extra={"pattern": LINE_PATTERN})]

# A refusal of a use case, in Open311's error list.
OPEN311_CODE = {
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.STALE: 409,
    Kind.INVALID: 400,
    Kind.FORBIDDEN: 403,
    Kind.LIMIT: 429,
    Kind.UNAVAILABLE: 503,
}


def form_field(field: str) -> str:
    """A refusal's field as Open311's form names it: an answer to a category's question is
    `attribute[<code>]` there, `attributes.<code>` in a JSON body's path."""
    return f"attribute[{field.removeprefix('attributes.')}]" if field.startswith("attributes.") else field


def refused(exc: Refused) -> Open311Error:
    if exc.kind is Kind.INVALID and exc.field == "service_code":
        return Open311Error(404, f"{exc.field}: {exc.detail}")  # a service code it does not know: the spec's 404
    if exc.field:
        return Open311Error(OPEN311_CODE[exc.kind], f"{form_field(exc.field)}: {exc.detail}")
    return Open311Error(OPEN311_CODE[exc.kind], exc.detail)


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        _fill(element, row)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def _fill(element: ET.Element, row: dict) -> None:
    # Every text through `xml_text`: ElementTree writes a control character as it is, and one in a
    # description (stored before the input checks refused it, or let through) made the whole page
    # unreadable to an app's XML parser. The element names are the spec's, never input.
    for key, value in row.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            singular = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}.get(key, "item")
            for v in value:
                sub = ET.SubElement(child, singular)
                if isinstance(v, dict):
                    _fill(sub, v)
                else:
                    sub.text = xml_text(str(v))
        elif isinstance(value, dict):
            _fill(child, value)
        elif value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else xml_text(str(value))


def answer(fmt: str, root: str, item: str, rows: list[dict] | dict, status: int = 200) -> Response:
    if fmt == "xml":
        body = _xml(root, item, rows) if isinstance(rows, list) else _single_xml(root, rows)
        return Response(body, status_code=status, media_type="text/xml; charset=utf-8")
    return JSONResponse(rows, status_code=status)


def _single_xml(root: str, row: dict) -> bytes:
    top = ET.Element(root)
    _fill(top, row)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def error(fmt: str, exc: Open311Error, retry_after_s: int | None = None) -> Response:
    response = answer(fmt if fmt in ("json", "xml") else "json", "errors", "error",
                      [{"code": exc.status, "description": exc.description}], exc.status)
    if retry_after_s is not None:
        response.headers["Retry-After"] = str(retry_after_s)
    return response


def open311_route(handler):
    """Every Open311 route: the format checked first, then that no path or query parameter holds a
    control character (ecity_common.inputs: they would reach the database), and any Open311Error
    answered in the spec's error format (a list of {code, description}), never problem+json."""

    @own_errors(OPEN311_ERRORS)  # documented as they are: no problem+json here
    @functools.wraps(handler)
    async def route(*args, **kwargs):
        try:
            _fmt(kwargs["fmt"])
            for name, value in kwargs.items():  # the path's parameters (and the format)
                if isinstance(value, str) and (reason := unwritable(value)) is not None:
                    raise Open311Error(400, f"{name}: {reason}")
            if isinstance(request := kwargs.get("request"), Request):
                _plain(request.query_params)
            return await handler(*args, **kwargs)
        except Open311Error as exc:
            return error(kwargs["fmt"], exc)
        except Refused as exc:
            return error(kwargs["fmt"], refused(exc), exc.retry_after_s)
        except BodyTooLarge as exc:
            return error(kwargs["fmt"], Open311Error(413, exc.detail))

    return route


def _plain(values, prose: frozenset[str] = frozenset()) -> None:
    """A query string or a form without control characters, or Open311's 400 naming the field
    (even service_code: a code with a NUL in it is malformed, not an unknown service's 404)."""
    try:
        plain_values(values, "", prose=prose)
    except Invalid as exc:
        raise Open311Error(400, f"{exc.field}: {exc.detail}" if exc.field else exc.detail) from None


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, "format must be .json or .xml")
    return fmt


def _catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue.current


@router.get("/discovery.{fmt}", responses=DISCOVERY_ANSWER)
@open311_route
async def discovery(fmt: Format, request: Request) -> Response:
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


@router.get("/services.{fmt}", responses=SERVICES_ANSWER)
@open311_route
async def services(fmt: Format, request: Request) -> Response:
    return answer(fmt, "services", "service", [_service(c) for c in _catalogue(request).offered()])


@router.get("/services/{service_code}.{fmt}", responses=DEFINITION_ANSWER)
@open311_route
async def definition(service_code: PathKey, fmt: Format, request: Request) -> Response:
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


@router.post("/requests.{fmt}", openapi_extra=NEW_REQUEST_FORM, responses=FILED_ANSWER)
@body_limit(OPEN311_FORM_BODY)
@open311_route
async def create(fmt: Format, request: Request) -> Response:
    await request.body()  # kept, so the Idempotency-Key's fingerprint can read it after the form
    form = await request.form()
    # An attribute of datatype text is prose too; the category's own rule (domain) is finer.
    _plain(form, prose=PROSE_FIELDS | {k for k in form.keys() if k.startswith("attribute[")})
    office = request.app.state.filing
    client = await filing.open311_client_app(office.sessions, form.get("api_key"))
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
    scope = f"open311:{client}"  # an app's keys and its creation limit are its own
    new = filing.NewRequest(
        category_code=code, description=form.get("description") or "", location=Location(lat, long) if lat is not None else None,
        address=address or address_id, answers=answers, address_id=address_id, media_url=media, channel="open311",
        contact=filing.Contact(email=form.get("email"), phone=form.get("phone"), first_name=form.get("first_name"),
                               last_name=form.get("last_name")))

    def shaped(filed) -> list[dict]:
        return [{"service_request_id": filed.id, "service_notice": deadline_notice(filed.expected_datetime), "account_id": None}]

    try:
        rows = await filing.file_request(office, new, filer=filing.Filer(f"{scope}:{who}"[:200], client_app=scope),
                                         once=Once(request, scope, 200), shape=shaped)
    except Problem as exc:  # a malformed or reused Idempotency-Key, said the Open311 way
        raise Open311Error(exc.status, f"Idempotency-Key: {exc.detail}") from None
    if isinstance(rows, StoredAnswer):  # a retried POST with the same Idempotency-Key: the first answer
        rows = rows.body
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


@router.get("/requests.{fmt}", openapi_extra=SEARCH_QUERY, responses=REQUESTS_ANSWER)
@open311_route
async def search(fmt: Format, request: Request, db: AsyncSession = Depends(session)) -> Response:
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
    ids = [i for i in (q.get("service_request_id") or "").split(",") if i.strip()]
    codes = [c for c in (q.get("service_code") or "").split(",") if c.strip()]
    page_size = _int(q.get("page_size"), "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int(q.get("page"), "page", 1, 1, 100_000)
    if (page - 1) * page_size > MAX_OFFSET:  # each page reads and throws away every one before it
        raise Open311Error(400, f"page: at most {MAX_OFFSET} requests can be skipped (page × page_size); for older "
                                "requests, set end_date to the requested_datetime of the last one you have")
    return answer(fmt, "service_requests", "request", await public.open311_search(
        db, _catalogue(request), ids=ids, codes=codes, start=start, end=end, status=status, limit=page_size,
        offset=(page - 1) * page_size, photo_desk=request.app.state.photos))


@router.get("/requests/{request_id}.{fmt}", responses=REQUESTS_ANSWER)
@open311_route
async def one(request_id: PathKey, fmt: Format, request: Request, db: AsyncSession = Depends(session)) -> Response:
    return answer(fmt, "service_requests", "request", [await public.open311_request(db, _catalogue(request), request_id,
                                                                                      photo_desk=request.app.state.photos)])


@router.get("/tokens/{token}.{fmt}", responses=TOKEN_ANSWER)
@open311_route
async def token(token: PathKey, fmt: Format, db: AsyncSession = Depends(session)) -> Response:
    """Requests get their id at once here, so a token is the request's id."""
    return answer(fmt, "service_requests", "request", [await public.open311_token(db, token)])


@router.get("/servicerequestupdates.{fmt}", openapi_extra=UPDATES_QUERY, responses=UPDATES_ANSWER)
@open311_route
async def updates(fmt: Format, request: Request, db: AsyncSession = Depends(session)) -> Response:
    """The common extension: public updates (status changes and their notes) since a date."""
    q = request.query_params
    start = _date(q.get("start_date"), "start_date") or datetime.now(UTC) - timedelta(days=1)
    end = _date(q.get("end_date"), "end_date") or datetime.now(UTC)
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date to end_date may span 90 days at most")
    ids = [i for i in (q.get("service_request_id") or "").split(",") if i.strip()]
    return answer(fmt, "service_request_updates", "request_update",
                  await public.open311_updates(db, ids=ids, start=start, end=end))
