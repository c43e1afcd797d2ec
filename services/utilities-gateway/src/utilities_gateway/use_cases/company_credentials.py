"""A company's credentials: its API keys (issued by the city's staff, rotated and revoked by the
company too) and its webhook endpoints, with what was delivered to them. Each in the caller's
transaction. The rules: domain/access.py (the key check), domain/notices.py (subscriptions),
domain/targets.py (where webhooks may go), domain/webhooks.py (secrets)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import api_key_matches, hash_api_key, issue_api_key, parse_api_key
from ecity_common.refusals import Invalid, NotFound
from utilities_gateway.adapters.notices import tell_company
from utilities_gateway.adapters.queries import owned
from utilities_gateway.adapters.sealed import SecretBox
from utilities_gateway.adapters.tables import (
    api_keys,
    companies,
    company_messages,
    deliveries,
    delivery_attempts,
    webhook_endpoints,
)
from utilities_gateway.adapters.webhook_targets import check_target
from utilities_gateway.domain.access import KEY_PREFIX, Caller, check_may_change_keys, key_admits, key_state
from utilities_gateway.domain.notices import checked_event_types
from utilities_gateway.domain.phrases import Phrase
from utilities_gateway.domain.targets import UnsafeTarget
from utilities_gateway.domain.webhooks import new_secret
from utilities_gateway.use_cases.integrations_admin import get_company

# -- API keys ----------------------------------------------------------------------------------


def _key_view(row, now: datetime) -> dict:
    return {"key_id": row.key_id, "prefix": f"{KEY_PREFIX}_{row.key_id}", "label": row.label,
            "state": key_state(row.revoked_at, row.expires_at, now),
            "created_at": row.created_at, "expires_at": row.expires_at, "revoked_at": row.revoked_at}


async def issue_key(session: AsyncSession, company_id: str, label: str | None = None, *, plaintext: str | None = None,
                    by: str = "the city", tell: bool = True) -> dict:
    """A new key for the company; the answer is the only place its plaintext ever appears.
    `plaintext`: a known key (the local demo keys), else a random one."""
    await get_company(session, company_id)
    if plaintext is not None:
        key_id, key_hash = parse_api_key(plaintext), hash_api_key(plaintext)
        assert key_id is not None, "a demo key must be <prefix>_<8 chars>_<secret>"
    else:
        issued = issue_api_key(KEY_PREFIX)
        key_id, key_hash, plaintext = issued.key_id, issued.key_hash, issued.plaintext
    row = (await session.execute(insert(api_keys).values(
        key_id=key_id, company_id=company_id, key_hash=key_hash, label=label).returning(api_keys))).one()
    view = _key_view(row, datetime.now(UTC))
    if tell:
        await _tell_key_change(session, company_id, "api-key.issued", view["key_id"], by)
    return {**view, "api_key": plaintext}


async def _tell_key_change(session: AsyncSession, company_id: str, type_: str, key_id: str, by: str, **more) -> None:
    """The company hears of every change to its keys (inbox and webhooks), with who made it: a key
    used by someone else shows up there."""
    await tell_company(session, company_id, type_, {"key_id": key_id, "prefix": f"{KEY_PREFIX}_{key_id}", "by": by, **more})


async def list_keys(session: AsyncSession, company_id: str) -> list[dict]:
    now = datetime.now(UTC)
    rows = await session.execute(select(api_keys).where(api_keys.c.company_id == company_id).order_by(api_keys.c.created_at))
    return [_key_view(r, now) for r in rows]


async def _caller_key_expiry(session: AsyncSession, caller: Caller) -> datetime | None:
    return await session.scalar(select(api_keys.c.expires_at).where(api_keys.c.key_id == caller.key_id).with_for_update())


async def rotate_key(session: AsyncSession, caller: Caller, overlap: timedelta) -> dict:
    """A new key; the caller's current key expires after the overlap (or now, with no overlap)."""
    check_may_change_keys(caller, await _caller_key_expiry(session, caller))
    new = await issue_key(session, caller.company_id, label="rotated", by=caller.actor, tell=False)
    expires = await session.scalar(update(api_keys).where(api_keys.c.key_id == caller.key_id)
                                   .values(expires_at=func.now() + overlap).returning(api_keys.c.expires_at))
    await _tell_key_change(session, caller.company_id, "api-key.rotated", caller.key_id, caller.actor,
                           new_key_id=new["key_id"], expires_at=expires.isoformat())
    return {**new, "previous_key_expires_at": expires}


