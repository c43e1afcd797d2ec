"""One size of a stored photo as a service hands it out: its bytes (the directory store) or a
signed link to them that expires (the S3 store), named by its content hash. Who may see which
photo is each service's rule; `ecity_common.web.photos` turns a `PhotoFile` into the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ecity_common.photos.storage import PhotoStore, key

# How long a signed link to the S3 store lives: long enough to load a page of photos on a slow
# phone, short enough that a photo hidden since is soon out of reach.
LINK_LIFE = timedelta(minutes=15)


@dataclass(frozen=True)
class PhotoFile:
    content_hash: str
    size: str
    data: bytes | None = None
    link: str | None = None

    @property
    def etag(self) -> str:
        return f'"{self.content_hash}-{self.size}"'  # content-addressed: the hash is the version


async def photo_file(store: PhotoStore, content_hash: str, size: str) -> PhotoFile | None:
    """The photo's `size` from the store, or None when the row outlived its object (a deletion
    that failed half-way): nothing to show."""
    object_key = key(content_hash, size)
    link = await store.link(object_key, LINK_LIFE)
    if link is not None:
        return PhotoFile(content_hash, size, link=link)
    data = await store.get(object_key)
    return None if data is None else PhotoFile(content_hash, size, data=data)
