"""Events that network-registry publishes on `ecity.network.v1`, keyed by the asset's id."""

from __future__ import annotations

from datetime import date
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