async def revoke_own_key(session: AsyncSession, caller: Caller, key_id: str) -> dict:
    """A company revokes the key it calls with, and only that one (domain.access.check_may_change_keys);
    another company's key answers 404 as a key that does not exist."""
    exists = await session.scalar(select(func.count()).where(api_keys.c.key_id == key_id, api_keys.c.company_id == caller.company_id))
    if not exists:
        raise NotFound("key", f"{key_id} of this company", field="path.key_id")
    check_may_change_keys(caller, await _caller_key_expiry(session, caller), key_id)
    return await revoke_key(session, caller.company_id, key_id, by=caller.actor)


async def revoke_key(session: AsyncSession, company_id: str, key_id: str, *, by: str = "the city") -> dict:
    row = (await session.execute(update(api_keys).where(api_keys.c.key_id == key_id, api_keys.c.company_id == company_id)
                                 .values(revoked_at=func.coalesce(api_keys.c.revoked_at, func.now())).returning(api_keys))).first()
    if row is None:
        raise NotFound("key", f"{key_id} of this company", field="path.key_id")
    if row.revoked_at >= await session.scalar(select(func.now())):  # revoked just now, not before
        await _tell_key_change(session, company_id, "api-key.revoked", key_id, by)
    return _key_view(row, datetime.now(UTC))


async def authenticate(session: AsyncSession, plaintext: str | None) -> Caller | None:
    """The company whose key this is, if domain.access.key_admits it; None for any other key."""
    key_id = parse_api_key(plaintext or "")
    if key_id is None or not plaintext.startswith(f"{KEY_PREFIX}_"):
        return None
    # The key by its id, whatever its state: the check itself is the domain's.
    row = (await session.execute(
        select(api_keys.c.key_hash, api_keys.c.revoked_at, api_keys.c.expires_at, companies.c.id, companies.c.name,
               companies.c.kind, companies.c.active, func.now().label("now"))
        .join(companies, companies.c.id == api_keys.c.company_id).where(api_keys.c.key_id == key_id))).first()
    if row is None or not key_admits(hash_matches=api_key_matches(plaintext, row.key_hash), revoked_at=row.revoked_at,
                                     expires_at=row.expires_at, company_active=row.active, now=row.now):
        return None
    return Caller(company_id=row.id, company_name=row.name, kind=row.kind, key_id=key_id)


# -- webhook endpoints -------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetPolicy:
    """What the deployment allows beyond public HTTPS targets (local development only)."""

    allow_private: bool = False
    allow_http: bool = False


async def vet_url(url: str, policy: TargetPolicy) -> str:
    """The URL, if webhooks may go there (it resolves the name: call it before opening a transaction)."""
    try:
        await check_target(url, allow_private=policy.allow_private, allow_http=policy.allow_http)
    except UnsafeTarget as exc:
        raise Invalid("url", exc.args[0]) from None  # its Phrase
    return url


def endpoint_view(row) -> dict:
    return {"id": row.id, "url": row.url, "description": row.description, "event_types": list(row.event_types),
            "enabled": row.enabled, "disabled_reason": row.disabled_reason, "created_at": row.created_at,
            "updated_at": row.updated_at, "secret_rotating_until": row.previous_secret_expires_at}


async def create_endpoint(session: AsyncSession, box: SecretBox, company_id: str, url: str, description: str | None,
                          event_types: list[str]) -> dict:
    """`url`: vetted by `vet_url`."""
    secret = new_secret()
    row = (await session.execute(insert(webhook_endpoints).values(
        id=f"ep_{uuid.uuid4().hex[:16]}", company_id=company_id, url=url, description=description,
        event_types=checked_event_types(event_types), secret=box.seal(secret)).returning(webhook_endpoints))).one()
    return {**endpoint_view(row), "secret": secret}  # shown this once


async def own_endpoint(session: AsyncSession, company_id: str, endpoint_id: str, *, for_update: bool = False):
    return await owned(session, webhook_endpoints.c.id, endpoint_id, company_id, field="path.endpoint_id",
                       what="webhook endpoint", for_update=for_update)


