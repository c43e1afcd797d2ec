"""The services' committed OpenAPI documents are what their apps serve."""

from __future__ import annotations

import json

from ecity_cli.openapi import openapi_document, openapi_files, write_openapi


def test_the_committed_openapi_documents_are_current():
    stale = write_openapi(check_only=True)
    assert stale == [], f"run `make contracts` (ecity contracts) and commit: {stale}"


def test_each_document_describes_its_service():
    for path, text in openapi_files().items():
        assert '"title": "Sumy e-City' in text, path
    assert "/api/v1/requests" in openapi_document("citizen-requests")["paths"]


def _vague(schema: dict) -> bool:
    """A JSON answer's schema that names nothing: FastAPI's for a route returning a bare dict."""
    if not schema:
        return True
    if schema.get("type") == "array":
        return _vague(schema.get("items") or {})
    return schema.get("type") == "object" and not schema.get("properties") and "$ref" not in schema


def test_every_answer_says_its_shape():
    """What the API fuzzer (tests/test_fuzz.py) checks answers against: a JSON answer with a schema
    that names nothing, or an error with no body documented, is an answer it never checks."""
    vague, bare = [], []
    for path_, text in openapi_files().items():
        document = json.loads(text)
        for path, item in document["paths"].items():
            for method, operation in item.items():
                for status, answer in operation["responses"].items():
                    where = f"{path_.parent.name} {method.upper()} {path} {status}"
                    content = answer.get("content", {})
                    if status.startswith("2"):
                        vague += [where for media, given in content.items()
                                  if (media == "application/json" or media.endswith("+json")) and _vague(given.get("schema") or {})]
                    elif int(status) >= 400 and not content:
                        bare.append(where)
    assert vague == [], "document these answers (responses={200: {'model': …}}): " + ", ".join(vague)
    assert bare == [], ", ".join(bare)
