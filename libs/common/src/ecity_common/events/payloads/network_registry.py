"""Events that network-registry publishes on `ecity.network.v1`, keyed by the asset's id."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ecity_common.events.catalogue import event_type


@event_type(
    "ua.sumy.ecity.network-registry.asset.commissioned.v1",
    producer="network-registry",
    aggregate="network_asset",
    summary="A device or fibre link went from planned to active, with what it cost and which programme measure paid.",
    consumers=("budget-ledger",),
)
class NetworkAssetCommissioned(BaseModel):
    asset_id: str = Field(min_length=1, max_length=64)
    asset_kind: Literal["device", "fibre_link"]
    name: str = Field(max_length=200)
    cost_kop: int = Field(gt=0, description="integer kopiykas")
    measure_code: str = Field(min_length=1, max_length=32, description="the programme measure that paid for it")
    holder_code: str = Field(pattern=r"^\d{2}$", description="2-digit code of the budget holder")
    commissioned_on: date


class AffectedSite(BaseModel):
    site_id: str
    name: str
    kind: str
    address: str | None = None
    owner_holder_code: str | None = Field(default=None, description="the budget holder that owns the site")


@event_type(
    "ua.sumy.ecity.network-registry.element-status.changed.v1",
    producer="network-registry",
    aggregate="network_element",
    summary="A device's or fibre link's operational status changed (monitoring or an engineer).",
)
class ElementStatusChanged(BaseModel):
    element_kind: Literal["device", "fibre_link"]
    element_id: str
    name: str
    from_status: str
    to_status: str
    changed_at: datetime


@event_type(
    "ua.sumy.ecity.network-registry.outage.detected.v1",
    producer="network-registry",
    aggregate="network_outage",
    summary="A failed element cut sites off from the core of the MTKM; one event per outage.",
    consumers=("citizen-requests", "notifications"),
)
class NetworkOutageDetected(BaseModel):
    outage_id: str
    element_kind: Literal["device", "fibre_link"]
    element_id: str
    element_name: str
    detected_at: datetime
    affected_sites: list[AffectedSite]


@event_type(
    "ua.sumy.ecity.network-registry.outage.resolved.v1",
    producer="network-registry",
    aggregate="network_outage",
    summary="The element of an outage is back; its sites reach the core again.",
    consumers=("citizen-requests", "notifications"),
)
class NetworkOutageResolved(BaseModel):
    outage_id: str
    element_kind: Literal["device", "fibre_link"]
    element_id: str
    resolved_at: datetime
