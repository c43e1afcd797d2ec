"""Places, outages and who was told of them, as SQL."""

from __future__ import annotations

from datetime import date, datetime

from shapely.geometry import shape
from sqlalchemy import and_, bindparam, delete, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import Area
from notifications.adapters.tables import alert_matches, local_alerts, outage_audience, outages, places, public_requests
from notifications.domain.nearby import Box, LocalAlert
from notifications.domain.places import Place, address_key

# A citizen's places in the order they added them: how a message lists them.
IN_ORDER = (places.c.created_at, places.c.id)


def _place(row) -> Place:
    return Place(row.id, row.citizen_id, row.address, row.lat, row.long)


async def add_place(session: AsyncSession, *, place_id: str, citizen_id: str, address: str,
                    lat: float | None, long: float | None) -> None:
    street, house = address_key(address) or (None, None)
    await session.execute(insert(places).values(id=place_id, citizen_id=citizen_id, address=address, street=street,
                                                house=house, lat=lat, long=long))


async def count_places(session: AsyncSession, citizen_id: str) -> int:
    return (await session.execute(select(func.count()).select_from(places)
                                  .where(places.c.citizen_id == citizen_id))).scalar_one()


async def places_of_citizen(session: AsyncSession, citizen_id: str) -> list:
    return (await session.execute(select(places).where(places.c.citizen_id == citizen_id)
                                  .order_by(places.c.created_at, places.c.id))).all()


async def delete_place(session: AsyncSession, citizen_id: str, place_id: str) -> bool:
    gone = await session.execute(delete(places).where(places.c.id == place_id, places.c.citizen_id == citizen_id))
    return gone.rowcount > 0


async def places_maybe_in(session: AsyncSession, area: Area) -> list[Place]:
    """The places an area may cover, found by index: on one of its streets, or inside its polygon's
    bounding box (the domain then decides, house numbers and the polygon's shape included)."""
    if area.whole_city:
        return [_place(r) for r in await session.execute(select(places).order_by(*IN_ORDER))]
    found = []
    if area.streets:
        found.append(places.c.street.in_(sorted({r.key for r in area.streets})))
    if area.geometry is not None:
        west, south, east, north = shape(area.geometry).bounds
        found.append(and_(places.c.lat.between(south, north), places.c.long.between(west, east)))
    if not found:
        return []
    return [_place(r) for r in await session.execute(select(places).where(or_(*found)).order_by(*IN_ORDER))]


async def places_at(session: AsyncSession, keys: list[tuple[str, int]]) -> list[Place]:
    if not keys:
        return []
    rows = await session.execute(select(places).where(tuple_(places.c.street, places.c.house).in_(keys)).order_by(*IN_ORDER))
    return [_place(r) for r in rows]


async def places_by_id(session: AsyncSession, place_ids: list[str]) -> list[Place]:
    rows = await session.execute(select(places).where(places.c.id.in_(place_ids))) if place_ids else []
    return [_place(r) for r in rows]


async def outage(session: AsyncSession, key: str):
    return (await session.execute(select(outages).where(outages.c.key == key).with_for_update())).first()


async def keep_outage(session: AsyncSession, row: dict) -> None:
    """Write the outage as this event describes it (the caller checked it is not older than what is kept)."""
    await session.execute(insert(outages).values(**row).on_conflict_do_update(
        index_elements=[outages.c.key], set_={k: v for k, v in row.items() if k != "key"}))


async def resolve_outage(session: AsyncSession, key: str, at: datetime) -> None:
    await session.execute(outages.update().where(outages.c.key == key).values(resolved_at=at, as_of=at))


async def told_of(session: AsyncSession, key: str) -> set[str]:
    rows = await session.execute(select(outage_audience.c.citizen_id).where(outage_audience.c.outage_key == key))
    return {r.citizen_id for r in rows}


async def tell(session: AsyncSession, key: str, citizen_ids: list[str], at: datetime) -> None:
    if citizen_ids:
        await session.execute(insert(outage_audience).values(
            [{"outage_key": key, "citizen_id": c, "told_at": at} for c in citizen_ids]).on_conflict_do_nothing())


