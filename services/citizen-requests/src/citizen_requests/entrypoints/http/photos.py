"""Photos (`/api/v1/photos`, `/api/v1/public/photos`): upload, read, publish. Parse, call a use
case, shape the answer; who sees what is `domain/photos.py`'s."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.entrypoints.http.answers import PhotoPublication, answers
from citizen_requests.use_cases import photos
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import Identifier
from ecity_common.photos import MAX_PHOTO_BYTES, PHOTO_UPLOAD_BODY
from ecity_common.web.body_limits import BodyTooLarge, body_limit

router = APIRouter(prefix="/api/v1", tags=["photos"])

Size = Literal["320", "1280", "full"]
# A published photo may be cached by browsers and the city's CDN for this long: a photo staff hide
# afterwards stays in caches at most that long (its bytes never change: they are addressed by hash).
PUBLIC_MAX_AGE_S = 600


class Uploaded(BaseModel):
    photo_id: str
    width: int
    height: int
    suggested_place: dict | None = None


class Publication(BaseModel):
    state: Literal["pending", "published", "hidden"]


@router.post("/photos", status_code=201, response_model=Uploaded, response_model_exclude_none=True,
             summary="Upload a photo (JPEG, PNG, WebP, HEIC; ≤ 10 MiB): stripped of its metadata, kept until attached")
@body_limit(PHOTO_UPLOAD_BODY)
async def upload_photo(
    request: Request,
    file: UploadFile = File(description="the photo"),
    use_location: bool = Form(False, description="suggest the request's place from the photo's GPS position"),
    who: Principal = Depends(require_role("citizen", "operator")),
    db: AsyncSession = Depends(session),
):
    data = await file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:  # within the body's limit, but the photo alone is past its own
        raise BodyTooLarge(MAX_PHOTO_BYTES)
    async with db.begin():
        return await photos.upload(db, request.app.state.photos, data, owner=who.subject, read_location=use_location)


def _served(photo: photos.PhotoFile, request: Request, cache: str) -> Response:
    headers = {"Cache-Control": cache, "ETag": photo.etag}
    if photo.link is not None:  # the S3 store: the reader fetches it there, with a link that expires
        return RedirectResponse(photo.link, status_code=307, headers=headers)
    if request.headers.get("if-none-match") == photo.etag:
        return Response(status_code=304, headers=headers)
    return Response(photo.data, media_type="image/jpeg", headers=headers)


@router.get("/public/photos/{photo_id}/{size}", tags=["public"], response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 307: {"description": "to a signed link in the store"}},
            summary="A published photo of a public request (320 or 1280 px wide, or full size)")
async def public_photo(photo_id: Identifier, size: Size, request: Request, db: AsyncSession = Depends(session)):
    photo = await photos.public_photo(db, request.app.state.photos, photo_id, size)
    return _served(photo, request, f"public, max-age={PUBLIC_MAX_AGE_S}")


@router.get("/photos/{photo_id}/{size}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 307: {"description": "to a signed link in the store"}},
            summary="A photo in any publication state, for its sender, staff and the citizen whose request it is on")
async def own_photo(photo_id: Identifier, size: Size, request: Request,
                    who: Principal = Depends(require_role("citizen", "operator")), db: AsyncSession = Depends(session)):
    photo = await photos.own_photo(db, request.app.state.photos, photo_id, size, reader=who.subject,
                                   staff=who.has("operator"))
    return _served(photo, request, "private, max-age=600")


@router.post("/photos/{photo_id}/publication", responses=answers(PhotoPublication),
             summary="Publish a photo or keep it from the public (role operator; moderators' once moderation comes)")
async def set_publication(photo_id: Identifier, body: Publication, operator: Principal = Depends(require_role("operator")),
                          db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await photos.set_publication(db, photo_id, body.state, by=operator.subject)
