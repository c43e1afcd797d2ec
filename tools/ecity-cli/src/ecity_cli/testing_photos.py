"""Photos for tests and benchmarks, made when needed rather than kept as binary files in git: a
phone's photo (HEIC or JPEG, with the EXIF a phone writes: make, model, orientation, GPS) and a
decompression bomb."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from ecity_common.photos import process_photo  # noqa: F401  (registers the HEIF opener, which saving HEIC needs)

ORIENTATION = 0x0112
GPS_IFD = 0x8825
SUMY = (50.9077, 34.7981)  # the city council, Sumy: where the test phone stood


def phone_photo(width: int = 2400, height: int = 1800, *, fmt: str = "HEIF", orientation: int = 6, gps: bool = True,
                quality: int = 80, noise: float = 60) -> bytes:
    """A photo as a phone saves it: a picture with detail (noise compresses like a real scene
    does, badly), EXIF with the make and model, the orientation the phone was held in and, with
    `gps`, where it was taken (SUMY, as degrees, minutes, seconds)."""
    picture = Image.effect_noise((width, height), noise).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 15"
    exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (50.0, 54.0, 27.72), 3: "E", 4: (34.0, 47.0, 53.16)}
    out = io.BytesIO()
    picture.save(out, fmt, exif=exif.tobytes(), quality=quality)
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG that says it is `width`×`height` (30 GB of pixels at the default) in a few dozen bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
            + chunk(b"IEND", b""))


def metadata_in(jpeg: bytes) -> list[str]:
    """What metadata a JPEG carries (empty: none at all)."""
    image = Image.open(io.BytesIO(jpeg))
    found = [name for name in ("exif", "icc_profile", "xmp", "comment") if name in image.info]
    if dict(image.getexif()):
        found.append("EXIF tags")
    for marker, name in ((b"Exif\0", "an EXIF segment"), (b"http://ns.adobe.com/xap", "XMP"), (b"PhoneMaker", "the make")):
        if marker in jpeg:
            found.append(name)
    return found
