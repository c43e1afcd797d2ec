"""Utility companies and which one serves a citizen's request. No I/O.

A company serves the categories of its kind (or a listed subset) inside its service area. When
two companies of a kind cover one place, the lower `priority` wins, then the name: the choice is
deterministic, so a replayed event routes the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, EmailStr, Field, field_validator

from ecity_common.areas import Area, AreaIn
from ecity_common.events.payloads.common import UtilityKind
from ecity_common.inputs import Text
from ecity_common.ua_codes import validate_edrpou
from utilities_gateway.domain.phrases import Phrase

KIND_NAMES_UK = {"water": "водопостачання", "heating": "теплопостачання", "waste": "вивезення відходів",
                 "electricity": "електропостачання", "gas": "газопостачання"}


class CompanyProfile(BaseModel):
    """What the city's integrations staff enter about a company."""

    name: Text = Field(min_length=2, max_length=300, examples=["КП «Міськводоканал» Сумської міської ради"])
    kind: UtilityKind
    edrpou: Text = Field(examples=["03352432"], description="8 digits, the last a check digit")
    contact_email: EmailStr | None = None
    contact_phone: Text | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{7,20}$")
    area: AreaIn
    service_codes: list[Text] = Field(default_factory=list, max_length=100,
                                     description="categories it handles; empty: every category of its kind")
    priority: int = Field(default=100, ge=0, le=1000)

    @field_validator("edrpou")
    @classmethod
    def _edrpou(cls, code: str) -> str:
        return validate_edrpou(code)

    @field_validator("service_codes")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if not re.fullmatch(r"[a-z0-9_]{2,64}", code):
                raise ValueError(Phrase("not-a-category-code", code=code))
        return sorted(set(codes))


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    kind: str
    area: Area
    service_codes: frozenset[str] = field(default_factory=frozenset)
    priority: int = 100
    active: bool = True

    def handles(self, kind: str, service_code: str) -> bool:
        return self.active and self.kind == kind and (not self.service_codes or service_code in self.service_codes)


@dataclass(frozen=True)
class Routing:
    outcome: Literal["routed", "failed"]
    company: Company | None = None
    reason: str | None = None


def route(companies: list[Company], *, kind: str, service_code: str, lat: float | None, long: float | None,
          address: str | None) -> Routing:
    if lat is None and not address:
        return Routing("failed", reason="the request has neither a location nor an address")
    candidates = [c for c in companies if c.handles(kind, service_code)]
    if not candidates:
        return Routing("failed", reason=f"no company handles '{service_code}' ({KIND_NAMES_UK.get(kind, kind)})")
    serving = [c for c in candidates if c.area.covers(lat=lat, long=long, address=address)]
    if not serving:
        where = address or f"{lat:.5f}, {long:.5f}"
        return Routing("failed", reason=f"no {KIND_NAMES_UK.get(kind, kind)} company serves {where}")
    return Routing("routed", company=min(serving, key=lambda c: (c.priority, c.name, c.id)))
