"""The life of a citizen's request, FixMyStreet-like, and what Open311 shows of it. No I/O.

submitted → accepted → assigned (a department or a utility company: `agency_responsible`) →
in_progress / planned / action_scheduled → resolved; or, from any open state, rejected as
not_responsible, duplicate or no_further_action; a resolved or rejected request is closed; a
citizen may reopen a resolved one within a configurable period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from citizen_requests.domain.phrases import Phrase
from ecity_common.refusals import Conflict

State = Literal["submitted", "accepted", "assigned", "in_progress", "planned", "action_scheduled", "resolved",
                "not_responsible", "duplicate", "no_further_action", "closed"]

WORKING = {"in_progress", "planned", "action_scheduled"}
REJECTED = {"not_responsible", "duplicate", "no_further_action"}
OPEN = {"submitted", "accepted", "assigned", *WORKING}

TRANSITIONS: dict[str, set[str]] = {
    "submitted": {"accepted", "assigned", *REJECTED},
    "accepted": {"assigned", *WORKING, *REJECTED},
    "assigned": {*WORKING, "resolved", *REJECTED},
    "in_progress": {*(WORKING - {"in_progress"}), "resolved", *REJECTED},
    "planned": {*(WORKING - {"planned"}), "resolved", *REJECTED},
    "action_scheduled": {*(WORKING - {"action_scheduled"}), "resolved", *REJECTED},
    "resolved": {"closed", "in_progress"},  # in_progress: reopened
    "not_responsible": {"closed"},
    "duplicate": {"closed"},
    "no_further_action": {"closed"},
    "closed": set(),
}


class IllegalTransition(Conflict):
    def __init__(self, current: str, wanted: str) -> None:
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or Phrase("none-allowed")
        super().__init__(Phrase("illegal-transition", current=current, wanted=wanted, allowed=allowed), code="illegal-transition",
                         field="status")
        self.current, self.wanted = current, wanted


def check_transition(current: str, wanted: str) -> None:
    if wanted not in TRANSITIONS.get(current, set()):
        raise IllegalTransition(current, wanted)


def company_may_move(current: str, wanted: str) -> bool:
    """Whether a utility company's report moves the request here. Only a request still being
    handled moves, and only where the workflow allows: a resolved one reopens by the citizen's hand
    alone, and a late or repeated report (events from a company may arrive after the city closed
    the request) is kept as an internal note instead."""
    return current in OPEN and wanted in TRANSITIONS[current]


def open311_status(state: str) -> Literal["open", "closed"]:
    """Open311 knows only open and closed: anything still being handled is open."""
    return "open" if state in OPEN else "closed"


def can_reopen(state: str, resolved_at: datetime | None, now: datetime, window: timedelta) -> bool:
    return state == "resolved" and resolved_at is not None and now - resolved_at <= window
