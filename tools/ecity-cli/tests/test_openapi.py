"""The services' committed OpenAPI documents are what their apps serve."""

from __future__ import annotations

from ecity_cli.openapi import openapi_document, openapi_files, write_openapi


def test_the_committed_openapi_documents_are_current():
    stale = write_openapi(check_only=True)
    assert stale == [], f"run `make contracts` (ecity contracts) and commit: {stale}"


def test_each_document_describes_its_service():
    for path, text in openapi_files().items():
        assert '"title": "Sumy e-City' in text, path
    assert "/api/v1/requests" in openapi_document("citizen-requests")["paths"]
