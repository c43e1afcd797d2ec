"""Filing a request: the one way a request enters the city, from the native API and Open311 alike.

`file_request` checks the request against the domain's rules, links it to a utility outage at
its place, and writes it with its history, its event and its possible duplicates in one statement
(`adapters/filing_statement.py`), counted against the citizen's creation limit in that statement.
Around it, the same way for both APIs:

- a request with an `Idempotency-Key` (`Once`) is written in a transaction with its key, so a
  retry gets the first answer;
- one that comes through an Open311 client app also counts against the app's limit, in the same
  transaction;
- one with photos is written in a transaction that attaches them, so a photo that is not the
  citizen's own (or already attached) refuses the whole filing;
- one with none of these goes to the filing desk (`adapters/filing_desk.py`), which writes the filings
  waiting at the same moment in one statement and one commit. This is the hot path of the service
  (bench/citizens.py): nothing on it opens a session unless the category is a utility's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from citizen_requests.adapters import open311_clients
from citizen_requests.adapters.creation_limits import within_limit
from citizen_requests.adapters.filing_desk import FilingDesk
from citizen_requests.adapters.filing_statement import COLUMNS, Filed, Filing, file_many
from citizen_requests.adapters.idempotency import Once
from citizen_requests.domain.catalogue import Category
from citizen_requests.domain.limits import CreationLimits, citizen_limit_reached, client_limit_reached
from citizen_requests.domain.publication import PENDING, at_filing
from citizen_requests.domain.requests import CitizenRequest, Location
from citizen_requests.domain.requests import file_request as check_request
from citizen_requests.domain.utilities import outage_note
from citizen_requests.use_cases import photos
from citizen_requests.use_cases.utility_outages import outage_here
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.messaging.outbox import Outbox
from ecity_common.web.idempotency import StoredAnswer

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class Contact:
    """Personal data: the citizen and staff see it; public answers and events never carry it."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class NewRequest:
    """What a citizen filed, as the API parsed it."""

    category_code: str
    description: str
    location: Location | None
    address: str | None
    answers: dict[str, list[str]] = field(default_factory=dict)
    contact: Contact = Contact()
    media_url: str | None = None
    address_id: str | None = None
    channel: str = "app"
    # False: the citizen asked that the description is never published (domain/publication.py).
    publish: bool = True
    photo_ids: tuple[str, ...] = ()  # uploaded first (use_cases/photos.py), attached in the filing's transaction


@dataclass(frozen=True)
class Filer:
    """Who files: the citizen, and the Open311 client app it came through, if any (whose creations
    are limited together)."""

    citizen_id: str
    client_app: str | None = None


@dataclass
class FilingOffice:
    """What filing needs, wired once by main."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    catalogue: Any  # a CatalogueCache: `.current` is the catalogue's snapshot now
    desk: FilingDesk
    limits: CreationLimits


def json_time(moment: datetime | None) -> str | None:
    """A datetime as pydantic writes it in JSON (UTC as "Z")."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


async def file_request(office: FilingOffice, new: NewRequest, *, filer: Filer, once: Once | None,
                       shape: Callable[[CitizenRequest], Answer]) -> Answer | StoredAnswer:
    """File `new` for `filer`; the answer is `shape` of the filed request (its possible duplicates
    on `possible_duplicates`), or the first answer to a retried Idempotency-Key. Refuses with
    Invalid (a rule of the request) or LimitReached (the citizen's or the client app's limit)."""
    limits = office.limits
    if once is None and filer.client_app is None and not new.photo_ids:
        # Nothing to commit beside it: the filing desk writes it with the others filed now.
        filing = await prepare_filing(office.sessions, office.outbox, catalogue=office.catalogue.current,
                                      citizen_id=filer.citizen_id, new=new)  # a session only for outages
        return shape(finish(filing, await office.desk.file(filing), limits))
    async with office.sessions() as db, db.begin():  # the key, the counts and the request commit together, or none
        if once is not None and (stored := await once.claim(db)) is not None:
            return stored  # a retry: the first answer
        if filer.client_app is not None and not await within_limit(db, filer.client_app, limit=limits.per_client,
                                                                   window_s=limits.window_s):
            raise client_limit_reached(limits)
        filing = await prepare_filing(db, office.outbox, catalogue=office.catalogue.current, citizen_id=filer.citizen_id,
                                      new=new)
        (filed,) = await file_many(db, [filing], limit=limits.per_citizen, window_s=limits.window_s)
        request = finish(filing, filed, limits)
        if new.photo_ids:  # the citizen's own, not yet attached; or nothing of this filing is written
            await photos.attach(db, new.photo_ids, owner=filer.citizen_id, request_id=request.id)
        answer = shape(request)
        if once is not None:
            await once.remember(db, answer)
    return answer


