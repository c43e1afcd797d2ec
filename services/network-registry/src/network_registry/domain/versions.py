"""Optimistic versions: every write bumps an object's version; its ETag names it, and a write
with If-Match is refused when someone changed the object since. No I/O."""

from __future__ import annotations

from ecity_common.refusals import Stale
from network_registry.domain.phrases import Phrase


def etag(obj: dict) -> str:
    return f'"{obj["id"]}-v{obj["version"]}"'


def version_in(if_match: str | None) -> int | None:
    """The version an If-Match header names; None for none or `*`. ValueError if it is no ETag of ours."""
    if not if_match or if_match.strip() == "*":
        return None
    try:
        return int(if_match.strip().strip("W/").strip('"').rsplit("-v", 1)[1])
    except (IndexError, ValueError):
        raise ValueError("not an ETag of this API") from None


def check_version(kind_name: str, obj: dict, expected: int | None, hint: Phrase | str = "") -> None:
    if expected is not None and obj["version"] != expected:
        raise Stale(Phrase("version-stale", kind=kind_name, object_id=obj["id"], version=obj["version"], expected=expected,
                           hint=hint),
                    field="header.if-match")
