"""Which fields of the events hold personal data, and that each is said (issue 18).

The event catalogue marks such a field with `x-personal-data` (`ecity_common.events.catalogue.personal`),
saying why the event carries it; the mark is in the generated AsyncAPI document and JSON Schemas.
Here: every field known to hold personal data wherever it appears (a citizen's id, a contact, a
place or an address, free text a person wrote) is marked, or sits inside a marked field; every
mark says why; and the producer's README names each marked field beside its event, so that what
the README says an event carries is what it carries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecity_common.events.catalogue import PERSONAL_DATA, all_specs
from ecity_common.personal_data import mask

ROOT = Path(__file__).resolve().parents[1]
# Field names that hold personal data in any event: who (an id, a contact, a name), where (a
# place, an address), and what a person wrote (a description, a note, a comment, a reason), and
# what stands for a household (a meter).
KNOWN = {"citizen_id", "email", "phone", "first_name", "last_name", "address", "location", "lat", "long", "description",
         "text", "public_note", "reason", "meter_id"}
# Known names that are no person's in these events: the network's sites are institutions, a
# routing failure's reason is the gateway's own words, a notification's reason a mail server's.
NOT_A_PERSONS = {
    ("ua.sumy.ecity.network-registry.", "address"), ("ua.sumy.ecity.utilities-gateway.request.routing-failed.", "reason"),
    ("ua.sumy.ecity.notifications.", "reason"),
}


def fields(schema: dict, defs: dict, path: str = "", marked: bool = False):
    """(path, marked, mark) of every property, a property inside a marked one counting as marked."""
    if "$ref" in schema:
        yield from fields(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, path, marked)
        return
    for branch in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from fields(branch, defs, path, marked)
    if isinstance(schema.get("items"), dict):
        yield from fields(schema["items"], defs, f"{path}[]", marked)
    for name, prop in schema.get("properties", {}).items():
        mark = prop.get(PERSONAL_DATA)
        yield f"{path}.{name}".lstrip("."), marked or mark is not None, mark
        yield from fields(prop, defs, f"{path}.{name}".lstrip("."), marked or mark is not None)


def _exempt(event_type: str, name: str) -> bool:
    return any(event_type.startswith(prefix) and name == field for prefix, field in NOT_A_PERSONS)


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_known_personal_fields_are_marked_and_every_mark_says_why(spec):
    schema = spec.payload.model_json_schema()
    found = list(fields(schema, schema.get("$defs", {})))
    unmarked = [path for path, marked, _ in found
                if path.rsplit(".", 1)[-1].removesuffix("[]") in KNOWN and not marked and not _exempt(spec.type, path.rsplit(".", 1)[-1])]
    assert not unmarked, f"{spec.type}: fields holding personal data without {PERSONAL_DATA}: {unmarked}"
    for path, _, mark in found:
        if mark is not None:
            assert isinstance(mark, str) and len(mark) > 20, f"{spec.type} {path}: say why the event carries it"


def _items(markdown: str) -> list[str]:
    """The list items and paragraphs of a README, each as one string."""
    items: list[str] = []
    for line in markdown.splitlines():
        if not line.strip() or line.lstrip().startswith("- ") or not items:
            items.append("")
        items[-1] += " " + line.strip()
    return items


def test_every_marked_field_is_named_in_its_producers_readme():
    missing = []
    for spec in all_specs():
        schema = spec.payload.model_json_schema()
        marked = [path for path, _, mark in fields(schema, schema.get("$defs", {})) if mark is not None]
        if not marked:
            continue
        readme = (ROOT / "services" / spec.producer / "README.md").read_text()
        short = spec.type.removeprefix(f"ua.sumy.ecity.{spec.producer}.").rsplit(".v", 1)[0]  # request.submitted
        items = [item for item in _items(readme) if f"`{short}`" in item]
        for path in marked:
            if not any(f"`{path.rsplit('.', 1)[-1]}`" in item for item in items):
                missing.append(f"{spec.producer} README: `{short}` and `{path.rsplit('.', 1)[-1]}` in one item or paragraph")
    assert not missing, "\n".join(missing)


def test_events_carry_masked_text():
    """What the events' free text goes through (citizen-requests' descriptions, comments and notes,
    the companies' notes): no phone, e-mail, personal id or flat number is left."""
    text = "Дзвоніть +380 67 913 58 24 або (050) 123-45-67, пишіть olena.k@ukr.net; РНОКПП 3019283746, кв. 12"
    masked = mask(text)
    for personal in ("913 58 24", "123-45-67", "olena.k", "3019283746", "кв. 12"):
        assert personal not in masked
    assert masked.startswith("Дзвоніть [телефон приховано] або ([телефон приховано], пишіть [e-mail приховано]; ")
