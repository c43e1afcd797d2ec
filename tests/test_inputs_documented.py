"""Every input of every service has the rule of `ecity_common.inputs` (issue 15), as its OpenAPI
document shows it: an integer parameter or body field has a minimum and a maximum (what its column
holds, or a tighter cap), and a text one a pattern (no control characters, or its own), an enum or a
format. The documents are the apps' own (`ecity contracts`; another test keeps them current), and
a rule FastAPI dropped from a parameter is missing from the document too, so this finds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecity_cli.services import SERVICES

ROOT = Path(__file__).resolve().parents[1]


def _document(name: str) -> dict:
    return json.loads((ROOT / "services" / name / "openapi.json").read_text())


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _unruled(schema: dict, where: str, document: dict, seen: set[str]) -> list[str]:
    """Every integer or string in an input's schema with no bound or rule, by where it is."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen = seen | {name}
    schema = _resolve(schema, document)
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found += _unruled(branch, where, document, seen)
    if schema.get("type") == "integer" and not (("minimum" in schema or "exclusiveMinimum" in schema)
                                                and ("maximum" in schema or "exclusiveMaximum" in schema)):
        found.append(f"{where}: integer without minimum and maximum")
    if schema.get("type") == "string" and not ({"pattern", "enum", "const", "format"} & set(schema)):
        found.append(f"{where}: text without a pattern, an enum or a format")
    if schema.get("type") == "array" and "items" in schema:
        found += _unruled(schema["items"], f"{where}[]", document, seen)
    for name, member in schema.get("properties", {}).items():
        found += _unruled(member, f"{where}.{name}", document, seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        found += _unruled(extra, f"{where}.*", document, seen)
    return found


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_input_has_its_rule(name):
    document = _document(name)
    unruled = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} {parameter['in']}.{parameter['name']}"
                unruled += _unruled(parameter["schema"], where, document, set())
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                if media == "application/json":
                    unruled += _unruled(content["schema"], f"{method.upper()} {path} body", document, set())
    assert unruled == []