async def forget(session: AsyncSession, key: str, citizen_ids: list[str]) -> None:
    if citizen_ids:
        await session.execute(delete(outage_audience).where(outage_audience.c.outage_key == key,
                                                            outage_audience.c.citizen_id.in_(citizen_ids)))


async def unresolved_outages(session: AsyncSession) -> list:
    return (await session.execute(select(outages).where(outages.c.resolved_at.is_(None))
                                  .order_by(outages.c.starts_at.nulls_last(), outages.c.key))).all()


# -- public requests and local alerts ---------------------------------------------------------

async def keep_public_request(session: AsyncSession, row: dict) -> None:
    await session.execute(insert(public_requests).values(**row).on_conflict_do_nothing())


async def request_statuses(session: AsyncSession, changes: list[dict]) -> None:
    """[{request_id, status, open}] in order: a request changed twice in a run ends as its last change."""
    if changes:
        await session.execute(
            public_requests.update().where(public_requests.c.request_id == bindparam("rid"))
            .values(status=bindparam("new_status"), open=bindparam("is_open")),
            [{"rid": c["request_id"], "new_status": c["status"], "is_open": c["open"]} for c in changes])


async def request_hidden(session: AsyncSession, request_id: str, hidden: bool) -> None:
    """A moderator hid the request from the public, or showed it again."""
    await session.execute(public_requests.update().where(public_requests.c.request_id == request_id)
                          .values(hidden=hidden))


async def open_requests_in(session: AsyncSession, box: Box) -> list:
    return (await session.execute(select(public_requests).where(
        public_requests.c.open, public_requests.c.hidden.is_(False), public_requests.c.lat.between(box.south, box.north),
        public_requests.c.long.between(box.west, box.east)).order_by(public_requests.c.submitted_at.desc()))).all()


def _alert(row) -> LocalAlert:
    return LocalAlert(row.id, row.citizen_id, row.lat, row.long, row.radius_m, frozenset(row.categories), row.digest)


async def alerts_around(session: AsyncSession, lat: float, long: float) -> list[LocalAlert]:
    rows = await session.execute(select(local_alerts).where(
        local_alerts.c.south <= lat, local_alerts.c.north >= lat, local_alerts.c.west <= long,
        local_alerts.c.east >= long).order_by(local_alerts.c.created_at, local_alerts.c.id))
    return [_alert(r) for r in rows]


async def add_alert(session: AsyncSession, row: dict) -> None:
    await session.execute(insert(local_alerts).values(**row))


async def alerts_of(session: AsyncSession, citizen_id: str) -> list:
    return (await session.execute(select(local_alerts).where(local_alerts.c.citizen_id == citizen_id)
                                  .order_by(local_alerts.c.created_at, local_alerts.c.id))).all()


async def count_alerts(session: AsyncSession, citizen_id: str) -> int:
    return (await session.execute(select(func.count()).select_from(local_alerts)
                                  .where(local_alerts.c.citizen_id == citizen_id))).scalar_one()


async def delete_alert(session: AsyncSession, citizen_id: str, alert_id: str) -> bool:
    gone = await session.execute(delete(local_alerts).where(local_alerts.c.id == alert_id,
                                                            local_alerts.c.citizen_id == citizen_id))
    return gone.rowcount > 0


async def gather_for_digest(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(insert(alert_matches).values(rows).on_conflict_do_nothing())


async def undigested(session: AsyncSession, limit: int) -> list:
    """Matches not yet in a digest, oldest first, locked so that two replicas do not both write them."""
    return (await session.execute(select(alert_matches).where(alert_matches.c.digested_on.is_(None))
                                  .order_by(alert_matches.c.citizen_id, alert_matches.c.submitted_at)
                                  .limit(limit).with_for_update(skip_locked=True))).all()


async def digested(session: AsyncSession, keys: list[tuple[str, str]], on: date) -> None:
    if keys:
        await session.execute(alert_matches.update().where(
            tuple_(alert_matches.c.citizen_id, alert_matches.c.request_id).in_(keys)).values(digested_on=on))
