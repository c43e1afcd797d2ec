"""Companies, their API keys and their webhook endpoints: use cases in the caller's transaction.

API keys look like `ugw_<8 hex id>_<secret>`; only a SHA-256 is kept and the key is shown once.
Rotation issues a new key and lets the old one work for `rotation_overlap_hours`, so a company
can roll it out without a gap; revocation is immediate.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import api_key_matches, hash_api_key, issue_api_key, parse_api_key
from ecity_common.events.payloads.utilities_gateway import CompanyRef
from utilities_gateway.adapters.notices import MESSAGE_TYPES
from utilities_gateway.adapters.sealed import SecretBox
from utilities_gateway.adapters.tables import api_keys, companies, webhook_endpoints
from utilities_gateway.domain.companies import CompanyProfile
from utilities_gateway.domain.webhooks import new_secret

KEY_PREFIX = "ugw"


class GatewayRefused(Exception):
    """A use case says no: the HTTP status, the field at fault and why."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


@dataclass(frozen=True)
class Caller:
    """A company calling the integration API with one of its keys."""

    company_id: str
    company_name: str
    kind: str
    key_id: str

    @property
    def actor(self) -> str:
        return f"{KEY_PREFIX}_{self.key_id}"

    @property
    def ref(self) -> CompanyRef:
        """The company as events name it."""
        return CompanyRef(company_id=self.company_id, name=self.company_name, kind=self.kind)


def company_view(row) -> dict:
    return {"id": row.id, "name": row.name, "kind": row.kind, "edrpou": row.edrpou, "contact_email": row.contact_email,
            "contact_phone": row.contact_phone, "area": row.area, "service_codes": list(row.service_codes),
            "priority": row.priority, "active": row.active, "created_at": row.created_at, "updated_at": row.updated_at}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24] or "company"


async def create_company(session: AsyncSession, profile: CompanyProfile, company_id: str | None = None) -> dict:
    values = profile.model_dump(mode="json")
    row_id = company_id or f"co-{profile.kind}-{uuid.uuid4().hex[:8]}"
    try:
        async with session.begin_nested():
            row = (await session.execute(insert(companies).values(id=row_id, **values).returning(companies))).one()
    except IntegrityError:
        raise GatewayRefused(409, "edrpou", f"a company with EDRPOU {profile.edrpou} is already registered") from None
    return company_view(row)


async def update_company(session: AsyncSession, company_id: str, changes: dict) -> dict:
    profile_fields = set(CompanyProfile.model_fields)
    if profile_fields & set(changes):
        current = await get_company(session, company_id)
        try:  # the changed profile must pass every rule a new one does
            profile = CompanyProfile.model_validate({k: v for k, v in {**current, **changes}.items() if k in profile_fields})
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise GatewayRefused(422, ".".join(map(str, first["loc"])) or "body", first["msg"]) from None
        changes = {**changes, **{k: v for k, v in profile.model_dump(mode="json").items() if k in changes}}
    row = (await session.execute(update(companies).where(companies.c.id == company_id)
                                 .values(**changes, updated_at=func.now()).returning(companies))).first()
    if row is None:
        raise GatewayRefused(404, "company_id", f"no company {company_id}")
    return company_view(row)


async def get_company(session: AsyncSession, company_id: str) -> dict:
    row = (await session.execute(select(companies).where(companies.c.id == company_id))).first()
    if row is None:
        raise GatewayRefused(404, "company_id", f"no company {company_id}")
    return company_view(row)


async def list_companies(session: AsyncSession, kind: str | None = None) -> list[dict]:
    query = select(companies).order_by(companies.c.kind, companies.c.name)
    if kind:
        query = query.where(companies.c.kind == kind)
    return [company_view(r) for r in await session.execute(query)]


# -- API keys ----------------------------------------------------------------------------------


def _key_view(row, now: datetime) -> dict:
    state = "revoked" if row.revoked_at else "expired" if row.expires_at and row.expires_at <= now else "active"
    return {"key_id": row.key_id, "prefix": f"{KEY_PREFIX}_{row.key_id}", "label": row.label, "state": state,
            "created_at": row.created_at, "expires_at": row.expires_at, "revoked_at": row.revoked_at}


async def issue_key(session: AsyncSession, company_id: str, label: str | None = None, *, plaintext: str | None = None) -> dict:
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
    return {**_key_view(row, datetime.now(UTC)), "api_key": plaintext}


