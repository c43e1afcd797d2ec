"""The photo library: what is kept of a photo, what is refused, and the two stores behind one
interface (the S3 one against moto's S3 API server, a real process the test plugin starts)."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import timedelta

import httpx
import pytest
from PIL import Image

from ecity_cli.testing_photos import metadata_in, phone_photo, png_bomb
from ecity_common.photos import DirectoryStore, PhotoWorkshop, S3PhotoStore, process_photo
from ecity_common.photos.storage import key
from ecity_common.refusals import Invalid


def no_metadata(jpeg: bytes) -> None:
    assert Image.open(io.BytesIO(jpeg)).format == "JPEG"
    assert metadata_in(jpeg) == []


def test_a_phone_photo_is_turned_upright_stripped_and_resized():
    data = phone_photo(2400, 1800, fmt="JPEG", orientation=6)  # held upright: the sensor's 2400×1800 turns
    photo = process_photo(data, read_location=False)
    assert (photo.width, photo.height) == (1800, 2400)
    assert photo.place is None  # not asked for: not read
    for size, width in (("full", 1800), ("1280", 1280), ("320", 320)):
        rendition = photo.renditions[size]
        no_metadata(rendition)
        image = Image.open(io.BytesIO(rendition))
        assert image.width == width and abs(image.height - round(2400 * width / 1800)) <= 1
    import hashlib
    assert photo.content_hash == hashlib.sha256(photo.renditions["full"]).hexdigest()


def test_a_heic_gives_its_gps_place_only_when_asked_and_keeps_none_of_it():
    data = phone_photo(640, 480, fmt="HEIF")
    assert data[4:12] == b"ftypheic"
    asked = process_photo(data, read_location=True)
    assert asked.place is not None
    assert asked.place.lat == pytest.approx(50.9077, abs=1e-4) and asked.place.long == pytest.approx(34.7981, abs=1e-4)
    assert process_photo(data).place is None
    for rendition in asked.renditions.values():
        no_metadata(rendition)
    # A small photo is never made larger: its 1280 and 320 are what it is, where it is smaller.
    assert Image.open(io.BytesIO(asked.renditions["1280"])).size == (asked.width, asked.height) == (480, 640)
    assert Image.open(io.BytesIO(asked.renditions["320"])).width == 320


def test_png_and_webp_with_transparency_are_kept_on_white():
    for fmt in ("PNG", "WEBP"):
        out = io.BytesIO()
        Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(out, fmt)
        photo = process_photo(out.getvalue())
        assert Image.open(io.BytesIO(photo.renditions["full"])).convert("RGB").getpixel((25, 20))[0] > 240


@pytest.mark.parametrize("data, says", [
    (b"%PDF-1.4 not a photo at all", "not a photo"),
    (b"", "not a photo"),
    (png_bomb(), "megapixels"),
    (png_bomb(7000, 6000), "megapixels"),  # 42 MP: past our 40, below Pillow's own warning
], ids=["pdf", "empty", "png-bomb", "42-megapixels"])
def test_what_is_not_a_photo_is_refused_naming_the_field(data, says):
    started = time.process_time()
    with pytest.raises(Invalid) as refused:
        process_photo(data, field_name="file")
    assert refused.value.field == "file" and says in refused.value.detail
    assert time.process_time() - started < 1.0  # the bomb is refused from its header, not decoded


def test_a_truncated_photo_is_refused():
    data = phone_photo(800, 600, fmt="JPEG", gps=False)
    with pytest.raises(Invalid) as refused:
        process_photo(data[: len(data) // 2])
    assert refused.value.field == "file"
    heic = phone_photo(800, 600, gps=False)
    with pytest.raises(Invalid):
        process_photo(heic[: len(heic) // 2])


async def test_the_workshop_keeps_the_event_loop_free():
    workshop = PhotoWorkshop(workers=1, waiting=0)
    data = phone_photo(3000, 2000, fmt="JPEG", orientation=1, gps=False)
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        started = time.monotonic()
        photo = await workshop.process(data)
        took = time.monotonic() - started
    finally:
        ticker.cancel()
    assert photo.width == 3000
    assert ticks >= took / 0.01 * 0.5  # the loop kept ticking while the photo was processed
    workshop.close()


async def test_a_full_workshop_refuses_rather_than_queues():
    from ecity_common.refusals import Unavailable

    workshop = PhotoWorkshop(workers=1, waiting=0)
    data = phone_photo(3000, 2000, fmt="JPEG", orientation=1, gps=False)
    first = asyncio.create_task(workshop.process(data))
    await asyncio.sleep(0)
    with pytest.raises(Unavailable):
        await workshop.process(data)
    assert (await first).width == 3000
    workshop.close()


@pytest.fixture(params=["directory", "s3"])
def store(request, tmp_path):
    if request.param == "directory":
        return DirectoryStore(tmp_path / "photos")
    s3 = request.getfixturevalue("s3_server")
    bucket = s3.new_bucket()
    made = S3PhotoStore(bucket, endpoint=s3.endpoint, region=s3.region, access_key_id=s3.access_key_id,
                        secret_access_key=s3.secret_access_key)
    made.s3, made.bucket = s3, bucket  # for the test to look into the bucket itself
    return made


async def test_a_store_keeps_gives_and_deletes_by_content_hash(store):
    photo = process_photo(phone_photo(1600, 1200, fmt="JPEG", gps=False))
    for size, data in photo.renditions.items():
        await store.put(key(photo.content_hash, size), data, photo.media_type)
        await store.put(key(photo.content_hash, size), data, photo.media_type)  # again: the same object
    assert await store.get(key(photo.content_hash, "320")) == photo.renditions["320"]
    assert await store.get(key("0" * 64, "320")) is None
    link = await store.link(key(photo.content_hash, "full"), timedelta(minutes=5))
    if isinstance(store, S3PhotoStore):  # a signed link anyone may fetch until it expires
        fetched = httpx.get(link)
        assert fetched.status_code == 200 and fetched.content == photo.renditions["full"]
        assert sorted(store.s3.objects(store.bucket)) == sorted(key(photo.content_hash, s) for s in photo.renditions)
    else:
        assert link is None
        assert len(list(store.root.rglob("*"))) == 2 + 3  # two folders, three files
    for size in photo.renditions:
        await store.delete(key(photo.content_hash, size))
        assert await store.get(key(photo.content_hash, size)) is None
    await store.delete(key(photo.content_hash, "full"))  # deleting what is gone is no error
    if isinstance(store, S3PhotoStore):
        assert store.s3.objects(store.bucket) == []
    else:
        assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_keys_are_only_hashes_and_sizes():
    for bad in ("../../etc/passwd", "ab/../../x", "0" * 64 + "/../x", "0" * 63 + "/320"):
        with pytest.raises(ValueError):
            key(*bad.split("/", 1)) if "/" in bad else key(bad, "320")
