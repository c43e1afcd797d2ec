"""The filing desk: the requests citizens file at the same moment are written together.

Every filing waits for a durable commit, and on a busy morning hundreds arrive each second; one
statement and one commit per request keeps the database and this process busy with the same
work over and over. The desk takes whatever filings are waiting when a lane is free, writes them
with one statement (`filing_statement.file_many_on`) in one commit, and answers each citizen after that
commit. Nothing waits for a batch to fill: a lone filing is written at once, so a quiet hour
costs nothing, and a busy one forms larger batches by itself while the lanes are writing.

Each lane writes on a database connection of its own, taken from the service's pool when the
lane opens and kept while the desk runs, used through asyncpg itself: checking a connection out
and running the statement through SQLAlchemy for every batch cost the worker ~9 % of its CPU per
filing (bench/citizens.py). Held past the pool's own checks, a lane replaces a connection the
server has ended (a restart, an idle timeout) before writing on it, and keeps none longer than
the pool would (`DATABASE_POOL_RECYCLE_S`); one lost with a statement on it fails that batch as
the database being away (503 for the citizens in it: committed or not is unknown) and is discarded.

One citizen's filings are written one statement after another (one statement counts one filing
per citizen against the creation limit, and a second lane would only wait on the first's lock);
more than the limit waiting at once are refused at the door. When a batch fails because of
what one filing holds, its filings are written one by one, so that filing cannot fail the
others; when the database itself fails, the whole batch gets the error at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from contextlib import suppress
from dataclasses import dataclass, field
from time import monotonic

import asyncpg
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from prometheus_client import Counter as MetricCounter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from citizen_requests.adapters.filing_statement import Filed, Filing, file_many_on
from citizen_requests.domain.phrases import Phrase
from ecity_common.db import database_unavailable
from ecity_common.refusals import Unavailable

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
# On /metrics: their ratio is how many filings share a commit (1 when quiet).
WRITTEN = MetricCounter("citizen_filings_written", "Filings written by the filing desk")
STATEMENTS = MetricCounter("citizen_filing_statements", "Statements (each its own commit) the filing desk wrote filings in")


class DeskClosed(Unavailable):
    """The service stopped before (or while) writing the filing: the citizen should retry."""

    def __init__(self) -> None:
        super().__init__(Phrase("desk-closed"), code="service-stopping", retry_after_s=1)


class _Counter:
    """A lane's own connection: one of the service's engine (its settings and JSON codecs), held
    while the lane runs and used through the driver."""

    def __init__(self, engine: AsyncEngine, recycle_s: float) -> None:
        self._engine = engine
        self._recycle_s = recycle_s
        self._held: AsyncConnection | None = None
        self._driver: asyncpg.Connection | None = None
        self._taken_at = 0.0
        self.writing = False  # a statement in flight: if the lane stops now, the connection is not reusable

    async def connection(self) -> asyncpg.Connection:
        # Held past the pool's own checks (pre-ping, recycling), so it does them itself: one the
        # server already ended (a restart, an idle timeout) is replaced before anything is sent
        # on it, and none is kept longer than the pool would keep it.
        if self._driver is not None and (self._driver.is_closed() or monotonic() - self._taken_at > self._recycle_s):
            await self.close(broken=self._driver.is_closed())
        if self._driver is None:
            held = await self._engine.connect()
            try:
                self._driver = (await held.get_raw_connection()).driver_connection
            except BaseException:
                await held.close()
                raise
            self._held, self._taken_at = held, monotonic()
        return self._driver

    async def close(self, *, broken: bool = False) -> None:
        """Give the connection back to the pool; a broken one is discarded there."""
        held, self._held, self._driver = self._held, None, None
        if held is None:
            return
        if broken:
            await held.invalidate()
        await held.close()


@dataclass
class _Waiting:
    filing: Filing
    answer: asyncio.Future
    context: otel_context.Context = field(default_factory=otel_context.get_current)  # the citizen's request


class FilingDesk:
    def __init__(self, engine: AsyncEngine, *, limit: int, window_s: int, lanes: int = 2, batch_max: int = 64,
                 recycle_s: float = 1800.0) -> None:
        if lanes < 1 or batch_max < 1:
            raise ValueError("a filing desk needs at least one lane and room for one filing")
        pool_size = engine.pool.size() if hasattr(engine.pool, "size") else None
        if pool_size is not None and lanes >= pool_size:
            raise ValueError(f"{lanes} lanes would hold every connection of a pool of {pool_size}")
        self._engine = engine
        self._recycle_s = recycle_s  # how long a lane keeps its connection (the pool's DATABASE_POOL_RECYCLE_S)
        self._limit, self._window_s = limit, window_s
        self._lanes, self._batch_max = lanes, batch_max
        self._waiting: deque[_Waiting] = deque()
        self._per_subject: Counter[str] = Counter()  # waiting or being written
        self._writing: set[str] = set()  # subjects in a statement now
        self._ready = asyncio.Event()
        self._closed = False
        self.statements = 0  # written so far (with `filed`: how well filings are batched)
        self.filed = 0

    async def file(self, filing: Filing) -> Filed:
        """Write `filing` with whatever else is waiting; answers after its commit. DeskClosed once
        the desk has stopped."""
        if self._closed:
            raise DeskClosed()
        if self._per_subject[filing.subject] >= self._limit:
            # As many of this citizen's filings as the limit allows are already ahead of it.
            return Filed(False, [])
        waiting = _Waiting(filing, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._per_subject[filing.subject] += 1
        self._ready.set()
        try:
            return await waiting.answer
        finally:
            self._per_subject[filing.subject] -= 1
            if not self._per_subject[filing.subject]:
                del self._per_subject[filing.subject]

    async def run(self) -> None:
        """The desk's lanes, until cancelled; filings still waiting then get DeskClosed, and so
        does every filing until the desk runs again."""
        self._closed = False
        try:
            await asyncio.gather(*(self._lane() for _ in range(self._lanes)))
        finally:
            self._closed = True
            while self._waiting:
                self._refuse([self._waiting.popleft()])

    async def _lane(self) -> None:
        counter = _Counter(self._engine, self._recycle_s)
        try:
            while True:
                await self._ready.wait()
                batch = self._take()
                if not batch:
                    self._ready.clear()  # all waiting ones are behind a statement in flight, or none wait
                    continue
                self._writing.update(w.filing.subject for w in batch)
                try:
                    await self._write(batch, counter)
                finally:
                    self._writing.difference_update(w.filing.subject for w in batch)
                    if self._waiting:
                        self._ready.set()  # those left behind (the same citizens) may go now
        finally:
            with suppress(Exception):
                await counter.close(broken=counter.writing)

    def _take(self) -> list[_Waiting]:
        """The oldest waiting filings, one per subject and none of a subject being written, at
        most `batch_max`; the rest keep their turn. A filing whose citizen gave up is dropped."""
        batch: list[_Waiting] = []
        subjects: set[str] = set()
        later: list[_Waiting] = []
        while self._waiting and len(batch) < self._batch_max:
            waiting = self._waiting.popleft()
            subject = waiting.filing.subject
            if waiting.answer.done():  # cancelled: the request went away before it was written
                continue
            if subject in subjects or subject in self._writing:
                later.append(waiting)
            else:
                subjects.add(subject)
                batch.append(waiting)
        self._waiting.extendleft(reversed(later))
        return batch

    async def _write(self, batch: list[_Waiting], counter: _Counter) -> None:
        # One span for the statement, in the trace of the first citizen's request and linked to the
        # others', so each request's trace leads to the commit it waited for.
        links = [trace.Link(trace.get_current_span(w.context).get_span_context()) for w in batch[1:]]
        with tracer.start_as_current_span("file requests", context=batch[0].context, links=links,
                                          attributes={"ecity.filings": len(batch), "db.system": "postgresql",
                                                      "db.operation": "INSERT"},
                                          record_exception=False, set_status_on_exception=False) as span:
            try:
                conn = await counter.connection()
                counter.writing = True
                answers = await file_many_on(conn, [w.filing for w in batch], limit=self._limit, window_s=self._window_s)
                counter.writing = False
            except Exception as exc:
                counter.writing = False  # the statement is over (it failed); only cancellation leaves it in flight
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                down = database_unavailable(exc)
                if len(batch) == 1 or down:
                    for waiting in batch:
                        if not waiting.answer.done():
                            waiting.answer.set_exception(exc)
                    if down:  # after the answers: closing may take a moment, or be cancelled
                        with suppress(Exception):
                            await counter.close(broken=True)
                    return
                log.warning("a batch of %d filings failed (%s); filing them one by one", len(batch), exc)
                try:
                    for waiting in batch:
                        await self._write([waiting], counter)
                except BaseException:
                    self._refuse(batch)
                    raise
                return
            except BaseException:  # cancelled while writing (the service stops)
                self._refuse(batch)
                raise
        self.statements += 1
        self.filed += len(batch)
        STATEMENTS.inc()
        WRITTEN.inc(len(batch))
        for waiting, answer in zip(batch, answers, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(answer)

    @staticmethod
    def _refuse(batch: list[_Waiting]) -> None:
        for waiting in batch:
            if not waiting.answer.done():
                waiting.answer.set_exception(DeskClosed())
