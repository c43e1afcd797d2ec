"""What the network management system (NMS) may report, and what a report means. No I/O.

The NMS says an element is down, up or under maintenance; the registry keeps that as the
element's status. A report of the status it already has changes nothing (the NMS repeats itself).
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = {"down": "failed", "up": "active", "maintenance": "maintenance"}
ELEMENT_KINDS = ("device", "fibre_link")


@dataclass(frozen=True)
class StatusReport:
    element_kind: str  # device or fibre_link
    element_id: str
    status: str  # the registry's status the state means
    message: str | None = None


def read_report(body: dict) -> tuple[StatusReport | None, list[tuple[str, str]]]:
    """The report, or every (field, message) wrong with it."""
    kind, status, element_id = body.get("element_kind"), STATES.get(body.get("state")), body.get("element_id")
    errors = [(f, m) for f, m, bad in (
        ("element_kind", "device or fibre_link", kind not in ELEMENT_KINDS),
        ("state", "down, up or maintenance", status is None),
        ("element_id", "the element's id", not isinstance(element_id, str))) if bad]
    if errors:
        return None, errors
    return StatusReport(kind, element_id, status, body.get("message")), []


def changes_anything(current_status: str, report: StatusReport) -> bool:
    return current_status != report.status
