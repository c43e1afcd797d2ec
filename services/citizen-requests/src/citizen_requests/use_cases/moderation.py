"""What moderators (role `moderator`) do: decide what the public sees of a request, its comments
and photos, and limit a citizen who abuses the service (`domain/moderation.py`). Each decision is
written in the caller's transaction with its row's change, kept in `moderation_decisions` (who,
when, why, before and after) and, when it is about a request, told as `request.moderated` (the
utilities gateway changes what the company sees; notifications cancels what it still owes about a
hidden comment)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import moderation, requests
from citizen_requests.adapters import photos as photo_rows
from citizen_requests.adapters.creation_limits import own_limit, set_own_limit
from citizen_requests.domain.moderation import decide_limit, decide_photo, decide_text
from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.publication import UNPUBLISHED_CHANNELS, mask
from citizen_requests.use_cases.moves import load
from ecity_common.events.payloads.citizen_requests import CitizenRequestModerated
from ecity_common.inputs import cursor
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import Conflict, Invalid, NotFound


async def _decided(session: AsyncSession, outbox: Outbox | None, *, request_id: str | None, target: str, target_id: str,
                   action: str, before: dict, after: dict, reason: str, moderator: str, now: datetime,
                   public_text: str | None = None, comment_event_id: str | None = None) -> dict:
    """Keep the decision and, for a request, tell it."""
    if before == after:
        # Nothing would change: no decision to keep, no news to tell (a double click, a second moderator).
        raise Conflict(Phrase("already-decided", target=target, state=after.get("state", after)), code="already-decided",
                       field="action")
    decision_id = await moderation.record(session, request_id=request_id, target=target, target_id=target_id,
                                          action=action, before=before, after=after, reason=reason.strip(),
                                          moderator=moderator, at=now)
    if outbox is not None and request_id is not None:
        await outbox.add(session, CitizenRequestModerated(
            decision_id=str(decision_id), request_id=request_id, target=target, target_id=target_id, action=action,
            public_text=mask(public_text) if public_text else None, comment_event_id=comment_event_id, decided_at=now),
            aggregate_id=request_id)
    return {"decision_id": decision_id, "request_id": request_id, "target": target, "target_id": target_id,
            "action": action, "before": before, "after": after, "at": now.isoformat()}


async def moderate_description(session: AsyncSession, outbox: Outbox, request_id: str, action: str, *,
                               reason: str, moderator: str, text: str | None = None) -> dict:
    """Publish, redact (with `text`, the public's) or hide a request's description."""
    row = await load(session, request_id)
    decided = decide_text(row.description_publication, action, text)
    before = {"state": row.description_publication, "public_text": row.description_public}
    after = {"state": decided.state, "public_text": decided.public_text}
    now = datetime.now(UTC)
    result = await _decided(session, outbox, request_id=row.id, target="description", target_id=row.id,
                            action=decided.action, before=before, after=after, reason=reason, moderator=moderator,
                            now=now, public_text=decided.public_text)
    await requests.change(session, row.id, description_publication=decided.state,
                          description_public=decided.public_text, updated_at=now)
    return result


async def moderate_comment(session: AsyncSession, outbox: Outbox, comment_id: int, action: str, *, reason: str,
                           moderator: str, text: str | None = None) -> dict:
    """Publish, redact or hide a comment."""
    comment = await moderation.comment(session, comment_id)
    if comment is None:
        raise NotFound("comment", str(comment_id))
    decided = decide_text(comment.publication, action, text)
    before = {"state": comment.publication, "public_text": comment.public_text}
    after = {"state": decided.state, "public_text": decided.public_text}
    result = await _decided(session, outbox, request_id=comment.request_id, target="comment", target_id=str(comment.id),
                            action=decided.action, before=before, after=after, reason=reason, moderator=moderator,
                            now=datetime.now(UTC), public_text=decided.public_text, comment_event_id=comment.event_id)
    await moderation.change_comment(session, comment.id, publication=decided.state, public_text=decided.public_text)
    return result


async def moderate_photo(session: AsyncSession, outbox: Outbox, photo_id: str, action: str, *, reason: str,
                         moderator: str) -> dict:
    """Publish or hide a photo of a request (or of a comment on it)."""
    photo = await photo_rows.find(session, photo_id, for_update=True)
    if photo is None:
        raise NotFound("photo", photo_id)
    if photo.request_id is None:
        # Uploaded, not yet attached: it belongs to no request anyone could see yet.
        raise Conflict(Phrase("photo-on-no-request"), field="photo_id")
    state = decide_photo(action)
    now = datetime.now(UTC)
    result = await _decided(session, outbox, request_id=photo.request_id, target="photo", target_id=photo.id,
                            action=state, before={"state": photo.publication}, after={"state": state},
                            reason=reason, moderator=moderator, now=now)
    await photo_rows.set_publication(session, photo.id, state, by=moderator, at=now)
    return result


async def set_listing(session: AsyncSession, outbox: Outbox, request_id: str, *, hidden: bool, reason: str,
                      moderator: str) -> dict:
    """Hide a whole request from the public (spam, abuse), or show it again."""
    row = await load(session, request_id)
    if row.channel in UNPUBLISHED_CHANNELS and not hidden:
        raise Conflict(Phrase("never-public"), code="never-public", field="hidden")
    now = datetime.now(UTC)
    result = await _decided(session, outbox, request_id=row.id, target="request", target_id=row.id,
                            action="hidden" if hidden else "shown", before={"hidden": row.hidden},
                            after={"hidden": hidden}, reason=reason, moderator=moderator, now=now)
    await requests.change(session, row.id, hidden=hidden, updated_at=now)
    return result


async def limit_citizen(session: AsyncSession, citizen_id: str, limit: int | None, *, reason: str,
                        moderator: str) -> dict:
    """Set a citizen's own creation limit (0: they may not file; None: the city's again), kept as a
    decision. Not told on the requests' topic: it is about a person, and no one else acts on it."""
    limit = decide_limit(limit)
    before = await own_limit(session, citizen_id, for_update=True)
    result = await _decided(session, None, request_id=None, target="citizen", target_id=citizen_id,
                            action="limited" if limit is not None else "unlimited", before={"limit": before},
                            after={"limit": limit}, reason=reason, moderator=moderator, now=datetime.now(UTC))
    await set_own_limit(session, citizen_id, limit)
    return result


