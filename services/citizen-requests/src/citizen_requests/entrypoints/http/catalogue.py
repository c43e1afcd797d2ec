"""The service catalogue's API (role `catalogue-admin` changes it, operators read it): the
definition of a category as staff send it, checked; the work is `use_cases/catalogue.py`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, StringConstraints, model_validator

from citizen_requests.adapters import catalogue_store
from citizen_requests.domain.catalogue import Catalogue, Datatype, HandlerKind, PlaceKind
from citizen_requests.domain.deadlines import Term
from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.requests import TAG_START
from citizen_requests.entrypoints.http.answers import Categories, CategoryDefinition, answers
from citizen_requests.use_cases import catalogue
from ecity_common.auth import Principal, require_role
from ecity_common.events.payloads.common import UtilityKind
from ecity_common.inputs import Identifier, Prose, Text
from ecity_common.refusals import Invalid

router = APIRouter(prefix="/api/v1/categories", tags=["service catalogue"])
STAFF = require_role("catalogue-admin")
READ = require_role("catalogue-admin", "operator")


Keyword = Annotated[Text, StringConstraints(min_length=1, max_length=100)]


class ValueIn(BaseModel):
    key: Text = Field(min_length=1, max_length=64)
    name: Text = Field(min_length=1, max_length=200)


class AttributeIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    datatype: Datatype
    description: Text = Field(min_length=1, max_length=500)
    required: bool = False
    order: int = Field(default=1, ge=1, le=100)
    datatype_description: Text = Field(default="", max_length=300)
    values: list[ValueIn] = Field(default_factory=list, max_length=100)
    variable: bool = True

    @model_validator(mode="after")
    def _lists_have_values(self) -> AttributeIn:
        if self.datatype.endswith("valuelist") and not self.values:
            raise ValueError(Phrase("list-needs-values", datatype=self.datatype))
        if not self.datatype.endswith("valuelist") and self.values:
            raise ValueError(Phrase("no-values", datatype=self.datatype))
        if len({v.key for v in self.values}) != len(self.values):
            raise ValueError(Phrase("value-keys-unique"))
        return self


class CategoryIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", examples=["snow_removal"])
    name_uk: Text = Field(min_length=2, max_length=200, examples=["Не прибрано сніг"])
    name_en: Text = Field(min_length=2, max_length=200, examples=["Snow not cleared"])
    group: Text = Field(min_length=2, max_length=100, examples=["Дороги"])
    handler_kind: HandlerKind
    utility_kind: UtilityKind | None = None
    department: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,63}$")
    term: Term = Field(description="the answer term (Law 'On citizens' appeals', art. 20)")
    description: Prose = Field(default="", max_length=1000)
    keywords: list[Keyword] = Field(default_factory=list, max_length=30)
    attributes: list[AttributeIn] = Field(default_factory=list, max_length=30)
    duplicate_radius_m: int = Field(default=50, ge=5, le=1000)
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    active: bool = True
    place_kind: PlaceKind = Field(default="home", description="public_space: the exact point and address are public "
                                  "(a pothole, a street light); home: rounded to ~100 m, no address (water in a flat)")

    @model_validator(mode="after")
    def _handler(self) -> CategoryIn:
        if self.handler_kind == "utility" and (self.utility_kind is None or self.department):
            raise ValueError(Phrase("utility-category"))
        if self.handler_kind == "department" and (self.department is None or self.utility_kind):
            raise ValueError(Phrase("department-category"))
        if len({a.code for a in self.attributes}) != len(self.attributes):
            raise ValueError(Phrase("attribute-codes-unique"))
        if any(TAG_START.search(t) for t in (self.name_uk, self.name_en, self.description)):
            raise ValueError(Phrase("no-html-in-names"))
        return self


def current(request: Request) -> Catalogue:
    return request.app.state.catalogue.current


@router.get("", responses=answers(Categories), summary="The whole catalogue, withdrawn categories included (staff)")
async def list_categories(request: Request, _: Principal = Depends(READ)):
    return {"categories": [catalogue_store.to_definition(c) for c in current(request).values()]}


@router.get("/{code}", responses=answers(CategoryDefinition), summary="One category")
async def get_category(code: Identifier, request: Request, _: Principal = Depends(READ)):
    return catalogue_store.to_definition(catalogue.category(request.app.state.catalogue, code))


async def _save(request: Request, body: CategoryIn, who: Principal, *, create: bool) -> dict:
    saved = await catalogue.save_category(request.app.state.sessions, request.app.state.catalogue, body.model_dump(),
                                          actor=who.subject, create=create)
    return catalogue_store.to_definition(saved)


@router.post("", status_code=201, responses={**answers(CategoryDefinition, 201), 409: {}}, summary="Add a category")
async def create_category(body: CategoryIn, request: Request, who: Principal = Depends(STAFF)):
    return await _save(request, body, who, create=True)


@router.put("/{code}", responses=answers(CategoryDefinition), summary="Change a category (the whole definition; active: false withdraws it)")
async def replace_category(code: Identifier, body: CategoryIn, request: Request, who: Principal = Depends(STAFF)):
    if body.code != code:
        raise Invalid("code", Phrase("code-in-path"))
    return await _save(request, body, who, create=False)
