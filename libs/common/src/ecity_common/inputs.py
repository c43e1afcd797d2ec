"""What a caller may send, as types every service's request models and routes use: text that the
database can keep and a log can show, whole numbers that fit their column, pages with a cap, and
opaque cursors for lists too long to page through by offset.

    class NewRequest(BaseModel):
        description: Prose = Field(default="", max_length=4000)   # tab and line breaks allowed
        address: Text | None = Field(default=None, max_length=500)  # one line
        priority: Int32 = Field(default=0, ge=0)                     # the route's rule and the column's

    async def list_things(thing_id: Identifier, limit: page_size(500) = 50, offset: Offset = 0,
                          after: Cursor | None = Query(None, description="the page's next_cursor")): ...

A refusal is pydantic's own error, so FastAPI answers it as every other invalid input: a 422
problem+json naming the field (`query.offset`, `path.request_id`, `description` for a body's; see
`ecity_common.web.problems.field_path`). What a route reads by hand (`request.query_params`, a
form) goes through `checked` with the same types and is refused the same way (`Invalid`).

Why here and not left to the database: PostgreSQL refuses a NUL in text and a number past its
column's range with an error the service could only answer as a 500, and a control character it
does keep ends up in a log line, a CSV cell or an XML document that it breaks. The types compose
with a route's own `Field`/`Query` bounds (both hold), and each shows in the OpenAPI document as a
`pattern` or `minimum`/`maximum`, so a client or a fuzzer knows the rule before sending.

A route parameter of these types takes its default with `=` (`offset: Offset = 0`), and a cap of
its own in the type (`page_size(500)`), never as `Query(0, le=…)`: FastAPI validates a parameter
whose default is a `Query(…)` against the bare `int` or `str` under the type, so the type's rule
would silently go (an optional one, `Text | None = Query(None, max_length=…)`, keeps it).
tests/test_inputs_documented.py finds such a parameter in the services' OpenAPI documents.

No FastAPI here: a domain's pydantic models may use these types too.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import orjson
from pydantic import AwareDatetime, GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, core_schema

from ecity_common.phrases import Phrase, validation_words
from ecity_common.refusals import Invalid

# C0 controls, DEL, and the halves of a surrogate pair on their own (JSON can spell "\ud800"; no
# encoder can write it). Prose keeps tab, line feed and carriage return.
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_NOT_IN_PROSE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# The same rules as ECMA 262 patterns, for the OpenAPI documents.
LINE_PATTERN = r"^[^\u0000-\u001f\u007f]*$"
PROSE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"


def unwritable(value: str, *, prose: bool = False) -> Phrase | None:
    """Why this text cannot be taken (the first character no one types, and where), or None."""
    found = (_NOT_IN_PROSE if prose else _NOT_IN_A_LINE).search(value)
    if found is None:
        return None
    return Phrase("control-character-prose" if prose else "control-character", code=ord(found.group()),
                  position=found.start())


def _refused(kind: str, said: Phrase) -> PydanticCustomError:
    """pydantic's error of `kind` in the words of `said`; its key rides in the error's context, so
    that the problem handler can say it in the caller's language (ecity_common.phrases)."""
    return PydanticCustomError(kind, said, {"phrase": said.key, **said.params})


@dataclass(frozen=True)
class _Plain:
    """Text without control characters; `prose` allows tab and line breaks."""

    prose: bool = False
    min_length: int | None = None
    max_length: int | None = None

    def check(self, value: str) -> str:
        if (reason := unwritable(value, prose=self.prose)) is not None:
            raise _refused("control_character", reason)
        # Lengths here rather than as constraints, which a field's own Field(max_length=…) would
        # replace instead of adding to.
        if self.min_length is not None and len(value) < self.min_length:
            raise _refused("string_too_short", Phrase("at-least-characters", min_length=self.min_length))
        if self.max_length is not None and len(value) > self.max_length:
            raise _refused("string_too_long", Phrase("at-most-characters", max_length=self.max_length))
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        shown = handler(schema)
        shown.setdefault("pattern", PROSE_PATTERN if self.prose else LINE_PATTERN)
        if self.min_length is not None:
            shown["minLength"] = max(shown.get("minLength", 0), self.min_length)
        if self.max_length is not None:
            shown["maxLength"] = min(shown.get("maxLength", self.max_length), self.max_length)
        return shown


@dataclass(frozen=True)
class _Fits:
    """A whole number within [low, high]: what its column (or its cap) can hold."""

    low: int
    high: int
    hint: str = ""  # a phrase's key (ecity_common.phrases): what else to do

    def check(self, value: int) -> int:
        if not self.low <= value <= self.high:
            raise _refused("out_of_range", Phrase("between", low=self.low, high=self.high,
                                                  hint=Phrase(self.hint) if self.hint else ""))
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        shown = handler(schema)
        shown["minimum"] = max(shown.get("minimum", self.low), self.low)
        shown["maximum"] = min(shown.get("maximum", self.high), self.high)
        return shown


# One line of text: a name, a code, an address, a filter's value.
Text = Annotated[str, _Plain()]
# Text a person writes in paragraphs: a description, a note, a comment.
Prose = Annotated[str, _Plain(prose=True)]
# Something's id in a path, a body or a filter: one line, 1 to 200 characters.
Identifier = Annotated[str, _Plain(min_length=1, max_length=200)]

# Whole numbers by the column that keeps them (SMALLINT, INTEGER, BIGINT).
SmallInt = Annotated[int, _Fits(-(2**15), 2**15 - 1)]
Int32 = Annotated[int, _Fits(-(2**31), 2**31 - 1)]
Int64 = Annotated[int, _Fits(-(2**63), 2**63 - 1)]


