"""What the pages call things, in Ukrainian first. No I/O."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")

# citizen-requests' workflow states (its domain/workflow.py), as a citizen reads them.
STATUSES = {
    "submitted": "Подано",
    "accepted": "Прийнято",
    "assigned": "Передано виконавцю",
    "in_progress": "У роботі",
    "planned": "Заплановано",
    "action_scheduled": "Призначено роботи",
    "resolved": "Вирішено",
    "not_responsible": "Не належить до компетенції",
    "duplicate": "Дублікат",
    "no_further_action": "Без подальших дій",
    "closed": "Закрито",
    # Open311's two, on the public page.
    "open": "Відкрите",
}

# Where a staff member may move a request from each state (citizen-requests' TRANSITIONS): what
# the status form offers; the service still decides, and its refusal is shown if it disagrees.
NEXT_STATUSES = {
    "submitted": ("accepted", "assigned", "not_responsible", "duplicate", "no_further_action"),
    "accepted": ("assigned", "in_progress", "planned", "action_scheduled", "not_responsible", "duplicate",
                 "no_further_action"),
    "assigned": ("in_progress", "planned", "action_scheduled", "resolved", "not_responsible", "duplicate",
                 "no_further_action"),
    "in_progress": ("planned", "action_scheduled", "resolved", "not_responsible", "duplicate", "no_further_action"),
    "planned": ("in_progress", "action_scheduled", "resolved", "not_responsible", "duplicate", "no_further_action"),
    "action_scheduled": ("in_progress", "planned", "resolved", "not_responsible", "duplicate", "no_further_action"),
    "resolved": ("closed",),
    "not_responsible": ("closed",),
    "duplicate": ("closed",),
    "no_further_action": ("closed",),
    "closed": (),
}


def status_name(status: str | None) -> str:
    return STATUSES.get(status or "", status or "—")


def when(moment: str | datetime | None) -> str:
    """A moment as Sumy reads it: `30.11.2026 14:05` Kyiv time."""
    if not moment:
        return "—"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(KYIV)
    return moment.strftime("%d.%m.%Y %H:%M")
