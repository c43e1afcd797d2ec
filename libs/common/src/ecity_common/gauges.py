"""Domain gauges counted in the background (open requests, outages, the ledger's chain): a
scrape must not query the database, so a service counts every few seconds and Prometheus reads
the last figures.

`keep_counting` is the loop every service's counting shares. A series no longer counted (a queue
emptied, every outage of a company resolved) is set to 0 rather than left at its last figure,
which a dashboard would show as still true; the database away leaves every figure as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import Gauge

log = logging.getLogger(__name__)

# {the labels' values (() for gauges without labels): one figure per gauge, in the gauges' order}
Counts = dict[tuple[str, ...], tuple[float, ...]]


def publish(gauges: Sequence[Gauge], counts: Counts, gone: set[tuple[str, ...]] = frozenset()) -> None:
    for labels in gone:
        for gauge in gauges:
            gauge.labels(*labels).set(0)
    for labels, figures in counts.items():
        for gauge, figure in zip(gauges, figures, strict=True):
            (gauge.labels(*labels) if labels else gauge).set(figure)


async def keep_counting(count: Callable[[], Awaitable[Counts]], gauges: Sequence[Gauge], *, what: str,
                        interval_s: float) -> None:
    seen: set[tuple[str, ...]] = set()
    while True:
        try:
            counts = await count()
        except Exception as exc:  # noqa: BLE001 - the database away: the gauges keep their last figures
            log.info("%s not counted: %s", what, type(exc).__name__)
        else:
            publish(gauges, counts, gone=seen - counts.keys())
            seen |= counts.keys()
        await asyncio.sleep(interval_s)
