"""Photos citizens and companies send: checked, stripped of their metadata, resized, and kept in
a store addressed by content hash. Shared by the services that take photos (citizen-requests,
utilities-gateway); what of a photo is public is each service's own rule, never this library's.

- `processing`: what a photo must be (JPEG, PNG, WebP, HEIC/HEIF; at most `MAX_PHOTO_BYTES` and
  `MAX_PIXELS`), and what is kept of it: the pixels, turned upright, re-encoded as JPEG without
  any metadata, at full size and `WIDTHS` wide; the GPS position only when the sender allows it.
  `PhotoWorkshop` runs that CPU work in a bounded pool of threads, off the event loop.
- `storage`: `PhotoStore`, with a directory (`DirectoryStore`, the default; a volume in
  Kubernetes) and the S3 API (`S3PhotoStore`) behind the same four calls.
"""

from ecity_common.photos.processing import (
    MAX_PHOTO_BYTES,
    MAX_PIXELS,
    PHOTO_UPLOAD_BODY,
    SIZES,
    WIDTHS,
    PhotoWorkshop,
    Place,
    ProcessedPhoto,
    process_photo,
)
from ecity_common.photos.storage import (
    DirectoryStore,
    PhotoSettings,
    PhotoStore,
    PhotoStoreSettings,
    S3PhotoStore,
    open_store,
)

__all__ = ["MAX_PHOTO_BYTES", "MAX_PIXELS", "PHOTO_UPLOAD_BODY", "SIZES", "WIDTHS", "Place", "ProcessedPhoto",
           "PhotoWorkshop", "process_photo", "DirectoryStore", "PhotoSettings", "PhotoStore", "PhotoStoreSettings", "S3PhotoStore",
           "open_store"]
