"""The render cache: each drawing made once however many ask at once, at most `at_once` at a
time, least recently used out within its count and bytes; If-None-Match compared as RFC 9110
says. The services' reports and pictures are tested in their tests/test_bounds.py."""

from __future__ import annotations

import asyncio

import pytest

from ecity_common.web.renders import Renders, etag_of, not_modified


async def test_a_drawing_is_made_once_while_many_wait_for_it():
    renders, drawn = Renders(at_once=2), []

    async def draw() -> bytes:
        drawn.append(1)
        await asyncio.sleep(0.05)
        return b"picture"

    answers = await asyncio.gather(*(renders.get("chart.svg", "v1", draw) for _ in range(20)))
    assert answers == [b"picture"] * 20 and len(drawn) == 1
    assert await renders.get("chart.svg", "v1", draw) == b"picture" and len(drawn) == 1


async def test_at_most_at_once_drawings_run_together():
    renders, running, most = Renders(at_once=2), 0, 0

    async def draw() -> bytes:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1
        return b"x"

    await asyncio.gather(*(renders.get("chart.svg", f"v{n}", draw) for n in range(8)))
    assert most == 2


async def test_a_failed_drawing_is_not_kept_and_the_next_caller_draws_again():
    renders, calls = Renders(), 0

    async def draw() -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("to_year before from_year")
        return b"ok"

    with pytest.raises(ValueError):
        await renders.get("report.pdf", "v1", draw)
    assert await renders.get("report.pdf", "v1", draw) == b"ok" and calls == 2


async def test_the_least_recently_used_go_first_within_count_and_bytes():
    renders = Renders(max_entries=3, max_bytes=100)

    async def of(size: int):
        async def draw() -> bytes:
            return b"x" * size
        return draw

    for tag in ("a", "b", "c"):
        await renders.get("t", tag, await of(10))
    await renders.get("t", "a", await of(10))  # used again: "b" is now the oldest
    await renders.get("t", "d", await of(10))
    assert set(renders._kept) == {"a", "c", "d"}
    await renders.get("t", "e", await of(90))  # bytes: the oldest go until the rest fit
    assert set(renders._kept) == {"d", "e"} and renders._bytes == 100
    assert await renders.get("t", "huge", await of(101)) == b"x" * 101  # larger than the cache: served, not kept
    assert set(renders._kept) == {"d", "e"}


def test_if_none_match_is_compared_weakly_in_a_list_or_as_a_star():
    tag = etag_of("0.1.0", "execution.pdf", 42, 2020, 2021)
    assert tag.startswith('W/"') and tag == etag_of("0.1.0", "execution.pdf", 42, 2020, 2021)
    assert tag != etag_of("0.1.0", "execution.pdf", 43, 2020, 2021)
    opaque = tag.removeprefix("W/")
    assert not_modified(tag, tag) and not_modified(opaque, tag) and not_modified(f'"other", {tag}', tag)
    assert not_modified("*", tag)
    assert not not_modified(None, tag) and not not_modified('"other"', tag) and not not_modified("", tag)
