"""The schema-compatibility rule that guards published events."""

from typing import Literal

from pydantic import BaseModel

from ecity_common.events.compat import breaking_changes


class Point(BaseModel):
    lat: float
    long: float


class V1(BaseModel):
    request_id: str
    kind: Literal["department", "utility"]
    location: Point | None = None
    note: str | None = None


def schema(model):
    return model.model_json_schema()


def test_the_same_schema_and_an_added_optional_field_are_compatible():
    class V1Plus(V1):
        photo_url: str | None = None

    assert breaking_changes(schema(V1), schema(V1)) == []
    assert breaking_changes(schema(V1), schema(V1Plus)) == []


def test_removing_or_renaming_a_required_field_breaks():
    class Renamed(BaseModel):
        id: str
        kind: Literal["department", "utility"]

    problems = breaking_changes(schema(V1), schema(Renamed))
    assert "request_id: required field removed or renamed" in problems
    assert "id: new required field (old events lack it)" in problems


def test_a_changed_type_breaks_even_deep_inside():
    class IntId(BaseModel):
        request_id: int
        kind: Literal["department", "utility"]

    class TextPoint(BaseModel):
        lat: str
        long: float

    class DeepChange(BaseModel):
        request_id: str
        kind: Literal["department", "utility"]
        location: TextPoint | None = None

    assert breaking_changes(schema(V1), schema(IntId)) == ["request_id.: type changed from string to integer"]
    assert breaking_changes(schema(V1), schema(DeepChange)) == ["location.lat.: type changed from number to string"]


def test_narrowing_an_enum_and_loosening_a_required_field_break():
    class Narrow(BaseModel):
        request_id: str | None = None
        kind: Literal["department"]

    problems = breaking_changes(schema(V1), schema(Narrow))
    assert "request_id: required field became optional" in problems
    assert any("kind" in p for p in problems)
