"""The filing desk: the requests citizens file at the same moment are written together.

Every filing waits for a durable commit, and on a busy morning hundreds arrive each second; one
statement and one commit per request keeps the database and this process busy with the same
work over and over. The desk takes whatever filings are waiting when a lane is free, writes them
with one statement (`service.file_many`) in one commit, and answers each citizen after that
commit. Nothing waits for a batch to fill: a lone filing is written at once, so a quiet hour
costs nothing, and a busy one forms larger batches by itself while the lanes are writing.

A citizen's second filing that arrives while their first waits goes into the next batch (one
statement counts one filing per citizen against the creation limit). When a batch fails, its
filings are written one by one, so one bad filing cannot fail the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field

from opentelemetry import context as otel_context
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncEngine

from citizen_requests.service import Filed, Filing, file_many

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class DeskClosed(Exception):
    """The service stopped before (or while) writing the filing: the citizen should retry."""


@dataclass
class _Waiting:
    filing: Filing
    answer: asyncio.Future
    context: otel_context.Context = field(default_factory=otel_context.get_current)  # the citizen's request


class FilingDesk:
    def __init__(self, engine: AsyncEngine, *, limit: int, window_s: int, lanes: int = 2, batch_max: int = 64) -> None:
        self._engine = engine
        self._limit, self._window_s = limit, window_s
        self._lanes, self._batch_max = lanes, batch_max
        self._waiting: deque[_Waiting] = deque()
        self._ready = asyncio.Event()
        self.statements = 0  # written so far (with `filed`: how well filings are batched)
        self.filed = 0

    async def file(self, filing: Filing) -> Filed:
        """Write `filing` with whatever else is waiting; answers after its commit."""
        waiting = _Waiting(filing, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._ready.set()
        return await waiting.answer

    async def run(self) -> None:
        """The desk's lanes, until cancelled; filings still waiting then are refused."""
        try:
            await asyncio.gather(*(self._lane() for _ in range(self._lanes)))
        finally:
            while self._waiting:
                waiting = self._waiting.popleft()
                if not waiting.answer.done():
                    waiting.answer.set_exception(DeskClosed())

    async def _lane(self) -> None:
        while True:
            await self._ready.wait()
            batch = self._take()
            if not self._waiting:
                self._ready.clear()
            if batch:
                await self._write(batch)

    def _take(self) -> list[_Waiting]:
        """The oldest waiting filings, one per subject, at most `batch_max`; the rest keep their turn."""
        batch: list[_Waiting] = []
        subjects: set[str] = set()
        later: list[_Waiting] = []
        while self._waiting and len(batch) < self._batch_max:
            waiting = self._waiting.popleft()
            if waiting.filing.subject in subjects:
                later.append(waiting)
            else:
                subjects.add(waiting.filing.subject)
                batch.append(waiting)
        self._waiting.extendleft(reversed(later))
        return batch

    async def _write(self, batch: list[_Waiting]) -> None:
        # One span for the statement, in the trace of the first citizen's request and linked to the
        # others', so each request's trace leads to the commit it waited for.
        links = [trace.Link(trace.get_current_span(w.context).get_span_context()) for w in batch[1:]]
        with tracer.start_as_current_span("file requests", context=batch[0].context, links=links,
                                          attributes={"ecity.filings": len(batch)}):
            try:
                async with self._engine.connect() as conn:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    answers = await file_many(conn, [w.filing for w in batch], limit=self._limit, window_s=self._window_s)
                self.statements += 1
                self.filed += len(batch)
            except Exception as exc:
                if len(batch) > 1:
                    log.warning("a batch of %d filings failed (%s); filing them one by one", len(batch), exc)
                    for waiting in batch:
                        await self._write([waiting])
                elif not batch[0].answer.done():
                    batch[0].answer.set_exception(exc)
                return
            except BaseException:  # cancelled while writing (the service stops)
                for waiting in batch:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(DeskClosed())
                raise
        for waiting, answer in zip(batch, answers, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(answer)
