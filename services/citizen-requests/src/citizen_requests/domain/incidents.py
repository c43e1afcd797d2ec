"""Incidents the network opens: when an MTKM element fails, every institution it cuts off gets a
request for the IT department, once per outage, answered in the same legal term as a citizen's
request of the `institution_network` category."""

from __future__ import annotations

from datetime import datetime

from citizen_requests.domain.deadlines import Term, deadline

IT_DEPARTMENT = "ІТ-відділ Сумської міської ради"
NETWORK_CATEGORY = "institution_network"  # the category of the incidents the network opens
INCIDENT_TERM: Term = "15_days"  # that category's term in the Sumy catalogue
REPORTER = "network-registry"


def incident_id(outage_id: str, site_id: str, round_: int = 0) -> str:
    # A flapping element keeps its outage id (network-registry reopens the same outage); each time
    # it fails again after its incidents were closed, they open anew as the next round.
    return f"incident-{outage_id}-{site_id}{f'-r{round_}' if round_ else ''}"[:64]


def incident_deadline(detected_at: datetime) -> datetime:
    """The answer deadline of an incident: the law's, counted from when the outage was detected."""
    return deadline(detected_at, INCIDENT_TERM)
