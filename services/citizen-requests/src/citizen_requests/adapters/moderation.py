"""Moderation's queries and writes: the queue of what waits for a moderator, the decisions kept
for good, and the rows a decision changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import citizen_requests, comments, moderation_decisions, photos
from citizen_requests.domain.publication import PENDING, UNPUBLISHED_CHANNELS

# What waits, each kind from its own partial index, oldest first; a page is the first `:limit` of
# each kind past the cursor (`since >=` finds the start in the index; the row comparison breaks the ties),
# merged: a page costs the same however long the queue is. A hidden
# request's (spam) texts wait for no one: they are not going anywhere public.
_WAITING = {
    "description": """
        SELECT 'description' AS kind, r.id AS request_id, r.id AS target_id, r.submitted_at AS since,
               r.description AS text, r.description_public AS public_text, r.citizen_id AS author
        FROM citizen_requests r
        WHERE r.description_publication = 'pending' AND NOT r.hidden AND r.channel <> ALL(CAST(:unpublished AS text[]))
          AND r.submitted_at >= CAST(:since AS timestamptz) AND (r.submitted_at, 'description', r.id) > (CAST(:since AS timestamptz), CAST(:kind AS text), CAST(:key AS text))
        ORDER BY r.submitted_at, r.id LIMIT :limit""",
    "comment": """
        SELECT 'comment' AS kind, c.request_id, c.id::text AS target_id, c.at AS since,
               c.text, c.public_text, c.author
        FROM comments c JOIN citizen_requests r ON r.id = c.request_id
        WHERE c.publication = 'pending' AND NOT r.hidden
          AND c.at >= CAST(:since AS timestamptz) AND (c.at, 'comment', c.id::text) > (CAST(:since AS timestamptz), CAST(:kind AS text), CAST(:key AS text))
        ORDER BY c.at, c.id LIMIT :limit""",
    # Only attached photos: an upload on no request yet is nobody's to publish.
    "photo": """
        SELECT 'photo' AS kind, p.request_id, p.id AS target_id, p.created_at AS since,
               NULL AS text, NULL AS public_text, p.owner AS author
        FROM photos p JOIN citizen_requests r ON r.id = p.request_id
        WHERE p.publication = 'pending' AND NOT r.hidden AND r.channel <> ALL(CAST(:unpublished AS text[]))
          AND p.created_at >= CAST(:since AS timestamptz)
          AND (p.created_at, 'photo', p.id) > (CAST(:since AS timestamptz), CAST(:kind AS text), CAST(:key AS text))
        ORDER BY p.created_at, p.id LIMIT :limit""",
}
KINDS = tuple(_WAITING)
_START = (datetime.fromisoformat("0001-01-01T00:00:00+00:00"), "", "")


async def waiting(session: AsyncSession, *, kinds: tuple[str, ...], after: tuple[datetime, str, str] | None,
                  limit: int) -> list:
    """The oldest `limit` things waiting of `kinds`, past `after` (since, kind, target id)."""
    since, kind, key = after or _START
    branches = " UNION ALL ".join(f"({_WAITING[k]})" for k in kinds)
    query = text(f"SELECT * FROM ({branches}) w ORDER BY since, kind, target_id LIMIT :limit")
    return (await session.execute(query, {"since": since, "kind": kind, "key": key, "limit": limit,
                                          "unpublished": list(UNPUBLISHED_CHANNELS)})).all()


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many wait, per kind."""
    descriptions = await session.scalar(select(func.count()).select_from(citizen_requests).where(
        citizen_requests.c.description_publication == PENDING, citizen_requests.c.hidden.is_(False),
        citizen_requests.c.channel.not_in(UNPUBLISHED_CHANNELS)))
    pending_comments = await session.scalar(select(func.count()).select_from(
        comments.join(citizen_requests, citizen_requests.c.id == comments.c.request_id)).where(
        comments.c.publication == PENDING, citizen_requests.c.hidden.is_(False)))
    pending_photos = await session.scalar(select(func.count()).select_from(
        photos.join(citizen_requests, citizen_requests.c.id == photos.c.request_id)).where(
        photos.c.publication == PENDING, citizen_requests.c.hidden.is_(False),
        citizen_requests.c.channel.not_in(UNPUBLISHED_CHANNELS)))
    return {"description": descriptions, "comment": pending_comments, "photo": pending_photos}


async def comment(session: AsyncSession, comment_id: int):
    """The comment, locked until the transaction ends; None when there is none."""
    return (await session.execute(select(comments).where(comments.c.id == comment_id).with_for_update())).first()


async def change_comment(session: AsyncSession, comment_id: int, **values) -> None:
    await session.execute(update(comments).where(comments.c.id == comment_id).values(**values))


async def record(session: AsyncSession, *, request_id: str | None, target: str, target_id: str, action: str,
                 before: dict, after: dict, reason: str, moderator: str, at: datetime) -> int:
    """Keep a decision for good; its id."""
    return await session.scalar(insert(moderation_decisions).values(
        request_id=request_id, target=target, target_id=target_id, action=action, before=before, after=after,
        reason=reason, moderator=moderator, at=at).returning(moderation_decisions.c.id))


async def decisions_of(session: AsyncSession, request_id: str) -> list:
    """A request's decisions, oldest first."""
    return (await session.execute(select(moderation_decisions).where(moderation_decisions.c.request_id == request_id)
                                  .order_by(moderation_decisions.c.id))).all()


async def decisions_about(session: AsyncSession, target: str, target_id: str) -> list:
    """The decisions about one thing (a citizen), oldest first."""
    return (await session.execute(select(moderation_decisions).where(
        moderation_decisions.c.target == target, moderation_decisions.c.target_id == target_id)
        .order_by(moderation_decisions.c.id))).all()
