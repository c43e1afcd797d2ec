"""My places (citizens), institutions' addresses (the IT department), and what is known at a place
(anyone). Parse, call a use case, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import Identifier, Text
from ecity_common.web.problems import Problem
from notifications.domain.phrases import Phrase
from notifications.entrypoints.http.answers import InstitutionEmailSet, KnownAt, answers
from notifications.use_cases import nearby, places

router = APIRouter(prefix="/api/v1", tags=["places and outages"])

# Addresses of e-mail as people type them: one @, no spaces or angle brackets, a dot in the domain;
# no control character (a NUL reached the database as a 500).
EMAIL_PATTERN = r"^[^@\s<>()\[\],;:\"\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$"


class NewPlace(BaseModel):
    address: Text = Field(min_length=3, max_length=300, examples=["вул. Соборна, 12"])
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)


class PlaceView(BaseModel):
    place_id: str
    address: str
    lat: float | None
    long: float | None
    created_at: str


class InstitutionEmail(BaseModel):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, examples=["school5@osvita.sumy.ua"])


@router.post("/me/places", status_code=201, response_model=PlaceView,
             summary="Follow a place: outages there (every provider's) are told to me")
async def add_place(body: NewPlace, citizen: Principal = Depends(require_role("citizen")),
                    db: AsyncSession = Depends(session)) -> dict:
    return await places.add_place(db, citizen.subject, address=body.address, lat=body.lat, long=body.long)


@router.get("/me/places", response_model=list[PlaceView], summary="The places I follow")
async def my_places(citizen: Principal = Depends(require_role("citizen")), db: AsyncSession = Depends(session)):
    return await places.my_places(db, citizen.subject)


@router.delete("/me/places/{place_id}", status_code=204, summary="Stop following a place")
async def remove_place(place_id: Identifier, citizen: Principal = Depends(require_role("citizen")),
                       db: AsyncSession = Depends(session)) -> Response:
    await places.remove_place(db, citizen.subject, place_id)
    return Response(status_code=204)


@router.put("/institutions/{holder_code}/email", responses=answers(InstitutionEmailSet),
            summary="An institution's official address for its sites' network outages (IT department)")
async def set_institution_email(body: InstitutionEmail,
                                holder_code: str = Path(pattern=r"^\d{2}$", examples=["06"],
                                                        description="the budget holder's 2-digit code"),
                                _: Principal = Depends(require_role("network-admin")),
                                db: AsyncSession = Depends(session)) -> dict:
    return await places.set_institution_email(db, holder_code, body.email)


@router.get("/public/at", responses=answers(KnownAt), summary="What is known at a place now: every provider's outages there, going on or planned")
async def known_at(lat: float | None = Query(default=None, ge=-90, le=90),
                   long: float | None = Query(default=None, ge=-180, le=180),
                   address: Text | None = Query(default=None, min_length=3, max_length=300),
                   db: AsyncSession = Depends(session)) -> dict:
    if (lat is None) != (long is None):
        missing = "long" if long is None else "lat"
        raise Problem("validation-error", Phrase("coordinate-needs-other", missing=missing),
                      errors=[{"field": f"query.{missing}", "message": Phrase("give-lat-and-long")}])
    if lat is None and address is None:
        raise Problem("validation-error", Phrase("point-or-address"),
                      errors=[{"field": "query.address", "message": Phrase("lat-long-or-address")}])
    return await places.known_at(db, lat=lat, long=long, address=address)


# A category's code as citizen-requests' catalogue writes them (water_leak, pothole).
ServiceCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class NewAlert(BaseModel):
    lat: float = Field(ge=-90, le=90)
    long: float = Field(ge=-180, le=180)
    radius_m: int = Field(ge=50, le=3000, description="how far from the point, in metres")
    categories: list[ServiceCode] = Field(min_length=1, max_length=30, description="service codes of the catalogue")
    digest: bool = Field(default=False, description="one message each morning instead of one per request")


class AlertView(BaseModel):
    alert_id: str
    lat: float
    long: float
    radius_m: int
    categories: list[str]
    digest: bool
    created_at: str


@router.post("/me/alerts", status_code=201, response_model=AlertView,
             summary="Tell me of new requests of these categories near this point")
async def add_alert(body: NewAlert, citizen: Principal = Depends(require_role("citizen")),
                    db: AsyncSession = Depends(session)) -> dict:
    return await nearby.add_alert(db, citizen.subject, lat=body.lat, long=body.long, radius_m=body.radius_m,
                                  categories=body.categories, digest=body.digest)


@router.get("/me/alerts", response_model=list[AlertView], summary="My local alerts")
async def my_alerts(citizen: Principal = Depends(require_role("citizen")), db: AsyncSession = Depends(session)):
    return await nearby.my_alerts(db, citizen.subject)


@router.delete("/me/alerts/{alert_id}", status_code=204, summary="Remove a local alert")
async def remove_alert(alert_id: Identifier, citizen: Principal = Depends(require_role("citizen")),
                       db: AsyncSession = Depends(session)) -> Response:
    await nearby.remove_alert(db, citizen.subject, alert_id)
    return Response(status_code=204)
