"""The creation limit in SQL: `domain/limits.count_creation` as an upsert on the subject's row.

An upsert, so that concurrent creations of one subject wait for each other on its row and each
sees the latest count (a count of recent requests could not see those in flight). It returns a
row only when the creation is allowed. The filing statement counts the citizen's limit with the
same clause (`LIMIT_RULE`); `tests/test_rules_in_sql.py` runs both on the same rows.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# A subject a moderator limited (`own_limit`) counts against that instead of `:limit`; at 0 not
# even a new window opens.
LIMIT_RULE = """
    ON CONFLICT (subject) DO UPDATE SET
        count = CASE WHEN l.window_start <= now() - make_interval(secs => :window_s) THEN 1 ELSE l.count + 1 END,
        window_start = CASE WHEN l.window_start <= now() - make_interval(secs => :window_s) THEN now()
                            ELSE l.window_start END
    WHERE (l.window_start <= now() - make_interval(secs => :window_s) AND coalesce(l.own_limit, :limit) > 0)
       OR l.count < coalesce(l.own_limit, :limit)
    RETURNING subject"""
LIMIT_UPSERT = "INSERT INTO creation_limits AS l (subject, window_start, count) VALUES (:subject, now(), 1)" + LIMIT_RULE
_WITHIN_LIMIT = text(LIMIT_UPSERT)


async def within_limit(db: AsyncSession | AsyncConnection, subject: str, *, limit: int, window_s: int) -> bool:
    """Count one creation for `subject`; False (and nothing counted) when its window is full."""
    return (await db.execute(_WITHIN_LIMIT, {"subject": subject, "limit": limit, "window_s": window_s})).first() is not None


_OWN_LIMIT = text("SELECT own_limit FROM creation_limits WHERE subject = :subject")
_SET_OWN_LIMIT = text("""
    INSERT INTO creation_limits AS l (subject, window_start, count, own_limit) VALUES (:subject, now(), 0, :own)
    ON CONFLICT (subject) DO UPDATE SET own_limit = :own""")


async def own_limit(db: AsyncSession | AsyncConnection, subject: str, *, for_update: bool = False) -> int | None:
    """The limit a moderator set for `subject`, or None (the city's)."""
    return await db.scalar(_OWN_LIMIT if not for_update else text(_OWN_LIMIT.text + " FOR UPDATE"), {"subject": subject})


async def set_own_limit(db: AsyncSession | AsyncConnection, subject: str, limit: int | None) -> None:
    """Give `subject` its own limit (None: the city's again); its current window is kept."""
    await db.execute(_SET_OWN_LIMIT, {"subject": subject, "own": limit})
