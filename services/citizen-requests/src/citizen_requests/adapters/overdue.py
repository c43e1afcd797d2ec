""""Overdue" in SQL, for counting many requests at once (the public statistics):
`domain/deadlines.overdue` as a CASE. `tests/test_rules_in_sql.py` runs both on the same rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case
from sqlalchemy.sql import ColumnElement

from citizen_requests.domain.workflow import OPEN


def overdue_sql(expected: ColumnElement, status: ColumnElement, answered_at: ColumnElement, now: datetime) -> ColumnElement:
    """1 when late (answered after the deadline, or still open past it), else 0."""
    return case((and_(answered_at.is_(None), status.in_(OPEN), expected < now), 1),
                (answered_at > expected, 1), else_=0)
