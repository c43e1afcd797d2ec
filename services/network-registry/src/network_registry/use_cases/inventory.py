"""Engineers keep the inventory: sites, devices and fibre links created, changed and removed,
each write in the change log, all in the caller's transaction (a bulk call is all or none)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.inputs import Identifier, checked, cursor
from ecity_common.messaging.outbox import Outbox
from ecity_common.phrases import raised_by_validator, validation_words
from ecity_common.refusals import Invalid, NotFound, Refused, field_path
from network_registry.adapters import queries
from network_registry.domain.lifecycle import check_transition
from network_registry.domain.objects import DEVICES, SITES, Filter, ObjectKind
from network_registry.domain.phrases import Phrase
from network_registry.domain.topology import Topology
from network_registry.domain.versions import check_version
from network_registry.use_cases import status_changes


@dataclass
class Context:
    """Who writes, and the request id that groups one (bulk) call in the change log."""

    actor: str
    request_id: str
    outbox: Outbox
    message: str | None = None


@dataclass(frozen=True)
class Page:
    count: int
    results: list[dict]
    next_cursor: str | None = None  # where the next page starts, for a list that pages by cursor


async def read(session: AsyncSession, kind: ObjectKind, object_id: str) -> dict:
    obj = await queries.find(session, kind, object_id)
    if obj is None:
        raise NotFound(kind.name, repr(object_id), field="path.id")
    return obj


async def list_objects(session: AsyncSession, kind: ObjectKind, filters: list[Filter], limit: int, offset: int) -> Page:
    return Page(*await queries.page(session, kind, filters, limit, offset))


async def change_log(session: AsyncSession, *, object_type: str | None, object_id: str | None, request_id: str | None,
                     limit: int, offset: int, after: tuple | None = None) -> Page:
    """A page of the change log, newest first; `after` (a cursor this gave, `next_cursor`) pages on
    past any offset: the log only grows."""
    if after is not None and (len(after) != 1 or not isinstance(after[0], int)):
        raise Invalid("query.after", Phrase("change-log-cursor"))
    count, results = await queries.change_log(session, object_type=object_type, object_id=object_id,
                                              request_id=request_id, limit=limit, offset=offset,
                                              before_id=after[0] if after else None)
    return Page(count, results, cursor(results[-1]["id"]) if len(results) == limit else None)


def _validated(kind: ObjectKind, data: dict) -> dict:
    try:
        return kind.model.model_validate(data).model_dump()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        # A rule of the model says a Phrase; pydantic's own kinds have their words in the shared catalogue.
        message = raised_by_validator(first) or validation_words(first)
        field = field_path(first["loc"]) if first["loc"] else ""
        if not field:  # an object-level rule: its message begins with the field it is about
            word = str(message).removeprefix("Value error, ").split(" ", 1)[0]
            field = word if word in kind.model.model_fields else kind.name
        raise Invalid(field, message) from None


async def _references(session: AsyncSession, kind: ObjectKind, values: dict) -> None:
    if kind.name == "device" and not await queries.exists(session, SITES, values["site_id"]):
        raise Invalid("site_id", Phrase("no-site", site_id=values["site_id"]))
    if kind.name == "link":
        for end in ("a_device_id", "b_device_id"):
            if not await queries.exists(session, DEVICES, values[end]):
                raise Invalid(end, Phrase("no-device", device_id=values[end]))


async def _log(session: AsyncSession, ctx: Context, kind: ObjectKind, object_id: str, action: str, before, after) -> None:
    await queries.log_change(session, object_type=kind.name, object_id=object_id, action=action, before=before, after=after,
                             actor=ctx.actor, request_id=ctx.request_id, message=ctx.message)


def _id(raw) -> str:
    """An object's id from a body (a caller may choose it on create, and names each object of a
    bulk change with it): an identifier, as in a path (ecity_common.inputs)."""
    return checked("id", raw if isinstance(raw, str) else str(raw), Identifier)


async def create(session: AsyncSession, ctx: Context, kind: ObjectKind, data: dict) -> dict:
    object_id = _id(data.pop("id", None) or uuid.uuid4())
    values = _validated(kind, data)
    await _references(session, kind, values)
    await queries.insert_object(session, kind, object_id, values)
    after = await queries.find(session, kind, object_id)
    await _log(session, ctx, kind, object_id, "create", None, after)
    await queries.topology_changed(session)  # a site too: the network's picture places devices at their sites
    return after


async def create_all(session: AsyncSession, ctx: Context, kind: ObjectKind, items: list[dict]) -> list[dict]:
    """All or none: the first refusal stops the call (the caller rolls back)."""
    try:
        return [await create(session, ctx, kind, dict(item)) for item in items]
    except Refused as exc:
        if len(items) > 1:  # say so, lest the caller think the ones before it were kept
            exc.detail = Phrase("nothing-created", reason=exc.detail)
        raise


async def change(
    session: AsyncSession, ctx: Context, kind: ObjectKind, object_id: str, patch: dict,
    if_match: int | None = None, topology: Topology | None = None,
) -> dict:
    before = await read(session, kind, object_id)
    check_version(kind.name, before, if_match, Phrase("read-it-again"))
    merged = {k: v for k, v in before.items() if k in kind.model.model_fields} | patch
    values = _validated(kind, merged)
    if "status" in values:
        check_transition(before["status"], values["status"])
    await _references(session, kind, values)
    await queries.update_object(session, kind, object_id, values)
    after = await queries.find(session, kind, object_id)
    await _log(session, ctx, kind, object_id, "update", before, after)
    await queries.topology_changed(session)
    if kind.element_kind and before["status"] != after["status"]:
        await status_changes.status_changed(session, ctx.outbox, kind, before, after, topology)
    return after


async def change_all(session: AsyncSession, ctx: Context, kind: ObjectKind, items: list[dict]) -> list[dict]:
    """Each item names its object by `id`; all or none."""
    return [await change(session, ctx, kind, _id(item.pop("id", "")), item) for item in map(dict, items)]


async def remove(session: AsyncSession, ctx: Context, kind: ObjectKind, object_id: str, if_match: int | None = None) -> None:
    before = await read(session, kind, object_id)
    check_version(kind.name, before, if_match)
    await queries.delete_object(session, kind, object_id)
    await _log(session, ctx, kind, object_id, "delete", before, None)
    await queries.topology_changed(session)


async def remove_all(session: AsyncSession, ctx: Context, kind: ObjectKind, items: list[dict]) -> None:
    for item in items:
        await remove(session, ctx, kind, _id(item.get("id", "")))
