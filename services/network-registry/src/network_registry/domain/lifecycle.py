"""The life of a device or fibre link, and what a change of status means. No I/O.

planned -> active -> failed / maintenance -> decommissioned, and back to active after a repair.
"""

from __future__ import annotations

from ecity_common.refusals import Conflict
from network_registry.domain.phrases import Phrase

TRANSITIONS: dict[str, set[str]] = {
    "planned": {"active", "decommissioned"},
    "active": {"failed", "maintenance", "decommissioned"},
    "failed": {"active", "maintenance", "decommissioned"},
    "maintenance": {"active", "failed", "decommissioned"},
    "decommissioned": set(),
}


def check_transition(current: str, wanted: str) -> None:
    if wanted != current and wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or Phrase("status-none-decommissioned")
        raise Conflict(Phrase("status-cannot-go", current=current, wanted=wanted, allowed=allowed),
                       field="status", code="illegal-transition")


def is_commissioning(before: dict, after: dict) -> bool:
    """An asset the programme paid for goes into service: planned -> active, with its cost, the
    measure that paid and its budget holder (the budget ledger records a proposed expenditure, for
    finance to approve)."""
    return (before["status"] == "planned" and after["status"] == "active"
            and bool(after.get("cost_kop") and after.get("measure_code") and after.get("holder_code")))
