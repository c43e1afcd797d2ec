"""Where photos are kept: one interface, two real backends.

Objects are addressed by content: a photo's key is `<sha256 of its full-size JPEG>/<size>`
(`key`), so the same photo sent twice is one object, and a key never changes its bytes (served
with a long cache life and its hash as ETag). Deleting is by key; a service deletes a photo's
objects only once no row of its own still names that hash.

- `DirectoryStore`: files under a directory (the default; in Kubernetes a persistent volume).
  Written to a temporary name and renamed, so a reader never sees half a photo.
- `S3PhotoStore`: the S3 API (the city's object store, MinIO, AWS), through obstore. It can hand
  out expiring signed links (`link`), so a service may redirect a reader to the store instead of
  passing the bytes through itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, SecretStr

_KEY = re.compile(r"^[0-9a-f]{64}/[0-9a-z]{1,16}$")


def key(content_hash: str, size: str) -> str:
    """The object key of one rendition of a photo."""
    name = f"{content_hash}/{size}"
    if not _KEY.match(name):  # keys become file names: nothing but a hash and a size name
        raise ValueError(f"not a photo key: {name!r}")
    return name


class PhotoStore(Protocol):
    async def put(self, key: str, data: bytes, media_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The object's bytes, or None if there is no such object."""

    async def delete(self, key: str) -> None:
        """Gone, whether it was there or not."""

    async def link(self, key: str, expires: timedelta) -> str | None:
        """An expiring link a reader may fetch the object from directly, or None if the store
        cannot give one (then the service serves the bytes itself)."""


class DirectoryStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not _KEY.match(name):
            raise ValueError(f"not a photo key: {name!r}")
        digest, size = name.split("/")
        return self.root / digest[:2] / digest / size  # two levels: no directory with millions of entries

    async def put(self, key: str, data: bytes, media_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return  # the same content is already there (addressed by its hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        # The photo's folder goes with its last size; while other sizes are there, rmdir refuses.
        with contextlib.suppress(OSError):
            await asyncio.to_thread(path.parent.rmdir)

    async def link(self, key: str, expires: timedelta) -> str | None:
        return None


class S3PhotoStore:
    def __init__(self, bucket: str, *, endpoint: str | None = None, region: str = "us-east-1",
                 access_key_id: str | None = None, secret_access_key: str | None = None, prefix: str = "") -> None:
        from obstore.store import S3Store

        config: dict = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
            config["virtual_hosted_style_request"] = False  # a city's MinIO or Ceph: path-style
        if access_key_id:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key or ""
        allow_http = bool(endpoint and endpoint.startswith("http://"))
        self._store = S3Store(bucket, prefix=prefix or None, client_options={"allow_http": allow_http}, **config)

    async def put(self, key: str, data: bytes, media_type: str) -> None:
        import obstore

        await obstore.put_async(self._store, key, data, attributes={"Content-Type": media_type})

    async def get(self, key: str) -> bytes | None:
        import obstore

        try:
            result = await obstore.get_async(self._store, key)
            return bytes(await result.bytes_async())
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        import obstore

        try:
            await obstore.delete_async(self._store, key)
        except FileNotFoundError:
            pass

    async def link(self, key: str, expires: timedelta) -> str | None:
        import obstore

        return await obstore.sign_async(self._store, "GET", key, expires)


class PhotoStoreSettings(BaseModel):
    """A service's photo store, from its settings (`<SERVICE>_PHOTO_STORE…`)."""

    kind: Literal["directory", "s3"] = "directory"
    directory: str = ".state/photos"
    s3_bucket: str = ""
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = ""


def open_store(settings: PhotoStoreSettings) -> PhotoStore:
    if settings.kind == "s3":
        if not settings.s3_bucket:
            raise ValueError("an S3 photo store needs its bucket")
        secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
        return S3PhotoStore(settings.s3_bucket, endpoint=settings.s3_endpoint, region=settings.s3_region,
                            access_key_id=settings.s3_access_key_id, secret_access_key=secret,
                            prefix=settings.s3_prefix)
    return DirectoryStore(settings.directory)


class PhotoSettings(BaseModel):
    """The photo settings of a service that takes photos: mixed into its Settings
    (`class Settings(ServiceSettings, PhotoSettings)`), so each is `<SERVICE>_PHOTO_…` in its
    environment. A directory (in Kubernetes a persistent volume mounted there) or an S3 bucket;
    the S3 keys from the environment (a Secret)."""

    photo_store: Literal["directory", "s3"] = "directory"
    photo_directory: str = ".state/photos"
    photo_s3_bucket: str = ""
    photo_s3_endpoint: str | None = None
    photo_s3_region: str = "us-east-1"
    photo_s3_access_key_id: str | None = None
    photo_s3_secret_access_key: SecretStr | None = None
    # Photos processed at once (threads; each holds up to ~200 MB while it decodes a 40 MP photo),
    # and how many more may wait for one before an upload is answered 503.
    photo_workers: int = 2
    photo_waiting: int = 8

    def photo_store_settings(self) -> PhotoStoreSettings:
        return PhotoStoreSettings(kind=self.photo_store, directory=self.photo_directory, s3_bucket=self.photo_s3_bucket,
                                  s3_endpoint=self.photo_s3_endpoint, s3_region=self.photo_s3_region,
                                  s3_access_key_id=self.photo_s3_access_key_id,
                                  s3_secret_access_key=self.photo_s3_secret_access_key)
