"""What failed: the infrastructure, or the work itself. One answer for every background loop.

The consumer, the outbox relay, the webhook dispatcher and the notifications' senders all ask
`classify(exc)` the same question after a failure, and act on the answer the same way:

- `INFRASTRUCTURE`: the database or the broker is away, restarting, failing over, or a call to it
  timed out. Nothing is wrong with the event; the work is tried again, with a capped exponential
  back-off, for as long as it takes, and it never counts against an event's attempts (a
  CloudNativePG failover takes seconds; each one must not turn healthy events into dead letters).
- `CONFLICT`: a serialization failure or a deadlock. PostgreSQL rolled the transaction back on
  purpose and says that running it again will do; the whole transaction is retried.
- `OWN`: the event or request itself fails: it does not validate, a rule refuses it, or a bug.
  Only these count against an event's bounded attempts and end in the dead-letter topic.

When in doubt it says `OWN`: an unknown error is retried a bounded number of times and then shown
to a person in the dead-letter topic, rather than retried silently forever.
"""

from __future__ import annotations

import asyncio
import enum
import random
import socket
from collections.abc import Iterator

import asyncpg
from aiokafka import errors as kafka_errors
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class Failure(enum.Enum):
    INFRASTRUCTURE = "infrastructure"
    CONFLICT = "conflict"
    OWN = "own"


# SQLSTATE classes and codes (PostgreSQL, appendix A) that say the server or the way to it is the
# trouble: connection exceptions (08), insufficient resources (53: too many connections, disk full),
# operator intervention (57: admin/crash shutdown, cannot connect now; not 57014, a cancelled
# statement), a system error (58), and a read-only transaction (25006: the primary we wrote to was
# demoted in a failover; the pool reconnects to the new one).
_INFRASTRUCTURE_SQLSTATE_CLASSES = ("08", "53", "58")
_INFRASTRUCTURE_SQLSTATES = {"57P01", "57P02", "57P03", "57P04", "57P05", "25006"}
# Serialization failure and deadlock: "retry the transaction", says PostgreSQL's manual (13.4).
_CONFLICT_SQLSTATES = {"40001", "40P01"}

# The driver's own exceptions for a connection that is gone or could not be made.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, a broken pipe
    socket.gaierror,  # the database's or broker's name does not resolve (DNS during a failover)
    TimeoutError,  # asyncio's and the built-in one are the same class since 3.11
    PoolTimeout,  # no pooled connection came free in time
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # "connection is closed", "cannot perform operation: another operation is in progress"
    asyncpg.exceptions.ConnectionDoesNotExistError,
)

# Kafka errors that are the broker's state, not the record's. aiokafka marks most of them
# `retriable`; a few that matter here it does not (the producer's delivery timeout, a broker that
# cannot be reached at all), so they are named.
_KAFKA_INFRASTRUCTURE = (
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.KafkaUnavailableError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NotEnoughReplicasError,
    kafka_errors.NotEnoughReplicasAfterAppendError,
    kafka_errors.LeaderNotAvailableError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.BrokerNotAvailableError,
    kafka_errors.CoordinatorNotAvailableError,
    kafka_errors.NotCoordinatorError,
    kafka_errors.CoordinatorLoadInProgressError,
)


def _causes(exc: BaseException, depth: int = 8) -> Iterator[BaseException]:
    """The exception and what it wraps: SQLAlchemy's `.orig`, the driver's adapted error's
    `__cause__`, a handler's own exception raised `from` the database's."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < depth:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def _sqlstate(exc: BaseException) -> str | None:
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return code if isinstance(code, str) and len(code) == 5 else None


def classify(exc: BaseException) -> Failure:
    """Whose fault a failure is (see the module's docstring)."""
    own_sqlstate = False
    for cause in _causes(exc):
        code = _sqlstate(cause)
        if code in _CONFLICT_SQLSTATES:
            return Failure.CONFLICT
        if code is not None:
            if code in _INFRASTRUCTURE_SQLSTATES or code[:2] in _INFRASTRUCTURE_SQLSTATE_CLASSES:
                return Failure.INFRASTRUCTURE
            # The server answered with a definite error about the statement (a constraint, a
            # syntax error, a statement timeout): that is the work's own failure, whatever the
            # exception's type also says.
            own_sqlstate = True
            continue
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return Failure.INFRASTRUCTURE
        if isinstance(cause, _KAFKA_INFRASTRUCTURE):
            return Failure.INFRASTRUCTURE
        if isinstance(cause, kafka_errors.KafkaError) and type(cause).retriable:
            return Failure.INFRASTRUCTURE
        # A bare OSError is how asyncio reports that every address of a host refused ("Multiple
        # exceptions: …"); its subclasses about files (FileNotFoundError …) are a bug's, not the network's.
        if (isinstance(cause, _CONNECTION_ERRORS) or type(cause) is OSError) and not own_sqlstate:
            return Failure.INFRASTRUCTURE
    return Failure.OWN


class Backoff:
    """Capped exponential back-off with jitter: 0.5 s, 1 s, 2 s … up to `cap_s`, each drawn
    between half and all of that, so that replicas which failed together do not retry together.
    `reset()` after a success; `failures` says how long the trouble has lasted, in tries."""

    def __init__(self, first_s: float = 0.5, cap_s: float = 30.0) -> None:
        self.first_s = first_s
        self.cap_s = cap_s
        self.failures = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.first_s * 2 ** self.failures)
        self.failures += 1
        return random.uniform(ceiling / 2, ceiling)

    async def wait(self, stopping: asyncio.Event | None = None) -> None:
        """Sleep the next delay, or less if `stopping` is set meanwhile (shutdown is not delayed)."""
        delay = self.next_delay()
        if stopping is None:
            await asyncio.sleep(delay)
            return
        try:
            await asyncio.wait_for(stopping.wait(), delay)
        except TimeoutError:
            pass

    def reset(self) -> None:
        self.failures = 0