async def list_keys(session: AsyncSession, company_id: str) -> list[dict]:
    now = datetime.now(UTC)
    rows = await session.execute(select(api_keys).where(api_keys.c.company_id == company_id).order_by(api_keys.c.created_at))
    return [_key_view(r, now) for r in rows]


async def rotate_key(session: AsyncSession, caller: Caller, overlap: timedelta) -> dict:
    """A new key; the caller's current key expires after the overlap (or now, with no overlap)."""
    new = await issue_key(session, caller.company_id, label="rotated")
    await session.execute(update(api_keys).where(api_keys.c.key_id == caller.key_id).values(
        expires_at=func.least(func.coalesce(api_keys.c.expires_at, func.now() + overlap), func.now() + overlap)))
    return {**new, "previous_key_expires_at": datetime.now(UTC) + overlap}


async def revoke_key(session: AsyncSession, company_id: str, key_id: str) -> dict:
    row = (await session.execute(update(api_keys).where(api_keys.c.key_id == key_id, api_keys.c.company_id == company_id)
                                 .values(revoked_at=func.coalesce(api_keys.c.revoked_at, func.now())).returning(api_keys))).first()
    if row is None:
        raise GatewayRefused(404, "key_id", f"no key {key_id} of this company")
    return _key_view(row, datetime.now(UTC))


async def authenticate(session: AsyncSession, plaintext: str | None) -> Caller | None:
    key_id = parse_api_key(plaintext or "")
    if key_id is None or not plaintext.startswith(f"{KEY_PREFIX}_"):
        return None
    row = (await session.execute(
        select(api_keys.c.key_hash, companies.c.id, companies.c.name, companies.c.kind)
        .join(companies, companies.c.id == api_keys.c.company_id)
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None), companies.c.active,
               or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > func.now())))).first()
    if row is None or not api_key_matches(plaintext, row.key_hash):
        return None
    return Caller(company_id=row.id, company_name=row.name, kind=row.kind, key_id=key_id)


# -- webhook endpoints -------------------------------------------------------------------------


def endpoint_view(row) -> dict:
    return {"id": row.id, "url": row.url, "description": row.description, "event_types": list(row.event_types),
            "enabled": row.enabled, "disabled_reason": row.disabled_reason, "created_at": row.created_at,
            "updated_at": row.updated_at, "secret_rotating_until": row.previous_secret_expires_at}


def check_event_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(MESSAGE_TYPES))
    if unknown:
        raise GatewayRefused(422, "event_types", f"unknown event types {unknown}; known: {sorted(MESSAGE_TYPES)}")
    return sorted(set(types))


async def create_endpoint(session: AsyncSession, box: SecretBox, company_id: str, url: str, description: str | None,
                          event_types: list[str]) -> dict:
    secret = new_secret()
    row = (await session.execute(insert(webhook_endpoints).values(
        id=f"ep_{uuid.uuid4().hex[:16]}", company_id=company_id, url=url, description=description,
        event_types=check_event_types(event_types), secret=box.seal(secret)).returning(webhook_endpoints))).one()
    return {**endpoint_view(row), "secret": secret}  # shown this once


async def owned(session: AsyncSession, key_column, key: str, company_id: str, *, field: str, what: str,
                for_update: bool = False):
    """The row of `key_column` = `key` if it is the company's: 404 when there is none, 403 when it
    is another company's (a company may know another's ids; it still may not touch them)."""
    query = select(key_column.table).where(key_column == key)
    row = (await session.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        raise GatewayRefused(404, field, f"no {what} {key}")
    if row.company_id != company_id:
        raise GatewayRefused(403, field, f"this {what} is another company's")
    return row


async def own_endpoint(session: AsyncSession, company_id: str, endpoint_id: str, *, for_update: bool = False):
    return await owned(session, webhook_endpoints.c.id, endpoint_id, company_id, field="endpoint_id",
                       what="webhook endpoint", for_update=for_update)


async def update_endpoint(session: AsyncSession, company_id: str, endpoint_id: str, changes: dict) -> dict:
    await own_endpoint(session, company_id, endpoint_id, for_update=True)
    if "event_types" in changes:
        changes["event_types"] = check_event_types(changes["event_types"])
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
