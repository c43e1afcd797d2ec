"""Photos over HTTP: an upload read once its sender is known, and a photo as an answer (a redirect
to the store's signed link (S3), 304 to a client that has this content, the ETag being its hash,
or the JPEG itself)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ecity_common.photos.processing import MAX_PHOTO_BYTES
from ecity_common.photos.serving import PhotoFile
from ecity_common.phrases import Phrase
from ecity_common.refusals import Invalid
from ecity_common.web.body_limits import BodyTooLarge

# How long anyone's browser or a proxy keeps a public photo: a hidden one is out of reach that long at most.
PUBLIC_MAX_AGE_S = 600


def photo_response(photo: PhotoFile, request: Request, cache: str = f"public, max-age={PUBLIC_MAX_AGE_S}") -> Response:
    headers = {"Cache-Control": cache, "ETag": photo.etag}
    if photo.link is not None:  # the S3 store: the reader fetches it there, with a link that expires
        return RedirectResponse(photo.link, status_code=307, headers=headers)
    if request.headers.get("if-none-match") == photo.etag:
        return Response(status_code=304, headers=headers)
    return Response(photo.data, media_type="image/jpeg", headers=headers)


# The upload's body as the OpenAPI document says it (the routes read it themselves: see `uploaded_photo`).
PHOTO_UPLOAD_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "the photo"},
        "use_location": {"type": "boolean", "default": False,
                         "description": "suggest the request's place from the photo's GPS position"}}}}}}}


async def uploaded_photo(request: Request) -> tuple[bytes, dict[str, str]]:
    """The photo of a multipart upload and its other fields, read by the route after its caller's
    credentials passed: FastAPI reads a body declared as File/Form parameters before any
    dependency runs, which let anyone without a token make a service read 10 MiB."""
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as exc:  # not multipart, a broken boundary, too many parts
        raise Invalid("file", Phrase("photo-form-unreadable")) from exc
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise Invalid("file", Phrase("photo-file-missing"))
    data = await file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:  # within the body's limit, but the photo alone is past its own
        raise BodyTooLarge(MAX_PHOTO_BYTES)
    return data, {k: v for k, v in form.items() if isinstance(v, str)}
