"""The creation limit in SQL: `domain/limits.count_creation` as an upsert on the subject's row.

An upsert, so that concurrent creations of one subject wait for each other on its row and each
sees the latest count (a count of recent requests could not see those in flight). It returns a
row only when the creation is allowed. The filing statement counts the citizen's limit with the
same clause (`LIMIT_RULE`); `tests/test_rules_in_sql.py` runs both on the same rows.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

LIMIT_RULE = """
    ON CONFLICT (subject) DO UPDATE SET
        count = CASE WHEN l.window_start <= now() - make_interval(secs => :window_s) THEN 1 ELSE l.count + 1 END,
        window_start = CASE WHEN l.window_start <= now() - make_interval(secs => :window_s) THEN now()
                            ELSE l.window_start END
    WHERE l.window_start <= now() - make_interval(secs => :window_s) OR l.count < :limit
    RETURNING subject"""
LIMIT_UPSERT = "INSERT INTO creation_limits AS l (subject, window_start, count) VALUES (:subject, now(), 1)" + LIMIT_RULE
_WITHIN_LIMIT = text(LIMIT_UPSERT)


async def within_limit(db: AsyncSession | AsyncConnection, subject: str, *, limit: int, window_s: int) -> bool:
    """Count one creation for `subject`; False (and nothing counted) when its window is full."""
    return (await db.execute(_WITHIN_LIMIT, {"subject": subject, "limit": limit, "window_s": window_s})).first() is not None
