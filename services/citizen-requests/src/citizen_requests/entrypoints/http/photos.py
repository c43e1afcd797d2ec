"""Photos (`/api/v1/photos`, `/api/v1/public/photos`): upload and read (moderators publish or hide
them: `entrypoints/http/moderation.py`). Parse, call a use case, shape the answer; who sees what
is `domain/photos.py`'s."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.use_cases import photos
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import Identifier, checked
from ecity_common.photos import PHOTO_UPLOAD_BODY
from ecity_common.web.body_limits import body_limit
from ecity_common.web.photos import PHOTO_UPLOAD_FORM, photo_response, uploaded_photo

router = APIRouter(prefix="/api/v1", tags=["photos"])

Size = Literal["320", "1280", "full"]


class Uploaded(BaseModel):
    photo_id: str
    width: int
    height: int
    suggested_place: dict | None = None


@router.post("/photos", status_code=201, response_model=Uploaded, response_model_exclude_none=True,
             openapi_extra=PHOTO_UPLOAD_FORM,
             summary="Upload a photo (JPEG, PNG, WebP, HEIC; ≤ 10 MiB): stripped of its metadata, kept until attached")
@body_limit(PHOTO_UPLOAD_BODY)
async def upload_photo(request: Request, who: Principal = Depends(require_role("citizen", "operator")),
                       db: AsyncSession = Depends(session)):
    data, fields = await uploaded_photo(request)  # read only now that the token passed
    use_location = checked("use_location", fields.get("use_location", "false"), bool)
    async with db.begin():
        return await photos.upload(db, request.app.state.photos, data, owner=who.subject, read_location=use_location)


@router.get("/public/photos/{photo_id}/{size}", tags=["public"], response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 307: {"description": "to a signed link in the store"}},
            summary="A published photo of a public request (320 or 1280 px wide, or full size)")
async def public_photo(photo_id: Identifier, size: Size, request: Request, db: AsyncSession = Depends(session)):
    photo = await photos.public_photo(db, request.app.state.photos, photo_id, size)
    return photo_response(photo, request)


@router.get("/photos/{photo_id}/{size}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 307: {"description": "to a signed link in the store"}},
            summary="A photo in any publication state, for its sender, staff (moderators decide on it) and the "
                    "citizen whose request it is on")
async def own_photo(photo_id: Identifier, size: Size, request: Request,
                    who: Principal = Depends(require_role("citizen", "operator", "moderator")),
                    db: AsyncSession = Depends(session)):
    photo = await photos.own_photo(db, request.app.state.photos, photo_id, size, reader=who.subject,
                                   staff=who.has("operator") or who.has("moderator"))
    return photo_response(photo, request, "private, max-age=600")
