"""Companies' report photos: upload (a company's API key), and the public address each report's
photos are served at (use_cases/report_photos.py says which are public)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.inputs import Identifier
from ecity_common.photos import PHOTO_UPLOAD_BODY
from ecity_common.web.body_limits import body_limit
from ecity_common.web.photos import PHOTO_UPLOAD_FORM, photo_response, uploaded_photo
from utilities_gateway.domain.access import Caller
from utilities_gateway.entrypoints.http.answers import UploadedPhoto, answers
from utilities_gateway.entrypoints.http.common import company
from utilities_gateway.use_cases import report_photos

router = APIRouter(prefix="/integrations/v1", tags=["requests"])
# A company's photo is its work's: no place is suggested from it.
COMPANY_PHOTO_FORM = {"requestBody": {**PHOTO_UPLOAD_FORM["requestBody"], "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": PHOTO_UPLOAD_FORM["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["file"]}}}}}}
public = APIRouter(prefix="/public", tags=["public"])


@router.post("/photos", status_code=201, responses={**answers(UploadedPhoto, 201), 429: {}}, openapi_extra=COMPANY_PHOTO_FORM,
             summary="Upload a photo of your work (JPEG, PNG, WebP, HEIC; ≤ 10 MiB), then name it in a progress report")
@body_limit(PHOTO_UPLOAD_BODY)
async def upload_photo(request: Request, caller: Caller = Depends(company), db: AsyncSession = Depends(session)) -> dict:
    data, _ = await uploaded_photo(request)  # read only now that the company's key passed
    async with db.begin():
        return await report_photos.upload(db, request.app.state.report_photos, data, caller=caller)


@public.get("/photos/{photo_id}/{size}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 307: {"description": "to a signed link in the store"}},
            summary="A company's photo of its work on a request (320 or 1280 px wide, or full size)")
async def public_photo(photo_id: Identifier, size: Literal["320", "1280", "full"], request: Request,
                       db: AsyncSession = Depends(session)):
    photo = await report_photos.public_photo(db, request.app.state.report_photos, photo_id, size)
    return photo_response(photo, request)
