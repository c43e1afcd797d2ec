"""Companies' report photos: upload (a company's API key), and the public address each report's
photos are served at (use_cases/report_photos.py says which are public)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.inputs import Identifier
from ecity_common.photos import MAX_PHOTO_BYTES, PHOTO_UPLOAD_BODY
from ecity_common.web.body_limits import BodyTooLarge, body_limit
from utilities_gateway.domain.access import Caller
from utilities_gateway.entrypoints.http.answers import UploadedPhoto, answers
from utilities_gateway.entrypoints.http.common import company
from utilities_gateway.use_cases import report_photos

router = APIRouter(prefix="/integrations/v1", tags=["requests"])
public = APIRouter(prefix="/public", tags=["public"])
PUBLIC_MAX_AGE_S = 600


@router.post("/photos", status_code=201, responses={**answers(UploadedPhoto, 201), 429: {}},
             summary="Upload a photo of your work (JPEG, PNG, WebP, HEIC; ≤ 10 MiB), then name it in a progress report")
@body_limit(PHOTO_UPLOAD_BODY)
async def upload_photo(request: Request, file: UploadFile = File(description="the photo"),
                       caller: Caller = Depends(company), db: AsyncSession = Depends(session)) -> dict:
    data = await file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise BodyTooLarge(MAX_PHOTO_BYTES)
    async with db.begin():
        return await report_photos.upload(db, request.app.state.report_photos, data, caller=caller)


@public.get("/photos/{photo_id}/{size}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 307: {"description": "to a signed link in the store"}},
            summary="A company's photo of its work on a request (320 or 1280 px wide, or full size)")
async def public_photo(photo_id: Identifier, size: Literal["320", "1280", "full"], request: Request,
                       db: AsyncSession = Depends(session)):
    photo = await report_photos.public_photo(db, request.app.state.report_photos, photo_id, size)
    headers = {"Cache-Control": f"public, max-age={PUBLIC_MAX_AGE_S}", "ETag": photo.etag}
    if photo.link is not None:
        return RedirectResponse(photo.link, status_code=307, headers=headers)
    if request.headers.get("if-none-match") == photo.etag:
        return Response(status_code=304, headers=headers)
    return Response(photo.data, media_type="image/jpeg", headers=headers)
