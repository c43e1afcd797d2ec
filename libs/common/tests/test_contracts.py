"""The committed AsyncAPI document and schemas are what the catalogue generates, and no
published event has changed in a way that breaks its consumers."""

import json

from ecity_common.events.catalogue import TOPICS, all_specs
from ecity_common.events.contracts import CONTRACTS_DIR, asyncapi_document, generated_files, published_problems


def test_committed_asyncapi_and_schemas_are_current():
    stale = [str(p.relative_to(CONTRACTS_DIR)) for p, text in generated_files().items()
             if not p.exists() or p.read_text() != text]
    assert stale == [], f"run `make contracts` (ecity contracts) and commit: {stale}"


def test_no_breaking_change_against_the_published_snapshots():
    assert published_problems() == {}


def test_every_event_type_has_a_published_snapshot():
    missing = [s.type for s in all_specs() if not (CONTRACTS_DIR / "published" / f"{s.type}.json").exists()]
    assert missing == [], "publish them with `ecity contracts`"


def test_asyncapi_names_every_topic_its_dead_letters_and_every_message():
    doc = asyncapi_document()
    assert doc["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in doc["channels"].values()}
    for topic in TOPICS.values():
        assert {topic, f"{topic}.dlq"} <= addresses
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == {s.type for s in all_specs()}
    # Every $ref in the document points at something that exists.
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}:
        node = doc
        for key in ref.split("/"):
            node = node[key]


def test_type_names_follow_the_convention():
    for spec in all_specs():
        parts = spec.type.split(".")
        assert parts[:3] == ["ua", "sumy", "ecity"] and parts[3] == spec.producer
        assert parts[-1].startswith("v") and parts[-1][1:].isdigit()
