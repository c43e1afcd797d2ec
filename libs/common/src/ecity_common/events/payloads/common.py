"""Value types that several services' events share."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

UtilityKind = Literal["water", "heating", "waste", "electricity", "gas"]


class GeoPoint(BaseModel):
    """WGS 84 coordinates, as Open311 and GeoJSON give them."""

    lat: float = Field(ge=-90, le=90)
    long: float = Field(ge=-180, le=180)
