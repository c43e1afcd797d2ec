"""Outages a company announces: planned works or an accident, in an area, until an expected end.
No I/O. Which addresses an outage covers is `ecity_common.areas.Area.covers`, the same rule that
routes requests; citizen-requests applies it to the outages it hears of."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from ecity_common.areas import Area, AreaIn
from ecity_common.inputs import Moment, Prose
from ecity_common.refusals import Conflict, Invalid
from utilities_gateway.domain.phrases import Phrase

# What anyone may read of an outage: what, where, until when; not which company staff or key reported it.
PUBLIC_FIELDS = ("id", "kind", "planned", "area_description", "starts_at", "expected_end", "cause", "status", "updated_at")


def ends_after_start(starts_at: datetime, expected_end: datetime | None) -> bool:
    return expected_end is None or expected_end > starts_at


class OutageIn(BaseModel):
    planned: bool = Field(description="planned works (announced ahead) or an accident")
    area: AreaIn
    starts_at: Moment
    expected_end: Moment | None = None
    cause: Prose | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> OutageIn:
        if not ends_after_start(self.starts_at, self.expected_end):
            raise ValueError(Phrase("expected-end-after-start"))
        return self


class OutageChange(BaseModel):
    area: AreaIn | None = None
    expected_end: Moment | None = None
    cause: Prose | None = Field(default=None, max_length=1000)


def check_within_service_area(area: Area, served: Area) -> None:
    """An outage lies within the area its company serves (`Area.beyond`): refused, naming the part."""
    if (beyond := area.beyond(served)) is not None:
        field, why = beyond
        raise Invalid(f"area.{field}", why, code="outside-service-area")


def checked_change(status: str, starts_at: datetime, change: OutageChange) -> dict:
    """The columns a change sets; refused when the outage is over, the change is empty, or the
    new expected end is not after the start."""
    if status == "resolved":
        raise Conflict(Phrase("outage-resolved"), field="status", code="outage-resolved")
    values = change.model_dump(exclude_unset=True, exclude_none=True)
    if change.area is not None:
        values["area"] = change.area.model_dump(mode="json", exclude_none=True)
    if not values:
        raise Invalid("body", Phrase("outage-nothing-to-change"))
    if "expected_end" in values and not ends_after_start(starts_at, change.expected_end):
        raise Invalid("expected_end", Phrase("expected-end-after-start"))
    return values


def public_outage(outage: dict) -> dict:
    return {k: outage[k] for k in PUBLIC_FIELDS}
