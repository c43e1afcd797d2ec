"""Photos of requests (issue 18, item 3), on the real service, database and stores: a directory and
moto's S3 API server (a real process the test plugin starts)."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ecity_cli.testing import CountedUpload, bearer, serving
from ecity_cli.testing_photos import SUMY, metadata_in, phone_photo, png_bomb

HOLE = {"service_code": "pothole", "attributes": {"size": "medium"}, "description": "Яма біля під'їзду",
        "lat": 50.91, "long": 34.80}


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def _upload(client, headers, data: bytes, *, use_location: bool = False, name: str = "IMG_0001.HEIC"):
    return await client.post("/api/v1/photos", headers=headers, files={"file": (name, data, "image/heic")},
                             data={"use_location": "true" if use_location else "false"})


async def _fetched(client, answer: httpx.Response) -> bytes:
    """A photo's bytes, whether served here or through a redirect to a signed link in the store."""
    if answer.status_code == 307:
        async with httpx.AsyncClient() as outside:
            fetched = await outside.get(answer.headers["location"])
        assert fetched.status_code == 200
        return fetched.content
    assert answer.status_code == 200, answer.text
    return answer.content


async def _phone_photo_lifecycle(client, objects) -> None:
    citizen = bearer(client.settings, "citizen-photo-1", "citizen")
    operator = bearer(client.settings, "operator-photo", "operator")
    moderator = bearer(client.settings, "moderator-photo", "moderator")

    # Taken on a phone held upright: a HEIC with the phone's EXIF and where it stood.
    heic = phone_photo(2400, 1800, fmt="HEIF", orientation=6)
    uploaded = await _upload(client, citizen, heic, use_location=True)
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()
    pid = photo["photo_id"]
    assert (photo["width"], photo["height"]) == (1800, 2400)
    assert photo["suggested_place"]["lat"] == pytest.approx(SUMY[0], abs=1e-4)
    assert photo["suggested_place"]["long"] == pytest.approx(SUMY[1], abs=1e-4)
    assert len(objects()) == 3  # full, 1280, 320: in this store, by content hash

    # Stripped and resized, as its sender sees it (any state).
    for size, width in (("full", 1800), ("1280", 1280), ("320", 320)):
        jpeg = await _fetched(client, await client.get(f"/api/v1/photos/{pid}/{size}", headers=citizen))
        assert metadata_in(jpeg) == [] and Image.open(io.BytesIO(jpeg)).width == width

    place = photo["suggested_place"]
    filed = await client.post("/api/v1/requests", headers=citizen, json={**HOLE, **place, "photo_ids": [pid]})
    assert filed.status_code == 201, filed.text
    rid = filed.json()["service_request_id"]
    assert filed.json()["photos"] == [{"photo_id": pid, "publication": "pending"}]
    read = (await client.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
    assert [p["photo_id"] for p in read["photos"]] == [pid] and read["photos"][0]["publication"] == "pending"

    # Not public until staff publish it: the same 404 as a photo that does not exist.
    public = f"/api/v1/public/photos/{pid}/1280"
    assert (await client.get(public)).status_code == 404
    assert (await client.get("/api/v1/public/photos/no-such-photo/1280")).status_code == 404
    assert (await client.get(f"/open311/v2/requests/{rid}.json")).json()[0]["media_url"] is None
    assert (await client.post(f"/api/v1/moderation/photos/{pid}", headers=citizen,
                              json={"action": "publish", "reason": "x"})).status_code == 403
    published = await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator,
                                  json={"action": "publish", "reason": "яма, нікого в кадрі"})
    assert published.status_code == 200 and published.json()["after"] == {"state": "published"}

    shown = await client.get(public)
    assert shown.headers["cache-control"].startswith("public, max-age=")
    jpeg = await _fetched(client, shown)
    assert metadata_in(jpeg) == [] and Image.open(io.BytesIO(jpeg)).width == 1280
    if shown.status_code == 200:  # served here: a client's copy is still good
        again = await client.get(public, headers={"If-None-Match": shown.headers["etag"]})
        assert again.status_code == 304
    media_url = (await client.get(f"/open311/v2/requests/{rid}.json")).json()[0]["media_url"]
    assert media_url == f"{client.settings.public_base_url()}{public}"

    hidden = await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator,
                               json={"action": "hide", "reason": "номер авто"})
    assert hidden.status_code == 200 and (await client.get(public)).status_code == 404
    await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator, json={"action": "publish", "reason": "ок"})

    # Deleted with its request: the rows, and the objects in the store.
    assert (await client.delete(f"/api/v1/requests/{rid}", headers=citizen)).status_code == 403
    assert (await client.delete(f"/api/v1/requests/{rid}", headers=operator)).status_code == 204
    assert objects() == []
    assert (await client.get(public)).status_code == 404
    assert (await client.get(f"/api/v1/photos/{pid}/full", headers=citizen)).status_code == 404
    assert (await client.get(f"/api/v1/requests/{rid}", headers=operator)).status_code == 404


async def test_a_phone_photo_is_stripped_resized_stored_published_and_deleted_with_its_request(services, s3_server,
                                                                                               tmp_path):
    """The issue's "done when", in the directory store and in the S3 one."""
    directory = tmp_path / "photos"
    async with serving(services, "citizen-requests", photo_directory=str(directory)) as client:
        await _phone_photo_lifecycle(client, lambda: _stored_files(directory))
    bucket = s3_server.new_bucket()
    async with serving(services, "citizen-requests", photo_store="s3", photo_s3_bucket=bucket,
                       photo_s3_endpoint=s3_server.endpoint, photo_s3_region=s3_server.region,
                       photo_s3_access_key_id=s3_server.access_key_id,
                       photo_s3_secret_access_key=s3_server.secret_access_key) as client:
        await _phone_photo_lifecycle(client, lambda: s3_server.objects(bucket))