async def get_endpoint(session: AsyncSession, company_id: str, endpoint_id: str) -> dict:
    return endpoint_view(await own_endpoint(session, company_id, endpoint_id))


async def list_endpoints(session: AsyncSession, company_id: str) -> list[dict]:
    rows = await session.execute(select(webhook_endpoints).where(webhook_endpoints.c.company_id == company_id)
                                 .order_by(webhook_endpoints.c.created_at))
    return [endpoint_view(r) for r in rows]


async def update_endpoint(session: AsyncSession, company_id: str, endpoint_id: str, changes: dict) -> dict:
    """`changes`: url (vetted by `vet_url`), description, event_types, enabled."""
    if not changes:
        raise Invalid("body", Phrase("nothing-to-change"))
    await own_endpoint(session, company_id, endpoint_id, for_update=True)
    if "event_types" in changes:
        changes["event_types"] = checked_event_types(changes["event_types"])
    if changes.get("enabled") is True:
        changes["disabled_reason"] = None
    elif changes.get("enabled") is False:
        changes["disabled_reason"] = "disabled by the company"
    row = (await session.execute(update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
                                 .values(**changes, updated_at=func.now()).returning(webhook_endpoints))).one()
    return endpoint_view(row)


async def rotate_secret(session: AsyncSession, box: SecretBox, company_id: str, endpoint_id: str,
                        overlap: timedelta) -> dict:
    """A new secret; until the overlap ends every message carries both signatures."""
    current = await own_endpoint(session, company_id, endpoint_id, for_update=True)
    secret = new_secret()
    row = (await session.execute(update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(
        secret=box.seal(secret), previous_secret=current.secret, previous_secret_expires_at=func.now() + overlap,
        updated_at=func.now()).returning(webhook_endpoints))).one()
    return {**endpoint_view(row), "secret": secret}


async def send_test_message(session: AsyncSession, company_id: str, endpoint_id: str) -> dict:
    await own_endpoint(session, company_id, endpoint_id)
    return {"message_id": await tell_company(session, company_id, "endpoint.test", {
        "endpoint_id": endpoint_id, "company_id": company_id}, endpoint_id=endpoint_id)}


async def list_deliveries(session: AsyncSession, company_id: str, endpoint_id: str, *, status: str | None,
                          limit: int) -> dict:
    """The endpoint's deliveries, newest first, each with its attempts."""
    await own_endpoint(session, company_id, endpoint_id)
    query = (select(deliveries, company_messages.c.id.label("message_id"), company_messages.c.type)
             .join(company_messages, company_messages.c.seq == deliveries.c.message_seq)
             .where(deliveries.c.endpoint_id == endpoint_id).order_by(deliveries.c.id.desc()).limit(limit))
    if status:
        query = query.where(deliveries.c.status == status)
    found = (await session.execute(query)).all()
    attempts: dict[int, list] = {}
    if found:
        for a in await session.execute(select(delivery_attempts).where(
                delivery_attempts.c.delivery_id.in_([d.id for d in found])).order_by(delivery_attempts.c.id)):
            attempts.setdefault(a.delivery_id, []).append(
                {"attempt": a.attempt, "at": a.at, "status_code": a.status_code, "duration_ms": a.duration_ms, "error": a.error})
    return {"deliveries": [
        {"id": d.id, "message_id": d.message_id, "type": d.type, "status": d.status, "attempts": attempts.get(d.id, []),
         "next_attempt_at": d.next_attempt_at if d.status == "pending" else None, "finished_at": d.finished_at}
        for d in found]}


async def redeliver(session: AsyncSession, company_id: str, endpoint_id: str, delivery_id: int) -> dict:
    """The same message (the same webhook-id) again, as a new delivery."""
    await own_endpoint(session, company_id, endpoint_id)
    seq = await session.scalar(select(deliveries.c.message_seq).where(
        deliveries.c.id == delivery_id, deliveries.c.endpoint_id == endpoint_id))
    if seq is None:
        raise NotFound("delivery", f"{delivery_id} to this endpoint", field="path.delivery_id")
    return {"delivery_id": await session.scalar(
        insert(deliveries).values(message_seq=seq, endpoint_id=endpoint_id).returning(deliveries.c.id))}