async def open311_client_app(sessions: async_sessionmaker[AsyncSession], api_key: str | None) -> str | None:
    """The client app whose Open311 `api_key` this is (its filings count against its limit), or None."""
    async with sessions() as session:
        return await open311_clients.client_app(session, api_key)


async def prepare_filing(db: AsyncSession | AsyncConnection | async_sessionmaker[AsyncSession], outbox: Outbox, *,
                         catalogue: Mapping[str, Category], citizen_id: str, new: NewRequest) -> Filing:
    """Check a request against the domain's rules (RequestRejected) and build what filing it writes.
    `db` is read only for a utility category (is the place inside an announced outage?): the
    caller's session or connection, or sessions to open one from only then."""
    location = new.location
    request = check_request(catalogue=catalogue, category_code=new.category_code, description=new.description,
                            citizen_id=citizen_id, location=location, address=new.address, answers=new.answers)
    # Filed inside a utility outage the company announced: linked to it, and the citizen is told
    # at once when supply should return (the answer's status_notes).
    outage = None
    if request.category.routed_to_utility:
        where = (request.category.utility_kind, location.lat if location else None,
                 location.long if location else None, request.address)
        if isinstance(db, async_sessionmaker):
            async with db() as session:
                outage = await outage_here(session, *where)
        else:
            outage = await outage_here(db, *where)
    expected = request.expected_datetime  # (computed from the category's term each time it is read)
    # One pass over the description: published at once, or waiting with its masked text, or private.
    publication, masked = at_filing(request.description, publish=new.publish)
    contact = new.contact
    request.stored = row = dict(
        id=request.id, service_code=request.category.code, description=request.description,
        citizen_id=request.citizen_id, lat=location.lat if location else None,
        long=location.long if location else None, address=request.address, status=request.status,
        submitted_at=request.submitted_at, expected_datetime=expected, updated_at=request.submitted_at,
        attributes=request.attributes, media_url=new.media_url, address_id=new.address_id, channel=new.channel,
        email=contact.email, phone=contact.phone, first_name=contact.first_name, last_name=contact.last_name,
        outage_id=outage.id if outage else None, status_notes=outage_note(outage) if outage else None,
        description_publication=publication, description_public=masked if publication == PENDING else None,
    )
    # The event's data in its JSON form, as CitizenRequestSubmitted.model_dump(mode="json") gives
    # it (tested): from the domain's checked values, without building and validating the model.
    _, announced = outbox.stage_data(CitizenRequestSubmitted, {
        "request_id": request.id, "service_code": request.category.code, "service_name": request.category.name_uk,
        "handler_kind": request.category.handler_kind, "utility_kind": request.category.utility_kind,
        # The masked text (no phone, e-mail, personal id): the company needs what is wrong and where
        # (the address as given), not how to reach the citizen, who is reached through notifications.
        "department": request.category.department,
        "description": masked,
        "location": {"lat": location.lat, "long": location.long} if location else None,
        "address": request.address, "submitted_at": json_time(request.submitted_at),
        "expected_datetime": json_time(expected), "citizen_id": request.citizen_id,
    }, aggregate_id=request.id)
    values = {name: row.get(name) for name in COLUMNS}
    values.update(
        event_id=announced["event_id"], aggregate_type=announced["aggregate_type"], event_type=announced["type"],
        topic=announced["topic"], payload=announced["payload"], headers=announced["headers"],
        radius=request.category.duplicate_radius_m,
    )
    return Filing(request, values)


def finish(filing: Filing, filed: Filed, limits: CreationLimits) -> CitizenRequest:
    """The filed request with the possible duplicates offered to the citizen; LimitReached when
    the citizen's creation limit did not let it through."""
    if not filed.filed:
        raise citizen_limit_reached(limits)
    filing.request.possible_duplicates = filed.nearby
    return filing.request