@pytest.fixture
async def app_client(services, tmp_path):
    async with serving(services, "citizen-requests", photo_directory=str(tmp_path / "photos")) as client:
        client.photos_root = tmp_path / "photos"
        yield client


def _names(answer: httpx.Response, field: str) -> None:
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert field in [e["field"] for e in problem.get("errors", [])] or field in problem.get("detail", ""), problem


async def test_hostile_photos_are_refused_naming_the_field(app_client):
    client = app_client
    citizen = bearer(client.settings, "citizen-photo-2", "citizen")
    other = bearer(client.settings, "citizen-photo-3", "citizen")
    jpeg = phone_photo(800, 600, fmt="JPEG", gps=False)

    for data in (b"%PDF-1.4 this is not a photo", jpeg[: len(jpeg) // 2], png_bomb(), png_bomb(8000, 8000)):
        answer = await _upload(client, citizen, data, name="x.png")
        assert answer.status_code == 422
        _names(answer, "file")
    missing = await client.post("/api/v1/photos", headers=citizen, data={"use_location": "true"})
    assert missing.status_code == 422
    _names(missing, "file")
    too_big = await _upload(client, citizen, b"\xff\xd8" + b"\0" * (10 * 1024 * 1024 + 10))
    assert too_big.status_code == 413 and too_big.headers["content-type"].startswith("application/problem+json")
    assert (await _upload(client, {}, jpeg)).status_code == 401
    # Without a token nothing of the body is read: the photo waits behind the door.
    upload = CountedUpload(b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\n\r\n", 10, 1024 * 1024)
    anonymous = await client.post("/api/v1/photos", content=upload,
                                  headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert anonymous.status_code == 401 and upload.pulled <= 1
    assert _stored_files(client.photos_root) == []  # nothing refused was kept

    # A photo without GPS suggests no place, even when asked.
    plain = await _upload(client, citizen, jpeg, use_location=True)
    assert plain.status_code == 201 and "suggested_place" not in plain.json()
    ids = [plain.json()["photo_id"]]
    for _ in range(5):
        ids.append((await _upload(client, citizen, phone_photo(320, 240, fmt="PNG", gps=False))).json()["photo_id"])
    six = await client.post("/api/v1/requests", headers=citizen, json={**HOLE, "photo_ids": ids})
    assert six.status_code == 422
    _names(six, "photo_ids")
    twice = await client.post("/api/v1/requests", headers=citizen, json={**HOLE, "photo_ids": [ids[0], ids[0]]})
    _names(twice, "photo_ids")

    # Someone else's photo (or none at all) files nothing.
    theirs = await client.post("/api/v1/requests", headers=other, json={**HOLE, "photo_ids": [ids[0]]})
    assert theirs.status_code == 422
    _names(theirs, "photo_ids")
    assert (await client.get("/api/v1/requests", headers=other)).json()["requests"] == []
    assert (await client.get(f"/api/v1/photos/{ids[0]}/320", headers=other)).status_code == 404
    nothing = await client.post("/api/v1/requests", headers=citizen, json={**HOLE, "photo_ids": ["no-such-photo"]})
    _names(nothing, "photo_ids")

    # Attached once only.
    first = await client.post("/api/v1/requests", headers=citizen, json={**HOLE, "photo_ids": ids[:2]})
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/requests", headers=citizen, json={**HOLE, "photo_ids": ids[1:3]})
    _names(again, "photo_ids")
    bad_size = await client.get(f"/api/v1/photos/{ids[0]}/640", headers=citizen)
    assert bad_size.status_code == 422


async def test_photos_in_comments_and_a_citizens_erasure(app_client):
    client = app_client
    citizen = bearer(client.settings, "citizen-photo-4", "citizen")
    operator = bearer(client.settings, "operator-photo", "operator")
    rid = (await client.post("/api/v1/requests", headers=citizen, json=HOLE)).json()["service_request_id"]
    mine = (await _upload(client, citizen, phone_photo(640, 480, fmt="WEBP", gps=False))).json()["photo_id"]
    proof = (await _upload(client, operator, phone_photo(640, 480, fmt="JPEG", gps=False))).json()["photo_id"]
    said = await client.post(f"/api/v1/requests/{rid}/comments", headers=citizen, json={"text": "Ось", "photo_ids": [mine]})
    assert said.status_code == 201, said.text
    staff_said = await client.post(f"/api/v1/requests/{rid}/comments", headers=operator,
                                   json={"text": "Полагодили", "photo_ids": [proof]})
    assert staff_said.status_code == 201
    read = (await client.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
    assert read["photos"] == []
    assert [[p["photo_id"] for p in c["photos"]] for c in read["comments"]] == [[mine], [proof]]
    assert len(_stored_files(client.photos_root)) == 6
    # The citizen sees staff's photo on their own request; another citizen sees neither.
    assert (await client.get(f"/api/v1/photos/{proof}/320", headers=citizen)).status_code == 200
    stranger = bearer(client.settings, "citizen-photo-5", "citizen")
    for photo in (mine, proof):
        assert (await client.get(f"/api/v1/photos/{photo}/320", headers=stranger)).status_code == 404

    # The citizen's erasure takes their photos, wherever attached; the staff's proof stays.
    assert (await client.delete("/api/v1/me/data", headers=citizen)).status_code == 204
    assert len(_stored_files(client.photos_root)) == 3
    assert (await client.get(f"/api/v1/photos/{mine}/320", headers=citizen)).status_code == 404
    assert (await client.get(f"/api/v1/photos/{proof}/320", headers=operator)).status_code == 200
    read = (await client.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
    assert [[p["photo_id"] for p in c["photos"]] for c in read["comments"]] == [[], [proof]]