async def citizen_decisions(session: AsyncSession, citizen_id: str) -> dict:
    """A citizen's own limit now, and the decisions that set it."""
    return {"citizen_id": citizen_id, "limit": await own_limit(session, citizen_id),
            "decisions": [_shown(d) for d in await moderation.decisions_about(session, "citizen", citizen_id)]}


async def history(session: AsyncSession, request_id: str) -> list[dict]:
    """Every decision about a request, its comments and photos, oldest first (staff only)."""
    if await requests.find(session, request_id) is None:
        raise NotFound("request", request_id)
    return [_shown(d) for d in await moderation.decisions_of(session, request_id)]


def _shown(d) -> dict:
    return {"decision_id": d.id, "request_id": d.request_id, "target": d.target, "target_id": d.target_id,
            "action": d.action, "before": d.before, "after": d.after, "reason": d.reason, "moderator": d.moderator,
            "at": d.at.isoformat()}


async def queue(session: AsyncSession, *, kind: str | None, after: tuple | None, limit: int) -> dict:
    """What waits for a moderator, oldest first, with the cursor of the next page and the counts."""
    kinds = moderation.KINDS if kind is None else (kind,)
    position = None
    if after is not None:
        try:
            since, last_kind, key = after
            position = (datetime.fromisoformat(since), str(last_kind), str(key))
        except (TypeError, ValueError):
            raise Invalid("query.after", Phrase("queue-cursor")) from None
        if position[0].tzinfo is None:
            raise Invalid("query.after", Phrase("queue-cursor"))
    rows = await moderation.waiting(session, kinds=kinds, after=position, limit=limit)
    # A photo is looked at where its sender and staff read it (every state).
    items = [{"kind": r.kind, "request_id": r.request_id, "target_id": r.target_id, "waiting_since": r.since.isoformat(),
              "author": r.author, "text": r.text, "masked": r.public_text,
              "photo": f"/api/v1/photos/{r.target_id}/1280" if r.kind == "photo" else None} for r in rows]
    last = rows[-1] if len(rows) == limit else None
    return {"items": items, "counts": await moderation.counts(session), "limit": limit,
            "next_cursor": cursor(last.since.isoformat(), last.kind, last.target_id) if last else None}
