"""The counting loop the services' domain gauges share: a series no longer counted goes to 0, and
a failed count leaves the last figures."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Gauge

from ecity_common import gauges


async def test_a_series_no_longer_counted_is_zero_and_a_failed_count_keeps_the_last_figures():
    registry = CollectorRegistry()
    open_ = Gauge("t_open", "open", ["handler"], registry=registry)
    overdue = Gauge("t_overdue", "overdue", ["handler"], registry=registry)
    rounds = [{("water",): (3, 1), ("lighting",): (2, 0)}, {("water",): (4, 2)}, None]
    counted = asyncio.Event()

    async def count() -> gauges.Counts:
        figures = rounds.pop(0) if rounds else None
        if not rounds:
            counted.set()
        if figures is None:
            raise ConnectionError("the database is away")
        return figures

    def value(name: str, handler: str) -> float | None:
        return registry.get_sample_value(name, {"handler": handler})

    worker = asyncio.create_task(gauges.keep_counting(count, (open_, overdue), what="test gauges", interval_s=0.01))
    try:
        await asyncio.wait_for(counted.wait(), 5)
        await asyncio.sleep(0.05)
    finally:
        worker.cancel()
    assert (value("t_open", "water"), value("t_overdue", "water")) == (4, 2)  # kept through the failed count
    assert (value("t_open", "lighting"), value("t_overdue", "lighting")) == (0, 0)  # emptied, not left at 2


def test_gauges_without_labels_take_the_empty_key():
    registry = CollectorRegistry()
    chain = Gauge("t_chain", "chain", registry=registry)
    gauges.publish((chain,), {(): (21,)})
    assert registry.get_sample_value("t_chain") == 21