@dataclass(frozen=True)
class _Era:
    """A time within the years the city's records can be about (and far from the ends of Python's
    calendar: 0001-01-01T00:00+05:00 is a valid ISO time whose UTC instant no datetime can hold, so
    the driver failed on it)."""

    first_year: int = 2000
    last_year: int = 2100

    def check(self, value: datetime) -> datetime:
        if not self.first_year <= value.year <= self.last_year:
            raise _refused("out_of_range", Phrase("in-years", first_year=self.first_year, last_year=self.last_year))
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


# A moment with its UTC offset (ISO 8601), in the years 2000 to 2100.
Moment = Annotated[AwareDatetime, _Era()]
# A date and time to compare with (a filter's bound), with or without its offset.
Time = Annotated[datetime, _Era()]

# Pages. An offset is read and thrown away row by row, so a deep one costs the database as much as
# the whole list up to it: past MAX_OFFSET, a list that can grow that long pages with a cursor.
MAX_LIMIT = 10_000
MAX_OFFSET = 10_000
Offset = Annotated[int, _Fits(0, MAX_OFFSET, "deeper-pages")]


def page_size(cap: int) -> Any:
    """How many items a page may hold, 1 to `cap` (at most MAX_LIMIT): `limit: page_size(500) = 50`."""
    return Annotated[int, _Fits(1, min(cap, MAX_LIMIT))]


Limit = page_size(MAX_LIMIT)

# Rows of one CSV import (a whole city's budget lines or network objects run to tens of thousands):
# each row is a statement, so the row count, not only the 20 MiB, bounds what one upload costs.
MAX_IMPORT_ROWS = 100_000


# -- cursors -----------------------------------------------------------------------------------

MAX_CURSOR_LENGTH = 400


def cursor(*values: str | int) -> str:
    """An opaque cursor for keyset pages: the sort key of a page's last item (e.g. its time and id),
    which the next page starts after. Opaque so that clients pass it back rather than build it;
    not secret, and checked like any input when it comes back (`Cursor`)."""
    return base64.urlsafe_b64encode(orjson.dumps(values)).rstrip(b"=").decode()


def _opened(raw: str) -> tuple[str | int, ...]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        values = None
    # A cursor is easy to forge: what it carries is checked like any other input.
    if not isinstance(values, list) or not values or not all(
        (isinstance(v, str) and len(v) <= 200 and unwritable(v) is None)
        or (isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63) for v in values
    ):
        raise _refused("cursor", Phrase("not-a-cursor"))
    return tuple(values)


@dataclass(frozen=True)
class _Opaque:
    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            _opened, core_schema.str_schema(max_length=MAX_CURSOR_LENGTH, pattern=r"^[A-Za-z0-9_-]+$"))


# A keyset page's `after`: validates to the tuple of values `cursor()` packed.
Cursor = Annotated[str, _Opaque()]


# -- what a route reads by hand ----------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


def checked(field: str, raw: Any, kind: Any = Text) -> Any:
    """`raw` read as `kind` (one of the types above, or any pydantic type), or refused as `Invalid`
    naming `field` (e.g. `query.version`): for parameters a route takes from `request.query_params`
    or a form, which FastAPI does not validate for it."""
    try:
        return _adapter(kind).validate_python(raw)
    except ValidationError as exc:
        raise Invalid(field, validation_words(exc.errors(include_url=False)[0])) from None


def plain_values(values: Mapping[str, Any], prefix: str, *, prose: Set[str] = frozenset()) -> None:
    """Refuse, as `Invalid` naming `<prefix>.<key>` (`<key>` with no prefix), the first key or text
    value of a mapping, e.g. a query string or a form, that holds a control character; `prose`
    names keys whose values may hold tab and line breaks."""
    # A query string or a form may repeat a key: every value counts (multi_items), not the last.
    items = values.multi_items() if hasattr(values, "multi_items") else values.items()
    for key, value in items:
        if (reason := unwritable(key)) is not None:
            raise Invalid(prefix, Phrase("parameter-name", reason=reason))
        if isinstance(value, str) and (reason := unwritable(value, prose=key in prose)) is not None:
            raise Invalid(f"{prefix}.{key}" if prefix else key, reason)


_RULES = (_Plain, _Fits, _Era, _Opaque)
# What a field of a model is as a value in a question about it, when it has no rule of its own here.
_PLAIN_TYPES: dict[Any, Any] = {str: Text, int: Int32, float: float, bool: bool, date: date, datetime: Time}


def column_type(field: FieldInfo) -> Any | None:
    """A model field's type with the rules above (what its column holds) and without the field's
    own (its bounds, its length): what a filter's value on that field is read as. A plain `str` is
    Text, a plain `int` Int32 (the narrowest integer column); None for what no filter can compare
    (a dict, a list)."""
    annotation = field.annotation
    if get_origin(annotation) in (Union, UnionType):  # X | None
        branches = [a for a in get_args(annotation) if a is not type(None)]
        if len(branches) != 1:
            return None
        annotation = branches[0]
    rules = [m for m in field.metadata if isinstance(m, _RULES)]
    if get_origin(annotation) is Annotated:
        annotation, *inner = get_args(annotation)
        rules += [m for m in inner if isinstance(m, _RULES)]
    if get_origin(annotation) is Literal:
        return annotation
    if rules:
        return Annotated[annotation, *rules]
    return _PLAIN_TYPES.get(annotation)
