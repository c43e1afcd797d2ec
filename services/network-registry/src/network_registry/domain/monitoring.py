"""What the network management system (NMS) may report, and what a report means. No I/O.

The NMS says an element is down, up or under maintenance; the registry keeps that as the
element's status. A report of the status it already has changes nothing (the NMS repeats itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from ecity_common.inputs import unwritable
from network_registry.domain.phrases import Phrase

STATES = {"down": "failed", "up": "active", "maintenance": "maintenance"}
ELEMENT_KINDS = ("device", "fibre_link")


@dataclass(frozen=True)
class StatusReport:
    element_kind: str  # device or fibre_link
    element_id: str
    status: str  # the registry's status the state means
    message: str | None = None


def read_report(body: dict) -> tuple[StatusReport | None, list[tuple[str, str]]]:
    """The report, or every (field, message) wrong with it. Whatever the NMS sends is checked before
    it is looked up or kept: a list where a word belongs, a NUL in an id, a number for a message."""
    kind, state, element_id, message = (body.get(k) for k in ("element_kind", "state", "element_id", "message"))
    status = STATES.get(state) if isinstance(state, str) else None
    errors = [(f, m) for f, m, bad in (
        ("element_kind", Phrase("element-kind"), not isinstance(kind, str) or kind not in ELEMENT_KINDS),
        ("state", Phrase("element-state"), status is None),
        ("element_id", Phrase("element-id"),
         not isinstance(element_id, str) or not 1 <= len(element_id) <= 200 or unwritable(element_id) is not None),
        ("message", Phrase("element-message"),
         message is not None and (not isinstance(message, str) or len(message) > 2000
                                  or unwritable(message, prose=True) is not None))) if bad]
    if errors:
        return None, errors
    return StatusReport(kind, element_id, status, message), []


def changes_anything(current_status: str, report: StatusReport) -> bool:
    return current_status != report.status
