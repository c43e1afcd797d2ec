"""Request bodies are counted as they arrive: a route reads at most its limit, a declared length
over it is refused before a byte is read, a chunked body at the chunk that crosses it; the answer
is a 413 problem+json naming the limit, whoever was reading (FastAPI, a route, a form parser).
The services' own routes are tested in each service's tests/test_bounds.py."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from ecity_common.web.body_limits import JSON_BODY, BodyLimits, KiB, body_limit, human_size
from ecity_common.web.problems import install_problem_handlers


class Note(BaseModel):
    text: str


def _app() -> FastAPI:
    router = APIRouter(prefix="/api")

    @router.post("/notes")
    async def note(body: Note) -> dict:
        return {"length": len(body.text)}

    @router.post("/files")
    @body_limit(64 * KiB)
    async def upload(request: Request) -> dict:
        return {"length": len(await request.body())}

    @router.post("/form")
    @body_limit(4 * KiB)
    async def form(request: Request) -> dict:
        return {"fields": len(await request.form())}

    @router.get("/status")
    async def status() -> dict:
        return {"ok": True}

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.add_middleware(BodyLimits)
    return app


class Chunks:
    """A chunked body (no Content-Length) that counts the chunks the server pulled."""

    def __init__(self, count: int, size: int) -> None:
        self.count, self.size, self.pulled = count, size, 0

    async def __aiter__(self):
        for _ in range(self.count):
            self.pulled += 1
            yield b"x" * self.size


def _is_413(answer: httpx.Response, limit: int) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["connection"] == "close"  # the rest of the body is not read
    problem = answer.json()
    assert problem["type"].endswith("/body-too-large") and problem["title"] == "Request body too large"
    assert problem["max_body_bytes"] == limit and human_size(limit) in problem["detail"]


async def test_each_route_reads_at_most_its_limit_whoever_reads_the_body():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        # The default for JSON routes: FastAPI itself reads and parses the body.
        assert (await client.post("/api/notes", json={"text": "x" * 1000})).json() == {"length": 1000}
        _is_413(await client.post("/api/notes", json={"text": "x" * JSON_BODY}), JSON_BODY)
        # A route's own limit, read by the route.
        assert (await client.post("/api/files", content=b"x" * 64 * KiB)).json() == {"length": 64 * KiB}
        _is_413(await client.post("/api/files", content=b"x" * (64 * KiB + 1)), 64 * KiB)
        # A form, urlencoded or multipart: the parser reads through the same count.
        _is_413(await client.post("/api/form", data={"a": "b" * 5000}), 4 * KiB)
        _is_413(await client.post("/api/form", files={"photo": b"\xff" * 5000}), 4 * KiB)
        assert (await client.post("/api/form", data={"a": "b"})).json() == {"fields": 1}


async def test_a_declared_length_over_the_limit_is_refused_before_anything_is_read():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        body = Chunks(count=1000, size=1024)
        answer = await client.post("/api/files", content=body, headers={"Content-Length": str(1000 * 1024)})
        _is_413(answer, 64 * KiB)
        assert body.pulled == 0


async def test_a_chunked_body_is_refused_at_the_chunk_that_crosses_the_limit():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        endless = Chunks(count=100_000, size=4 * KiB)  # 400 MB if it were all read
        _is_413(await client.post("/api/files", content=endless), 64 * KiB)
        assert endless.pulled == 64 // 4 + 1
        json_body = Chunks(count=100_000, size=16 * KiB)
        _is_413(await client.post("/api/notes", content=json_body, headers={"Content-Type": "application/json"}), JSON_BODY)
        assert json_body.pulled == JSON_BODY // (16 * KiB) + 1


async def test_a_route_that_reads_no_body_answers_as_ever():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        answer = await client.request("GET", "/api/status", content=Chunks(count=1000, size=KiB))
        assert answer.status_code == 200 and answer.json() == {"ok": True}


def test_sizes_are_said_the_way_people_read_them():
    assert [human_size(n) for n in (20 * 1024 * KiB, 256 * KiB, 1000)] == ["20 MiB", "256 KiB", "1000 bytes"]
