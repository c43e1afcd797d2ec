"""Hostile input, bounded (issue 15, item 3), on the real registry and database: a CSV import is
refused while it arrives once past 20 MiB, a line the csv module cannot read is a bad row and not a
500, bulk writes have their own body limit, and the network's picture is drawn once per version of
the network (any site, device or link written), with an ETag."""

from __future__ import annotations

import json

import pytest
from prometheus_client import REGISTRY

from ecity_cli.testing import serving
from ecity_common.inputs import MAX_IMPORT_ROWS
from ecity_common.web.body_limits import CSV_IMPORT_BODY, JSON_BODY, LARGE_JSON_BODY, MiB


@pytest.fixture
async def registry(services):
    async with serving(services, "network-registry", "network-admin", subject="it-engineer-1") as client:
        yield client


class Rows:
    """A chunked CSV upload counting the chunks the registry pulled."""

    def __init__(self, count: int) -> None:
        self.count, self.pulled = count, 0

    async def __aiter__(self):
        self.pulled += 1
        yield b"name,kind,lat,long,owner_holder_code\n"
        for _ in range(self.count):
            self.pulled += 1
            yield "Бібліотека,library,50.92,34.80,06\n".encode() * (MiB // 40)


def drawn(what: str) -> float:
    return REGISTRY.get_sample_value("ecity_renders_total", {"what": what}) or 0.0


async def test_a_csv_import_past_20_mib_is_refused_while_it_arrives(registry):
    client = registry
    upload = Rows(count=10_000)
    answer = await client.post("/api/v1/csv/sites", content=upload)
    assert answer.status_code == 413 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["max_body_bytes"] == CSV_IMPORT_BODY
    assert upload.pulled <= 22
    assert (await client.get("/api/v1/sites/", params={"name": "Бібліотека"})).json()["count"] == 0
    long_field = b"name,kind,lat,long,owner_holder_code\n" + b"x" * 200_000 + b",library,50.92,34.80,06\n"
    unreadable = await client.post("/api/v1/csv/sites", content=long_field)
    assert unreadable.status_code == 422
    assert unreadable.json()["errors"][0]["field"] == "rows[2].file"


async def test_an_import_of_too_many_rows_is_refused_before_any_row_is_tried(registry):
    rows = b"name,kind,lat,long,owner_holder_code\n" + "Бібліотека-ліміт,library,50.92,34.80,06\n".encode() * (MAX_IMPORT_ROWS + 1)
    assert len(rows) < CSV_IMPORT_BODY
    answer = await registry.post("/api/v1/csv/sites", content=rows)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == f"rows[{MAX_IMPORT_ROWS + 2}].file" and "split the file" in error["message"]
    assert (await registry.get("/api/v1/sites/", params={"name": "Бібліотека-ліміт"})).json()["count"] == 0


async def test_bulk_writes_have_their_own_body_limit(registry):
    client = registry
    many = [{"name": f"Школа {n}", "kind": "school", "lat": 50.92, "long": 34.80} for n in range(20_000)]
    body = json.dumps(many).encode()
    assert len(body) > LARGE_JSON_BODY
    refused = await client.post("/api/v1/sites/", content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413 and refused.json()["max_body_bytes"] == LARGE_JSON_BODY
    # Past a plain route's limit (JSON_BODY) but within a bulk write's: read, and answered on its merits.
    ids = [{"id": f"site-that-is-not-there-{n:06d}"} for n in range(10_000)]
    assert JSON_BODY < len(json.dumps(ids)) < LARGE_JSON_BODY
    read = await client.request("DELETE", "/api/v1/sites/", json=ids)
    assert read.status_code == 404 and "site-that-is-not-there-000000" in read.json()["detail"]


async def test_the_picture_is_drawn_once_per_version_of_the_network(registry):
    client = registry
    first = await client.get("/api/v1/analysis/topology.svg")
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    tag, before = first.headers["etag"], drawn("topology.svg")
    again = await client.get("/api/v1/analysis/topology.svg")
    assert again.headers["etag"] == tag and again.content == first.content and drawn("topology.svg") == before
    kept = await client.get("/api/v1/analysis/topology.svg", headers={"If-None-Match": tag})
    assert kept.status_code == 304 and kept.content == b""
    # Failures asked about are a picture of their own; the same ones in another order are not.
    failed = await client.get("/api/v1/analysis/topology.svg", params={"failed_device": ["dev-dist-3", "dev-dist-1"]})
    swapped = await client.get("/api/v1/analysis/topology.svg", params={"failed_device": ["dev-dist-1", "dev-dist-3", "dev-dist-1"]})
    assert failed.headers["etag"] != tag and swapped.headers["etag"] == failed.headers["etag"]
    assert drawn("topology.svg") == before + 1
    # Moving a site moves its devices in the picture: a new version.
    moved = await client.patch("/api/v1/sites/site-001", json={"lat": 50.93, "long": 34.81})
    assert moved.status_code == 200, moved.text
    redrawn = await client.get("/api/v1/analysis/topology.svg", headers={"If-None-Match": tag})
    assert redrawn.status_code == 200 and redrawn.headers["etag"] != tag and drawn("topology.svg") == before + 2
    # Reads need the role, as before; the cache does not answer for them.
    assert (await client.get("/api/v1/analysis/topology.svg", headers={"Authorization": "", "If-None-Match": tag})).status_code == 401
