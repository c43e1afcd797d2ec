"""What a photo must be, and what is kept of it.

A photo from a phone carries more than its picture: EXIF with the place it was taken (often the
sender's home), the phone's make and serial, the time; XMP; an ICC profile. None of it is kept.
The pixels are decoded, turned upright by the EXIF orientation (which goes with the rest), and
encoded again as a JPEG with no metadata at all, at full size and at `WIDTHS` wide (never made
larger than they were). The GPS position is read before, and only when the sender says so: it may
suggest the place of their request.

A photo is refused (an `Invalid` naming the field) when it is not one of `FORMATS`, cannot be
decoded whole, or has more than `MAX_PIXELS` pixels — checked from the header, before anything is
decoded, because a PNG of a few kilobytes can say it is 100,000 pixels wide (a decompression bomb:
gigabytes once decoded). Its size in bytes is the HTTP edge's to bound, as it arrives
(`PHOTO_UPLOAD_BODY` with ecity_common.web.body_limits).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image, ImageOps

from ecity_common.phrases import Phrase
from ecity_common.refusals import Invalid, Unavailable
from ecity_common.web.body_limits import PHOTO_BODY, KiB

pillow_heif.register_heif_opener()  # HEIC/HEIF, what iPhones and many Android phones take

MAX_PHOTO_BYTES = PHOTO_BODY  # 10 MiB: a phone's photo is 2-6 MiB
# A multipart upload is the photo and a few hundred bytes of envelope (boundaries, part headers,
# the use_location field): the body a route reads may be that much bigger than the photo.
PHOTO_UPLOAD_BODY = MAX_PHOTO_BYTES + 16 * KiB
# 40 megapixels: more than any phone's main camera in its default mode (12-24 MP, 50 MP sensors
# save 12.5 MP), and 160 MB of RGB once decoded, which bounds what one upload can make us hold.
MAX_PIXELS = 40_000_000
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
WIDTHS = (320, 1280)  # a list's thumbnail, a phone or laptop screen
SIZES = ("320", "1280", "full")  # the renditions kept of every photo, by name
MEDIA_TYPE = "image/jpeg"
JPEG_QUALITY = 82
GPS_IFD = 0x8825


@dataclass(frozen=True)
class Place:
    """Where the photo was taken, by its GPS EXIF: a suggestion for the request's place."""

    lat: float
    long: float


@dataclass(frozen=True)
class ProcessedPhoto:
    content_hash: str  # sha256 of the full-size JPEG: the photo's address in a store
    width: int
    height: int
    renditions: dict[str, bytes] = field(repr=False)  # by SIZES name, JPEG without metadata
    place: Place | None = None
    media_type: str = MEDIA_TYPE


def process_photo(data: bytes, *, read_location: bool = False, max_pixels: int = MAX_PIXELS,
                  field_name: str = "file") -> ProcessedPhoto:
    """Check, strip and resize one photo (CPU-bound: run it through a `PhotoWorkshop`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # our own limit is lower anyway
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            # Only the header has been read so far: refuse a bomb before decoding it.
            if image.width * image.height > max_pixels:
                raise Invalid(field_name, Phrase("photo-pixels", width=image.width, height=image.height,
                                                 most=max_pixels // 1_000_000))
            place = _gps_place(image) if read_location else None
            image.load()  # decoded whole here: a truncated file fails now, not half-way through a resize
            upright = ImageOps.exif_transpose(image)
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(field_name, Phrase("photo-megapixels", most=max_pixels // 1_000_000)) from None
    except Image.UnidentifiedImageError:
        raise Invalid(field_name, Phrase("not-a-photo")) from None
    except (OSError, ValueError, SyntaxError, EOFError, RuntimeError, TypeError, IndexError, KeyError):
        # Pillow's and libheif's ways of saying the file is damaged or truncated.
        raise Invalid(field_name, Phrase("photo-damaged")) from None
    picture = _rgb(upright)
    full = _jpeg(picture)
    renditions = {"full": full}
    smaller = picture
    for width in sorted(WIDTHS, reverse=True):  # each from the next larger one: cheaper, same look
        if picture.width <= width:
            renditions[str(width)] = full  # never made larger than it is
            continue
        smaller = smaller.resize((width, max(1, round(picture.height * width / picture.width))),
                                 Image.Resampling.LANCZOS, reducing_gap=2.0)
        renditions[str(width)] = _jpeg(smaller)
    return ProcessedPhoto(content_hash=hashlib.sha256(full).hexdigest(), width=picture.width, height=picture.height,
                          renditions=renditions, place=place)


def _rgb(image: Image.Image) -> Image.Image:
    """Plain RGB pixels and nothing else (transparency laid on white, as a viewer shows it)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        plain = Image.new("RGB", rgba.size, (255, 255, 255))
        plain.paste(rgba, mask=rgba.getchannel("A"))
    else:
        plain = image.convert("RGB")
        if plain is image:
            plain = image.copy()
    # What Pillow carries from the source (EXIF, XMP, ICC, comments) and some encoders write by
    # default: gone, so that the encoder below has nothing to copy.
    plain.info = {}
    return plain


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, exif=b"", icc_profile=None, comment=b"")
    return out.getvalue()


def _gps_place(image: Image.Image) -> Place | None:
    """The GPS position in the photo's EXIF, or None if it has none or it makes no sense."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        long = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, OSError, SyntaxError):
        return None
    if not (math.isfinite(lat) and math.isfinite(long) and -90 <= lat <= 90 and -180 <= long <= 180):
        return None
    if lat == 0 and long == 0:  # what a phone without a fix writes
        return None
    return Place(round(lat, 6), round(long, 6))


def _degrees(parts, ref, negative: str) -> float:
    degrees, minutes, seconds = (float(p) for p in parts)
    value = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -value if str(ref).strip().upper().startswith(negative) else value


class PhotoWorkshop:
    """Runs `process_photo` in a few threads, off the event loop: decoding and encoding take tens
    to hundreds of milliseconds of CPU a photo, during which the service's other requests must
    go on being answered. Pillow and libheif release the interpreter's lock while they work, so
    the threads run in parallel. At most `workers` photos are processed at once and `waiting` more
    wait for a thread; past that an upload is refused as Unavailable (503 with Retry-After)
    rather than holding its 10 MiB in memory in a queue without end."""

    def __init__(self, workers: int = 2, waiting: int = 8) -> None:
        self.workers = workers
        self.capacity = workers + waiting
        self.in_hand = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photos")

    async def process(self, data: bytes, *, read_location: bool = False, field_name: str = "file") -> ProcessedPhoto:
        if self.in_hand >= self.capacity:
            raise Unavailable(Phrase("photos-busy"), retry_after_s=2)
        self.in_hand += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._pool, lambda: process_photo(data, read_location=read_location, field_name=field_name))
        finally:
            self.in_hand -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
