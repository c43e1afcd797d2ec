"""What the registry holds — sites, devices and fibre links — and the rules each must keep, as
pydantic models: they validate both the API and the CSV import. No I/O.

The status lifecycle is in `lifecycle.py`; what fails when something fails, in `topology.py`."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ecity_common.geo import SUMY_BOUNDS, outside_sumy
from ecity_common.inputs import Identifier, Int32, Int64, Text, Time, column_type
from network_registry.domain.phrases import Phrase

SiteKind = Literal["city_hall", "school", "kindergarten", "social_protection_office", "admin_service_centre",
                   "utility", "cctv_point", "data_centre", "node_cabinet", "library", "clinic", "other"]
DeviceRole = Literal["core", "distribution", "access_switch", "router", "olt", "onu", "camera", "server"]
Status = Literal["planned", "active", "failed", "maintenance", "decommissioned"]

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SiteIn(_Strict):
    name: Text = Field(min_length=1, max_length=200)
    kind: SiteKind
    address: Text | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    owner_holder_code: Text | None = Field(default=None, pattern=r"^\d{2}$")
    status: Status = "active"

    @model_validator(mode="after")
    def _in_sumy(self):
        if (self.lat is None) != (self.long is None):
            raise ValueError(Phrase("lat-long-together"))
        if self.lat is not None and outside_sumy(self.lat, self.long):
            axis = outside_sumy(self.lat, self.long)
            raise ValueError(Phrase("outside-sumy", axis=axis, bounds=SUMY_BOUNDS[axis]))
        return self


class AssetFields(_Strict):
    cost_kop: Int64 | None = Field(default=None, gt=0)
    measure_code: Text | None = Field(default=None, max_length=32)
    holder_code: Text | None = Field(default=None, pattern=r"^\d{2}$")
    commissioned_on: date | None = None


class DeviceIn(AssetFields):
    name: Text = Field(min_length=1, max_length=200)
    role: DeviceRole
    manufacturer: Text | None = Field(default=None, max_length=100)
    model: Text | None = Field(default=None, max_length=100)
    serial: Text | None = Field(default=None, max_length=100)
    mgmt_ip: Text | None = Field(default=None, max_length=100)
    site_id: Identifier
    status: Status = "planned"

    @field_validator("mgmt_ip")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        return None if v is None else str(ipaddress.ip_address(v))


class LinkIn(AssetFields):
    name: Text = Field(min_length=1, max_length=200)
    a_device_id: Identifier
    b_device_id: Identifier
    fibre_count: Int32 = Field(ge=1, le=1000)
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
            isinstance(p, list) and len(p) in (2, 3) and all(_finite(x) for x in p) for p in coords
        ):
            raise ValueError(Phrase("route-linestring"))
        # Only what makes the line is kept: another member would be stored as sent, and could
        # carry what the database refuses (a NUL) into its JSON.
        return {"type": "LineString", "coordinates": coords}

    @model_validator(mode="after")
    def _two_ends(self):
        if self.a_device_id == self.b_device_id:
            raise ValueError(Phrase("link-two-devices"))
        return self


def _finite(x: Any) -> bool:
    """A number JSON (and so the database) can keep: NaN and infinity cannot."""
    return not isinstance(x, bool) and (isinstance(x, int) or (isinstance(x, float) and math.isfinite(x)))


def _textual(kind: Any) -> bool:
    if get_origin(kind) is Literal:
        return all(isinstance(v, str) for v in get_args(kind))
    return (get_args(kind)[0] if get_origin(kind) is Annotated else kind) is str


@dataclass(frozen=True)
class ObjectKind:
    """One kind of object the registry keeps, by the name its API uses for a collection."""

    name: str  # site, device, link: in the change log and in messages
    path: str  # sites, devices, links: in URLs and CSV files
    model: type[BaseModel]
    element_kind: str | None  # its kind in the network graph (device, fibre_link), if it is one

    def filter_type(self, field: str, op: str) -> Any | None:
        """What a filter's value is read as (`op` "in": a list of them), or None when the field
        cannot be filtered so. The field's type within what its column holds, not the field's own
        rules: `fibre_count__gte=0` is a fair question (of no link), `fibre_count=2**40` is not."""
        if field in BOOKKEEPING_TYPES:
            kind = BOOKKEEPING_TYPES[field]
        elif field in self.model.model_fields:
            kind = column_type(self.model.model_fields[field])
        else:
            return None
        if kind is None:
            return None
        if op == "ic":  # "contains": a question of text only (no column but text has ILIKE)
            return Text if _textual(kind) else None
        return list[kind] if op == "in" else kind


SITES = ObjectKind("site", "sites", SiteIn, None)
DEVICES = ObjectKind("device", "devices", DeviceIn, "device")
LINKS = ObjectKind("link", "links", LinkIn, "fibre_link")
KINDS = {k.path: k for k in (SITES, DEVICES, LINKS)}
BY_ELEMENT_KIND = {"device": DEVICES, "fibre_link": LINKS}
# Besides its own fields, every object can be filtered by these (kept by the registry itself).
BOOKKEEPING_TYPES = {"id": Identifier, "version": Int32, "created_at": Time, "updated_at": Time}
BOOKKEEPING_FIELDS = tuple(BOOKKEEPING_TYPES)


@dataclass(frozen=True)
class Filter:
    """`field__op=value` of a list: op is "" (equals), ic (contains, any case), in (a,b), gte, lte.
    The value is of the field's type (`ObjectKind.filter_type`); for `in`, a list of them."""

    field: str
    op: str
    value: Any
