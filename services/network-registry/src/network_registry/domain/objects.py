"""What the registry holds — sites, devices and fibre links — and the rules each must keep, as
pydantic models: they validate both the API and the CSV import. No I/O.

The status lifecycle is in `lifecycle.py`; what fails when something fails, in `topology.py`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ecity_common.geo import SUMY_BOUNDS, outside_sumy

SiteKind = Literal["city_hall", "school", "kindergarten", "social_protection_office", "admin_service_centre",
                   "utility", "cctv_point", "data_centre", "node_cabinet", "library", "clinic", "other"]
DeviceRole = Literal["core", "distribution", "access_switch", "router", "olt", "onu", "camera", "server"]
Status = Literal["planned", "active", "failed", "maintenance", "decommissioned"]

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SiteIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: SiteKind
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    owner_holder_code: str | None = Field(default=None, pattern=r"^\d{2}$")
    status: Status = "active"

    @model_validator(mode="after")
    def _in_sumy(self):
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat and long go together: give both, or neither")
        if self.lat is not None and outside_sumy(self.lat, self.long):
            axis = outside_sumy(self.lat, self.long)
            raise ValueError(f"{axis} is outside the city of Sumy {SUMY_BOUNDS[axis]}")
        return self


class AssetFields(_Strict):
    cost_kop: int | None = Field(default=None, gt=0)
    measure_code: str | None = Field(default=None, max_length=32)
    holder_code: str | None = Field(default=None, pattern=r"^\d{2}$")
    commissioned_on: date | None = None


class DeviceIn(AssetFields):
    name: str = Field(min_length=1, max_length=200)
    role: DeviceRole
    manufacturer: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    serial: str | None = Field(default=None, max_length=100)
    mgmt_ip: str | None = None
    site_id: str
    status: Status = "planned"

    @field_validator("mgmt_ip")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        return None if v is None else str(ipaddress.ip_address(v))


class LinkIn(AssetFields):
    name: str = Field(min_length=1, max_length=200)
    a_device_id: str
    b_device_id: str
    fibre_count: int = Field(ge=1, le=1000)
    length_m: float = Field(gt=0, le=200_000)
    route: dict | None = Field(default=None, description="GeoJSON LineString")
    status: Status = "planned"
    installed_on: date | None = None

    @field_validator("route")
    @classmethod
    def _line(cls, v: dict | None) -> dict | None:
        if v is None:
            return v
        coords = v.get("coordinates")
        if v.get("type") != "LineString" or not isinstance(coords, list) or len(coords) < 2 or not all(
            isinstance(p, list) and len(p) in (2, 3) and all(isinstance(x, (int, float)) for x in p) for p in coords
        ):
            raise ValueError("a GeoJSON LineString: {type: LineString, coordinates: [[long, lat], …] (2 or more)}")
        return v

    @model_validator(mode="after")
    def _two_ends(self):
        if self.a_device_id == self.b_device_id:
            raise ValueError("b_device_id must differ from a_device_id: a link joins two devices")
        return self


@dataclass(frozen=True)
class ObjectKind:
    """One kind of object the registry keeps, by the name its API uses for a collection."""

    name: str  # site, device, link: in the change log and in messages
    path: str  # sites, devices, links: in URLs and CSV files
    model: type[BaseModel]
    element_kind: str | None  # its kind in the network graph (device, fibre_link), if it is one

    @property
    def date_fields(self) -> set[str]:
        return {n for n, f in self.model.model_fields.items() if f.annotation in (date, date | None)}


SITES = ObjectKind("site", "sites", SiteIn, None)
DEVICES = ObjectKind("device", "devices", DeviceIn, "device")
LINKS = ObjectKind("link", "links", LinkIn, "fibre_link")
KINDS = {k.path: k for k in (SITES, DEVICES, LINKS)}
BY_ELEMENT_KIND = {"device": DEVICES, "fibre_link": LINKS}
# Besides its own fields, every object can be filtered by these (kept by the registry itself).
BOOKKEEPING_FIELDS = ("id", "version", "created_at", "updated_at")


@dataclass(frozen=True)
class Filter:
    """`field__op=value` of a list: op is "" (equals), ic (contains, any case), in (a,b), gte, lte."""

    field: str
    op: str
    value: Any
