"""A citizen's request as the company it was routed to holds it. No I/O.

The company's own small workflow: routed → in_progress ⇄ planned → resolved, or rejected (not
theirs after all: the city's dispatcher takes it back). resolved and rejected are final for the
company; a citizen's reopening puts the request back in progress.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ecity_common.inputs import Identifier, Moment, Prose
from ecity_common.refusals import Conflict, Invalid
from utilities_gateway.domain.phrases import Phrase

# A company reports on what it has and has not finished: any status the report allows, from these.
REPORTABLE = {"routed", "in_progress", "planned"}

# The company's clock and ours may differ by a little; a date further in the past than this is a
# mistake (a copied example, a wrong year) that the citizen would read as "due: yesterday".
CLOCK_SKEW = timedelta(minutes=5)


# What a company may say of its progress, and what each status needs. (No docstring: it would
# become the schema's description and change the committed openapi.json.)
class ProgressReport(BaseModel):
    status: Literal["in_progress", "planned", "resolved", "rejected"]
    expected_datetime: Moment | None = Field(default=None, description="required when planned: when the work is due")
    reason: Prose | None = Field(default=None, max_length=1000, description="required when rejected")
    public_note: Prose | None = Field(default=None, max_length=2000, description="the citizen sees it")
    photo_ids: list[Identifier] = Field(default_factory=list, max_length=5,
                                        description="proof of work: photos uploaded first (POST /integrations/v1/photos)")

    @model_validator(mode="after")
    def _what_each_status_needs(self) -> ProgressReport:
        if self.status == "planned" and self.expected_datetime is None:
            raise ValueError(Phrase("planned-needs-date"))
        if self.status == "rejected" and not (self.reason and self.reason.strip()):
            raise ValueError(Phrase("rejection-needs-reason"))
        return self


def check_reportable(current: str, report: ProgressReport) -> None:
    """Conflict when the request is no longer the company's to move (resolved, rejected, unrouted)."""
    if current not in REPORTABLE:
        raise Conflict(Phrase("request-final", current=current, wanted=report.status), field="status",
                       code="request-final")


def check_expected_date(report: ProgressReport, now: datetime) -> None:
    """Planned work is due in the future: a past date is refused rather than shown to the citizen."""
    if report.expected_datetime is not None and report.expected_datetime < now - CLOCK_SKEW:
        raise Invalid("expected_datetime", Phrase("expected-date-past", now=now.isoformat(timespec="seconds")),
                      code="expected-date-past")


def repeats(row, report: ProgressReport) -> bool:
    """The same report again (a retry without an Idempotency-Key, a company system that re-sends its
    state): same status, same date, same note. It changes nothing, so the citizen's history gets no
    second "planned → planned" and the company no second event."""
    if row.status != report.status or row.public_note != public_note(report) or report.photo_ids:
        return False  # (new photos are news, even with the same status and note)
    if report.status == "planned":
        return row.planned_for == report.expected_datetime
    return True


def public_note(report: ProgressReport) -> str | None:
    """What the citizen reads: the company's note, or else the reason of a rejection."""
    return report.public_note or (report.reason if report.status == "rejected" else None)


def notice_of_citizen_change(from_status: str, to_status: str) -> str | None:
    """What the company is told when the citizen or the city moves its request on: a reopening
    (the problem is back) or the closing. Anything else (its own reports coming back, the city's
    bookkeeping) is not echoed."""
    if from_status == "resolved" and to_status == "in_progress":
        return "request.reopened"
    if to_status == "closed":
        return "request.closed"
    return None


def request_data(row) -> dict:
    """A routed request as the company sees it (API answers and webhooks alike)."""
    return {
        "request_id": row.request_id, "service_code": row.service_code, "utility_kind": row.utility_kind,
        "description": row.description, "address": row.address,
        "location": {"lat": row.lat, "long": row.long} if row.lat is not None else None,
        "submitted_at": row.submitted_at.isoformat(), "answer_due": row.answer_due.isoformat() if row.answer_due else None,
        "status": row.status, "planned_for": row.planned_for.isoformat() if row.planned_for else None,
        "public_note": row.public_note,
    }
